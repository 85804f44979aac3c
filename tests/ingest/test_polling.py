"""Polling sources over real HTTP: a publisher's feed on a loopback server, the hub's Poller
fetching it with conditional GET, storing entries as item versions and routing them to a
partner, backing off on errors, and keeping a bounded poll log. Both databases."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.organizations import Organization, get_organization_by_id
from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import deliveries, item_versions, items, source_polls, sources
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import parse
from newsbridge.ingest.polling import Poller
from newsbridge.ingest.sources import (
    KEEP_POLLS, LEASE, MAX_BACKOFF, Poll, Source, add_source, backoff, claim_due, get_source, poll_soon,
    recent_polls, record_poll, set_source_enabled,
)
from newsbridge.vocab.mediatopics import subject_qcode
from tests.conftest import FIXTURES
from tests.delivery.receivers import sign_agreement
from tests.ingest.feed_server import FeedServer

pytestmark = pytest.mark.anyio

LOOPBACK = ("127.0.0.0/8",)
MONDAY = "Mon, 09 Mar 2026 08:00:00 GMT"
TUESDAY = "Tue, 10 Mar 2026 08:00:00 GMT"
MASS_MEDIA, ECONOMY = "medtop:20000045", "medtop:04000000"


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    text: str
    language: str | None = None  # dc:language of the entry


def rss(entries: Sequence[Entry], *, language: str | None = None) -> bytes:
    """An RSS 2.0 feed; ``language`` is the channel's."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
             "<title>Steppe Wire</title><link>https://wire.example/</link><description>News</description>"]
    if language:
        lines.append(f"<language>{language}</language>")
    for e in entries:
        lines.append(f"<item><guid isPermaLink=\"false\">{e.guid}</guid><title>{e.title}</title>"
                     f"<description>{e.text}</description><pubDate>{MONDAY}</pubDate>"
                     + (f"<dc:language>{e.language}</dc:language>" if e.language else "") + "</item>")
    lines.append("</channel></rss>")
    return "\n".join(lines).encode("utf-8")


FIRST = [Entry("urn:wire:1", "Parliament passes the budget", "The budget for next year passed on Monday."),
         Entry("urn:wire:2", "Rail link opens to the north", "Trains run twice a day from Tuesday."),
         Entry("urn:wire:3", "Harvest is the largest in a decade", "Farmers report record wheat yields.")]
EDITED = [FIRST[0], Entry("urn:wire:2", "Rail link opens to the north, a week late", FIRST[1].text), FIRST[2],
          Entry("urn:wire:4", "Central bank holds its rate", "The rate stays at nine per cent.")]

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Steppe Wire</title><id>urn:wire:feed</id><updated>2026-03-10T08:00:00Z</updated>
  <author><name>Steppe Wire desk</name></author>
  <entry><id>urn:wire:atom:1</id><title>Airport terminal reopens</title>
    <updated>2026-03-10T08:00:00Z</updated>
    <content type="html">&lt;p&gt;Flights resume today.&lt;/p&gt;</content></entry>
  <entry><id>urn:wire:atom:2</id><title>Snow closes mountain passes</title>
    <updated>2026-03-10T09:00:00Z</updated><summary>Roads stay shut until Friday.</summary></entry>
</feed>"""
JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "Steppe Wire", "language": "en",
    "items": [{"id": "urn:wire:json:1", "title": "Museum doubles its visitors", "content_text": "Attendance rose.",
               "date_published": "2026-03-10T08:00:00+05:00"},
              {"id": "urn:wire:json:2", "title": "Bridge repairs finished", "content_html": "<p>Ahead of time.</p>",
               "date_published": "2026-03-10T09:00:00+05:00"}]}).encode("utf-8")
NEWSML = (FIXTURES / "newsml-g2" / "LISTING_2_NewsML-G2_Text_Document.xml").read_bytes()


# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
def loopback(settings: Settings) -> Settings:
    return settings.replace(allow_private_targets=LOOPBACK)


@pytest.fixture
async def poller(engine: Engine, loopback: Settings) -> AsyncIterator[Poller]:
    the_poller = Poller(engine, loopback)
    yield the_poller
    await the_poller.fetcher.close()


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with FeedServer(rss(FIRST), etag='"v1"', last_modified=MONDAY) as server:
        yield server


@pytest.fixture
def publisher(make_partner) -> Organization:  # type: ignore[no-untyped-def]
    return make_partner("steppe").org


def new_source(engine: Engine, org: Organization, url: str, **options: object) -> Source:
    with writing(engine) as conn:
        return add_source(conn, org, url, allow=LOOPBACK, **options)  # type: ignore[arg-type]


def fresh(engine: Engine, source: Source) -> Source:
    """The source as stored now (validators, failures and schedule change with every poll)."""
    with reading(engine) as conn:
        return get_source(conn, get_organization_by_id(conn, source.organization_id), source.id)


async def poll(poller: Poller, engine: Engine, source: Source) -> Poll:
    """Poll the source as the worker would: with what the database holds for it now."""
    return await poller.poll(fresh(engine, source))


def fresh_polls(engine: Engine, source: Source) -> list[Poll]:
    with reading(engine) as conn:
        return recent_polls(conn, source.id, 200)


def stored_items(engine: Engine, org: Organization) -> dict[str, tuple[str, int]]:
    """uri -> (item id, latest version) of the organization's items."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(items.c.uri, items.c.id, items.c.latest_version)
                            .where(items.c.organization_id == org.id))
        return {r.uri: (r.id, r.latest_version) for r in rows}


