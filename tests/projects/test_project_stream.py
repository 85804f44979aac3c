"""The live stream with ``?projects=true``: a joint project's events beside the deliveries, for its
organizations only."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import anyio
import pytest

from tests.projects.joint import deliverable, joint_world

pytestmark = pytest.mark.anyio


class _HangUp:
    """The hub's feed signal for one stream: its first idle wait hangs the client up."""

    def __init__(self, hung_up: anyio.Event) -> None:
        self.hung_up = hung_up
        self.generation = 0  # FeedSignal's count of notifications (api/delivery.py reads it); none here

    def notify(self) -> None:
        pass

    async def wait(self, timeout: float) -> bool:
        self.hung_up.set()
        return False


async def read_stream(app: Any, partner: Any, query: bytes, last_event_id: str) -> list[dict[str, str]]:
    """Every SSE event /api/v1/stream sends until it has nothing new (raw ASGI: httpx buffers streams)."""
    hung_up, chunks, asked = anyio.Event(), [], False
    original = app.state.hub
    app.state.hub = dataclasses.replace(original, signal=_HangUp(hung_up))

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/api/v1/stream", "raw_path": b"/api/v1/stream", "query_string": query, "root_path": "",
             "server": ("hub.test", 80), "client": ("127.0.0.1", 1),
             "headers": [(b"host", b"hub.test"), (b"authorization", partner.headers["Authorization"].encode()),
                         (b"last-event-id", last_event_id.encode())]}
    try:
        with anyio.fail_after(10):
            await app(scope, receive, send)
    finally:
        app.state.hub = original
    events = []
    for block in b"".join(chunks).decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            events.append(fields)
    return events


async def test_project_events_on_the_stream_for_its_organizations(app, client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    await deliverable(client, world)
    seen = await read_stream(app, world.irna, b"projects=true", "0-0")
    assert [e["event"] for e in seen] == ["project.created", "project.deliverable_added", "project.assigned"]
    assert json.loads(seen[-1]["data"])["data"] == {"assignee": "krtc", "member": "aigerim@krtc.kz"}
    last = seen[-1]["id"]
    assert last.startswith("0-")
    assert await read_stream(app, world.irna, b"projects=true", last) == []  # resumes after the last one
    assert await read_stream(app, world.irna, b"", "0") == []  # not asked: deliveries only
    for outsider in (world.tass, world.bbc):
        assert await read_stream(app, outsider, b"projects=true", "0-0") == []
