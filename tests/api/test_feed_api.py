"""The changes feed (`GET /api/v1/feed`): every delivery once and in order by cursor, long-poll
that wakes on the sequencer, withdrawals that strip earlier entries, embargoes that wait for
the sequencer, and no one else's items."""

from __future__ import annotations

import asyncio
import json
import base64
import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conftest import active_agreement

from newsbridge.db.engine import writing
from newsbridge.delivery.outbox import sequence
from newsbridge.delivery.signals import FeedSignal
from newsbridge.ids import utcnow

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
SPORT = {"name": "sport", "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000"}


def story(uri: str, headline: str, version: str = "1", subject: dict[str, str] = POLITICS,
          **extra: object) -> dict[str, Any]:
    return {"uri": uri, "version": version, "type": "text", "language": "en", "subjects": [subject],
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/html", "value": f"<p>Full text of {headline}</p>"}],
            **extra}


def moment(**delta: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat(timespec="seconds")


@pytest.fixture
async def exchange(client, make_partner):  # type: ignore[no-untyped-def]
    """Alpha shares politics in English with beta; gamma has no agreement. Returns (a, b, c)."""
    a = make_partner("alpha", scopes=MANAGE, credit_name="Alpha News")
    b = make_partner("beta", scopes=MANAGE)
    c = make_partner("gamma", scopes=MANAGE)
    await active_agreement(client, a, b, {"topics": ["medtop:11000000"], "languages": ["en"]})
    return a, b, c


async def publish(client, partner, doc: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def sequence_at(engine, when: datetime | None = None) -> int:  # type: ignore[no-untyped-def]
    """What the delivery worker does first: give available deliveries their feed positions."""
    with writing(engine) as conn:
        return len(sequence(conn, when or utcnow()))


async def page(client, partner, **params: object) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/feed", params=params, headers=partner.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def follow(client, partner, cursor: str | None = None,  # type: ignore[no-untyped-def]
                 limit: int = 2) -> tuple[list[dict[str, Any]], str]:
    """Read pages until an empty one; returns every entry and the cursor to keep."""
    seen: list[dict[str, Any]] = []
    while True:
        params: dict[str, object] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        body = await page(client, partner, **params)
        assert len(body["items"]) <= limit
        if not body["items"]:
            if cursor is not None:
                assert body["cursor"] == cursor  # an empty page keeps the cursor
            return seen, body["cursor"]
        assert body["cursor"] == body["items"][-1]["cursor"]
        seen += body["items"]
        cursor = body["cursor"]


def html(item: dict[str, Any]) -> str:
    return next(b["value"] for b in item["bodies"] if b["contentType"] == "text/html")


def headlines(entries: list[dict[str, Any]]) -> list[str]:
    return [e["item"]["headlines"][0]["value"] for e in entries]


async def test_following_the_cursor_gives_every_delivery_once_in_order(client, engine, exchange) -> None:
    a, b, _ = exchange
    first = await publish(client, a, story("urn:alpha:1", "Story 1"))
    await publish(client, a, story("urn:alpha:2", "Story 2"))
    await publish(client, a, story("urn:alpha:3", "Story 3"))
    assert sequence_at(engine) == 3
    entries, cursor = await follow(client, b)
    assert headlines(entries) == ["Story 1", "Story 2", "Story 3"]
    assert [e["event"] for e in entries] == ["item.published"] * 3
    assert all(e["creditLine"] == "Alpha News via Newsbridge" for e in entries)
    assert entries[0]["item"]["id"] == first
    assert entries[0]["item"]["received"]["creditLine"] == "Alpha News via Newsbridge"
    assert html(entries[0]["item"]) == "<p>Full text of Story 1</p>"

    await publish(client, a, story("urn:alpha:4", "Story 4"))
    await publish(client, a, story("urn:alpha:1", "Story 1, corrected", version="2"))
    await publish(client, a, story("urn:alpha:5", "Story 5"))
    assert (await page(client, b, cursor=cursor))["items"] == []  # not sequenced yet: not in the feed
    assert sequence_at(engine) == 3
    later, last = await follow(client, b, cursor)
    assert headlines(later) == ["Story 4", "Story 1, corrected", "Story 5"]
    assert [e["event"] for e in later] == ["item.published", "item.updated", "item.published"]
    assert later[1]["item"]["id"] == first and later[1]["item"]["hub"]["version"] == 2

    everything, same = await follow(client, b, limit=500)
    assert [e["cursor"] for e in everything] == [e["cursor"] for e in entries + later]
    assert len({e["cursor"] for e in everything}) == 6
    assert same == last


async def test_an_empty_feed_keeps_the_cursor(client, engine, exchange) -> None:
    a, b, _ = exchange
    start = await page(client, b)
    assert start["items"] == [] and start["cursor"]
    assert (await page(client, b, cursor=start["cursor"]))["cursor"] == start["cursor"]
    await publish(client, a, story("urn:alpha:1", "Story 1"))
    sequence_at(engine)
    [entry] = (await page(client, b, cursor=start["cursor"]))["items"]
    assert entry["item"]["headlines"][0]["value"] == "Story 1"
    empty = await page(client, b, cursor=entry["cursor"])
    assert empty == {"items": [], "cursor": entry["cursor"]}


async def test_the_feed_speaks_ninjs2_on_request(client, engine, exchange) -> None:
    a, b, _ = exchange
    await publish(client, a, story("urn:alpha:1", "Story 1"))
    sequence_at(engine)
    [entry] = (await page(client, b, format="ninjs2"))["items"]
    assert entry["item"]["pubstatus"] == "usable" and "pubStatus" not in entry["item"]


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("params, field", [
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "!!!!"}, "cursor"),
    ({"cursor": _b64("q12")}, "cursor"),
    ({"cursor": _b64("p-1")}, "cursor"),
    ({"cursor": _b64("p")}, "cursor"),
    ({"cursor": "%FF%FE"}, "cursor"),
    ({"limit": 0}, "limit"),
    ({"limit": 501}, "limit"),
    ({"wait": -1}, "wait"),
    ({"wait": 61}, "wait"),
], ids=["words", "punctuation", "wrong-prefix", "negative", "no-number", "not-utf8", "limit-0", "limit-501",
        "wait-negative", "wait-61"])
