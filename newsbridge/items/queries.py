"""Reading items back, with the one access rule every reader goes through.

An organization sees an item when it is the item's source, or when a delivery of it to the
organization (or to the holding it belongs to) exists and is available (embargo and delay
passed). A recipient sees the newest version delivered to it, never a later one. Anything
else is answered exactly like an id that does not exist: 404, so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import agreements, deliveries, item_versions, items, organizations
from newsbridge.errors import NotFound
from newsbridge.ids import utcnow

MAX_LIMIT = 500


@dataclass(frozen=True)
class SourceRef:
    id: str
    slug: str
    name: str
    credit_name: str


@dataclass(frozen=True)
class ItemVersion:
    item_id: str
    version: int
    pubstatus: str
    language_source: str
    language_confidence: float | None
    received_at: datetime
    document: dict[str, Any]


@dataclass(frozen=True)
class ItemRecord:
    id: str
    uri: str
    source: SourceRef
    latest: ItemVersion  # the newest version the viewer may see
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Received:
    """How an item reached a recipient: the delivery of the version the recipient sees."""

    agreement_id: str
    agreement_title: str
    reason: str
    credit_line: str
    usage_terms: str
    available_from: datetime


_SOURCE = (organizations.c.slug, organizations.c.name, organizations.c.credit_name)
_VERSION = (item_versions.c.version, item_versions.c.pubstatus, item_versions.c.language_source,
            item_versions.c.language_confidence, item_versions.c.received_at, item_versions.c.document)


def viewer_ids(viewer: Organization) -> tuple[str, ...]:
    """The organizations whose deliveries the viewer reads: itself and its holding."""
    return (viewer.id, viewer.parent_id) if viewer.parent_id else (viewer.id,)


def _record(row: sa.Row) -> ItemRecord:
    m = row._mapping
    version = ItemVersion(m["id"], m["version"], m["pubstatus"], m["language_source"], m["language_confidence"],
                          m["received_at"], m["document"])
    source = SourceRef(m["organization_id"], m["slug"], m["name"], m["credit_name"])
    return ItemRecord(m["id"], m["uri"], source, version, m["created_at"], m["updated_at"])


def _available(viewer: Organization, now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(deliveries.c.recipient_id.in_(viewer_ids(viewer)), deliveries.c.available_from <= now)


def _seen_version(viewer: Organization, now: datetime) -> sa.ColumnElement[Any]:
    """The version of each item row the viewer sees: the newest for the source, else the newest delivered."""
    delivered = (sa.select(sa.func.max(deliveries.c.version))
                 .where(deliveries.c.item_id == items.c.id, _available(viewer, now)).scalar_subquery())
    return sa.case((items.c.organization_id == viewer.id, items.c.latest_version), else_=delivered)


def _query(viewer: Organization, now: datetime) -> sa.Select:
    return (
        sa.select(items.c.id, items.c.uri, items.c.organization_id, items.c.created_at, items.c.updated_at,
                  *_SOURCE, *_VERSION)
        .join(organizations, organizations.c.id == items.c.organization_id)
        .join(item_versions, sa.and_(item_versions.c.item_id == items.c.id,
                                     item_versions.c.version == _seen_version(viewer, now)))
    )


def get_item(conn: Connection, viewer: Organization, item_id: str, now: datetime | None = None) -> ItemRecord:
    """The newest version of an item the viewer may see; NotFound otherwise."""
    row = conn.execute(_query(viewer, now or utcnow()).where(items.c.id == item_id)).first()
    if row is None:
        raise NotFound(f"no item {item_id!r}", field="id")
    return _record(row)


def list_versions(conn: Connection, viewer: Organization, item_id: str) -> list[ItemVersion]:
    """Every version of a visible item the viewer may see, oldest first."""
    now = utcnow()
    record = get_item(conn, viewer, item_id, now)
    query = sa.select(item_versions.c.item_id, *_VERSION).where(item_versions.c.item_id == item_id)
    if record.source.id != viewer.id:
        seen = sa.select(deliveries.c.version).where(deliveries.c.item_id == item_id, _available(viewer, now))
        query = query.where(item_versions.c.version.in_(seen))
    return [ItemVersion(*row) for row in conn.execute(query.order_by(item_versions.c.version))]


def list_own_items(conn: Connection, viewer: Organization, *, since: datetime | None = None, limit: int = 50) \
        -> list[ItemRecord]:
    """The organization's own items changed after ``since``, newest change first."""
    query = _query(viewer, utcnow()).where(items.c.organization_id == viewer.id)
    if since is not None:
        query = query.where(items.c.updated_at > since)
    query = query.order_by(items.c.updated_at.desc(), items.c.id.desc()).limit(max(1, min(limit, MAX_LIMIT)))
    return [_record(row) for row in conn.execute(query)]


def _received_query(viewer: Organization, now: datetime) -> sa.Select:
    newest = (sa.select(deliveries.c.item_id, sa.func.max(deliveries.c.version).label("version"))
              .where(_available(viewer, now)).group_by(deliveries.c.item_id).subquery())
    return (
        sa.select(items.c.id, items.c.uri, items.c.organization_id, items.c.created_at, items.c.updated_at,
                  *_SOURCE, *_VERSION, deliveries.c.agreement_id, agreements.c.title.label("agreement_title"),
                  deliveries.c.reason, deliveries.c.credit_line, deliveries.c.usage_terms,
                  deliveries.c.available_from)
        .join(newest, newest.c.item_id == items.c.id)
        .join(item_versions, sa.and_(item_versions.c.item_id == items.c.id,
                                     item_versions.c.version == newest.c.version))
        .join(deliveries, sa.and_(deliveries.c.item_id == items.c.id, deliveries.c.version == newest.c.version,
                                  deliveries.c.recipient_id.in_(viewer_ids(viewer))))
        .join(organizations, organizations.c.id == items.c.organization_id)
        .join(agreements, agreements.c.id == deliveries.c.agreement_id)
    )


