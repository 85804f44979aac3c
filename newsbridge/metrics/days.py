"""An agreement's figures per direction and local day, counted by the database from the raw rows.

This is the one definition of every figure (docs/metrics.md): the rollup (``rollups.py``) stores
what these queries return, and the figures read either the rollup or these queries, so the two
cannot drift apart. A row's key is (sharing party id, recipient id, local day number); an
outlet's items count for its holding when the holding is the party, an outlet's pickup likewise.

* keyed by the day of **publication** (``firstcreated``, else the version's time, else when the
  hub received it), over first deliveries (``item.published``): ``items``, ``withdrawn``,
  ``same_day``, ``picked_up``, the delivery-time histogram and the breakdowns by type, language
  and agreed topic;
* keyed by the day of **arrival** in the receiver's inbox: ``deliveries``, ``corrections``, and
  the live ``pending`` and ``failed`` (:func:`live_days`: they change with the clock and the
  webhook retries, so they are never rolled up);
* keyed by the day of the **first pickup** of an item by the receiving side, per kind:
  ``pickups_declared``, ``pickups_detected``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import deliveries, item_versions, items, organizations, outbox, pickups, version_topics
from newsbridge.exchange.agreements import Agreement
from newsbridge.metrics.delivery_times import bucket_sql, merge
from newsbridge.metrics.periods import Window, _epoch_seconds

FAILED_STATES = ("dead", "failed")
ROLLED = ("items", "withdrawn", "same_day", "picked_up", "deliveries", "corrections", "pickups_declared",
          "pickups_detected")
LIVE = ("pending", "failed")
NARROW = timedelta(days=35)  # a window this short reads pickups by their time first


@dataclass
class Day:
    """One direction's figures on one local day."""

    items: int = 0
    withdrawn: int = 0
    same_day: int = 0
    picked_up: int = 0
    deliveries: int = 0
    corrections: int = 0
    pickups_declared: int = 0
    pickups_detected: int = 0
    pending: int = 0
    failed: int = 0
    delays: dict[int, int] = field(default_factory=dict)  # delivery-time bucket -> items
    keys: dict[tuple[str, str], int] = field(default_factory=dict)  # (type|language|topic, key) -> items

    def add(self, other: Day) -> None:
        for name in (*ROLLED, *LIVE):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        merge(self.delays, other.delays)
        for key, n in other.keys.items():
            self.keys[key] = self.keys.get(key, 0) + n


Key = tuple[str, str, int]  # (source party id, recipient id, local day number)
Days = dict[Key, Day]


def published_sql() -> sa.ColumnElement[datetime]:
    """When a version was published: ``firstcreated``, else its ``versioncreated``, else when the hub
    received it, and never later than that (a source's clock ahead of ours). So a delivery never
    arrives before its publication, and a day's items are found among the deliveries arriving
    from that day on (the index on deliveries(agreement_id, arrives_at))."""
    declared = sa.func.coalesce(item_versions.c.firstcreated, item_versions.c.versioncreated,
                                item_versions.c.received_at)
    return sa.case((declared > item_versions.c.received_at, item_versions.c.received_at), else_=declared)


def _party_of(org_column: sa.ColumnElement[str], parent_column: sa.ColumnElement[str],
              party_ids: Sequence[str]) -> sa.ColumnElement[str]:
    """The party an organization acts for: itself when it is a party, else its holding."""
    return sa.case((org_column.in_(party_ids), org_column), else_=parent_column)


