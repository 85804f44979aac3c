"""The figures of one agreement: what went each way, when, how fast, and what was picked up.

Everything is counted by the database, grouped by direction and local day
(``periods.Window.local_day``), and summed into weeks or months by the database too
(``sums.py``). A *direction* is (sharing party, receiving party); an outlet's items count for
its holding when the holding is the party, and an outlet's pickup for its holding likewise.
Definitions (docs/metrics.md):

* **items**: items shared, counted once per direction on their first delivery to the receiver
  (event ``item.published``), on the local day of publication (``firstcreated``, else the
  version's time, else when the hub received it). An item withdrawn since counts in
  ``withdrawn`` instead, never as shared.
* **corrections**: later versions delivered (``item.updated``), on the day they arrived.
* **deliveries**: every version delivered under the agreement, on the day it arrives in the
  receiver's inbox; ``pending`` of those are not available yet (delay, embargo), ``failed``
  have a webhook that gave up (``dead`` or ``failed`` in the outbox).
* **same_day**: shared items that arrived on the local day they were published;
  ``same_day_share`` = same_day / items.
* **pickups_declared**, **pickups_detected**: items the receiver (or its outlets) declared picked
  up on the desk or by API, and items the hub found republished in the receiver's own items,
  each counted on the day of the first pickup of its kind.
* **picked_up**: of the period's shared items, those picked up (whenever, either kind): the
  pickup rate's numerator.
* **delivery_median_seconds**, **delivery_p90_seconds**: time from publication to arrival of the
  shared items, from a bucket histogram (``delivery_times.py``: within 8 %).

The SQL is in ``days.py`` (per direction and local day); ``rollups.py`` keeps those days in the
rollup, and ``sums.py`` has the database add them up into the window's periods. Here the sums
are put into directions, series, breakdowns and topic months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy.engine import Connection

from newsbridge.exchange.agreements import Agreement
from newsbridge.metrics.days import Day, Days
from newsbridge.metrics.delivery_times import merge, percentile
from newsbridge.metrics.periods import Window, months
from newsbridge.metrics.sums import Span, Sums, read_sums


SUMMED = ("items", "withdrawn", "corrections", "deliveries", "pending", "failed", "same_day", "picked_up",
          "pickups_declared", "pickups_detected")


@dataclass
class Counts:
    """One direction's figures over one period."""

    items: int = 0
    withdrawn: int = 0
    corrections: int = 0
    deliveries: int = 0
    pending: int = 0
    failed: int = 0
    same_day: int = 0
    picked_up: int = 0
    pickups_declared: int = 0
    pickups_detected: int = 0
    delays: dict[int, int] = field(default_factory=dict)  # delivery-time bucket -> shared items

    @property
    def same_day_share(self) -> float | None:
        return self.same_day / self.items if self.items else None

    @property
    def delivery_median_seconds(self) -> int | None:
        return percentile(self.delays, 0.5)

    @property
    def delivery_p90_seconds(self) -> int | None:
        return percentile(self.delays, 0.9)

    def add(self, other: Counts | Day) -> None:
        """Add the other's counts (``SUMMED``, written out: a loop of ``getattr``/``setattr`` was the
        page's largest Python cost after the rows' own) and delivery times."""
        self.items += other.items
        self.withdrawn += other.withdrawn
        self.corrections += other.corrections
        self.deliveries += other.deliveries
        self.pending += other.pending
        self.failed += other.failed
        self.same_day += other.same_day
        self.picked_up += other.picked_up
        self.pickups_declared += other.pickups_declared
        self.pickups_detected += other.pickups_detected
        if other.delays:
            merge(self.delays, other.delays)


@dataclass
class Direction:
    source: str  # party slug
    recipient: str  # party slug
    series: dict[date, Counts]  # period start -> counts, every period of the window
    by_type: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    topics: tuple[str, ...] = ()  # agreed Media Topics of this direction; empty: not restricted
    topic_months: dict[str, dict[date, int]] = field(default_factory=dict)  # agreed topic -> month -> items
    _total: Counts | None = field(default=None, repr=False, compare=False)

    @property
    def total(self) -> Counts:
        """The whole window's figures (added once: the pace and the JSON ask for it many times;
        the series is complete before anyone asks)."""
        if self._total is None:
            self._total = Counts()
            for counts in self.series.values():
                self._total.add(counts)
        return self._total


