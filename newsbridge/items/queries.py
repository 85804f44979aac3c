"""Reading items back, with the one access rule every reader goes through.

An organization sees an item when it is the item's source. (Partners' access through
agreements is added by the exchange module.) Anything else is answered exactly like an id
that does not exist: 404, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import item_versions, items, organizations
from newsbridge.errors import NotFound

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
    latest: ItemVersion
    created_at: datetime
    updated_at: datetime


_SOURCE = (organizations.c.slug, organizations.c.name, organizations.c.credit_name)
_VERSION = (item_versions.c.version, item_versions.c.pubstatus, item_versions.c.language_source,
            item_versions.c.language_confidence, item_versions.c.received_at, item_versions.c.document)


def _record(row: sa.Row) -> ItemRecord:
    m = row._mapping
    version = ItemVersion(m["id"], m["version"], m["pubstatus"], m["language_source"], m["language_confidence"],
                          m["received_at"], m["document"])
    source = SourceRef(m["organization_id"], m["slug"], m["name"], m["credit_name"])
    return ItemRecord(m["id"], m["uri"], source, version, m["created_at"], m["updated_at"])


def _latest_query() -> sa.Select:
    return (
        sa.select(items.c.id, items.c.uri, items.c.organization_id, items.c.created_at, items.c.updated_at,
                  *_SOURCE, *_VERSION)
        .join(organizations, organizations.c.id == items.c.organization_id)
        .join(item_versions, sa.and_(item_versions.c.item_id == items.c.id,
                                     item_versions.c.version == items.c.latest_version))
    )


def _visible_to(viewer_org_id: str) -> sa.ColumnElement[bool]:
    return items.c.organization_id == viewer_org_id


def get_item(conn: Connection, viewer_org_id: str, item_id: str) -> ItemRecord:
    """The newest version of an item the viewer may see; NotFound otherwise."""
    row = conn.execute(_latest_query().where(items.c.id == item_id, _visible_to(viewer_org_id))).first()
    if row is None:
        raise NotFound(f"no item {item_id!r}", field="id")
    return _record(row)


def list_versions(conn: Connection, viewer_org_id: str, item_id: str) -> list[ItemVersion]:
    """Every stored version of a visible item, oldest first."""
    get_item(conn, viewer_org_id, item_id)
    rows = conn.execute(sa.select(item_versions.c.item_id, *_VERSION).where(item_versions.c.item_id == item_id)
                        .order_by(item_versions.c.version))
    return [ItemVersion(*row) for row in rows]


def list_own_items(conn: Connection, org_id: str, *, since: datetime | None = None, limit: int = 50) \
        -> list[ItemRecord]:
    """The organization's own items changed after ``since``, newest change first."""
    query = _latest_query().where(items.c.organization_id == org_id)
    if since is not None:
        query = query.where(items.c.updated_at > since)
    query = query.order_by(items.c.updated_at.desc(), items.c.id.desc()).limit(max(1, min(limit, MAX_LIMIT)))
    return [_record(row) for row in conn.execute(query)]
