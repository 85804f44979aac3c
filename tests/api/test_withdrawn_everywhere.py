"""A withdrawn item shows its recipients the notice and metadata only, on every channel.

The hostile sequence: the source publishes a story, corrects it, the hub delivers both (webhooks
included), then the source withdraws it with a notice that repeats the text. Afterwards the
recipient asks every channel it has (item, versions, downloads, inbox, changes feed, live
stream, Atom and JSON feeds, status, the desk's list, search and item page, a replayed and a
retried webhook) and none may hold a word of the withdrawn texts; the source still reads its
own. Before the withdrawal the same channels do carry the words (the controls), so each check
can fail.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from desk_session import DeskSession, sign_in

from newsbridge.db.engine import writing
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery.worker import Worker
from tests.conftest import Partner, active_agreement
from tests.delivery.receivers import LOOPBACK, Receiver

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
HEADLINE = "Minister resigns"  # a notice keeps the headline
# Words only the withdrawn texts hold (first version, correction, and the withdrawal's own text).
FIRST, CORRECTED, IN_NOTICE = "quetzalfirst", "quetzalcorrected", "quetzalnotice"
WORDS = (FIRST, CORRECTED, IN_NOTICE)


def story(version: int, word: str, **extra: Any) -> dict[str, Any]:
    text = f"The minister said {word} to reporters."
    return {"uri": "urn:alpha:wrong", "version": str(version), "type": "text", "language": "en",
            "subjects": [POLITICS], "headlines": [{"role": "main", "value": HEADLINE}],
            "descriptions": [{"role": "summary", "value": f"Summary: {word}"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": text},
                       {"role": "main", "contentType": "text/html", "value": f"<p>{text}</p>"}], **extra}


def leaked(text: str) -> list[str]:
    return [word for word in WORDS if word in text]


@dataclasses.dataclass
class World:
    app: Any
    client: httpx.AsyncClient
    source: Partner
    recipient: Partner
    worker: Worker
    receiver: Receiver
    endpoints: dict[str, str]  # ninjs version -> endpoint id
    feed_token: str
    desk: DeskSession  # a member of the recipient
    source_desk: DeskSession
    item_id: str = ""

    async def publish(self, doc: dict[str, Any]) -> str:
        response = await self.client.post("/api/v1/items", json=doc, headers=self.source.headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    async def deliver(self) -> None:
        """Worker rounds until it has nothing left to sequence or send."""
        for _ in range(10):
            done = await self.worker.run_once()
            if not (done.sequenced or done.sent):
                return
        raise AssertionError("the worker kept finding work")


@pytest.fixture
async def world(app, client, engine, settings, make_partner) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    source = make_partner("alpha", scopes=MANAGE, credit_name="Alpha News")
    recipient = make_partner("beta", scopes=MANAGE)
    await active_agreement(client, source, recipient, {"topics": ["medtop:11000000"], "languages": ["en"]})
    token = await client.post("/api/v1/feed-tokens", headers=recipient.headers)
    with Receiver() as receiver:
        with writing(engine) as conn:
            endpoints = {version: create_endpoint(conn, recipient.org, receiver.url, None, version, LOOPBACK)[0].id
                         for version in ("3", "2")}
        worker = Worker(engine, settings.replace(allow_private_targets=LOOPBACK), name="test-worker")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as desk, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as own:
            yield World(app, client, source, recipient, worker, receiver, endpoints, token.json()["token"],
                        await sign_in(desk, engine, "beta"), await sign_in(own, engine, "alpha"))
        await worker.sender.close()


class _HangUpSignal:
    """The hub's feed signal for one stream read: its first wait hangs the client up."""

    def __init__(self, hung_up: anyio.Event) -> None:
        self.hung_up = hung_up
        self.generation = 0  # FeedSignal's count of notifications (api/delivery.py reads it); none here

    def notify(self) -> None:
        pass

    async def wait(self, timeout: float) -> bool:
        self.hung_up.set()
        return False


async def read_stream(app, headers: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    """What /api/v1/stream sends from the start of the feed until it has nothing new (raw ASGI: httpx buffers)."""
    hung_up, chunks, asked = anyio.Event(), [], False
    original = app.state.hub
    app.state.hub = dataclasses.replace(original, signal=_HangUpSignal(hung_up))

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if not hung_up.is_set():  # an awaited Event checkpoints, and is_disconnected() asks in a cancelled scope
            await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/api/v1/stream", "raw_path": b"/api/v1/stream",
             "query_string": b"", "root_path": "", "server": ("hub.test", 80), "client": ("127.0.0.1", 1),
             "headers": [(b"host", b"hub.test"), (b"authorization", headers["Authorization"].encode()),
                         (b"last-event-id", b"0")]}
    try:
        with anyio.fail_after(10):
            await app(scope, receive, send)
    finally:
        app.state.hub = original
    return b"".join(chunks).decode()


