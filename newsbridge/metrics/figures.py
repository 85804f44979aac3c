"""The figures of one agreement: what went each way, when, how fast, and what was picked up.

Everything is counted by the database, grouped by direction and local day
(``periods.Window.local_day``); Python only sums days into weeks or months. A *direction* is
(sharing party, receiving party); an outlet's items count for its holding when the holding is
the party, and an outlet's pickup for its holding likewise. Definitions (docs/metrics.md):

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
* **pickups_declared**: items the receiver (or its outlets) declared picked up on the desk or by
  API, counted on the day of the first pickup. ``pickups_detected`` is ``None`` until the hub
  detects republication itself (the stories work).
* **picked_up**: of the period's shared items, those picked up (whenever): the pickup rate's
  numerator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import deliveries, item_versions, items, organizations, outbox, pickups, version_topics
from newsbridge.exchange.agreements import Agreement
from newsbridge.metrics.periods import Window, day_of

FAILED_STATES = ("dead", "failed")


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
    pickups_detected: int | None = None

    @property
    def same_day_share(self) -> float | None:
        return self.same_day / self.items if self.items else None

    def add(self, other: Counts) -> None:
        for name in ("items", "withdrawn", "corrections", "deliveries", "pending", "failed", "same_day",
                     "picked_up", "pickups_declared"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Direction:
    source: str  # party slug
    recipient: str  # party slug
    series: dict[date, Counts]  # period start -> counts, every period of the window
    by_type: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    topics: tuple[str, ...] = ()  # agreed Media Topics of this direction; empty: not restricted
    topic_months: dict[str, dict[date, int]] = field(default_factory=dict)  # agreed topic -> month -> items

    @property
    def total(self) -> Counts:
        found = Counts()
        for counts in self.series.values():
            found.add(counts)
        return found


@dataclass
class Figures:
    agreement_id: str
    window: Window
    directions: list[Direction]

    def direction(self, source: str, recipient: str) -> Direction:
        return next(d for d in self.directions if d.source == source and d.recipient == recipient)

    @property
    def balance(self) -> float | None:
        """Smaller direction over larger (items shared); None when nothing went either way."""
        totals = [d.total.items for d in self.directions]
        return min(totals) / max(totals) if totals and max(totals) else None


def _party_of(org_column: sa.ColumnElement[str], parent_column: sa.ColumnElement[str],
              party_ids: Sequence[str]) -> sa.ColumnElement[str]:
    """The party an organization acts for: itself when it is a party, else its holding."""
    return sa.case((org_column.in_(party_ids), org_column), else_=parent_column)


class _Query:
    """The joins every figure shares: deliveries of this agreement with item, version and source."""

    def __init__(self, agreement: Agreement, window: Window, dialect: str) -> None:
        self.agreement, self.window, self.dialect = agreement, window, dialect
        self.party_ids = [p.id for p in agreement.parties]
        self.source_org = organizations.alias("source_org")
        self.source = _party_of(items.c.organization_id, self.source_org.c.parent_id, self.party_ids).label("source")
        self.published = sa.func.coalesce(item_versions.c.firstcreated, item_versions.c.versioncreated,
                                          item_versions.c.received_at)

    def day(self, column: sa.ColumnElement[datetime]) -> sa.ColumnElement[int]:
        return self.window.local_day(column, self.dialect)

    def base(self, *columns: sa.ColumnElement) -> sa.Select:  # type: ignore[type-arg]
        return (sa.select(self.source, deliveries.c.recipient_id, *columns)
                .select_from(deliveries)
                .join(items, items.c.id == deliveries.c.item_id)
                .join(self.source_org, self.source_org.c.id == items.c.organization_id)
                .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                             item_versions.c.version == deliveries.c.version))
                .where(deliveries.c.agreement_id == self.agreement.id))

    def shared(self) -> sa.Select:  # type: ignore[type-arg]
        picker = organizations.alias("picker")
        picked = sa.exists().where(pickups.c.item_id == deliveries.c.item_id,
                                   picker.c.id == pickups.c.organization_id,
                                   sa.or_(pickups.c.organization_id == deliveries.c.recipient_id,
                                          picker.c.parent_id == deliveries.c.recipient_id))
        withdrawn = items.c.pubstatus == "canceled"
        day = self.day(self.published)
        arrived = self.day(deliveries.c.arrives_at)
        return (self.base(day.label("day"),
                          sa.func.sum(sa.case((withdrawn, 0), else_=1)).label("items"),
                          sa.func.sum(sa.case((withdrawn, 1), else_=0)).label("withdrawn"),
                          sa.func.sum(sa.case((sa.and_(~withdrawn, day == arrived), 1), else_=0)).label("same_day"),
                          sa.func.sum(sa.case((sa.and_(~withdrawn, picked), 1), else_=0)).label("picked_up"))
                .where(deliveries.c.event == "item.published", self.published >= self.window.start_utc,
                       self.published < self.window.end_utc)
                .group_by(self.source, deliveries.c.recipient_id, day))

    def delivered(self, now: datetime) -> sa.Select:  # type: ignore[type-arg]
        failed = sa.exists().where(outbox.c.delivery_id == deliveries.c.id, outbox.c.state.in_(FAILED_STATES))
        day = self.day(deliveries.c.arrives_at)
        return (self.base(day.label("day"), sa.func.count().label("deliveries"),
                          sa.func.sum(sa.case((deliveries.c.event == "item.updated", 1), else_=0)).label("corrections"),
                          sa.func.sum(sa.case((deliveries.c.arrives_at > now, 1), else_=0)).label("pending"),
                          sa.func.sum(sa.case((failed, 1), else_=0)).label("failed"))
                .where(deliveries.c.arrives_at >= self.window.start_utc, deliveries.c.arrives_at < self.window.end_utc)
                .group_by(self.source, deliveries.c.recipient_id, day))

    def declared_pickups(self) -> sa.Select:  # type: ignore[type-arg]
        """First pickup of each item by each receiving party (itself or an outlet), per local day."""
        picker = organizations.alias("picker")
        receiver = _party_of(pickups.c.organization_id, picker.c.parent_id, self.party_ids)
        received = sa.exists().where(deliveries.c.item_id == pickups.c.item_id,
                                     deliveries.c.agreement_id == self.agreement.id,
                                     deliveries.c.recipient_id == receiver)
        first = (sa.select(pickups.c.item_id, receiver.label("recipient_id"), sa.func.min(pickups.c.at).label("at"))
                 .join(picker, picker.c.id == pickups.c.organization_id)
                 .where(received).group_by(pickups.c.item_id, receiver).subquery("first_pickup"))
        day = self.day(first.c.at)
        return (sa.select(self.source, first.c.recipient_id, day.label("day"), sa.func.count().label("pickups"))
                .select_from(first)
                .join(items, items.c.id == first.c.item_id)
                .join(self.source_org, self.source_org.c.id == items.c.organization_id)
                .where(first.c.at >= self.window.start_utc, first.c.at < self.window.end_utc)
                .group_by(self.source, first.c.recipient_id, day))

    def _shared_in_window(self) -> sa.Select:  # type: ignore[type-arg]
        return self.base().where(deliveries.c.event == "item.published", items.c.pubstatus != "canceled",
                                 self.published >= self.window.start_utc, self.published < self.window.end_utc)

    def breakdown(self, column: sa.ColumnElement[str]) -> sa.Select:  # type: ignore[type-arg]
        return (self._shared_in_window().add_columns(column.label("key"), sa.func.count().label("n"))
                .group_by(self.source, deliveries.c.recipient_id, column))

    def topics(self, qcodes: Sequence[str]) -> sa.Select:  # type: ignore[type-arg]
        day = self.day(self.published)
        return (self._shared_in_window()
                .join(version_topics, sa.and_(version_topics.c.item_id == deliveries.c.item_id,
                                              version_topics.c.version == deliveries.c.version))
                .where(version_topics.c.qcode.in_(qcodes))
                .add_columns(version_topics.c.qcode, day.label("day"), sa.func.count().label("n"))
                .group_by(self.source, deliveries.c.recipient_id, version_topics.c.qcode, day))


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


def agreement_figures(conn: Connection, agreement: Agreement, window: Window, now: datetime) -> Figures:
    """The agreement's figures over ``window``, per direction and period (the caller has checked
    that the viewer may see the agreement)."""
    query = _Query(agreement, window, conn.dialect.name)
    found = _directions(agreement, window)

    def at(row: sa.Row) -> Direction | None:  # type: ignore[type-arg]
        key = (row.source, row.recipient_id)
        if key not in found and row.source in query.party_ids and row.recipient_id in query.party_ids:
            found[key] = _direction(agreement, window, *key)
        return found.get(key)

    def counts(row: sa.Row) -> Iterable[Counts]:  # type: ignore[type-arg]
        direction = at(row)
        start = window.period_of(row.day)
        if direction is not None and start in direction.series:
            yield direction.series[start]

    for row in conn.execute(query.shared()):
        for c in counts(row):
            c.items += row.items
            c.withdrawn += row.withdrawn
            c.same_day += row.same_day
            c.picked_up += row.picked_up
    for row in conn.execute(query.delivered(now)):
        for c in counts(row):
            c.deliveries += row.deliveries
            c.corrections += row.corrections
            c.pending += row.pending
            c.failed += row.failed
    for row in conn.execute(query.declared_pickups()):
        for c in counts(row):
            c.pickups_declared += row.pickups
    for attribute, column in (("by_type", item_versions.c.type), ("by_language", item_versions.c.language)):
        for row in conn.execute(query.breakdown(column)):
            if (direction := at(row)) is not None:
                key = row.key or "und"
                getattr(direction, attribute)[key] = getattr(direction, attribute).get(key, 0) + row.n
    qcodes = sorted({q for d in found.values() for q in d.topics})
    month_starts = months(window)
    for direction in found.values():
        direction.topic_months = {q: {m: 0 for m in month_starts} for q in direction.topics}
    if qcodes:
        for row in conn.execute(query.topics(qcodes)):
            direction = at(row)
            month = day_of(row.day).replace(day=1)
            if direction is not None and row.qcode in direction.topic_months and month in month_starts:
                direction.topic_months[row.qcode][month] += row.n
    ordered = sorted(found.values(), key=lambda d: (d.source, d.recipient))
    return Figures(agreement.id, window, ordered)


def months(window: Window) -> list[date]:
    """The calendar months the window meets (topic coverage is counted per month)."""
    found: list[date] = []
    day = window.first.replace(day=1)
    while day <= window.last:
        found.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def daily_items(conn: Connection, agreement: Agreement, window: Window) -> dict[date, int]:
    """Items shared per local day, all directions together (the pace's volume trend)."""
    query = _Query(agreement, window, conn.dialect.name)
    totals: dict[date, int] = defaultdict(int)
    for row in conn.execute(query.shared()):
        if row.source in query.party_ids and row.recipient_id in query.party_ids:
            totals[day_of(row.day)] += row.items
    return dict(totals)
