"""A live stream whose database fails mid-answer ends with a word, and the client resumes from its last event.

Once a stream's answer has begun no error status can be sent: a database error there (PostgreSQL refusing
new connections under load, a lock or pool timeout) escaped into the framework as "response already
started", an unhandled error in the hub's log (bench/load.py). It now ends the stream with a comment; the
client reconnects after ``retry`` with its Last-Event-ID and gets what it missed. Both databases, on a real
loopback server (the in-process worker feeds the stream).
"""

from __future__ import annotations

import logging

import anyio
import httpx
import pytest
import sqlalchemy as sa

from newsbridge.delivery.live import LiveReads
from tests.conftest import active_agreement
from tests.live_server import serving

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}


def item(n: int) -> dict[str, object]:
    return {"uri": f"urn:alpha:{n}", "language": "en", "subjects": [POLITICS],
            "headlines": [{"role": "main", "value": f"Story {n}"}]}


async def test_a_database_error_ends_the_stream_and_the_client_resumes(app, client, make_partner, monkeypatch,
                                                                        caplog) -> None:
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {"topics": ["medtop:11000000"], "languages": ["en"]})
    changes, failing = LiveReads.changes, {"on": False}

    async def sometimes_failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if failing["on"]:
            raise sa.exc.OperationalError("SELECT ...", {}, Exception("sorry, too many clients already"))
        return await changes(self, *args, **kwargs)

    monkeypatch.setattr(LiveReads, "changes", sometimes_failing)
    with serving(app) as url, caplog.at_level(logging.WARNING):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            async with http.stream("GET", "/api/v1/stream", headers=beta.headers) as response:
                assert response.status_code == 200
                lines = response.aiter_lines()
                assert await anext(lines) == "retry: 2000"
                assert (await http.post("/api/v1/items", json=item(1), headers=alpha.headers)).status_code == 201
                last_id = None
                with anyio.fail_after(10):
                    async for line in lines:
                        if line.startswith("id: "):
                            last_id = line[4:]
                            break
                failing["on"] = True
                assert (await http.post("/api/v1/items", json=item(2), headers=alpha.headers)).status_code == 201
                with anyio.fail_after(15):  # the stream ends by itself
                    rest = [line async for line in lines]
            assert ": the hub's database is busy; reconnect to resume from your last event" in rest
            failing["on"] = False
            async with http.stream("GET", "/api/v1/stream", headers={**beta.headers, "Last-Event-ID": last_id}) as again:
                with anyio.fail_after(10):
                    async for line in again.aiter_lines():
                        if line.startswith("data: "):
                            assert '"urn:alpha:2"' in line  # what the ended stream did not send
                            break
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert any(r.getMessage() == "live stream ended: database unavailable" for r in caplog.records)
