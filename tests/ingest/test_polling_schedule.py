"""Polling sources: the SSRF guard, the poll log, leases and concurrent pollers, redirects."""

from __future__ import annotations

import asyncio
import http.server
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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

from tests.ingest.test_polling import (rss, FIRST, loopback, poller, feed, publisher, new_source, poll, fresh_polls, stored_items)  # fixtures and helpers
from tests.live_server import start_http_server


# -- the SSRF guard ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/feed.xml", "http://localhost/rss", "http://10.0.0.7/feed",
                                 "http://[::1]/feed", "http://169.254.169.254/latest/meta-data"],
                         ids=["loopback", "localhost", "private", "ipv6-loopback", "metadata"])
def test_private_sources_are_refused_without_the_operators_allowance(engine, publisher, url) -> None:
    with pytest.raises(InvalidInput) as refused, writing(engine) as conn:
        add_source(conn, publisher, url)
    assert refused.value.field == "url"
    assert "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS" in refused.value.message
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sources)).scalar_one() == 0


async def test_the_poller_checks_the_url_again_before_fetching(engine, settings, feed, publisher) -> None:
    source = new_source(engine, publisher, feed.url)  # allowed then; the operator has since withdrawn it
    strict = Poller(engine, settings)
    try:
        failed = await poll(strict, engine, source)
    finally:
        await strict.fetcher.close()
    assert failed.outcome == "error" and failed.error is not None
    assert failed.error.startswith("invalid: ") and "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS" in failed.error
    assert feed.requests == []


@pytest.mark.parametrize("options, field", [
    ({"interval_seconds": 29}, "interval_seconds"),
    ({"interval_seconds": 86_401}, "interval_seconds"),
    ({"interval_seconds": "300"}, "interval_seconds"),
    ({"language": "x"}, "language"),
    ({"subjects": ["medtop:99999999"]}, "subjects"),
    ({"subjects": [20000045]}, "subjects"),
], ids=["too-often", "too-rarely", "interval-text", "language", "unknown-topic", "topic-number"])
def test_bad_source_settings_are_refused_with_the_field(engine, feed, publisher, options, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        new_source(engine, publisher, feed.url, **options)
    assert refused.value.field == field


# -- the poll log --------------------------------------------------------------------------


async def test_the_poll_log_keeps_the_newest_hundred_per_source(engine, poller, feed, publisher) -> None:
    busy = new_source(engine, publisher, feed.url)
    quiet = new_source(engine, publisher, feed.url_for("/other.xml"))
    start = utcnow() - timedelta(days=1)
    with writing(engine) as conn:
        record_poll(conn, quiet, Poll(start, "not_modified", 304, 0, 0, 0, None, 1))
        for n in range(KEEP_POLLS + 4):
            record_poll(conn, busy, Poll(start + timedelta(minutes=n), "not_modified", 304, n, 0, 0, None, 1))
    last = await poll(poller, engine, busy)  # a real poll trims too
    kept = fresh_polls(engine, busy)
    assert len(kept) == KEEP_POLLS
    assert kept[0] == last
    assert [p.stored for p in kept[1:]] == list(range(KEEP_POLLS + 3, 4, -1))  # the oldest five are gone
    assert len(fresh_polls(engine, quiet)) == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(source_polls)).scalar_one() == KEEP_POLLS + 1


# -- scheduling: due sources and leases ----------------------------------------------------


def claim(engine: Engine, now: datetime, limit: int = 20) -> list[str]:
    with writing(engine) as conn:
        return [s.id for s in claim_due(conn, now, limit)]


def test_a_claimed_source_is_leased_until_the_lease_ends(engine, feed, publisher) -> None:
    due = [new_source(engine, publisher, feed.url_for(f"/{n}.xml")).id for n in range(3)]
    off = new_source(engine, publisher, feed.url_for("/off.xml"))
    with writing(engine) as conn:
        set_source_enabled(conn, publisher, off.id, False)
    now = utcnow()
    assert sorted(claim(engine, now)) == sorted(due)  # the disabled one is never handed out
    assert claim(engine, now) == []  # a second poller gets nothing while the first holds the lease
    assert claim(engine, now + LEASE - timedelta(seconds=1)) == []
    assert sorted(claim(engine, now + LEASE)) == sorted(due)  # a poller that died: its sources come back


def test_poll_soon_makes_a_source_due_and_enabling_resets_its_failures(engine, feed, publisher) -> None:
    source = new_source(engine, publisher, feed.url)
    now = utcnow()
    assert claim(engine, now) == [source.id]
    with writing(engine) as conn:
        conn.execute(sources.update().where(sources.c.id == source.id).values(failures=4))
        poll_soon(conn, publisher, source.id)
    assert claim(engine, utcnow()) == [source.id]
    with writing(engine) as conn:
        set_source_enabled(conn, publisher, source.id, False)
        assert set_source_enabled(conn, publisher, source.id, True).failures == 0
    assert claim(engine, utcnow()) == [source.id]


def test_two_pollers_claiming_at_once_never_share_a_source(engine, feed, publisher) -> None:
    ids = {new_source(engine, publisher, feed.url_for(f"/{n}.xml")).id for n in range(4)}
    now = utcnow()
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        with writing(engine) as conn:
            first = [s.id for s in claim_due(conn, now, limit=2)]
            pending = pool.submit(claim, engine, now)  # the other poller, while this transaction is open
            if engine.dialect.name == "postgresql":
                # SKIP LOCKED: it takes the rest at once instead of waiting for (or repeating) this claim
                assert len(pending.result(timeout=10)) == 2
        second = pending.result(timeout=30)
    finally:
        pool.shutdown()
    assert len(first) == 2 and not set(first) & set(second)
    assert set(first) | set(second) == ids


async def test_concurrent_rounds_fetch_each_due_source_once(engine, loopback, feed, publisher) -> None:
    for n in range(3):
        new_source(engine, publisher, feed.url_for(f"/{n}.xml"))
    pollers = [Poller(engine, loopback), Poller(engine, loopback)]
    try:
        rounds = await asyncio.gather(*(p.run_once() for p in pollers))
    finally:
        for p in pollers:
            await p.fetcher.close()
    assert sorted(r.path for r in feed.requests) == ["/0.xml", "/1.xml", "/2.xml"]
    assert sum(len(done) for done in rounds) == 3
    assert len(stored_items(engine, publisher)) == 3  # one feed at three URLs: the same entries, stored once



class _Redirect(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(302)
        self.send_header("Location", self.target)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("target, outcome", [("http://10.1.2.3/feed.xml", "error"), ("FEED", "ok")])
async def test_redirects_are_followed_only_to_addresses_the_guard_allows(engine, poller, publisher, target,
                                                                        outcome) -> None:
    with FeedServer(rss(FIRST)) as feed:
        _Redirect.target = feed.url if target == "FEED" else target
        server, _thread = start_http_server("127.0.0.1", _Redirect)
        try:
            source = new_source(engine, publisher, f"http://127.0.0.1:{server.server_port}/moved.xml")
            done = await poll(poller, engine, source)
        finally:
            server.shutdown()
    assert done.outcome == outcome
    if outcome == "error":
        assert "10.1.2.3" in (done.error or "") and "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS" in (done.error or "")
    else:
        assert done.stored == len(FIRST)
