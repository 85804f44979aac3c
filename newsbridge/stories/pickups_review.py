"""A pickup's record as both sides see it, and the partners' decision on a detected one.

A pickup joins two organizations: the **source** of the picked-up item and the **picker** that
republished it (declared by its member, or detected by the story worker in the picker's own item:
stories/pickups.py). Each side reads the same record:

* the source, on its item: every pickup by an organization the item was delivered to (or whose
  holding received it), declared and detected;
* the picker, on its own republishing item: the detected pickups that item is the evidence of;
  and, on the received item, its own pickups of it (and its outlets').

Either side confirms or dismisses a **detected** pickup (a declared one is the picker's own word).
The decision records who (a member's e-mail or ``key nb_...``), which side and when; deciding the
same again changes nothing (idempotent), the other decision replaces it (the last word counts). A
dismissed pickup stays listed, as dismissed, and the metrics never count it (``COUNTED_PICKUP``);
the item is marked so the rollups recount its days.

Status: ``detected`` (nobody decided yet), ``confirmed`` or ``dismissed``; a declared pickup is
``confirmed`` (its picker declared it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.rollup_tables import mark_items_changed
from newsbridge.db.tables import deliveries, items, organizations, pickups
from newsbridge.desk.pickups import status_of
from newsbridge.errors import NotFound, PickupNotDetected
from newsbridge.ids import utcnow
from newsbridge.items.queries import get_item

DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed"}
STATUSES = ("detected", "confirmed", "dismissed")


@dataclass(frozen=True)
class PickupRecord:
    """One pickup as either side sees it (no member names or notes: those stay with the picker)."""

    id: str
    kind: str  # declared | detected
    item_id: str  # the picked-up item (the source's)
    source_slug: str
    by_slug: str  # the picker
    by_name: str
    republished_item_id: str | None  # detected: the picker's item that republishes it
    score: float | None
    evidence: dict[str, Any] | None
    status: str  # detected | confirmed | dismissed
    at: datetime
    url: str | None
    decided_by: str | None
    decided_org_slug: str | None
    decided_at: datetime | None

    @property
    def method(self) -> str | None:  # detected: same_text | translation (shown on the desk)
        return (self.evidence or {}).get("method")

    def side(self, org: Organization) -> str:
        """``source`` or ``picker``: which side of the pickup ``org`` is."""
        return "picker" if org.slug == self.by_slug else "source"


_source = organizations.alias("source_org")
_picker = organizations.alias("picker_org")
_decider = organizations.alias("decider_org")


def _select() -> sa.Select:  # type: ignore[type-arg]
    return (sa.select(pickups, _source.c.id.label("source_id"), _source.c.slug.label("source_slug"),
                      _picker.c.slug.label("picker_slug"), _picker.c.name.label("picker_name"),
                      _picker.c.parent_id.label("picker_parent"), _decider.c.slug.label("decider_slug"))
            .join(items, items.c.id == pickups.c.item_id)
            .join(_source, _source.c.id == items.c.organization_id)
            .join(_picker, _picker.c.id == pickups.c.organization_id)
            .outerjoin(_decider, _decider.c.id == pickups.c.decided_org_id))


def _received() -> sa.ColumnElement[bool]:
    """The picker (or its holding) received the item: only then does the source see the pickup."""
    return sa.exists().where(deliveries.c.item_id == pickups.c.item_id,
                             deliveries.c.recipient_id.in_([_picker.c.id, sa.func.coalesce(_picker.c.parent_id, "")]))


def _seen_by(org: Organization) -> sa.ColumnElement[bool]:
    """The pickups ``org`` is a side of: as their picker, or as the source of an item the picker received."""
    return sa.or_(pickups.c.organization_id == org.id, sa.and_(items.c.organization_id == org.id, _received()))


def _record(row: sa.Row) -> PickupRecord:  # type: ignore[type-arg]
    return PickupRecord(row.id, row.kind, row.item_id, row.source_slug, row.picker_slug, row.picker_name,
                        row.evidence_item_id, row.score, row.evidence, status_of(row.kind, row.decision), row.at,
                        row.url, row.decided_by, row.decider_slug, row.decided_at)


def pickups_of_item(conn: Connection, viewer: Organization, item_id: str) -> list[PickupRecord]:
    """The pickups of the item as the viewer sees them, oldest first; NotFound when the viewer may
    not read the item (so an item's pickups never tell that it exists). On its own item the viewer
    sees the partners' pickups of it and the detected pickups it is the evidence of; on a received
    item, its own pickups of it and its outlets'."""
    record = get_item(conn, viewer, item_id)
    query = _select()
    if record.source.id == viewer.id:
        query = query.where(sa.or_(
            sa.and_(pickups.c.item_id == item_id, _received()),
            sa.and_(pickups.c.evidence_item_id == item_id, pickups.c.kind == "detected",
                    pickups.c.organization_id == viewer.id)))
    else:
        query = query.where(pickups.c.item_id == item_id,
                            sa.or_(pickups.c.organization_id == viewer.id, _picker.c.parent_id == viewer.id))
    return [_record(row) for row in conn.execute(query.order_by(pickups.c.at, pickups.c.id))]


def get_pickup(conn: Connection, viewer: Organization, pickup_id: str) -> PickupRecord:
    """One pickup the viewer is a side of; NotFound otherwise, like a missing id."""
    row = conn.execute(_select().where(pickups.c.id == pickup_id, _seen_by(viewer))).first()
    if row is None:
        raise NotFound(f"no pickup {pickup_id!r}", field="pickup_id")
    return _record(row)


def decide(conn: Connection, viewer: Organization, actor: str, pickup_id: str, action: str,
           now: datetime | None = None) -> PickupRecord:
    """Confirm (``action="confirm"``) or dismiss (``"dismiss"``) a detected pickup the viewer is a
    side of, as ``actor``; see the module for the rules. Returns the record as it now stands."""
    decision = DECISIONS[action]
    found = get_pickup(conn, viewer, pickup_id)
    if found.kind != "detected":
        raise PickupNotDetected("only a detected pickup is confirmed or dismissed; a declared pickup is the "
                                "republishing partner's own record", field="pickup_id")
    if found.status == decision:
        return found  # idempotent: the first decision's who and when stay
    now = now or utcnow()
    conn.execute(pickups.update().where(pickups.c.id == pickup_id).values(
        decision=decision, decided_by=actor[:320], decided_org_id=viewer.id, decided_at=now))
    mark_items_changed(conn, [found.item_id], now)  # the pickup figures (metrics/rollups.py)
    return get_pickup(conn, viewer, pickup_id)