def _received(row: sa.Row) -> Received:
    m = row._mapping
    return Received(m["agreement_id"], m["agreement_title"], m["reason"], m["credit_line"], m["usage_terms"],
                    m["available_from"])


# When a delivery reached the inbox: routed (created) and available, whichever came later. A
# correction of an old item, or a backdated item, is new to the inbox even if its dates are old.
_SHOWN_AT = sa.case((deliveries.c.created_at > deliveries.c.available_from, deliveries.c.created_at),
                    else_=deliveries.c.available_from)


def inbox(conn: Connection, viewer: Organization, *, since: datetime | None = None, limit: int = 50,
          where: Sequence[sa.ColumnElement[bool]] = ()) -> list[tuple[ItemRecord, Received]]:
    """What the viewer received (available now), newest arrival first, with credit line and usage terms;
    ``since`` keeps what arrived in the inbox after that time (so polling with it misses nothing);
    ``where`` narrows further (conditions on the items, item_versions, deliveries and organizations
    rows of the version the viewer sees)."""
    query = _received_query(viewer, utcnow()).where(*where)
    if since is not None:
        query = query.where(_SHOWN_AT > since)
    query = query.order_by(_SHOWN_AT.desc(), items.c.id.desc()).limit(max(1, min(limit, MAX_LIMIT)))
    seen: set[str] = set()
    found = []
    for row in conn.execute(query):
        if row.id not in seen:
            seen.add(row.id)
            found.append((_record(row), _received(row)))
    return found


def received_languages(conn: Connection, viewer: Organization) -> list[str]:
    """The languages of everything the viewer received, for a filter's choices."""
    query = (sa.select(item_versions.c.language).distinct()
             .join(deliveries, sa.and_(deliveries.c.item_id == item_versions.c.item_id,
                                       deliveries.c.version == item_versions.c.version))
             .where(_available(viewer, utcnow()), item_versions.c.language.is_not(None)))
    return sorted({language.split("-")[0] for language in conn.execute(query).scalars()})


def unread_by_source(conn: Connection, viewer: Organization, read: sa.Select) -> dict[str, int]:
    """How many received items per source (slug) are not among the item ids ``read`` selects."""
    query = (sa.select(organizations.c.slug, sa.func.count(sa.distinct(items.c.id)))
             .select_from(deliveries).join(items, items.c.id == deliveries.c.item_id)
             .join(organizations, organizations.c.id == items.c.organization_id)
             .where(_available(viewer, utcnow()), items.c.id.not_in(read))
             .group_by(organizations.c.slug).order_by(organizations.c.slug))
    return {slug: count for slug, count in conn.execute(query)}


def received(conn: Connection, viewer: Organization, item_id: str) -> Received | None:
    """How the viewer received this item, or None (its own item, or not received)."""
    row = conn.execute(_received_query(viewer, utcnow()).where(items.c.id == item_id)).first()
    return _received(row) if row is not None else None


def _delivered_query() -> sa.Select:
    return (
        sa.select(items.c.id, items.c.uri, items.c.organization_id, items.c.created_at, items.c.updated_at,
                  *_SOURCE, *_VERSION, deliveries.c.id.label("delivery_id"), deliveries.c.position,
                  deliveries.c.event, deliveries.c.agreement_id, agreements.c.title.label("agreement_title"),
                  deliveries.c.reason, deliveries.c.credit_line, deliveries.c.usage_terms, deliveries.c.available_from)
        .select_from(deliveries)
        .join(items, items.c.id == deliveries.c.item_id)
        .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                     item_versions.c.version == deliveries.c.version))
        .join(organizations, organizations.c.id == items.c.organization_id)
        .join(agreements, agreements.c.id == deliveries.c.agreement_id))


@dataclass(frozen=True)
class Delivered:
    """One delivery with everything needed to show or send it."""

    delivery_id: int
    position: int | None
    event: str
    record: ItemRecord
    received: Received


def delivered_items(conn: Connection, delivery_ids: list[int]) -> dict[int, tuple[ItemRecord, ItemVersion, Received]]:
    """The item version, source and delivery terms of each delivery (for the delivery worker;
    the delivery itself is the recipient's entitlement)."""
    if not delivery_ids:
        return {}
    found = {}
    for row in conn.execute(_delivered_query().where(deliveries.c.id.in_(delivery_ids))):
        record = _record(row)
        found[row.delivery_id] = (record, record.latest, _received(row))
    return found


def delivered_to(conn: Connection, viewer: Organization, where: list[Any], order: Any, limit: int) -> list[Delivered]:
    """A page of the viewer's deliveries (filters and order on the deliveries table), in one query."""
    query = (_delivered_query().where(deliveries.c.recipient_id.in_(viewer_ids(viewer)), *where)
             .order_by(order).limit(limit))
    return [Delivered(row.delivery_id, row.position, row.event, _record(row), _received(row))
            for row in conn.execute(query)]