def headlines(engine: Engine, item_id: str) -> list[tuple[int, str | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(item_versions.c.version, item_versions.c.headline)
                                               .where(item_versions.c.item_id == item_id)
                                               .order_by(item_versions.c.version))]


def documents(engine: Engine, org: Organization) -> dict[str, dict]:
    """uri -> the stored ninjs document of the item's latest version."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(items.c.uri, item_versions.c.document).join(
            item_versions, sa.and_(item_versions.c.item_id == items.c.id,
                                   item_versions.c.version == items.c.latest_version))
            .where(items.c.organization_id == org.id))
        return {r.uri: r.document for r in rows}


def routed(engine: Engine) -> set[tuple[str, int, str, str]]:
    """(uri, version, recipient id, event) of every delivery."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(items.c.uri, deliveries.c.version, deliveries.c.recipient_id,
                                      deliveries.c.event).join(items, items.c.id == deliveries.c.item_id))
        return {tuple(r) for r in rows}  # type: ignore[misc]


def poll_fields(p: Poll) -> tuple[str, int | None, int, int, int, str | None]:
    return p.outcome, p.http_status, p.stored, p.unchanged, p.rejected, p.error


# -- the life of a feed --------------------------------------------------------------------


async def test_a_feed_is_stored_routed_fetched_conditionally_and_edits_become_new_versions(
        engine, poller, feed, publisher, make_partner) -> None:  # type: ignore[no-untyped-def]
    partner = make_partner("partner").org
    sign_agreement(engine, publisher, [partner])
    source = new_source(engine, publisher, feed.url, interval_seconds=300)

    first = await poll(poller, engine, source)
    assert poll_fields(first) == ("ok", 200, 3, 0, 0, None)
    assert "if-none-match" not in feed.last.headers and "if-modified-since" not in feed.last.headers
    before = stored_items(engine, publisher)
    assert {uri: version for uri, (_, version) in before.items()} == {e.guid: 1 for e in FIRST}
    assert routed(engine) == {(e.guid, 1, partner.id, "item.published") for e in FIRST}
    now = fresh(engine, source)
    assert (now.etag, now.last_modified, now.failures) == ('"v1"', MONDAY, 0)
    assert now.next_poll_at == first.at + timedelta(seconds=300)

    unchanged = await poll(poller, engine, source)
    assert feed.last.headers["if-none-match"] == '"v1"'
    assert feed.last.headers["if-modified-since"] == MONDAY
    assert feed.last.status == 304
    assert poll_fields(unchanged) == ("not_modified", 304, 0, 0, 0, None)
    assert stored_items(engine, publisher) == before
    assert len(routed(engine)) == 3

    feed.publish(rss(EDITED), etag='"v2"', last_modified=TUESDAY)
    changed = await poll(poller, engine, source)
    assert (feed.last.headers["if-none-match"], feed.last.status) == ('"v1"', 200)
    assert poll_fields(changed) == ("ok", 200, 2, 2, 0, None)
    after = stored_items(engine, publisher)
    assert set(after) == {e.guid for e in EDITED}
    assert after["urn:wire:2"] == (before["urn:wire:2"][0], 2)  # the same item, its next version
    assert headlines(engine, after["urn:wire:2"][0]) == [(1, FIRST[1].title), (2, EDITED[1].title)]
    for untouched in ("urn:wire:1", "urn:wire:3"):
        assert after[untouched] == before[untouched]
        assert headlines(engine, after[untouched][0]) == [(1, next(e.title for e in FIRST if e.guid == untouched))]
    assert after["urn:wire:4"][1] == 1
    assert routed(engine) == {(e.guid, 1, partner.id, "item.published") for e in EDITED} | {
        ("urn:wire:2", 2, partner.id, "item.updated")}
    assert (fresh(engine, source).etag, fresh(engine, source).last_modified) == ('"v2"', TUESDAY)

    # A publisher whose server ignores validators: the whole feed again, and still no duplicates.
    feed.publish(rss(EDITED))
    again = await poll(poller, engine, source)
    assert poll_fields(again) == ("ok", 200, 0, 4, 0, None)
    assert stored_items(engine, publisher) == after
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(item_versions)).scalar_one() == 5
    assert [p.outcome for p in reversed(fresh_polls(engine, source))] == ["ok", "not_modified", "ok", "ok"]


