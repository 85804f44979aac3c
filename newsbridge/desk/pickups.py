"""Pickups (republication of a received item) and reads, recorded per member and organization.

A pickup is *declared* (a member recorded it, on the desk or through the API) or *detected* (the
story worker found a partner's own item republishing one it received: stories/pickups.py); both
are listed the same way, with their kind, and metrics count them apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member
from newsbridge.accounts.organizations import Organization
from newsbridge.db.planning import unindexed
from newsbridge.db.rollup_tables import mark_items_changed
from newsbridge.db.tables import deliveries, item_reads, items, members, organizations, pickups
from newsbridge.errors import InvalidInput, NotFound
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
    kind: str = "declared"  # declared | detected
    score: float | None = None  # detected: the confidence, 0-1
    method: str | None = None  # detected: same_text | translation
    evidence_item_id: str | None = None  # detected: our item that republished it
    status: str = "confirmed"  # detected | confirmed | dismissed (stories/pickups_review.py)


def record_pickup(conn: Connection, org: Organization, member: Member | None, item_id: str, url: str | None,
                  note: str = "") -> Pickup:
    """Record that the organization republished a received item (who, when, where)."""
    record = get_item(conn, org, item_id)
    if record.source.id == org.id:
        raise InvalidInput("you cannot pick up your own item", field="item_id")
    url = (url or "").strip() or None
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise InvalidInput("the republication URL must start with http:// or https://", field="url")
    pickup_id, now = new_id(), utcnow()
    conn.execute(pickups.insert().values(id=pickup_id, item_id=item_id, organization_id=org.id,
                                         member_id=member.id if member else None, version=record.latest.version,
                                         url=url, note=note.strip()[:2000], at=now))
    mark_items_changed(conn, [item_id], now)  # the pickup figures (metrics/rollups.py)
    return next(p for p in list_pickups(conn, org, item_id) if p.id == pickup_id)


def record_detected_pickup(conn: Connection, item_id: str, evidence_item_id: str, at: datetime | None = None,
                           url: str | None = None, score: float | None = None,
                           evidence: dict[str, object] | None = None) -> str | None:
    """Record that the hub found a partner's own item (``evidence_item_id``) republishing a
    received one (``item_id``): a *detected* pickup by the evidence item's organization, counted
    apart from declared ones (docs/metrics.md). For the detectors of the stories work.

    Only an item the partner (or its holding) received counts; the same pair recorded twice is
    kept once. Returns the pickup's id, or None when it was already recorded. ``at`` defaults to
    now (the detection); pass the evidence item's publication time to date it. ``score`` (the
    confidence, 0-1) and ``evidence`` (``method`` and the signals that fired) are kept with it."""
    found = conn.execute(sa.select(items.c.id, items.c.organization_id, items.c.latest_version)
                         .where(items.c.id.in_([item_id, evidence_item_id]))).all()
    by_id = {row.id: row for row in found}
    if item_id not in by_id or evidence_item_id not in by_id:
        raise NotFound(f"no item {item_id if item_id not in by_id else evidence_item_id!r}", field="item_id")
    picker = by_id[evidence_item_id].organization_id
    if picker == by_id[item_id].organization_id:
        raise InvalidInput("an organization does not pick up its own item", field="evidence_item_id")
    holding = conn.execute(sa.select(organizations.c.parent_id).where(organizations.c.id == picker)).scalar()
    received = conn.execute(sa.select(deliveries.c.id).where(
        deliveries.c.item_id == item_id, deliveries.c.recipient_id.in_([picker, holding or picker])).limit(1)).first()
    if received is None:
        raise InvalidInput("the republishing organization never received this item", field="item_id")
    seen = conn.execute(sa.select(pickups.c.id).where(
        pickups.c.item_id == item_id, pickups.c.kind == "detected",
        pickups.c.evidence_item_id == evidence_item_id)).first()
    if seen is not None:
        return None
    pickup_id, now = new_id(), utcnow()
    conn.execute(pickups.insert().values(id=pickup_id, item_id=item_id, organization_id=picker, member_id=None,
                                         version=by_id[item_id].latest_version, url=url, note="", at=at or now,
                                         kind="detected", evidence_item_id=evidence_item_id,
                                         score=score, evidence=evidence))
    mark_items_changed(conn, [item_id], now)
    return pickup_id


def list_pickups(conn: Connection, org: Organization, item_id: str) -> list[Pickup]:
    rows = conn.execute(sa.select(pickups, members.c.name).outerjoin(members, members.c.id == pickups.c.member_id)
                        .where(pickups.c.item_id == item_id, pickups.c.organization_id == org.id)
                        .order_by(pickups.c.at))
    return [_pickup(r) for r in rows]


def status_of(kind: str, decision: str | None) -> str:
    """``detected`` until a side decides, then its decision; a declared pickup is ``confirmed``."""
    return decision or ("detected" if kind == "detected" else "confirmed")


def _pickup(row: sa.Row) -> Pickup:
    return Pickup(row.id, row.item_id, row.version, row.name, row.url, row.note, row.at, row.kind, row.score,
                  (row.evidence or {}).get("method"), row.evidence_item_id, status_of(row.kind, row.decision))


def detected_from(conn: Connection, org: Organization, evidence_item_id: str) -> list[Pickup]:
    """The detected pickups our own item ``evidence_item_id`` is the evidence of (the recipient's view
    of the record on its own item), oldest first."""
    rows = conn.execute(sa.select(pickups, members.c.name).outerjoin(members, members.c.id == pickups.c.member_id)
                        .where(pickups.c.evidence_item_id == evidence_item_id, pickups.c.organization_id == org.id,
                               pickups.c.kind == "detected").order_by(pickups.c.at))
    return [_pickup(r) for r in rows]


@dataclass(frozen=True)
class PartnerPickup:
    """A partner's republication of one of our items, as the source sees it."""

    item_id: str
    organization: str  # the partner's name
    url: str | None
    at: datetime
    kind: str = "declared"  # declared | detected
    score: float | None = None  # detected: the confidence, 0-1
    method: str | None = None  # detected: same_text | translation
    id: str = ""
    status: str = "confirmed"  # detected | confirmed | dismissed


