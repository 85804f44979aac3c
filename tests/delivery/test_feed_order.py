"""Feed order under concurrent publishing: a reader following ``feeds.changes`` by position sees
every delivery exactly once, in increasing positions, while items commit out of order.

On PostgreSQL store transactions really overlap and commit out of order (ids are handed out at
insert, commits land whenever), so a feed paged by id would skip rows; the sequencer must number
only what has committed. SQLite has one writer at a time, so there the same test runs with a
single publishing thread (concurrent ones would only queue on the write lock), still beside a
sequencer thread and a reader thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from receivers import Exchange, sign_agreement
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import deliveries
from newsbridge.delivery.feeds import changes
from newsbridge.delivery.outbox import sequence
from newsbridge.exchange.deliveries import route_version
from newsbridge.formats.item import Item
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.items.store import store_version

Seen = tuple[int, str, int]  # (position, item id, version) as the reader met them


@pytest.fixture
def exchange(engine: Engine, settings: Settings, make_partner) -> Exchange:  # type: ignore[no-untyped-def]
    found = Exchange.between(engine, settings, make_partner("source").org, make_partner("reader").org)
    sign_agreement(engine, found.source, [make_partner("bystander").org])  # interleaves other recipients' positions
    return found


class Threads:
    """Start threads that record their exceptions, so a failure in one fails the test."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.started: list[threading.Thread] = []

    def start(self, target: Callable[[], None]) -> threading.Thread:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
                self.errors.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.started.append(thread)
        return thread


def expected_for_reader(exchange: Exchange) -> set[tuple[str, int]]:
    with exchange.engine.connect() as conn:
        rows = conn.execute(sa.select(deliveries.c.item_id, deliveries.c.version)
                            .where(deliveries.c.recipient_id == exchange.recipient.id)).all()
    return {(r.item_id, r.version) for r in rows}


def follow_feed_while_publishing(exchange: Exchange, writers: int, items_each: int, sequencers: int) -> list[Seen]:
    threads = Threads()
    published, sequenced = threading.Event(), threading.Event()
    seen: list[Seen] = []

    def publish(writer: int) -> Callable[[], None]:
        def run() -> None:
            ingestor = Ingestor(exchange.engine, exchange.settings)
            for n in range(items_each):
                uri = f"urn:w{writer}:{n}"
                ingestor.ingest_item(exchange.source, Item(uri=uri, version="1", language="en", headline=uri))
                if n % 3 == 0:  # corrections too: versions of one item from one writer
                    ingestor.ingest_item(exchange.source, Item(uri=uri, version="2", language="en",
                                                               headline=f"{uri}, corrected"))
        return run

    def sequence_until_published() -> None:
        while True:
            last_pass = published.is_set()  # read before sequencing: the pass after it sees every commit
            with writing(exchange.engine) as conn:
                sequence(conn, utcnow(), limit=5)  # small batches: more passes interleave with the writers
            if last_pass and not unsequenced(exchange.engine):
                return

    def read_until_sequenced() -> None:
        after = 0
        while True:
            final = sequenced.is_set()
            with reading(exchange.engine) as conn:
                page = changes(conn, exchange.recipient, after, limit=7)
            seen.extend((e.position, e.record.id, e.version.version) for e in page)
            if page:
                after = page[-1].position
            elif final:
                return

    writer_threads = [threads.start(publish(w)) for w in range(writers)]
    sequencer_threads = [threads.start(sequence_until_published) for _ in range(sequencers)]
    reader = threads.start(read_until_sequenced)
    for t in writer_threads:
        t.join(120)
    published.set()
    for t in sequencer_threads:
        t.join(60)
    sequenced.set()
    reader.join(60)
    assert not threads.errors, threads.errors
    assert not any(t.is_alive() for t in threads.started)
    return seen


def unsequenced(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(deliveries)
                            .where(deliveries.c.position.is_(None))).scalar_one()


def test_reader_sees_every_delivery_exactly_once_while_items_are_published(exchange: Exchange) -> None:
    if exchange.engine.dialect.name == "sqlite":
        seen = follow_feed_while_publishing(exchange, writers=1, items_each=45, sequencers=1)
    else:
        seen = follow_feed_while_publishing(exchange, writers=3, items_each=15, sequencers=2)
    positions = [p for p, _, _ in seen]
    assert all(a < b for a, b in zip(positions, positions[1:]))  # strictly increasing: no repeats
    assert len(seen) == len({(i, v) for _, i, v in seen}) == 60  # 45 items + 15 corrections, or 3 x (15 + 5)
    assert {(i, v) for _, i, v in seen} == expected_for_reader(exchange)  # no gaps: nothing skipped
    with exchange.engine.connect() as conn:
        every = conn.execute(sa.select(deliveries.c.position).order_by(deliveries.c.position)).scalars().all()
    assert every == list(range(1, 121))  # two recipients; the hub's positions have no holes either


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_delivery_that_commits_late_is_not_skipped(exchange: Exchange) -> None:
    """The case the sequencer exists for, step by step: an earlier insert commits after a later one."""
    ingestor = Ingestor(exchange.engine, exchange.settings)
    slow_item = Item(uri="urn:slow", version="1", language="en", headline="Slow")
    prepared = ingestor.prepare(exchange.source, slow_item)

    def feed(after: int) -> list[tuple[int, str]]:
        with reading(exchange.engine) as conn:
            return [(e.position, e.record.uri) for e in changes(conn, exchange.recipient, after)]

    def sequence_now() -> None:
        with writing(exchange.engine) as conn:
            sequence(conn, utcnow())

    with writing(exchange.engine) as slow:  # its store transaction takes its time
        stored = store_version(slow, exchange.source.id, prepared)
        route_version(slow, exchange.source, stored.item_id, stored.version, slow_item)
        exchange.publish("urn:fast")  # inserted later, committed first
        sequence_now()
        assert feed(0) == [(1, "urn:fast")]  # the bystander's is position 2
    sequence_now()
    assert feed(2) == [(3, "urn:slow")]
    with exchange.engine.connect() as conn:
        ids = dict(conn.execute(sa.select(deliveries.c.position, deliveries.c.id)).all())
    assert ids[3] < ids[1]  # paging by id would have passed the slow one before it was visible
