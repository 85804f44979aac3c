"""An agreement's figures already added up into the window's periods, by the database where it can.

The rollup holds a row per direction and local day (``rollups.py``); an 18-month page of a busy
agreement is tens of thousands of day, delay-bucket and breakdown rows. Reading them into Python
to add them up was most of the page's time, so here the database sums them per period (the
period's first day number is computed in SQL: the day itself, its ISO week's Monday, or its
month through a ``CASE`` over the window's month starts), the breakdowns over the whole window
and the topics per month. Only the days the rollup cannot answer yet are read raw and added in
Python: the days of marks the worker has not taken, ``pending`` (always live), and
every day of an agreement whose rollup does not hold the window's zone.

Several agreements are summed in the same queries (the desk's overview), so a page asks the
database a fixed number of questions whatever the number of agreements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.rollup_tables import metrics_built, metrics_days, metrics_delays, metrics_keys, metrics_marks
from newsbridge.exchange.agreements import Agreement
from newsbridge.metrics.days import ROLLED, Day, Days, live_days, raw_days, topic_days
from newsbridge.metrics.periods import Granularity, Window, day_number, day_of, months
from newsbridge.metrics.rollups import TOO_MANY_MARKS, _touched, _window, agreed_topics, day_ranges, local_day_number

Direction = tuple[str, str]  # (sharing party id, recipient id)


@dataclass
class Sums:
    """One agreement's figures over a window: counts and delivery-time buckets per direction and
    period, type and language breakdowns per direction over the window, agreed topics per direction
    and calendar month, and (when asked) items per day between the parties for the pace's trend."""

    periods: dict[tuple[str, str, date], Day] = field(default_factory=dict)  # keys left empty
    keys: dict[Direction, dict[tuple[str, str], int]] = field(default_factory=dict)  # (type|language, key) -> n
    topic_months: dict[tuple[str, str, date], dict[str, int]] = field(default_factory=dict)
    daily: dict[date, int] | None = None

    def period(self, source: str, recipient: str, start: date) -> Day:
        key = (source, recipient, start)
        if key not in self.periods:
            self.periods[key] = Day()
        return self.periods[key]

    def add_key(self, source: str, recipient: str, dimension: str, key: str, n: int, month: date) -> None:
        if dimension == "topic":
            cell = self.topic_months.setdefault((source, recipient, month), {})
        else:
            cell = self.keys.setdefault((source, recipient), {})
            key = (dimension, key)  # type: ignore[assignment]
        cell[key] = cell.get(key, 0) + n  # type: ignore[index]


class Span:
    """What to sum: the window's days into periods and, for the trend, a range of days into ``daily``."""

    def __init__(self, window: Window, daily: tuple[date, date] | None) -> None:
        self.window, self.daily = window, daily
        self.first, self.last = day_number(window.first), day_number(window.last)
        self.daily_first, self.daily_last = (day_number(daily[0]), day_number(daily[1])) if daily else (0, -1)
        self.low = min(self.first, self.daily_first) if daily else self.first
        self.high = max(self.last, self.daily_last) if daily else self.last

    def add_days(self, sums: Sums, days: Days, party_ids: set[str], topics: bool = True) -> None:
        """Add day figures counted in Python (raw rows, live counts)."""
        for (source, recipient, number), day in days.items():
            if self.first <= number <= self.last:
                sums.period(source, recipient, self.window.period_of(number)).add_counts(day)
                month = day_of(number).replace(day=1)
                for (dimension, key), n in day.keys.items():
                    if topics or dimension != "topic":
                        sums.add_key(source, recipient, dimension, key, n, month)
            if sums.daily is not None and self.daily_first <= number <= self.daily_last and day.items \
                    and source in party_ids and recipient in party_ids:
                sums.daily[day_of(number)] = sums.daily.get(day_of(number), 0) + day.items