async def test_last_modified_alone_makes_the_get_conditional(engine, poller, publisher) -> None:
    with FeedServer(rss(FIRST), last_modified=MONDAY) as feed:
        source = new_source(engine, publisher, feed.url)
        assert (await poll(poller, engine, source)).outcome == "ok"
        second = await poll(poller, engine, source)
        assert "if-none-match" not in feed.last.headers
        assert feed.last.headers["if-modified-since"] == MONDAY
        assert poll_fields(second) == ("not_modified", 304, 0, 0, 0, None)


@pytest.mark.parametrize("document, content_type, expected", [
    (ATOM, "application/atom+xml", {"urn:wire:atom:1": 1, "urn:wire:atom:2": 1}),
    (JSON_FEED, "application/feed+json", {"urn:wire:json:1": 1, "urn:wire:json:2": 1}),
    (NEWSML, "application/vnd.iptc.g2.newsitem+xml", {"urn:newsml:acmenews.com:20161121:US-FINANCE-FED": 11}),
], ids=["atom", "json-feed", "newsml-g2"])
async def test_other_formats_are_recognized_by_their_content(engine, poller, publisher, document, content_type,
                                                              expected) -> None:  # type: ignore[no-untyped-def]
    with FeedServer(document, content_type=content_type) as feed:  # no validators: every poll gets the body
        source = new_source(engine, publisher, feed.url)
        first = await poll(poller, engine, source)
        assert poll_fields(first) == ("ok", 200, len(expected), 0, 0, None)
        assert {uri: version for uri, (_, version) in stored_items(engine, publisher).items()} == expected
        second = await poll(poller, engine, source)
        assert poll_fields(second) == ("ok", 200, 0, len(expected), 0, None)
        assert {uri: version for uri, (_, version) in stored_items(engine, publisher).items()} == expected


async def test_the_sources_language_and_subjects_fill_its_entries(engine, poller, publisher) -> None:
    entries = [Entry("urn:wire:ru", "Новости дня", "Текст новости.", language="ru"),
               Entry("urn:wire:plain", "Parliament passes the budget", "The budget passed on Monday.")]
    with FeedServer(rss(entries)) as feed:
        source = new_source(engine, publisher, feed.url, language="kk", subjects=[MASS_MEDIA, "04000000"])
        assert source.subjects == (MASS_MEDIA, ECONOMY)  # normalized when the source is added
        assert poll_fields(await poll(poller, engine, source)) == ("ok", 200, 2, 0, 0, None)
    docs = documents(engine, publisher)
    assert docs["urn:wire:ru"]["language"] == "ru"  # an entry that says its language keeps it
    assert docs["urn:wire:plain"]["language"] == "kk"
    with engine.connect() as conn:
        assert conn.execute(sa.select(item_versions.c.language_source).join(items)
                            .where(items.c.uri == "urn:wire:plain")).scalar_one() == "declared"
    for doc in docs.values():
        qcodes = [subject_qcode(s) for s in doc.get("subjects", [])]
        assert qcodes.count(MASS_MEDIA) == 1 and qcodes.count(ECONOMY) == 1


async def test_a_feeds_own_language_is_not_overridden(engine, poller, publisher) -> None:
    with FeedServer(rss(FIRST[:1], language="en-gb")) as feed:
        source = new_source(engine, publisher, feed.url, language="kk")
        assert (await poll(poller, engine, source)).stored == 1
    assert documents(engine, publisher)["urn:wire:1"]["language"] == "en-GB"


