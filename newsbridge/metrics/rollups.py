"""The metrics rollup: an agreement's day figures (``days.py``) kept per local day in each zone its
parties use, maintained incrementally by the worker, and read back with the raw rows of the days
the worker has not reached yet.

Why local days per zone, not UTC hours or 15-minute slots (docs/metrics.md, "Computation"):

* a slot finer than the zone's offset would be needed to sum into any local day (Tehran is
  +03:30, Kathmandu +05:45: 15 minutes), and at the busiest hub we measured (5 million
  deliveries in 2 years, 50 organizations) a 15-minute slot of one direction holds less than one
  delivery: such a "rollup" is as big as the raw rows;
* the same-day share and the delivery-time percentiles are not sums over slots (whether an item
  arrived on its publication day depends on the viewer's midnight).

So the rollup holds, for each agreement, the local days of UTC and of every zone its parties and
their outlets use (the zones of the people who can see the figures); a viewer asking for another
zone (``tz=``) gets the same figures from the raw rows, only slower.

**Incremental.** Every change that moves a figure writes a mark (``metrics_marks``, item id) in
its own transaction: routing a version (a delivery, a correction, a withdrawal, which turns the
item's earlier "shared" into "withdrawn") and recording a pickup. The worker takes the marks,
finds the days they touch (the item's publication day, its arrival days, its pickup days) in
each zone held, recomputes those days from the raw rows and replaces them. Readers treat the days
of marks not yet taken as unknown and count them from the raw rows, so a figure never lags.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.rollup_tables import metrics_built, metrics_days, metrics_delays, metrics_keys, metrics_marks
from newsbridge.db.tables import deliveries, item_versions, organizations, pickups
from newsbridge.exchange.agreements import Agreement, all_agreement_ids, load_agreement
from newsbridge.metrics.days import ROLLED, Day, Days, live_days, published_sql, raw_days, topic_days
from newsbridge.metrics.periods import DAY_SECONDS, Window, day_number, day_of, zone

MARKS_PER_PASS = 500
MOST_RAW_RANGES = 6  # stale days further apart than this many ranges are read in wider ranges
TOO_MANY_MARKS = 20_000  # a reader facing more (worker stopped?) reads everything raw
_PUBLISHED = published_sql()


def watched_zones(conn: Connection, agreement: Agreement) -> list[str]:
    """UTC and the zones of the parties and their outlets: the zones the rollup holds."""
    ids = [p.id for p in agreement.parties]
    found = conn.execute(sa.select(organizations.c.timezone).where(
        sa.or_(organizations.c.id.in_(ids), organizations.c.parent_id.in_(ids)))).scalars()
    return sorted({"UTC", *found})


def agreed_topics(agreement: Agreement) -> list[str]:
    return sorted({q for terms in agreement.terms for q in terms.topics})


def local_day_number(at: datetime, where: ZoneInfo) -> int:
    """The local day of an instant, exactly as ``periods.local_day_sql`` puts it."""
    offset = at.astimezone(where).utcoffset() or timedelta()
    return (math.floor(at.timestamp()) + int(offset.total_seconds())) // DAY_SECONDS


def day_ranges(days: Iterable[int], most: int = MOST_RAW_RANGES) -> list[tuple[int, int]]:
    """Contiguous runs of days (first, last), the closest runs joined until at most ``most`` remain."""
    found: list[list[int]] = []
    for day in sorted(set(days)):
        if found and day == found[-1][1] + 1:
            found[-1][1] = day
        else:
            found.append([day, day])
    while len(found) > most:
        gap = min(range(len(found) - 1), key=lambda i: found[i + 1][0] - found[i][1])
        found[gap:gap + 2] = [[found[gap][0], found[gap + 1][1]]]
    return [(a, b) for a, b in found]


def _window(first: int, last: int, zone_name: str) -> Window:
    return Window(day_of(first), day_of(last), zone(zone_name))


def _where(table: sa.Table, agreement_id: str, zone_name: str, first: int, last: int) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.agreement_id == agreement_id, table.c.zone == zone_name, table.c.day >= first,
                   table.c.day <= last)


def _store(conn: Connection, agreement_id: str, zone_name: str, first: int, last: int, days: Days) -> None:
    """Replace the rollup's days ``first``..``last`` with ``days``."""
    for table in (metrics_days, metrics_delays, metrics_keys):
        conn.execute(table.delete().where(_where(table, agreement_id, zone_name, first, last)))
    day_rows, delay_rows, key_rows = [], [], []
    for (source, recipient, day), cell in days.items():
        if not first <= day <= last:
            continue
        at = {"agreement_id": agreement_id, "zone": zone_name, "source_id": source, "recipient_id": recipient,
              "day": day}
        day_rows.append({**at, **{name: getattr(cell, name) for name in ROLLED}})
        delay_rows += [{**at, "bucket": bucket, "n": n} for bucket, n in cell.delays.items()]
        key_rows += [{**at, "dimension": dimension, "key": key[:64], "n": n}
                     for (dimension, key), n in cell.keys.items()]
    for table, rows in ((metrics_days, day_rows), (metrics_delays, delay_rows), (metrics_keys, key_rows)):
        if rows:
            conn.execute(table.insert(), rows)