async def recipient_channels(world: World) -> dict[str, str]:
    """Every answer the recipient can get about the item, by channel (each checked to be about it)."""
    client, headers, item_id = world.client, world.recipient.headers, world.item_id
    api = {f"item {fmt}": f"/api/v1/items/{item_id}?format={fmt}" for fmt in ("ninjs3", "ninjs2", "newsml-g2")}
    api |= {f"versions {fmt}": f"/api/v1/items/{item_id}/versions?format={fmt}" for fmt in ("ninjs3", "ninjs2")}
    api |= {f"inbox {fmt}": f"/api/v1/inbox?format={fmt}" for fmt in ("ninjs3", "ninjs2")}
    api |= {f"feed {fmt}": f"/api/v1/feed?format={fmt}" for fmt in ("ninjs3", "ninjs2")}
    api |= {"deliveries": "/api/v1/deliveries"}
    answers: dict[str, str] = {}
    for name, path in api.items():
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.text
    for name in ("atom.xml", "feed.json"):
        response = await client.get(f"/feeds/{world.feed_token}/{name}")
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.text
    answers["stream"] = await read_stream(world.app, headers)
    desk = {"desk": ("/desk", {}), "desk rows": ("/desk/rows", {}), "item page": (f"/items/{item_id}", {})}
    desk |= {f"download {fmt}": (f"/items/{item_id}/download", {"format": fmt})
             for fmt in ("ninjs3", "ninjs2", "newsml-g2")}
    for name, (path, params) in desk.items():
        response = await world.desk.get(path, **params)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.text
    for name, text in answers.items():
        assert HEADLINE in text, f"{name} does not show the item at all"
    return answers


async def desk_search(world: World, words: str, **filters: str) -> bool:
    """Whether the recipient's desk search lists the item."""
    response = await world.desk.get("/desk/rows", q=words, **filters)
    assert response.status_code == 200, response.text
    return f"/items/{world.item_id}" in response.text


async def test_after_a_withdrawal_no_channel_shows_the_recipient_a_withdrawn_word(world: World) -> None:
    world.item_id = await world.publish(story(1, FIRST))
    await world.deliver()
    await world.publish(story(2, CORRECTED))
    await world.deliver()
    first_message = world.receiver.requests[0]
    # The controls: before the withdrawal the words are there, and search finds them.
    before = await recipient_channels(world)
    assert FIRST in before["versions ninjs3"] and CORRECTED in before["item page"] and FIRST in before["stream"]
    assert await desk_search(world, FIRST) and await desk_search(world, CORRECTED)
    sent_before = len(world.receiver.requests)
    assert sent_before == 4 and FIRST in first_message.body

    await world.publish(story(3, f"{IN_NOTICE} {FIRST}", pubStatus="canceled"))
    await world.deliver()
    # The partner asks for the first message again (a replay), after the withdrawal.
    replayed = [(await world.client.post(f"/api/v1/endpoints/{endpoint}:replay",
                                         params={"message_id": first_message.webhook_id},
                                         headers=world.recipient.headers)).json()["replayed"]
                for endpoint in world.endpoints.values()]
    assert sorted(replayed) == [0, 1]  # the message belongs to one of the two endpoints
    await world.deliver()

    answers = await recipient_channels(world)
    assert {name: leaked(text) for name, text in answers.items() if leaked(text)} == {}
    assert "withdrawn" in answers["item page"].lower()
    sent_after = world.receiver.requests[sent_before:]
    assert len(sent_after) == 3  # the withdrawal to both endpoints, and the replay
    assert [leaked(r.body) for r in sent_after] == [[], [], []]
    [again] = [r for r in sent_after if r.webhook_id == first_message.webhook_id]
    assert again.json()["data"]["hub"]["withdrawn"] is True and "bodies" not in again.json()["data"]
    # Search finds it by none of its words, but the withdrawn filter still lists it.
    for words in (FIRST, CORRECTED, IN_NOTICE, HEADLINE):
        assert not await desk_search(world, words), words
    assert f"/items/{world.item_id}" in (await world.desk.get("/desk/rows", status="withdrawn")).text
    versions = (await world.client.get(f"/api/v1/items/{world.item_id}/versions",
                                       headers=world.recipient.headers)).json()["versions"]
    assert [(v["version"], v["pubStatus"], v["hub"]["withdrawn"]) for v in versions] == [
        ("1", "canceled", True), ("2", "canceled", True), ("3", "canceled", True)]

    # The source still reads its own content, every version of it.
    own = await world.client.get(f"/api/v1/items/{world.item_id}/versions", headers=world.source.headers)
    assert FIRST in own.text and CORRECTED in own.text
    own_page = await world.source_desk.get(f"/items/{world.item_id}")
    assert FIRST in own_page.text and CORRECTED in own_page.text  # the diff of version 1 to 2


async def test_a_retry_after_the_withdrawal_carries_the_notice_only(world: World) -> None:
    world.receiver.answer(500, 500)  # both endpoints fail the first version's first attempt
    world.item_id = await world.publish(story(1, FIRST))
    await world.worker.run_once()
    assert [leaked(r.body) for r in world.receiver.requests] == [[FIRST], [FIRST]]
    await world.publish(story(2, IN_NOTICE, pubStatus="canceled"))
    await world.deliver()  # the retries (immediate) go first, then the withdrawal
    sent = world.receiver.requests[2:]
    assert sorted(r.json()["type"] for r in sent) == ["item.published"] * 2 + ["item.withdrawn"] * 2
    assert [leaked(r.body) for r in sent] == [[], [], [], []]


async def test_published_again_after_a_withdrawal_the_item_shows_again(world: World) -> None:
    world.item_id = await world.publish(story(1, FIRST))
    await world.publish(story(2, IN_NOTICE, pubStatus="canceled"))
    item = (await world.client.get(f"/api/v1/items/{world.item_id}/versions", headers=world.recipient.headers))
    assert leaked(item.text) == []
    await world.publish(story(3, CORRECTED))
    versions = (await world.client.get(f"/api/v1/items/{world.item_id}/versions",
                                       headers=world.recipient.headers)).json()["versions"]
    assert [v["pubStatus"] for v in versions] == ["usable", "canceled", "usable"]
    assert FIRST in str(versions[0]) and CORRECTED in str(versions[2]) and IN_NOTICE not in str(versions)
    assert await desk_search(world, CORRECTED)