def pickups_by_partners(conn: Connection, source: Organization, item_ids: list[str]) -> dict[str, list[PartnerPickup]]:
    """Who republished which of the source's items, where and when, oldest first. Only pickups by
    organizations the item was delivered to under an agreement (or whose holding received it)
    count: the member who recorded it and their note stay with the partner."""
    if not item_ids:
        return {}
    picker = organizations.alias("picker")
    delivered = sa.exists().where(deliveries.c.item_id == pickups.c.item_id,
                                  deliveries.c.recipient_id.in_([picker.c.id, sa.func.coalesce(picker.c.parent_id, "")]))
    query = (sa.select(pickups.c.item_id, picker.c.name, pickups.c.url, pickups.c.at, pickups.c.kind,
                       pickups.c.score, pickups.c.evidence, pickups.c.id, pickups.c.decision)
             .join(items, items.c.id == pickups.c.item_id).join(picker, picker.c.id == pickups.c.organization_id)
             # the page's items by id, not all the source's items (52 ms a page of /outgoing at 100,000 on SQLite)
             .where(unindexed(items.c.organization_id) == source.id, pickups.c.item_id.in_(item_ids), delivered)
             .order_by(pickups.c.at, pickups.c.id))
    found: dict[str, list[PartnerPickup]] = {}
    for row in conn.execute(query):
        found.setdefault(row.item_id, []).append(PartnerPickup(row.item_id, row.name, row.url, row.at, row.kind,
                                                               row.score, (row.evidence or {}).get("method"),
                                                               row.id, status_of(row.kind, row.decision)))
    return found


def mark_read(conn: Connection, member: Member, item_id: str, version: int) -> None:
    """Record that the member read ``version`` of the item. Reading an older version (a stale tab)
    never lowers it; a newer version arriving later makes the item unread again (desk.incoming)."""
    found = conn.execute(sa.select(item_reads.c.version).where(item_reads.c.member_id == member.id,
                                                               item_reads.c.item_id == item_id)).first()
    if found is None:
        conn.execute(item_reads.insert().values(member_id=member.id, item_id=item_id, version=version, at=utcnow()))
    elif (found.version or 0) < version:
        conn.execute(item_reads.update().where(item_reads.c.member_id == member.id, item_reads.c.item_id == item_id)
                     .values(version=version, at=utcnow()))