async def test_bad_feed_parameters_are_refused_with_the_field(client, exchange, params, field) -> None:
    _, b, _ = exchange
    refused = await client.get("/api/v1/feed", params=params, headers=b.headers)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == ("invalid", field)


async def test_a_cursor_the_hub_never_gave_out_is_refused_even_when_it_decodes(client, exchange) -> None:
    _, b, _ = exchange
    refused = await client.get("/api/v1/feed", params={"cursor": _b64("p" + "9" * 30)}, headers=b.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "cursor"


async def test_the_feed_needs_a_key_with_read(client, exchange, make_partner) -> None:
    publisher = make_partner("delta", scopes=("publish",))
    assert (await client.get("/api/v1/feed")).status_code == 401
    refused = await client.get("/api/v1/feed", headers=publisher.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")


class ObservedSignal(FeedSignal):
    """The hub's feed signal, telling the test when a reader has started to wait on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        self.waiting.set()
        return await super().wait(timeout)


@pytest.fixture
def signal(app) -> ObservedSignal:  # type: ignore[no-untyped-def]
    observed = ObservedSignal()
    app.state.hub = dataclasses.replace(app.state.hub, signal=observed)
    return observed


async def test_a_long_poll_with_nothing_new_returns_after_the_wait(client, exchange, signal) -> None:
    _, b, _ = exchange
    start = await page(client, b)
    loop = asyncio.get_running_loop()
    began = loop.time()
    body = await page(client, b, cursor=start["cursor"], wait=2)
    elapsed = loop.time() - began
    assert body == {"items": [], "cursor": start["cursor"]}
    assert 1.9 <= elapsed < 3.0
    assert signal.waiting.is_set()


async def test_a_long_poll_returns_as_soon_as_a_delivery_is_sequenced(client, engine, app, exchange, signal) -> None:
    a, b, _ = exchange
    start = await page(client, b)
    loop = asyncio.get_running_loop()
    polling = asyncio.create_task(page(client, b, cursor=start["cursor"], wait=2))
    await asyncio.wait_for(signal.waiting.wait(), 2)
    assert not polling.done()
    await publish(client, a, story("urn:alpha:1", "Breaking"))
    assert sequence_at(engine) == 1
    assert not polling.done()
    notified = loop.time()  # timed from the signal: the publish before it may be slow on a loaded machine
    app.state.hub.signal.notify()
    body = await asyncio.wait_for(polling, 3)
    elapsed = loop.time() - notified
    assert headlines(body["items"]) == ["Breaking"]
    assert body["cursor"] == body["items"][0]["cursor"] != start["cursor"]
    assert elapsed < 0.5  # the reader waits on the signal at most a second at a time: this was the signal


async def test_a_long_poll_answers_at_once_when_there_is_news_already(client, engine, exchange, signal) -> None:
    a, b, _ = exchange
    await publish(client, a, story("urn:alpha:1", "Already there"))
    sequence_at(engine)
    loop = asyncio.get_running_loop()
    began = loop.time()
    body = await page(client, b, wait=30)
    assert headlines(body["items"]) == ["Already there"]
    assert loop.time() - began < 1.0 and not signal.waiting.is_set()


async def test_a_withdrawal_empties_the_earlier_entries_of_the_item(client, engine, exchange) -> None:
    a, b, _ = exchange
    withdrawn = await publish(client, a, story("urn:alpha:1", "Minister resigns"))
    await publish(client, a, story("urn:alpha:2", "Budget passes"))
    await publish(client, a, story("urn:alpha:1", "Minister resigns, updated", version="2"))
    sequence_at(engine)
    before, cursor = await follow(client, b, limit=10)
    assert html(before[0]["item"]) == "<p>Full text of Minister resigns</p>"

    await publish(client, a, story("urn:alpha:1", "Minister resigns", version="3", pubStatus="canceled"))
    sequence_at(engine)
    entries, _ = await follow(client, b, limit=10)
    assert [(e["event"], e["item"]["id"] == withdrawn) for e in entries] == [
        ("item.published", True), ("item.published", False), ("item.updated", True), ("item.withdrawn", True)]
    for earlier in (entries[0], entries[2]):
        notice = earlier["item"]
        assert notice["hub"]["withdrawn"] is True and "withdrawn" not in notice  # the hub's field, beside ninjs
        assert "bodies" not in notice and "Full text" not in str(notice)
        assert notice["id"] == withdrawn and notice["headlines"]
        assert notice["source"]["slug"] == "alpha"
    assert "withdrawn" not in entries[1]["item"] and "withdrawn" not in entries[1]["item"]["hub"]
    assert html(entries[1]["item"]) == "<p>Full text of Budget passes</p>"
    withdrawal = entries[3]
    assert withdrawal["item"]["pubStatus"] == "canceled"
    assert "bodies" not in withdrawal["item"]
    assert withdrawal["creditLine"] == "Alpha News via Newsbridge"
    [new] = (await page(client, b, cursor=cursor))["items"]
    assert (new["event"], new["cursor"]) == ("item.withdrawn", withdrawal["cursor"])


async def test_an_item_published_again_after_a_withdrawal_shows_its_content(client, engine, exchange) -> None:
    a, b, _ = exchange
    await publish(client, a, story("urn:alpha:1", "Minister resigns"))
    await publish(client, a, story("urn:alpha:1", "Minister resigns", version="2", pubStatus="canceled"))
    await publish(client, a, story("urn:alpha:1", "Minister stays after all", version="3"))
    sequence_at(engine)
    entries, _ = await follow(client, b, limit=10)
    assert [e["event"] for e in entries] == ["item.published", "item.withdrawn", "item.updated"]
    assert html(entries[2]["item"]) == "<p>Full text of Minister stays after all</p>"


async def test_an_embargoed_delivery_enters_the_feed_once_sequenced_after_the_embargo(client, engine, exchange) -> None:
    a, b, _ = exchange
    held = await publish(client, a, story("urn:alpha:held", "Embargoed until tomorrow", embargoedUntil=moment(days=1)))
    await publish(client, a, story("urn:alpha:now", "Free now"))
    assert sequence_at(engine) == 1
    entries, cursor = await follow(client, b)
    assert headlines(entries) == ["Free now"]
    assert sequence_at(engine) == 0  # still under embargo: the worker leaves it alone

    assert sequence_at(engine, utcnow() + timedelta(days=1, minutes=1)) == 1
    [released] = (await page(client, b, cursor=cursor))["items"]
    assert (released["event"], released["item"]["id"]) == ("item.published", held)
    assert released["item"]["headlines"][0]["value"] == "Embargoed until tomorrow"
    assert [e["item"]["id"] for e in (await follow(client, b, limit=10))[0]][-1] == held


async def test_no_feed_holds_what_was_not_delivered_to_it(client, engine, exchange) -> None:
    a, b, c = exchange
    shared = await publish(client, a, story("urn:alpha:1", "Politics for beta"))
    await publish(client, a, story("urn:alpha:2", "Sport, kept at home", subject=SPORT))
    await publish(client, c, story("urn:gamma:1", "Gamma's own politics"))
    await publish(client, a, story("urn:alpha:3", "Embargoed", embargoedUntil=moment(days=1)))
    sequence_at(engine)
    assert [e["item"]["id"] for e in (await follow(client, b, limit=10))[0]] == [shared]
    assert (await follow(client, c, limit=10))[0] == []
    assert (await follow(client, a, limit=10))[0] == []  # the source's own items are not deliveries to it
    sequence_at(engine, utcnow() + timedelta(days=2))
    stranger = await page(client, c, limit=500)
    assert stranger["items"] == [] and "Politics for beta" not in str(stranger)


async def test_an_outlet_reads_its_holdings_feed(client, engine, exchange, make_partner) -> None:
    a, b, _ = exchange
    outlet = make_partner("beta-radio", parent="beta")
    item = await publish(client, a, story("urn:alpha:1", "For the holding"))
    sequence_at(engine)
    [entry] = (await page(client, outlet))["items"]
    assert entry["item"]["id"] == item


async def test_assembled_feed_entries_equal_the_generic_rendering(client, engine, exchange) -> None:
    """The feed's fast path (entries built around the stored JSON text) says exactly what
    rendering each entry from its decoded document says, for every kind of entry."""
    from newsbridge.delivery.feeds import changes, entry_bytes, entry_json
    from newsbridge.db.engine import reading

    a, b, _ = exchange
    await publish(client, a, story("urn:alpha:fa", "همکاری رسانه‌ای ایران و قزاقستان"))
    await publish(client, a, story("urn:alpha:1", "Minister resigns"))
    await publish(client, a, story("urn:alpha:1", "Minister resigns", version="2", pubStatus="canceled"))
    await publish(client, a, story("urn:alpha:2", "Budget \"passes\" \\ at last"))
    sequence_at(engine)
    with reading(engine) as conn:
        entries = changes(conn, b.org, 0, 10)
    assert [(e.event, e.withdrawn) for e in entries] == [
        ("item.published", False), ("item.published", True), ("item.withdrawn", True), ("item.published", False)]
    for entry in entries:
        for fmt in ("ninjs3", "ninjs2"):
            assert json.loads(entry_bytes(entry, fmt)) == entry_json(entry, fmt)  # type: ignore[arg-type]
    body = await page(client, b, limit=10)
    assert [e["item"]["headlines"][0]["value"] for e in body["items"]][0] == "همکاری رسانه‌ای ایران و قزاقستان"


async def test_readers_at_one_cursor_at_once_get_what_each_would_read_alone(client, engine, exchange) -> None:
    """Feed pages are read in reads shared by the organization's readers at one position (delivery/live.py):
    readers asking at once get the page a reader asking alone gets, and a reader elsewhere its own."""
    a, b, _ = exchange
    for n in range(3):
        await publish(client, a, story(f"urn:alpha:{n}", f"Story {n}"))
    sequence_at(engine)
    alone = await page(client, b, limit=2)
    together = await asyncio.gather(*(page(client, b, limit=2) for _ in range(5)),
                                    page(client, b, limit=2, cursor=alone["cursor"]))
    assert together[:5] == [alone] * 5 and headlines(alone["items"]) == ["Story 0", "Story 1"]
    assert headlines(together[5]["items"]) == ["Story 2"]


async def test_a_streams_events_are_the_feed_entries_with_their_positions(engine, exchange, client) -> None:
    """A live stream writes a shared read's entries as one chunk (delivery/live.py, Batch.events): each
    event has the entry's feed position as id, its event type, and the feed entry's JSON as data."""
    from newsbridge.db.engine import reading
    from newsbridge.delivery.feeds import changes, entry_bytes
    from newsbridge.delivery.live import Batch

    a, b, _ = exchange
    await publish(client, a, story("urn:alpha:1", "Minister resigns"))
    await publish(client, a, story("urn:alpha:1", "Minister resigns", version="2", pubStatus="canceled"))
    await publish(client, a, story("urn:alpha:2", "Budget passes"))
    sequence_at(engine)
    with reading(engine) as conn:
        entries = changes(conn, b.org, 0, 10)
    for fmt in ("ninjs3", "ninjs2"):
        assert Batch(entries).events(fmt) == b"".join(  # type: ignore[arg-type]
            f"id: {e.position}\nevent: {e.event}\ndata: ".encode() + entry_bytes(e, fmt) + b"\n\n"  # type: ignore[arg-type]
            for e in entries)
    assert Batch([]).events("ninjs3") == b""