def period_sql(day: sa.ColumnElement[int], window: Window) -> sa.ColumnElement[int]:
    """SQL: the number of the first day of the period holding local day ``day`` (within the window)."""
    if window.granularity is Granularity.DAY:
        return day
    if window.granularity is Granularity.WEEK:  # day 0, 1970-01-01, was a Thursday
        return day - (day + 3) % 7
    return month_sql(day, window)


def month_sql(day: sa.ColumnElement[int], window: Window) -> sa.ColumnElement[int]:
    """SQL: the number of the first day of the calendar month holding ``day`` (within the window)."""
    starts = [day_number(m) for m in months(window)]
    if len(starts) == 1:
        return sa.literal(starts[0], sa.Integer)
    whens = [(day < starts[i + 1], sa.literal(starts[i], sa.Integer)) for i in range(len(starts) - 1)]
    return sa.case(*whens, else_=sa.literal(starts[-1], sa.Integer))


def _stale(conn: Connection, agreements: Sequence[Agreement], span: Span) -> dict[str, set[int]] | None:
    """Per agreement, the local days (within the span) that marks not yet rolled up touch; None:
    too many marks to say."""
    waiting = conn.execute(sa.select(sa.func.count()).select_from(metrics_marks)).scalar_one()
    if waiting > TOO_MANY_MARKS:
        return None
    found: dict[str, set[int]] = {a.id: set() for a in agreements}
    if waiting:
        ids = [a.id for a in agreements]
        touched = _touched(conn, ids[0] if len(ids) == 1 else None, sa.select(metrics_marks.c.item_id))
        for agreement_id, instants in touched.items():
            if agreement_id in found:
                days = {local_day_number(at, span.window.zone) for at in instants}
                found[agreement_id] = {d for d in days if span.low <= d <= span.high}
    return found


def _fresh(table: sa.Table, ids: Sequence[str], span: Span, skips: dict[str, list[tuple[int, int]]],
           first: int, last: int) -> sa.ColumnElement[bool]:
    """The rolled rows to read: the agreements' days ``first``..``last`` in the window's zone, but
    not the stale ones (read raw instead)."""
    where = [table.c.agreement_id.in_(ids), table.c.zone == span.window.zone.key, table.c.day >= first,
             table.c.day <= last]
    for agreement_id, ranges in skips.items():
        for low, high in ranges:
            where.append(~sa.and_(table.c.agreement_id == agreement_id, table.c.day >= low, table.c.day <= high))
    return sa.and_(*where)