# -- errors and back-off -------------------------------------------------------------------


async def test_server_errors_back_off_doubling_and_recovery_resets(engine, poller, feed, publisher) -> None:
    source = new_source(engine, publisher, feed.url, interval_seconds=300)
    assert (await poll(poller, engine, source)).outcome == "ok"

    feed.status = 500
    for failures in (1, 2, 3):
        failed = await poll(poller, engine, source)
        assert poll_fields(failed) == ("error", 500, 0, 0, 0, "HTTP 500")
        now = fresh(engine, source)
        assert now.failures == failures
        assert now.next_poll_at == failed.at + timedelta(seconds=300 * 2 ** failures)
        assert (now.etag, now.last_modified) == ('"v1"', MONDAY)  # an error forgets nothing

    feed.status = 200
    recovered = await poll(poller, engine, source)
    assert poll_fields(recovered) == ("not_modified", 304, 0, 0, 0, None)  # a 304 is a success too
    now = fresh(engine, source)
    assert now.failures == 0
    assert now.next_poll_at == recovered.at + timedelta(seconds=300)
    assert len(stored_items(engine, publisher)) == 3


async def test_an_unreachable_source_is_an_error_that_backs_off(engine, poller, publisher) -> None:
    with FeedServer() as closed:
        url = closed.url  # nothing listens on this port once the server is closed
    source = new_source(engine, publisher, url, interval_seconds=60)
    failed = await poll(poller, engine, source)
    assert (failed.outcome, failed.http_status) == ("error", None)
    assert failed.error is not None and failed.error.startswith("ConnectError")
    now = fresh(engine, source)
    assert (now.failures, now.next_poll_at) == (1, failed.at + timedelta(seconds=120))


@pytest.mark.parametrize("interval, failures, wait", [
    (300, 0, timedelta(seconds=300)),
    (300, 1, timedelta(seconds=600)),
    (300, 2, timedelta(seconds=1200)),
    (300, 3, timedelta(seconds=2400)),
    (300, 8, timedelta(seconds=76_800)),
    (300, 9, MAX_BACKOFF),  # 153,600 s would be more than a day
    (300, 20, MAX_BACKOFF),
    (30, 1, timedelta(seconds=60)),
    (30, 11, timedelta(seconds=61_440)),
    (30, 12, MAX_BACKOFF),
    (86_400, 0, MAX_BACKOFF),
    (86_400, 1, MAX_BACKOFF),
    (300, 38, MAX_BACKOFF),
    (300, 39, MAX_BACKOFF),
    (30, 60, MAX_BACKOFF),
])
def test_backoff_doubles_the_interval_and_is_capped_at_a_day(interval, failures, wait) -> None:
    assert backoff(interval, failures) == wait


async def test_a_source_failing_for_a_month_still_waits_a_day(engine, poller, feed, publisher) -> None:
    source = new_source(engine, publisher, feed.url, interval_seconds=300)
    with writing(engine) as conn:
        conn.execute(sources.update().where(sources.c.id == source.id).values(failures=38))
    feed.status = 503
    failed = await poll(poller, engine, source)
    assert (failed.outcome, failed.http_status) == ("error", 503)
    now = fresh(engine, source)
    assert (now.failures, now.next_poll_at) == (39, failed.at + MAX_BACKOFF)


@pytest.mark.parametrize("document, code", [
    (b"<html><body><p>Maintenance tonight</p></body></html>", "unknown_format"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel><title>A & B</title><item><title>x</title></item>'
     b"</channel></rss>", "malformed"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "malformed"),
    (b"", "unknown_format"),
], ids=["html-page", "broken-rss", "broken-json-feed", "empty"])
async def test_unreadable_content_is_an_error_with_the_format_message(engine, poller, publisher, document,
                                                                      code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NewsbridgeError) as refused:
        parse(document)
    assert refused.value.code == code
    with FeedServer(document, content_type="text/html", etag='"broken"') as feed:
        source = new_source(engine, publisher, feed.url, interval_seconds=300)
        failed = await poll(poller, engine, source)
    assert (failed.outcome, failed.stored, failed.error) == \
        ("error", 0, f"{refused.value.code}: {refused.value.message}")
    now = fresh(engine, source)
    assert (now.failures, now.next_poll_at) == (1, failed.at + timedelta(seconds=600))
    assert now.etag is None  # validators of a document that was never read are not kept
    assert stored_items(engine, publisher) == {}