class DayQuery:
    """The SQL of every figure over one window (its zone's local days; granularity unused)."""

    def __init__(self, agreement: Agreement, window: Window, dialect: str) -> None:
        self.agreement, self.window, self.dialect = agreement, window, dialect
        self.party_ids = [p.id for p in agreement.parties]
        self.source_org = organizations.alias("source_org")
        self.source = _party_of(items.c.organization_id, self.source_org.c.parent_id, self.party_ids).label("source")
        self.published = published_sql()

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

    def _published_in_window(self, *columns: sa.ColumnElement) -> sa.Select:  # type: ignore[type-arg]
        return self.base(*columns).where(deliveries.c.event == "item.published",
                                         deliveries.c.arrives_at >= self.window.start_utc,  # see published_sql
                                         self.published >= self.window.start_utc,
                                         self.published < self.window.end_utc)

    def shared(self) -> sa.Select:  # type: ignore[type-arg]
        picker = organizations.alias("picker")
        picked = sa.exists().where(pickups.c.item_id == deliveries.c.item_id,
                                   picker.c.id == pickups.c.organization_id,
                                   sa.or_(pickups.c.organization_id == deliveries.c.recipient_id,
                                          picker.c.parent_id == deliveries.c.recipient_id))
        withdrawn = items.c.pubstatus == "canceled"
        day = self.day(self.published)
        arrived = self.day(deliveries.c.arrives_at)
        return (self._published_in_window(
                    day.label("day"),
                    sa.func.sum(sa.case((withdrawn, 0), else_=1)).label("items"),
                    sa.func.sum(sa.case((withdrawn, 1), else_=0)).label("withdrawn"),
                    sa.func.sum(sa.case((sa.and_(~withdrawn, day == arrived), 1), else_=0)).label("same_day"),
                    sa.func.sum(sa.case((sa.and_(~withdrawn, picked), 1), else_=0)).label("picked_up"))
                .group_by(self.source, deliveries.c.recipient_id, day))

    def delays(self) -> sa.Select:  # type: ignore[type-arg]
        """Shared items per delivery-time bucket (arrival minus publication, whole seconds)."""
        seconds = _epoch_seconds(deliveries.c.arrives_at, self.dialect) - _epoch_seconds(self.published, self.dialect)
        day, bucket = self.day(self.published), bucket_sql(seconds)
        return (self._published_in_window(day.label("day"), bucket.label("key"), sa.func.count().label("n"))
                .where(items.c.pubstatus != "canceled")
                .group_by(self.source, deliveries.c.recipient_id, day, bucket))

    def breakdown(self, column: sa.ColumnElement[str]) -> sa.Select:  # type: ignore[type-arg]
        day, key = self.day(self.published), sa.func.coalesce(sa.func.nullif(column, ""), "und")
        return (self._published_in_window(day.label("day"), key.label("key"), sa.func.count().label("n"))
                .where(items.c.pubstatus != "canceled")
                .group_by(self.source, deliveries.c.recipient_id, day, key))

    def topics(self, qcodes: Sequence[str]) -> sa.Select:  # type: ignore[type-arg]
        day = self.day(self.published)
        return (self._published_in_window(day.label("day"), version_topics.c.qcode.label("key"),
                                          sa.func.count().label("n"))
                .join(version_topics, sa.and_(version_topics.c.item_id == deliveries.c.item_id,
                                              version_topics.c.version == deliveries.c.version))
                .where(items.c.pubstatus != "canceled", version_topics.c.qcode.in_(qcodes))
                .group_by(self.source, deliveries.c.recipient_id, day, version_topics.c.qcode))

    def delivered(self) -> sa.Select:  # type: ignore[type-arg]
        day = self.day(deliveries.c.arrives_at)
        return (self.base(day.label("day"), sa.func.count().label("deliveries"),
                          sa.func.sum(sa.case((deliveries.c.event == "item.updated", 1), else_=0)).label("corrections"))
                .where(deliveries.c.arrives_at >= self.window.start_utc, deliveries.c.arrives_at < self.window.end_utc)
                .group_by(self.source, deliveries.c.recipient_id, day))

    def first_pickups(self) -> sa.Select:  # type: ignore[type-arg]
        """First pickup of each item by each receiving side (itself or an outlet), per kind and day:
        only items that side received under this agreement."""
        picker = organizations.alias("picker")
        receiver = _party_of(pickups.c.organization_id, picker.c.parent_id, self.party_ids)
        received = sa.select(deliveries.c.item_id, deliveries.c.recipient_id).where(
            deliveries.c.agreement_id == self.agreement.id)
        first = (sa.select(pickups.c.item_id, receiver.label("recipient_id"), pickups.c.kind,
                           sa.func.min(pickups.c.at).label("at"))
                 .join(picker, picker.c.id == pickups.c.organization_id)
                 .where(pickups.c.at < self.window.end_utc))
        if self.window.end_utc - self.window.start_utc <= NARROW:
            # a few days (the open days, a refresh): start from the pickups of the window (index on at)
            candidates = sa.select(pickups.c.item_id).where(pickups.c.at >= self.window.start_utc,
                                                            pickups.c.at < self.window.end_utc)
            received = received.where(deliveries.c.item_id.in_(candidates))
            first = first.where(pickups.c.item_id.in_(candidates))
        # else (a build, a long window): from the agreement's deliveries (index on agreement_id)
        got = received.distinct().subquery("received")
        first = (first.join(got, sa.and_(got.c.item_id == pickups.c.item_id, got.c.recipient_id == receiver))
                 .group_by(pickups.c.item_id, receiver, pickups.c.kind).subquery("first_pickup"))
        day = self.day(first.c.at)
        return (sa.select(self.source, first.c.recipient_id, day.label("day"), first.c.kind,
                          sa.func.count().label("n"))
                .select_from(first)
                .join(items, items.c.id == first.c.item_id)
                .join(self.source_org, self.source_org.c.id == items.c.organization_id)
                .where(first.c.at >= self.window.start_utc, first.c.at < self.window.end_utc)
                .group_by(self.source, first.c.recipient_id, day, first.c.kind))

    def pending(self, now: datetime) -> sa.Select:  # type: ignore[type-arg]
        day = self.day(deliveries.c.arrives_at)
        return (self.base(day.label("day"), sa.func.count().label("n"))
                .where(deliveries.c.arrives_at > now, deliveries.c.arrives_at >= self.window.start_utc,
                       deliveries.c.arrives_at < self.window.end_utc)
                .group_by(self.source, deliveries.c.recipient_id, day))

    def failed(self) -> sa.Select:  # type: ignore[type-arg]
        """Deliveries whose webhook gave up, found from the outbox's state index (few rows)."""
        gave_up = (sa.select(outbox.c.delivery_id).where(outbox.c.state.in_(FAILED_STATES))
                   .distinct().subquery("gave_up"))
        day = self.day(deliveries.c.arrives_at)
        return (self.base(day.label("day"), sa.func.count().label("n"))
                .join(gave_up, gave_up.c.delivery_id == deliveries.c.id)
                .where(deliveries.c.arrives_at >= self.window.start_utc, deliveries.c.arrives_at < self.window.end_utc)
                .group_by(self.source, deliveries.c.recipient_id, day))


