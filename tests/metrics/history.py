"""A generated exchange history, written straight into the tables, and the figures expected of it
computed here in plain Python (zoneinfo for local days), independently of newsbridge.metrics.

Organizations: krtc (holding, Asia/Almaty) with its outlet kazinform, irna (Asia/Tehran), ria
(Europe/Moscow). Agreements: Kazakhstan-Iran (krtc <-> irna, active, krtc's terms name two topics),
Iran-Russia (irna <-> ria, suspended at the end) and an ended one. 18 months of items, with
corrections, withdrawals, pickups by a party and by an outlet, failed webhooks, and items placed
on purpose around local midnight at month ends.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import Organization, create_organization
from newsbridge.db.tables import (deliveries, endpoints, item_versions, items, metadata, outbox, pickups,
                                  version_topics)
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.db.engine import writing
from newsbridge.exchange.lifecycle import Action
from newsbridge.metrics.rollups import build_missing
from tests.databases import empty_tables

UTC = timezone.utc
START = datetime(2024, 9, 1, tzinfo=UTC)
DAYS = 548  # 18 months
NOW = START + timedelta(days=DAYS)
POLITICS, ECONOMY, SPORT = "medtop:11000000", "medtop:04000000", "medtop:15000000"


@dataclass
class Row:
    """One shared item as the test knows it."""

    item_id: str
    source: str  # party slug
    recipient: str  # party slug
    agreement: str
    published: datetime
    arrives: datetime
    withdrawn: bool
    type: str
    language: str
    topics: tuple[str, ...]  # with broader topics, as version_topics holds them
    corrections: list[datetime] = field(default_factory=list)  # arrival of each later version
    pickups: list[datetime] = field(default_factory=list)
    detected: list[datetime] = field(default_factory=list)  # pickups the hub detected (issue 16's detectors)
    failed: bool = False


@dataclass
class History:
    orgs: dict[str, Organization]
    agreements: dict[str, str]  # name -> id
    rows: list[Row]


def _org(conn: Connection, slug: str, zone: str, parent: str | None = None) -> Organization:
    return create_organization(conn, slug, slug.upper(), timezone=zone, parent=parent)


def _agreement(conn: Connection, creator: Organization, other: Organization, terms: list[dict], title: str) -> str:
    agreement = create_agreement(conn, creator, "test", {"title": title, "parties": [creator.slug, other.slug],
                                                        "terms": terms})
    act(conn, agreement.id, Action.PROPOSE, creator, "test")
    act(conn, agreement.id, Action.SIGN, creator, "test")
    act(conn, agreement.id, Action.SIGN, other, "test")
    return agreement.id


def build(conn: Connection, seed: int = 14) -> History:
    rng = random.Random(seed)
    orgs = {"krtc": _org(conn, "krtc", "Asia/Almaty")}
    orgs["kazinform"] = _org(conn, "kazinform", "Asia/Almaty", parent="krtc")
    orgs["irna"] = _org(conn, "irna", "Asia/Tehran")
    orgs["ria"] = _org(conn, "ria", "Europe/Moscow")
    kz_ir = _agreement(conn, orgs["krtc"], orgs["irna"], [
        {"from": "krtc", "topics": [POLITICS, ECONOMY]}, {"from": "irna"}], "Kazakhstan-Iran")
    ir_ru = _agreement(conn, orgs["irna"], orgs["ria"], [{"from": "irna"}, {"from": "ria"}], "Iran-Russia")
    ended = _agreement(conn, orgs["irna"], orgs["ria"], [{"from": "ria"}], "Old pact")
    act(conn, ended, Action.END, orgs["irna"], "test")
    now = datetime.now(UTC)
    conn.execute(endpoints.insert().values(id="ep-irna", organization_id=orgs["irna"].id, url="https://irna.test/h",
                                           events=["item.published"], ninjs_version="3", secret="s", enabled=True,
                                           created_at=now))
    rows: list[Row] = []
    plan = [("kazinform", "irna", kz_ir, 3), ("krtc", "irna", kz_ir, 1), ("irna", "krtc", kz_ir, 2),
            ("irna", "ria", ir_ru, 2), ("ria", "irna", ir_ru, 1)]
    serial = 0
    for day in range(DAYS):
        for author, recipient, agreement, rate in plan:
            count = rng.randint(0, rate)
            if agreement == ir_ru and day > DAYS - 120 and author == "irna":
                count = rng.randint(0, 1) if rng.random() < 0.3 else 0  # Persian->Russian thins out
            for _ in range(count):
                serial += 1
                published = START + timedelta(days=day, seconds=rng.randint(0, 86399))
                rows.append(_row(rng, serial, author, recipient, agreement, published))
    # month ends around local midnight: 23:50 and 00:10 in Almaty (UTC+5) and Tehran (UTC+3:30)
    for month_start in (datetime(2025, 1, 1), datetime(2025, 3, 1), datetime(2025, 10, 1), datetime(2026, 1, 1)):
        for author, recipient, zone in (("kazinform", "irna", "Asia/Almaty"), ("irna", "krtc", "Asia/Tehran")):
            local = month_start.replace(tzinfo=ZoneInfo(zone))
            for delta in (timedelta(minutes=-10), timedelta(minutes=10)):
                serial += 1
                rows.append(_row(rng, serial, author, recipient, kz_ir, (local + delta).astimezone(UTC),
                                 arrive_after=timedelta(minutes=15)))
    _write(conn, orgs, rows)
    analyze(conn)
    return History(orgs, {"kz_ir": kz_ir, "ir_ru": ir_ru, "ended": ended}, rows)


def _row(rng: random.Random, serial: int, author: str, recipient: str, agreement: str, published: datetime,
         arrive_after: timedelta | None = None) -> Row:
    source = "krtc" if author == "kazinform" else author
    delay = arrive_after if arrive_after is not None else timedelta(minutes=rng.choice([1, 5, 30, 600, 1500]))
    topics = rng.choice([(POLITICS,), (POLITICS, "medtop:20000621"), (ECONOMY,), (SPORT,)])
    row = Row(f"{author}-{serial}", source, recipient, agreement, published, published + delay,
              rng.random() < 0.05, rng.choice(["text", "text", "text", "picture"]),
              rng.choice(["en", "fa", "ru", "kk"]), topics)
    row.author = author  # type: ignore[attr-defined]
    if rng.random() < 0.1:
        row.corrections.append(row.arrives + timedelta(hours=rng.randint(1, 30)))
    if rng.random() < 0.25:
        row.pickups.append(row.arrives + timedelta(hours=rng.randint(1, 72)))
        if rng.random() < 0.3:
            row.pickups.append(row.pickups[0] + timedelta(hours=2))  # a second pickup counts once
    row.failed = recipient == "irna" and rng.random() < 0.05
    other = random.Random(serial)  # its own draws: the rest of the history stays as it was
    if other.random() < 0.1:
        row.detected.append(row.arrives + timedelta(hours=other.randint(1, 200)))
        if other.random() < 0.3:
            row.detected.append(row.detected[0] + timedelta(hours=5))  # found twice: counts once
    return row


def _write(conn: Connection, orgs: dict[str, Organization], rows: list[Row]) -> None:
    item_rows, version_rows, topic_rows, delivery_rows, pickup_rows = [], [], [], [], []
    for row in rows:
        author = orgs[row.author].id  # type: ignore[attr-defined]
        versions = 1 + len(row.corrections) + (1 if row.withdrawn else 0)
        item_rows.append({"id": row.item_id, "organization_id": author, "uri": f"urn:test:{row.item_id}",
                          "latest_version": versions, "pubstatus": "canceled" if row.withdrawn else "usable",
                          "headline": "h", "language": row.language, "created_at": row.published,
                          "updated_at": row.published})
        arrivals = [row.arrives, *row.corrections]
        if row.withdrawn:
            arrivals.append(arrivals[-1] + timedelta(hours=1))
        for version, arrives in enumerate(arrivals, start=1):
            last = version == versions and row.withdrawn
            version_rows.append({"item_id": row.item_id, "version": version, "content_hash": f"{row.item_id}{version}",
                                 "type": row.type, "pubstatus": "canceled" if last else "usable",
                                 "language": row.language, "language_source": "declared", "headline": "h",
                                 "firstcreated": row.published, "versioncreated": row.published, "document": {},
                                 "received_at": row.published})
            topic_rows += [{"item_id": row.item_id, "version": version, "qcode": q} for q in row.topics]
            event = "item.withdrawn" if last else ("item.published" if version == 1 else "item.updated")
            delivery_rows.append({"item_id": row.item_id, "version": version, "recipient_id": orgs[row.recipient].id,
                                  "agreement_id": row.agreement, "reason": "r", "credit_line": "c", "usage_terms": "u",
                                  "available_from": arrives, "event": event, "created_at": min(arrives, NOW),
                                  "arrives_at": arrives})
        for n, at in enumerate(row.pickups):
            picker = "kazinform" if row.recipient == "krtc" and n == 0 else row.recipient  # outlets count too
            pickup_rows.append({"id": f"p-{row.item_id}-{n}", "item_id": row.item_id,
                                "organization_id": orgs[picker].id, "version": 1, "note": "", "at": at,
                                "kind": "declared", "evidence_item_id": None})
        for n, at in enumerate(row.detected):
            pickup_rows.append({"id": f"d-{row.item_id}-{n}", "item_id": row.item_id, "kind": "detected",
                                "evidence_item_id": None, "organization_id": orgs[row.recipient].id, "version": 1,
                                "note": "", "at": at})
    conn.execute(items.insert(), item_rows)
    conn.execute(item_versions.insert(), version_rows)
    conn.execute(version_topics.insert(), topic_rows)
    conn.execute(deliveries.insert(), delivery_rows)
    conn.execute(pickups.insert(), pickup_rows)
    failed = [r.item_id for r in rows if r.failed]
    ids = conn.execute(sa.select(deliveries.c.id).where(deliveries.c.item_id.in_(failed), deliveries.c.version == 1))
    conn.execute(outbox.insert(), [{"endpoint_id": "ep-irna", "delivery_id": i, "event": "item.published",
                                    "message_id": f"m{i}", "state": "dead", "attempts": 9, "next_attempt_at": NOW,
                                    "created_at": NOW} for i in ids.scalars()] or [])


# The tables the history fills. The test server runs without autovacuum and the tests empty the tables with DELETE,
# so without an ANALYZE PostgreSQL plans with whatever statistics an earlier test of the process left: after a
# delivery worker's ``analyze_if_grown`` analyzed ``deliveries`` while it held no rows, the planner took the history's
# 2,800 deliveries for one row and nested loops over them (one ``failed`` query of raw_days: 48 s instead of 30 ms).
# A hub's autovacuum analyzes a table loaded like this; here it is done when the rows are written.
WRITTEN = ("organizations", "agreements", "agreement_parties", "agreement_events", "endpoints", "items",
           "item_versions", "version_topics", "deliveries", "pickups", "outbox")


def analyze(conn: Connection, tables: Iterable[str] = WRITTEN) -> None:
    """Refresh PostgreSQL's statistics of tables just filled (in the writing transaction: ANALYZE
    counts the transaction's own rows); SQLite plans without such statistics."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE " + ", ".join(f'"{name}"' for name in tables)))