def _rolled(conn: Connection, agreement_id: str, zone_name: str, first: int, last: int, skip: set[int]) -> Days:
    found: Days = {}

    def cell(row: sa.Row) -> Day | None:  # type: ignore[type-arg]
        if row.day in skip:
            return None
        return found.setdefault((row.source_id, row.recipient_id, row.day), Day())

    for row in conn.execute(sa.select(metrics_days).where(_where(metrics_days, agreement_id, zone_name, first, last))):
        if (c := cell(row)) is not None:
            for name in ROLLED:
                setattr(c, name, getattr(row, name))
    for row in conn.execute(sa.select(metrics_delays)
                            .where(_where(metrics_delays, agreement_id, zone_name, first, last))):
        if (c := cell(row)) is not None:
            c.delays[row.bucket] = row.n
    for row in conn.execute(sa.select(metrics_keys).where(_where(metrics_keys, agreement_id, zone_name, first, last))):
        if (c := cell(row)) is not None:
            c.keys[(row.dimension, row.key)] = row.n
    return found


def _touched(conn: Connection, agreement_id: str | None, item_ids: sa.Select | list[str]  # type: ignore[type-arg]
             ) -> dict[str, list[datetime]]:
    """The instants whose days a change of these items moves, per agreement: publication and
    arrival of every delivery, and every pickup of an item delivered under the agreement."""
    found: dict[str, list[datetime]] = {}
    query = (sa.select(deliveries.c.agreement_id, _PUBLISHED.label("published"), deliveries.c.arrives_at)
             .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                          item_versions.c.version == deliveries.c.version))
             .where(deliveries.c.item_id.in_(item_ids)))
    picked = (sa.select(deliveries.c.agreement_id, pickups.c.at).distinct()
              .join(pickups, pickups.c.item_id == deliveries.c.item_id)
              .where(deliveries.c.item_id.in_(item_ids)))
    if agreement_id is not None:
        query = query.where(deliveries.c.agreement_id == agreement_id)
        picked = picked.where(deliveries.c.agreement_id == agreement_id)
    else:  # a joint project's delivery to a co-producer under no agreement is in no agreement's figures
        query = query.where(deliveries.c.agreement_id.is_not(None))
        picked = picked.where(deliveries.c.agreement_id.is_not(None))
    for row in conn.execute(query):
        found.setdefault(row.agreement_id, []).extend(at for at in (row.published, row.arrives_at) if at is not None)
    for row in conn.execute(picked):
        found.setdefault(row.agreement_id, []).append(row.at)
    return found


def stale_days(conn: Connection, agreement: Agreement, where: ZoneInfo) -> set[int] | None:
    """Local days of ``where`` that marks not yet rolled up touch (None: too many marks to say)."""
    waiting = conn.execute(sa.select(sa.func.count()).select_from(metrics_marks)).scalar_one()
    if waiting > TOO_MANY_MARKS:
        return None
    if not waiting:
        return set()
    instants = _touched(conn, agreement.id, sa.select(metrics_marks.c.item_id)).get(agreement.id, [])
    return {local_day_number(at, where) for at in instants}


def read_days(conn: Connection, agreement: Agreement, window: Window, now: datetime, *, live: bool = True) -> Days:
    """The window's day figures: from the rollup where it holds the zone and the day is settled,
    from the raw rows otherwise; ``pending`` always live (left out with ``live=False``)."""
    first, last, zone_name = day_number(window.first), day_number(window.last), window.zone.key
    topics = agreed_topics(agreement)
    built = conn.execute(sa.select(metrics_built.c.topics).where(
        metrics_built.c.agreement_id == agreement.id, metrics_built.c.zone == zone_name)).first()
    stale = stale_days(conn, agreement, window.zone) if built is not None else None
    if built is None or stale is None:
        days = raw_days(conn, agreement, window, topics)
    else:
        stale = {d for d in stale if first <= d <= last}
        ranges = day_ranges(stale)
        skip = {d for a, b in ranges for d in range(a, b + 1)}
        days = _rolled(conn, agreement.id, zone_name, first, last, skip)
        for a, b in ranges:
            days.update(raw_days(conn, agreement, _window(a, b, zone_name), topics))
        if sorted(built.topics) != topics:  # the terms changed since: count their topics now
            for cell in days.values():
                cell.keys = {k: n for k, n in cell.keys.items() if k[0] != "topic"}
            topic_days(conn, agreement, window, topics, days)
    for key, cell in (live_days(conn, agreement, window, now) if live else {}).items():
        days.setdefault(key, Day()).add(cell)
    return days