def _cell(found: Days, row: sa.Row) -> Day:  # type: ignore[type-arg]
    key = (row.source, row.recipient_id, int(row.day))
    if key not in found:
        found[key] = Day()
    return found[key]


def raw_days(conn: Connection, agreement: Agreement, window: Window, topics: Sequence[str]) -> Days:
    """Every rolled-up figure of the window's local days, from the raw rows (``topics``: the
    agreed topics to count)."""
    query = DayQuery(agreement, window, conn.dialect.name)
    found: Days = {}
    for row in conn.execute(query.shared()):
        cell = _cell(found, row)
        cell.items, cell.withdrawn, cell.same_day, cell.picked_up = row.items, row.withdrawn, row.same_day, row.picked_up
    for row in conn.execute(query.delivered()):
        cell = _cell(found, row)
        cell.deliveries, cell.corrections = row.deliveries, row.corrections
    for row in conn.execute(query.first_pickups()):
        cell = _cell(found, row)
        if row.kind == "detected":
            cell.pickups_detected += row.n
        else:
            cell.pickups_declared += row.n
    for row in conn.execute(query.delays()):
        _cell(found, row).delays[int(row.key)] = row.n
    for dimension, column in (("type", item_versions.c.type), ("language", item_versions.c.language)):
        for row in conn.execute(query.breakdown(column)):
            _cell(found, row).keys[(dimension, row.key)] = row.n
    found.update(topic_days(conn, agreement, window, topics, found))
    return found


def topic_days(conn: Connection, agreement: Agreement, window: Window, topics: Sequence[str],
               into: Days | None = None) -> Days:
    """Items per agreed topic and local day (added to ``into`` when given)."""
    found: Days = into if into is not None else {}
    if topics:
        for row in conn.execute(DayQuery(agreement, window, conn.dialect.name).topics(topics)):
            _cell(found, row).keys[("topic", row.key)] = row.n
    return found


def live_days(conn: Connection, agreement: Agreement, window: Window, now: datetime) -> Days:
    """``pending`` (not available yet at ``now``) and ``failed`` (webhook gave up), per arrival day."""
    query = DayQuery(agreement, window, conn.dialect.name)
    found: Days = {}
    for row in conn.execute(query.pending(now)):
        _cell(found, row).pending = row.n
    for row in conn.execute(query.failed()):
        _cell(found, row).failed = row.n
    return found
