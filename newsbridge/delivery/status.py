"""Delivery status for people: what a recipient got and how each endpoint fared; for the source,
counts per partner (never a recipient's endpoints or secrets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import deliveries, item_versions, organizations, outbox
from newsbridge.ids import utcnow
from newsbridge.items.queries import viewer_ids


def recipient_deliveries(conn: Connection, viewer: Organization, limit: int = 50) -> list[dict[str, Any]]:
    """The viewer's newest deliveries with their webhook messages' states (available ones only)."""
    rows = conn.execute(
        sa.select(deliveries.c.id, deliveries.c.item_id, deliveries.c.version, deliveries.c.event,
                  deliveries.c.available_from, deliveries.c.position, item_versions.c.headline)
        .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                     item_versions.c.version == deliveries.c.version))
        .where(deliveries.c.recipient_id.in_(viewer_ids(viewer)), deliveries.c.available_from <= utcnow())
        .order_by(deliveries.c.available_from.desc(), deliveries.c.id.desc()).limit(limit)).all()
    messages: dict[int, list[dict[str, Any]]] = {}
    for m in conn.execute(sa.select(outbox).where(outbox.c.delivery_id.in_([r.id for r in rows]))):
        messages.setdefault(m.delivery_id, []).append({
            "endpoint": m.endpoint_id, "webhook_id": m.message_id, "state": m.state, "attempts": m.attempts,
            "next_attempt_at": m.next_attempt_at.isoformat() if m.state == "retrying" else None,
            "last_status": m.last_status, "last_error": m.last_error,
            "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None})
    return [{"item_id": r.item_id, "version": r.version, "event": r.event, "headline": r.headline,
             "available_from": r.available_from.isoformat(), "in_feed": r.position is not None,
             "webhooks": messages.get(r.id, [])} for r in rows]


def partner_summary(conn: Connection, item_id: str) -> list[dict[str, Any]]:
    """For the source: per partner, the newest version delivered, when it is available, and webhook counts."""
    return partner_summaries(conn, [item_id])[item_id]


def partner_summaries(conn: Connection, item_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """:func:`partner_summary` of each item, in two statements whatever their number: /outgoing's 50 rows
    asked two each, 100 round trips and 100 of its 130 ms at 20,000 items on PostgreSQL."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    now = utcnow()
    rows = conn.execute(
        sa.select(deliveries.c.item_id, organizations.c.slug, organizations.c.name,
                  sa.func.max(deliveries.c.version).label("version"),
                  sa.func.max(deliveries.c.available_from).label("available_from"))
        .join(organizations, organizations.c.id == deliveries.c.recipient_id)
        .where(deliveries.c.item_id.in_(ids)).group_by(deliveries.c.item_id, organizations.c.slug, organizations.c.name)
        .order_by(deliveries.c.item_id, organizations.c.slug)).all()
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for item_id, slug, state, n in conn.execute(
            sa.select(deliveries.c.item_id, organizations.c.slug, outbox.c.state, sa.func.count())
            .select_from(outbox).join(deliveries, deliveries.c.id == outbox.c.delivery_id)
            .join(organizations, organizations.c.id == deliveries.c.recipient_id)
            .where(deliveries.c.item_id.in_(ids))
            .group_by(deliveries.c.item_id, organizations.c.slug, outbox.c.state)):
        counts.setdefault((item_id, slug), {})[state] = n
    found: dict[str, list[dict[str, Any]]] = {item_id: [] for item_id in ids}  # an item no partner got: none
    for r in rows:
        found[r.item_id].append({
            "slug": r.slug, "name": r.name, "version": r.version, "available_from": r.available_from.isoformat(),
            "status": "pending until " + r.available_from.isoformat() if r.available_from > now else "available",
            "webhooks": counts.get((r.item_id, r.slug), {})})
    return found