def snapshot(conn: Connection) -> list[str]:
    """Copy every table that holds rows beside itself (``snapshot_<name>``), in the database: a module
    builds its history (and rollup) once per database, and each test restores it (:func:`restore`,
    ~0.2 s against ~4 s for a build on PostgreSQL; rows written back from Python cost ~2.5 s there).
    Returns the tables copied, in an order they can be written back in (foreign keys first)."""
    copied = []
    for table in metadata.sorted_tables:
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None:
            conn.execute(sa.text(f'CREATE TABLE "snapshot_{table.name}" AS '
                                 f'SELECT {_columns(table)} FROM "{table.name}"'))
            copied.append(table.name)
    return copied


def _columns(table: sa.Table) -> str:
    """The table's columns as the code knows them (not one a migration generates: ``search_vector``)."""
    return ", ".join(f'"{column.name}"' for column in table.columns)


def restore(conn: Connection, copied: list[str]) -> None:
    """Write the copies back into the emptied tables, ids and all (the ids came from the tables'
    sequences, which never go back: rows added later get new ones), and analyze what it filled."""
    for name in copied:
        columns = _columns(metadata.tables[name])
        conn.execute(sa.text(f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM "snapshot_{name}"'))
    analyze(conn, copied)


def drop_snapshot(conn: Connection, copied: list[str]) -> None:
    for name in copied:
        conn.execute(sa.text(f'DROP TABLE "snapshot_{name}"'))


def built_once(engine: Engine, rollup: bool = False) -> Iterator[tuple[History, list[str]]]:
    """For a module-scoped fixture: the history (and with ``rollup`` its rollup) built once per
    database, copied (:func:`snapshot`) and the tables emptied again; the copies dropped at the end.
    Each test's fixture then writes it back with :func:`restore`."""
    with writing(engine) as conn:
        made = build(conn)
        while rollup and build_missing(conn, NOW, limit=5):
            pass
    with writing(engine) as conn:
        copied = snapshot(conn)
        empty_tables(conn)
    yield made, copied
    with writing(engine) as conn:
        drop_snapshot(conn, copied)


def local(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def expected(history: History, agreement: str, first: date, last: date, zone: str, now: datetime,
             start_of, found_delays=None) -> dict[tuple[str, str], dict[date, dict[str, int]]]:  # type: ignore[no-untyped-def]
    """Figures per direction and period, counted over the generated rows with zoneinfo; the exact
    delivery times (seconds) of each direction and period go to ``found_delays`` when given."""
    found: dict[tuple[str, str], dict[date, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))

    def inside(at: datetime) -> bool:
        return first <= local(at, zone) <= last

    delays = found_delays if found_delays is not None else defaultdict(lambda: defaultdict(list))

    for row in (r for r in history.rows if r.agreement == agreement):
        cell = found[(row.source, row.recipient)]
        if inside(row.published):
            bucket = cell[start_of(local(row.published, zone))]
            if row.withdrawn:
                bucket["withdrawn"] += 1
            else:
                bucket["items"] += 1
                bucket["same_day"] += local(row.published, zone) == local(row.arrives, zone)
                bucket["picked_up"] += bool(row.pickups or row.detected)
                delays[(row.source, row.recipient)][start_of(local(row.published, zone))].append(
                    int((row.arrives - row.published).total_seconds()))
        arrivals = [row.arrives, *row.corrections] + ([None] if row.withdrawn else [])
        if row.withdrawn:
            arrivals[-1] = arrivals[-2] + timedelta(hours=1)
        for version, arrives in enumerate(arrivals, start=1):
            if inside(arrives):
                bucket = cell[start_of(local(arrives, zone))]
                bucket["deliveries"] += 1
                bucket["pending"] += arrives > now
                bucket["failed"] += version == 1 and row.failed
                is_correction = 1 < version < len(arrivals) or (version > 1 and not row.withdrawn)
                bucket["corrections"] += is_correction
        if row.pickups and inside(min(row.pickups)):
            cell[start_of(local(min(row.pickups), zone))]["pickups_declared"] += 1
        if row.detected and inside(min(row.detected)):
            cell[start_of(local(min(row.detected), zone))]["pickups_detected"] += 1
    return found