def _extent(conn: Connection, agreement_id: str) -> tuple[datetime, datetime] | None:
    """The first and last instant any figure of the agreement is keyed by."""
    times = conn.execute(
        sa.select(sa.func.min(_PUBLISHED), sa.func.max(_PUBLISHED), sa.func.min(deliveries.c.arrives_at),
                  sa.func.max(deliveries.c.arrives_at))
        .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                     item_versions.c.version == deliveries.c.version))
        .where(deliveries.c.agreement_id == agreement_id)).one()
    last_pickup = conn.execute(sa.select(sa.func.max(pickups.c.at)).where(pickups.c.item_id.in_(
        sa.select(deliveries.c.item_id).where(deliveries.c.agreement_id == agreement_id)))).scalar()
    found = [t for t in (*times, last_pickup) if t is not None]
    return (min(found), max(found)) if found else None


def build(conn: Connection, agreement: Agreement, zone_name: str, now: datetime) -> int:
    """(Re)build the agreement's rollup in one zone from scratch; returns the days written."""
    if conn.dialect.name == "postgresql":  # one builder per agreement and zone at a time
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"metrics:{agreement.id}:{zone_name}"))))
    extent = _extent(conn, agreement.id)
    topics = agreed_topics(agreement)
    days: Days = {}
    if extent is not None:
        where = zone(zone_name)
        first, last = local_day_number(extent[0], where), local_day_number(extent[1], where)
        days = raw_days(conn, agreement, _window(first, last, zone_name), topics)
    for table in (metrics_days, metrics_delays, metrics_keys):
        conn.execute(table.delete().where(table.c.agreement_id == agreement.id, table.c.zone == zone_name))
    if days:
        _store(conn, agreement.id, zone_name, min(k[2] for k in days), max(k[2] for k in days), days)
    conn.execute(metrics_built.delete().where(metrics_built.c.agreement_id == agreement.id,
                                              metrics_built.c.zone == zone_name))
    conn.execute(metrics_built.insert().values(agreement_id=agreement.id, zone=zone_name, topics=topics,
                                               built_at=now, refreshed_at=now))
    return len({k[2] for k in days})


def refresh(conn: Connection, now: datetime, limit: int = MARKS_PER_PASS) -> int:
    """Take up to ``limit`` marks, re-roll the days they touch in every zone held; returns the
    marks taken. Several workers may run: on PostgreSQL each takes marks no other holds."""
    query = sa.select(metrics_marks.c.id, metrics_marks.c.item_id).order_by(metrics_marks.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    marks = conn.execute(query).all()
    if not marks:
        return 0
    touched = _touched(conn, None, sorted({m.item_id for m in marks}))
    for agreement_id, instants in sorted(touched.items()):
        held = conn.execute(sa.select(metrics_built.c.zone, metrics_built.c.topics)
                            .where(metrics_built.c.agreement_id == agreement_id)).all()
        if not held:
            continue  # not built yet: its build will count these changes
        agreement = load_agreement(conn, agreement_id)
        topics = agreed_topics(agreement)
        for zone_name, built_topics in held:
            if sorted(built_topics) != topics:
                build(conn, agreement, zone_name, now)
                continue
            where = zone(zone_name)
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    sa.func.hashtext(f"metrics:{agreement_id}:{zone_name}"))))
            for first, last in day_ranges({local_day_number(at, where) for at in instants}):
                _store(conn, agreement_id, zone_name, first, last,
                       raw_days(conn, agreement, _window(first, last, zone_name), topics))
            conn.execute(metrics_built.update().where(metrics_built.c.agreement_id == agreement_id,
                                                      metrics_built.c.zone == zone_name).values(refreshed_at=now))
    conn.execute(metrics_marks.delete().where(metrics_marks.c.id.in_([m.id for m in marks])))
    return len(marks)


def missing(conn: Connection) -> list[tuple[str, str]]:
    """(agreement, zone) pairs the rollup should hold and does not (new agreements, new outlets)."""
    held = {(row.agreement_id, row.zone) for row in conn.execute(sa.select(metrics_built.c.agreement_id,
                                                                           metrics_built.c.zone))}
    found = []
    for agreement_id in all_agreement_ids(conn):
        for zone_name in watched_zones(conn, load_agreement(conn, agreement_id)):
            if (agreement_id, zone_name) not in held:
                found.append((agreement_id, zone_name))
    return found


def build_missing(conn: Connection, now: datetime, limit: int = 1) -> int:
    """Build up to ``limit`` missing (agreement, zone) pairs; returns how many were built."""
    todo = missing(conn)[:limit]
    for agreement_id, zone_name in todo:
        build(conn, load_agreement(conn, agreement_id), zone_name, now)
    return len(todo)


def rebuild_agreement(conn: Connection, agreement_id: str, now: datetime) -> int:
    """Drop and rebuild every zone of one agreement (``newsbridge metrics rebuild``); returns days written."""
    agreement = load_agreement(conn, agreement_id)
    conn.execute(metrics_built.delete().where(metrics_built.c.agreement_id == agreement_id))
    for table in (metrics_days, metrics_delays, metrics_keys):
        conn.execute(table.delete().where(table.c.agreement_id == agreement_id))
    return sum(build(conn, agreement, zone_name, now) for zone_name in watched_zones(conn, agreement))