@dataclass
class Figures:
    agreement_id: str
    window: Window
    directions: list[Direction]
    daily: dict[date, int] | None = field(default=None, repr=False, compare=False)  # items per day, parties only
    daily_span: tuple[date, date] | None = field(default=None, repr=False, compare=False)  # the days ``daily`` holds

    def direction(self, source: str, recipient: str) -> Direction:
        return next(d for d in self.directions if d.source == source and d.recipient == recipient)

    @property
    def balance(self) -> float | None:
        """Smaller direction over larger (items shared); None when nothing went either way."""
        totals = [d.total.items for d in self.directions]
        return min(totals) / max(totals) if totals and max(totals) else None


def _directions(agreement: Agreement, window: Window) -> dict[tuple[str, str], Direction]:
    """Every ordered pair of parties where the first shares something under the current terms
    (a pair the terms do not cover still appears when deliveries exist: terms change)."""
    sharing = {t.from_id: t for t in agreement.terms}
    found = {}
    for source in agreement.parties:
        for recipient in agreement.parties:
            if source.id != recipient.id and source.id in sharing:
                found[(source.id, recipient.id)] = _direction(agreement, window, source.id, recipient.id)
    return found


def _direction(agreement: Agreement, window: Window, source_id: str, recipient_id: str) -> Direction:
    slugs = {p.id: p.slug for p in agreement.parties}
    terms = next((t for t in agreement.terms if t.from_id == source_id), None)
    return Direction(slugs[source_id], slugs[recipient_id], {start: Counts() for start in window.periods()},
                     topics=tuple(terms.topics) if terms else ())


def agreement_figures(conn: Connection, agreement: Agreement, window: Window, now: datetime,
                      daily: tuple[date, date] | None = None) -> Figures:
    """The agreement's figures over ``window``, per direction and period (the caller has checked
    that the viewer may see the agreement); ``daily``: also the items per day over these days."""
    sums = read_sums(conn, [agreement], window, now, daily=daily)[agreement.id]
    return figures_of_sums(agreement, window, sums, daily)


def figures_of_days(agreement: Agreement, window: Window, days: Days) -> Figures:
    """Sum day figures (``days.raw_days``, ``rollups.read_days``) into the window's periods."""
    sums = Sums()
    Span(window, None).add_days(sums, days, {p.id for p in agreement.parties})
    return figures_of_sums(agreement, window, sums)


def figures_of_sums(agreement: Agreement, window: Window, sums: Sums,
                    daily: tuple[date, date] | None = None) -> Figures:
    """Put summed figures into the window's directions, periods, breakdowns and topic months."""
    party_ids = {p.id for p in agreement.parties}
    found = _directions(agreement, window)
    month_starts = months(window)
    for direction in found.values():
        direction.topic_months = {q: {m: 0 for m in month_starts} for q in direction.topics}

    def direction_of(source: str, recipient: str) -> Direction | None:
        if (source, recipient) not in found:
            if source not in party_ids or recipient not in party_ids:
                return None
            found[(source, recipient)] = _direction(agreement, window, source, recipient)
        return found[(source, recipient)]

    for (source, recipient, start), day in sorted(sums.periods.items()):
        if (direction := direction_of(source, recipient)) is not None and start in direction.series:
            direction.series[start].add(day)
    for (source, recipient), keys in sorted(sums.keys.items()):
        if (direction := direction_of(source, recipient)) is not None:
            for (dimension, key), n in keys.items():
                breakdown = direction.by_type if dimension == "type" else direction.by_language
                breakdown[key] = breakdown.get(key, 0) + n
    for (source, recipient, month), topics in sorted(sums.topic_months.items()):
        if (direction := direction_of(source, recipient)) is not None:
            for key, n in topics.items():
                if key in direction.topic_months and month in direction.topic_months[key]:
                    direction.topic_months[key][month] += n
    ordered = sorted(found.values(), key=lambda d: (d.source, d.recipient))
    return Figures(agreement.id, window, ordered, sums.daily, daily if sums.daily is not None else None)


def daily_items(conn: Connection, agreement: Agreement, window: Window, now: datetime | None = None,
                figures: Figures | None = None) -> dict[date, int]:
    """Items shared per local day, all directions together (the pace's volume trend); read from
    ``figures`` when they hold these days in the same zone, else from the database."""
    if figures is not None and figures.daily is not None and figures.daily_span is not None \
            and figures.window.zone == window.zone \
            and figures.daily_span[0] <= window.first and window.last <= figures.daily_span[1]:
        return {day: n for day, n in figures.daily.items() if window.first <= day <= window.last and n}
    sums = read_sums(conn, [agreement], window, now or datetime.now(timezone.utc), daily=(window.first, window.last),
                     live=False)[agreement.id]
    return {day: n for day, n in (sums.daily or {}).items() if n}
