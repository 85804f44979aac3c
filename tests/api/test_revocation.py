"""Revoking an API key ends everything it opened: an open live stream (on a real loopback
server), a long-polling feed request, and the feed tokens minted with it; feed tokens can also
be revoked one by one, through the API or on the desk."""

from __future__ import annotations

import asyncio
import time

import anyio
import httpx
import pytest
from desk_session import sign_in

from newsbridge.accounts.api_keys import create_api_key, revoke_api_key
from newsbridge.db.engine import writing
from newsbridge.db.tables import api_keys
from newsbridge.delivery.feeds import create_feed_token
from newsbridge.ids import utcnow
from tests.conftest import Partner, active_agreement
from tests.live_server import serving

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
ENDS_WITHIN = 5.0  # seconds from revocation to the end of the stream (the stream checks every 2 s)
FEEDS = ("atom.xml", "feed.json")


def revoke(engine, partner: Partner) -> None:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        revoke_api_key(conn, partner.key)


async def test_an_open_stream_ends_within_seconds_of_revoking_its_key(app, client, engine, make_partner) -> None:
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {"topics": ["medtop:11000000"], "languages": ["en"]})
    with serving(app) as url:  # uvicorn with the in-process worker: the stream is fed for real
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            async with http.stream("GET", "/api/v1/stream", headers=beta.headers) as response:
                assert response.status_code == 200
                lines = response.aiter_lines()
                assert await anext(lines) == "retry: 2000"
                # The control: while the key works, the stream delivers.
                item = {"uri": "urn:alpha:1", "language": "en", "subjects": [POLITICS],
                        "headlines": [{"role": "main", "value": "Live before the revocation"}]}
                assert (await http.post("/api/v1/items", json=item, headers=alpha.headers)).status_code == 201
                with anyio.fail_after(10):
                    async for line in lines:
                        if line == "event: item.published":
                            break
                await asyncio.to_thread(revoke, engine, beta)
                revoked = time.monotonic()
                with anyio.fail_after(ENDS_WITHIN + 5):  # the old stream never ended: it times out here
                    rest = [line async for line in lines]
                assert time.monotonic() - revoked < ENDS_WITHIN
                assert any(line.startswith(": the API key no longer works") for line in rest)
            again = await http.get("/api/v1/stream", headers=beta.headers)
            assert again.status_code == 401 and again.json()["error"]["code"] == "unauthenticated"


async def test_a_waiting_feed_request_answers_401_once_its_key_is_revoked(client, engine, make_partner) -> None:
    beta = make_partner("beta", scopes=("read",))
    poll = asyncio.create_task(client.get("/api/v1/feed", params={"wait": 30}, headers=beta.headers))
    await asyncio.sleep(0.5)  # the request is waiting for news (it re-reads every second) when the key goes
    assert not poll.done()
    await asyncio.to_thread(revoke, engine, beta)
    with anyio.fail_after(5):
        answer = await poll
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthenticated"


async def feeds_answer(client: httpx.AsyncClient, token: str) -> set[int]:
    return {(await client.get(f"/feeds/{token}/{name}")).status_code for name in FEEDS}


async def test_feed_tokens_die_with_the_key_that_minted_them(client, engine, make_partner) -> None:
    beta = make_partner("beta", scopes=("read",))
    with writing(engine) as conn:
        _key, other_key = create_api_key(conn, "beta", ("read",))
        on_desk = create_feed_token(conn, beta.org, "desk reader")  # a member made it: no key
    other = {"Authorization": f"Bearer {other_key}"}
    minted = (await client.post("/api/v1/feed-tokens", params={"label": "minted"}, headers=beta.headers)).json()
    kept = (await client.post("/api/v1/feed-tokens", params={"label": "kept"}, headers=other)).json()
    for token in (minted["token"], kept["token"], on_desk):
        assert await feeds_answer(client, token) == {200}

    await asyncio.to_thread(revoke, engine, beta)
    assert await feeds_answer(client, minted["token"]) == {404}
    gone = await client.get(f"/feeds/{minted['token']}/atom.xml")
    assert gone.json()["error"]["code"] == "not_found"  # like a token that never existed
    assert await feeds_answer(client, kept["token"]) == {200}
    assert await feeds_answer(client, on_desk) == {200}
    listed = {t["label"]: t for t in (await client.get("/api/v1/feed-tokens", headers=other)).json()["feed_tokens"]}
    key_id = beta.key.split("_")[1]
    assert (listed["minted"]["api_key"], listed["minted"]["revoked_at"] is not None) == (f"nb_{key_id}", True)
    assert (listed["kept"]["api_key"], listed["kept"]["revoked_at"]) == (f"nb_{other_key.split('_')[1]}", None)
    assert (listed["desk reader"]["api_key"], listed["desk reader"]["revoked_at"]) == (None, None)


async def test_a_token_is_refused_when_its_key_is_revoked_by_any_means(client, engine, make_partner) -> None:
    """The feed checks the minting key itself, not only the tokens revoked with it (a key revoked
    by a restore, a script, or an older hub still closes its tokens)."""
    beta = make_partner("beta", scopes=("read",))
    token = (await client.post("/api/v1/feed-tokens", headers=beta.headers)).json()["token"]
    assert await feeds_answer(client, token) == {200}
    with writing(engine) as conn:
        conn.execute(api_keys.update().where(api_keys.c.id == beta.key.split("_")[1]).values(revoked_at=utcnow()))
    assert await feeds_answer(client, token) == {404}


async def test_a_feed_token_is_revoked_on_its_own_on_the_desk(app, client, engine, make_partner) -> None:
    beta = make_partner("beta", scopes=("read",))
    token = (await client.post("/api/v1/feed-tokens", params={"label": "office reader"},
                               headers=beta.headers)).json()["token"]
    [listed] = (await client.get("/api/v1/feed-tokens", headers=beta.headers)).json()["feed_tokens"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "beta")
        page = await desk.get("/partners")
        assert "office reader" in page.text and f"/partners/feed-tokens/{listed['id']}/revoke" in page.text
        revoked = await desk.post(f"/partners/feed-tokens/{listed['id']}/revoke")
        assert revoked.status_code == 200
        assert f"/partners/feed-tokens/{listed['id']}/revoke" not in revoked.text  # shown as revoked
    assert await feeds_answer(client, token) == {404}
    assert (await client.get("/api/v1/me", headers=beta.headers)).status_code == 200  # the key itself lives on
