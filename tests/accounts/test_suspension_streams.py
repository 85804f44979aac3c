"""Suspending an organization from the operator console ends what it holds open: its live stream and
its members' desk stream (on a real loopback server, with the in-process worker) close within seconds,
reconnecting is refused with ``organization_suspended``, and the feed tokens it minted answer the same;
another organization's key goes on working, and reactivation gives the feeds back. Both databases."""

from __future__ import annotations

import re
import time

import anyio
import httpx
import pytest

from newsbridge.accounts.members import add_member, hash_password
from newsbridge.accounts.operators import add_operator
from newsbridge.db.engine import writing
from tests.conftest import active_agreement
from tests.live_server import serving

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
ENDS_WITHIN = 5.0  # seconds from the suspension to the end of the stream (the stream checks its key every 2 s)
FEEDS = ("atom.xml", "rss.xml", "feed.json")
PASSWORD = "operator horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _feeds(http: httpx.AsyncClient, token: str) -> set[int]:
    return {(await http.get(f"/feeds/{token}/{name}")).status_code for name in FEEDS}


async def _operator_signs_in(console: httpx.AsyncClient) -> str:
    """The operator's CSRF token, once signed in on /login like anyone."""
    assert (await console.post("/login", data={"email": "op@hub.example", "password": PASSWORD})).status_code == 303
    return CSRF.search((await console.get("/operator/organizations/beta")).text)[1]  # type: ignore[index]


async def test_suspending_an_organization_closes_its_open_stream_and_its_feeds(app, client, engine,
                                                                              make_partner) -> None:
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {"topics": ["medtop:11000000"], "languages": ["en"]})
    with writing(engine) as conn:
        add_operator(conn, "op@hub.example", "Hub Operator", hash_password(PASSWORD))
        add_member(conn, "beta", "editor@beta.example", "Beta Editor", "editor", PASSWORD)
    token = (await client.post("/api/v1/feed-tokens", params={"label": "CMS"}, headers=beta.headers)).json()["token"]
    with serving(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as console, \
                httpx.AsyncClient(base_url=url, timeout=30) as http, \
                httpx.AsyncClient(base_url=url, timeout=30) as desk:
            csrf = await _operator_signs_in(console)
            signed = await desk.post("/login", data={"email": "editor@beta.example", "password": PASSWORD})
            assert signed.status_code == 303, signed.text
            assert await _feeds(http, token) == {200}
            async with http.stream("GET", "/api/v1/stream", headers=beta.headers) as response, \
                    desk.stream("GET", "/desk/events") as desk_response:
                assert response.status_code == 200 and desk_response.status_code == 200
                lines, desk_lines = response.aiter_lines(), desk_response.aiter_lines()
                assert await anext(lines) == "retry: 2000" and await anext(desk_lines) == "retry: 2000"
                item = {"uri": "urn:alpha:1", "language": "en", "subjects": [POLITICS],
                        "headlines": [{"role": "main", "value": "Live before the suspension"}]}
                assert (await http.post("/api/v1/items", json=item, headers=alpha.headers)).status_code == 201
                with anyio.fail_after(10):  # the control: while beta is active, both streams deliver
                    async for line in lines:
                        if line == "event: item.published":
                            break
                    async for line in desk_lines:
                        if line == "event: arrived":
                            break
                done = await console.post("/operator/organizations/beta/suspend",
                                          data={"csrf_token": csrf, "reason": "compromised systems"})
                assert done.status_code in (200, 303), done.text
                suspended = time.monotonic()
                with anyio.fail_after(ENDS_WITHIN + 5):  # a stream that never ends times out here
                    rest = [line async for line in lines]
                assert time.monotonic() - suspended < ENDS_WITHIN, rest
                assert "event: item.published" not in rest
                with anyio.fail_after(ENDS_WITHIN + 5):  # the member's desk: the suspension ended the session
                    desk_rest = [line async for line in desk_lines]
                assert time.monotonic() - suspended < ENDS_WITHIN and "event: ended" in desk_rest, desk_rest
            assert (await desk.get("/desk/events")).status_code != 200  # signed out
            again = await http.get("/api/v1/stream", headers=beta.headers)
            assert again.status_code == 403 and again.json()["error"]["code"] == "organization_suspended"
            assert await _feeds(http, token) == {403}
            refused = await http.get(f"/feeds/{token}/feed.json")
            assert refused.json()["error"]["code"] == "organization_suspended"
            assert (await http.get("/api/v1/me", headers=alpha.headers)).status_code == 200  # others go on
            back = await console.post("/operator/organizations/beta/reactivate", data={"csrf_token": csrf})
            assert back.status_code in (200, 303), back.text
            assert await _feeds(http, token) == {200}
