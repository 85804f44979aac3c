"""An agreement's figures per direction and local day, counted by the database from the raw rows.

This is the one definition of every figure (docs/metrics.md): the rollup (``rollups.py``) stores
what these queries return, and the figures read either the rollup or these queries, so the two
cannot drift apart. A row's key is (sharing party id, recipient id, local day number); an
outlet's items count for its holding when the holding is the party, an outlet's pickup likewise.

* keyed by the day of **publication** (``firstcreated``, else the version's time, else when the
  hub received it), over first deliveries (``item.published``): ``items``, ``withdrawn``,
  ``same_day``, ``picked_up``, the delivery-time histogram and the breakdowns by type, language
  and agreed topic;
* keyed by the day of **arrival** in the receiver's inbox: ``deliveries``, ``corrections``,
  ``failed`` (the webhook gave up: the outbox marks the item when a message gives up or is
  replayed, so the rollup follows it) and the live ``pending`` (:func:`live_days`: it changes
  with the clock, so it is never rolled up);
* keyed by the day of the **first pickup** of an item by the receiving side, per kind:
  ``pickups_declared``, ``pickups_detected``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import (COUNTED_PICKUP, deliveries, item_versions, items, organizations, outbox, pickups,
                                  version_topics)
from newsbridge.exchange.agreements import Agreement
from newsbridge.metrics.delivery_times import bucket_sql, merge
from newsbridge.metrics.periods import DAY_SECONDS, Window, _epoch_seconds

FAILED_STATES = ("dead", "failed")
ROLLED = ("items", "withdrawn", "same_day", "picked_up", "deliveries", "corrections", "pickups_declared",
          "pickups_detected", "failed")
LIVE = ("pending",)
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

    def add_counts(self, other: Day) -> None:
        """Add the other day's counts and delivery times (not its breakdowns)."""
        for name in (*ROLLED, *LIVE):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        merge(self.delays, other.delays)

    def add(self, other: Day) -> None:
        self.add_counts(other)
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
        picked = sa.exists().where(pickups.c.item_id == deliveries.c.item_id, COUNTED_PICKUP,
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
                 .where(pickups.c.at < self.window.end_utc, COUNTED_PICKUP))  # a dismissed one is not
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

    def open_days(self) -> sa.Select:  # type: ignore[type-arg]
        """Deliveries arriving in the window or first deliveries of items published in it, grouped
        by everything :func:`_open_days` needs: one query for what ``shared``, ``delays``,
        ``breakdown``, ``delivered`` and ``failed`` ask for apart (a window of a few days)."""
        window, published = self.window, self.published
        flag = lambda condition: sa.case((condition, 1), else_=0)  # noqa: E731
        picker = organizations.alias("picker")
        picked = sa.exists().where(pickups.c.item_id == deliveries.c.item_id, COUNTED_PICKUP,
                                   picker.c.id == pickups.c.organization_id,
                                   sa.or_(pickups.c.organization_id == deliveries.c.recipient_id,
                                          picker.c.parent_id == deliveries.c.recipient_id))
        gave_up = sa.select(outbox.c.delivery_id).where(outbox.c.state.in_(FAILED_STATES))
        seconds = _epoch_seconds(deliveries.c.arrives_at, self.dialect) - _epoch_seconds(published, self.dialect)
        inside = sa.and_(published >= window.start_utc, published < window.end_utc)
        columns = (self.day(published).label("day"), self.day(deliveries.c.arrives_at).label("arrived"),
                   deliveries.c.event, flag(items.c.pubstatus == "canceled").label("withdrawn"),
                   flag(picked).label("picked"), bucket_sql(seconds).label("bucket"),
                   sa.func.coalesce(sa.func.nullif(item_versions.c.type, ""), "und").label("type"),
                   sa.func.coalesce(sa.func.nullif(item_versions.c.language, ""), "und").label("language"),
                   flag(deliveries.c.id.in_(gave_up)).label("failed"),
                   flag(sa.and_(deliveries.c.event == "item.published", inside)).label("published_inside"),
                   flag(deliveries.c.arrives_at < window.end_utc).label("arrived_inside"))
        return (self.base(*columns, sa.func.count().label("n"))
                .where(deliveries.c.arrives_at >= window.start_utc,  # see published_sql
                       sa.or_(deliveries.c.arrives_at < window.end_utc,
                              sa.and_(deliveries.c.event == "item.published", inside)))
                .group_by(self.source, deliveries.c.recipient_id, *columns))

    def failed(self) -> sa.Select:  # type: ignore[type-arg]
        """Deliveries whose webhook gave up: the agreement's deliveries of the window (ids only, from
        the index on deliveries(agreement_id, arrives_at), which holds them) checked against the
        outbox's few rows that gave up (its state index), and only those read in full. Joining the
        outbox to the full rows instead made PostgreSQL read the whole deliveries table, and a
        ``DISTINCT`` subquery made SQLite read the whole outbox, for every page."""
        gave_up = sa.select(outbox.c.delivery_id).where(outbox.c.state.in_(FAILED_STATES))
        window = deliveries.alias("in_window")
        failed_ids = sa.select(window.c.id).where(window.c.agreement_id == self.agreement.id,
                                                  window.c.arrives_at >= self.window.start_utc,
                                                  window.c.arrives_at < self.window.end_utc,
                                                  window.c.id.in_(gave_up))
        day = self.day(deliveries.c.arrives_at)
        return (self.base(day.label("day"), sa.func.count().label("n"))
                .where(deliveries.c.id.in_(failed_ids))
                .group_by(self.source, deliveries.c.recipient_id, day))