def _rolled_sums(conn: Connection, ids: list[str], span: Span, skips: dict[str, list[tuple[int, int]]],
                 into: dict[str, Sums], parties: dict[str, set[str]], changed: set[str]) -> None:
    """The rollup's rows summed by the database; the rows are unpacked as tuples and each period's
    first day made once (attribute access and ``day_of`` per row were a third of an 18-month page)."""
    window = span.window
    starts: dict[int, date] = {}

    def start_of(number: int) -> date:
        found = starts.get(number)
        if found is None:
            found = starts[number] = day_of(number)
        return found

    d = metrics_days.c
    period = period_sql(d.day, window).label("period")
    groups = (d.agreement_id, d.source_id, d.recipient_id, period)
    rows = conn.execute(sa.select(*groups, *(sa.func.sum(d[name]).label(name) for name in ROLLED))
                        .where(_fresh(metrics_days, ids, span, skips, span.first, span.last)).group_by(*groups))
    for agreement_id, source, recipient, number, *values in rows:
        cell = into[agreement_id].period(source, recipient, start_of(number))
        for name, value in zip(ROLLED, values):
            setattr(cell, name, getattr(cell, name) + value)
    t = metrics_delays.c
    period = period_sql(t.day, window).label("period")
    groups = (t.agreement_id, t.source_id, t.recipient_id, period, t.bucket)
    cells: dict[tuple[str, str, str, int], dict[int, int]] = {}
    for agreement_id, source, recipient, number, bucket, n in conn.execute(
            sa.select(*groups, sa.func.sum(t.n).label("n"))
            .where(_fresh(metrics_delays, ids, span, skips, span.first, span.last)).group_by(*groups)):
        delays = cells.get((agreement_id, source, recipient, number))
        if delays is None:
            delays = cells[(agreement_id, source, recipient, number)] = \
                into[agreement_id].period(source, recipient, start_of(number)).delays
        delays[bucket] = delays.get(bucket, 0) + n
    k = metrics_keys.c
    month = sa.case((k.dimension == "topic", month_sql(k.day, window)), else_=sa.literal(0, sa.Integer)).label("month")
    groups = (k.agreement_id, k.source_id, k.recipient_id, k.dimension, k.key, month)
    for agreement_id, source, recipient, dimension, key, number, n in conn.execute(
            sa.select(*groups, sa.func.sum(k.n).label("n"))
            .where(_fresh(metrics_keys, ids, span, skips, span.first, span.last)).group_by(*groups)):
        if dimension == "topic" and agreement_id in changed:
            continue  # the terms' topics changed since the build: counted from the raw rows
        into[agreement_id].add_key(source, recipient, dimension, key, n, start_of(number))
    if span.daily is None:
        return
    for agreement_id, source, recipient, number, items in conn.execute(
            sa.select(d.agreement_id, d.source_id, d.recipient_id, d.day, d["items"])
            .where(_fresh(metrics_days, ids, span, skips, span.daily_first, span.daily_last), d["items"] > 0)):
        daily = into[agreement_id].daily
        if daily is not None and source in parties[agreement_id] and recipient in parties[agreement_id]:
            day = start_of(number)
            daily[day] = daily.get(day, 0) + items


def read_sums(conn: Connection, agreements: Sequence[Agreement], window: Window, now: datetime, *,
              daily: tuple[date, date] | None = None, live: bool = True) -> dict[str, Sums]:
    """Each agreement's figures over ``window`` summed into its periods (``rollups.read_days``, added
    up): from the rollup where it holds the zone and the day is settled, from the raw rows
    otherwise; ``pending`` always live (left out with ``live=False``). ``daily``:
    also the items per day between the parties over these days (the pace's trend)."""
    span = Span(window, daily)
    zone_name = window.zone.key
    found = {a.id: Sums(daily={} if daily else None) for a in agreements}
    parties = {a.id: {p.id for p in a.parties} for a in agreements}
    built = dict(conn.execute(sa.select(metrics_built.c.agreement_id, metrics_built.c.topics).where(
        metrics_built.c.agreement_id.in_(list(found)), metrics_built.c.zone == zone_name)).all()) if found else {}
    stale = _stale(conn, [a for a in agreements if a.id in built], span) if built else {}
    raw = [a for a in agreements if stale is None or a.id not in built]
    rolled = [a for a in agreements if stale is not None and a.id in built]
    skips = {a.id: day_ranges(stale[a.id]) for a in rolled if stale and stale.get(a.id)}
    changed = {a.id for a in rolled if sorted(built[a.id]) != agreed_topics(a)}
    if rolled:
        _rolled_sums(conn, [a.id for a in rolled], span, skips, found, parties, changed)
    for agreement in rolled:
        topics = agreed_topics(agreement)
        for low, high in skips.get(agreement.id, []):
            days = raw_days(conn, agreement, _window(low, high, zone_name), topics)
            span.add_days(found[agreement.id], days, parties[agreement.id], topics=agreement.id not in changed)
        if agreement.id in changed:
            span.add_days(found[agreement.id], topic_days(conn, agreement, window, topics), parties[agreement.id])
    for agreement in raw:
        whole = Window(day_of(span.low), day_of(span.high), window.zone)
        span.add_days(found[agreement.id], raw_days(conn, agreement, whole, agreed_topics(agreement)),
                      parties[agreement.id])
    if live:
        for agreement in agreements:
            span.add_days(found[agreement.id], live_days(conn, agreement, window, now), parties[agreement.id])
    return found