async def test_one_bad_entry_is_rejected_and_the_others_stored(engine, poller, publisher) -> None:
    long_guid = "urn:wire:" + "x" * 1200  # over the 1,000 characters a uri may have
    with FeedServer(rss([FIRST[0], Entry(long_guid, "Too long an id", "Text."), FIRST[2]])) as feed:
        source = new_source(engine, publisher, feed.url)
        done = await poll(poller, engine, source)
    assert (done.outcome, done.stored, done.rejected) == ("ok", 2, 1)
    assert done.error is not None and done.error.startswith("invalid: uri")
    assert set(stored_items(engine, publisher)) == {"urn:wire:1", "urn:wire:3"}


async def test_a_body_over_the_size_limit_is_an_error(engine, loopback, publisher) -> None:
    small = Poller(engine, loopback.replace(max_body_bytes=1000))
    try:
        with FeedServer(rss(FIRST * 10)) as feed:
            source = new_source(engine, publisher, feed.url)
            failed = await poll(small, engine, source)
    finally:
        await small.fetcher.close()
    assert (failed.outcome, failed.error) == ("error", "invalid: the source sent more than 1000 bytes")
    assert stored_items(engine, publisher) == {}


async def test_an_entry_with_an_overlong_language_tag_does_not_break_the_poll(engine, poller, publisher) -> None:
    overlong = "en-" + "-".join(["abcdefgh"] * 5)  # 47 characters; the schema holds 35, as add_source allows
    entries = [FIRST[0], Entry("urn:wire:long", "Long tag", "Text.", language=overlong), FIRST[2]]
    with FeedServer(rss(entries)) as feed:
        source = new_source(engine, publisher, feed.url)
        done = await poll(poller, engine, source)
    assert done.outcome == "ok" and fresh_polls(engine, source) == [done]
    assert {"urn:wire:1", "urn:wire:3"} <= set(stored_items(engine, publisher))
    assert all(len(doc.get("language") or "") <= 35 for doc in documents(engine, publisher).values())


async def test_an_overlong_etag_does_not_break_the_poll(engine, poller, publisher, request) -> None:
    with FeedServer(rss(FIRST), etag='"' + "a" * 600 + '"') as feed:
        source = new_source(engine, publisher, feed.url, interval_seconds=300)
        done = await poll(poller, engine, source)
    assert (done.outcome, done.stored) == ("ok", 3)
    assert fresh_polls(engine, source) == [done]
    assert fresh(engine, source).next_poll_at == done.at + timedelta(seconds=300)


AGENCIES = Path(__file__).resolve().parents[1] / "data" / "agencies"


async def test_a_polled_agency_file_is_read_in_the_sources_zone_with_warnings(engine, poller, make_partner) -> None:  # type: ignore[no-untyped-def]
    # STT sends times without a zone: a lenient source reads them in its organization's zone and says so;
    # a strict source refuses the document, and the poll says why.
    org = make_partner("stt-reader", timezone="Europe/Helsinki").org
    with FeedServer((AGENCIES / "stt" / "stt1.xml").read_bytes(), content_type="application/xml") as feed:
        lenient = new_source(engine, org, feed.url)
        assert poll_fields(await poll(poller, engine, lenient)) == ("ok", 200, 1, 0, 0, None)
        with engine.connect() as conn:
            document, warnings = conn.execute(sa.select(item_versions.c.document, item_versions.c.ingest_warnings)
                                              .join(items, items.c.id == item_versions.c.item_id)
                                              .where(items.c.organization_id == org.id)).one()
        assert document["versionCreated"] == "2019-04-15T13:49:15+03:00"
        assert [w["code"] for w in warnings] == ["time_zone_assumed"] * 3

    strict_org = make_partner("stt-strict", timezone="Europe/Helsinki").org
    with FeedServer((AGENCIES / "stt" / "stt1.xml").read_bytes(), content_type="application/xml") as feed:
        strict = new_source(engine, strict_org, feed.url, strict=True)
        refused = await poll(poller, engine, strict)
        assert (refused.outcome, refused.stored) == ("error", 0)
        assert refused.error.startswith("invalid: strict mode: ")  # type: ignore[union-attr]
        assert stored_items(engine, strict_org) == {}