def _cell(found: Days, row: sa.Row) -> Day:  # type: ignore[type-arg]
    key = (row.source, row.recipient_id, int(row.day))
    if key not in found:
        found[key] = Day()
    return found[key]


def raw_days(conn: Connection, agreement: Agreement, window: Window, topics: Sequence[str], *,
             few: bool | None = None) -> Days:
    """Every rolled-up figure of the window's local days, from the raw rows (``topics``: the
    agreed topics to count). A few days (the open days of a page, a worker's refresh; ``few``,
    by default a window up to ``NARROW``) are read in three queries (:func:`_open_days`), a long
    window in eight that each group by day in SQL."""
    query = DayQuery(agreement, window, conn.dialect.name)
    found: Days = {}
    if few is None:
        few = window.end_utc - window.start_utc <= NARROW
    if few:
        _open_days(conn, query, found)
    else:
        for row in conn.execute(query.shared()):
            cell = _cell(found, row)
            cell.items, cell.withdrawn, cell.same_day, cell.picked_up = (row.items, row.withdrawn, row.same_day,
                                                                         row.picked_up)
        for row in conn.execute(query.delivered()):
            cell = _cell(found, row)
            cell.deliveries, cell.corrections = row.deliveries, row.corrections
        for row in conn.execute(query.failed()):
            _cell(found, row).failed = row.n
        for row in conn.execute(query.delays()):
            _cell(found, row).delays[int(row.key)] = row.n
        for dimension, column in (("type", item_versions.c.type), ("language", item_versions.c.language)):
            for row in conn.execute(query.breakdown(column)):
                _cell(found, row).keys[(dimension, row.key)] = row.n
    _pickup_days(conn, query, found)
    return topic_days(conn, agreement, window, topics, found)


def _pickup_days(conn: Connection, query: DayQuery, found: Days) -> None:
    for row in conn.execute(query.first_pickups()):
        cell = _cell(found, row)
        if row.kind == "detected":
            cell.pickups_detected += row.n
        else:
            cell.pickups_declared += row.n


def _open_days(conn: Connection, query: DayQuery, found: Days) -> None:
    """``shared``, ``delays``, the type and language breakdowns, ``delivered`` and ``failed`` of a
    few days in one query (:meth:`DayQuery.open_days`), added up here by the same rules."""
    for row in conn.execute(query.open_days()):
        source, recipient, n = row.source, row.recipient_id, row.n
        if row.published_inside:
            cell = found.setdefault((source, recipient, int(row.day)), Day())
            if row.withdrawn:
                cell.withdrawn += n
            else:
                cell.items += n
                cell.same_day += n if row.day == row.arrived else 0
                cell.picked_up += n if row.picked else 0
                cell.delays[int(row.bucket)] = cell.delays.get(int(row.bucket), 0) + n
                for key in (("type", row.type), ("language", row.language)):
                    cell.keys[key] = cell.keys.get(key, 0) + n
        if row.arrived_inside:
            cell = found.setdefault((source, recipient, int(row.arrived)), Day())
            cell.deliveries += n
            cell.corrections += n if row.event == "item.updated" else 0
            cell.failed += n if row.failed else 0


def topic_days(conn: Connection, agreement: Agreement, window: Window, topics: Sequence[str],
               into: Days | None = None) -> Days:
    """Items per agreed topic and local day (added to ``into`` when given)."""
    found: Days = into if into is not None else {}
    if topics:
        for row in conn.execute(DayQuery(agreement, window, conn.dialect.name).topics(topics)):
            _cell(found, row).keys[("topic", row.key)] = row.n
    return found


_SOURCE_ORG = organizations.alias("source_org")
_PENDING = (sa.select(items.c.organization_id, _SOURCE_ORG.c.parent_id, deliveries.c.recipient_id,
                      deliveries.c.arrives_at)
            .select_from(deliveries)
            .join(items, items.c.id == deliveries.c.item_id)
            .join(_SOURCE_ORG, _SOURCE_ORG.c.id == items.c.organization_id)
            .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                         item_versions.c.version == deliveries.c.version))
            .where(deliveries.c.agreement_id == sa.bindparam("agreement"),
                   deliveries.c.arrives_at > sa.bindparam("now"), deliveries.c.arrives_at >= sa.bindparam("start"),
                   deliveries.c.arrives_at < sa.bindparam("end")))


def live_days(conn: Connection, agreement: Agreement, window: Window, now: datetime) -> Days:
    """``pending`` (not available yet at ``now``), per arrival day: the few deliveries still to come
    read one by one (:meth:`DayQuery.pending` in SQL cost a page more to build than to run), each
    counted for its party and local day as the SQL would (``rollups.local_day_number``'s rule)."""
    party_ids = {p.id for p in agreement.parties}
    found: Days = {}
    for org, parent, recipient, arrives in conn.execute(_PENDING, {"agreement": agreement.id, "now": now,
                                                                   "start": window.start_utc, "end": window.end_utc}):
        offset = arrives.astimezone(window.zone).utcoffset() or timedelta()
        day = (math.floor(arrives.timestamp()) + int(offset.total_seconds())) // DAY_SECONDS
        cell = found.setdefault((org if org in party_ids else parent, recipient, day), Day())
        cell.pending += 1
    return found
