"""Pickups (republication of a received item) and reads, recorded per member and organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member
from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import item_reads, members, pickups
from newsbridge.errors import InvalidInput
from newsbridge.ids import new_id, utcnow
from newsbridge.items.queries import get_item


@dataclass(frozen=True)
class Pickup:
    id: str
    item_id: str
    version: int
    member_name: str | None
    url: str | None
    note: str
    at: datetime


def record_pickup(conn: Connection, org: Organization, member: Member | None, item_id: str, url: str | None,
                  note: str = "") -> Pickup:
    """Record that the organization republished a received item (who, when, where)."""
    record = get_item(conn, org, item_id)
    if record.source.id == org.id:
        raise InvalidInput("you cannot pick up your own item", field="item_id")
    url = (url or "").strip() or None
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise InvalidInput("the republication URL must start with http:// or https://", field="url")
    pickup_id = new_id()
    conn.execute(pickups.insert().values(id=pickup_id, item_id=item_id, organization_id=org.id,
                                         member_id=member.id if member else None, version=record.latest.version,
                                         url=url, note=note.strip()[:2000], at=utcnow()))
    return next(p for p in list_pickups(conn, org, item_id) if p.id == pickup_id)


def list_pickups(conn: Connection, org: Organization, item_id: str) -> list[Pickup]:
    rows = conn.execute(sa.select(pickups, members.c.name).outerjoin(members, members.c.id == pickups.c.member_id)
                        .where(pickups.c.item_id == item_id, pickups.c.organization_id == org.id)
                        .order_by(pickups.c.at))
    return [Pickup(r.id, r.item_id, r.version, r.name, r.url, r.note, r.at) for r in rows]


def mark_read(conn: Connection, member: Member, item_id: str) -> None:
    exists = conn.execute(sa.select(item_reads.c.item_id).where(item_reads.c.member_id == member.id,
                                                                item_reads.c.item_id == item_id)).first()
    if exists is None:
        conn.execute(item_reads.insert().values(member_id=member.id, item_id=item_id, at=utcnow()))
