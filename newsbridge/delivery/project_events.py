"""Webhook messages for joint projects' events: queued with the event, sent by the outbox worker.

An event of a project is offered to every enabled endpoint of the project's organizations
(participants and observers, and their outlets) that subscribes to its type; the outbox row is
written in the transaction that records the event, so a message is never lost or sent for a change
that was rolled back. The body is the Standard Webhooks envelope around the event as the project
API lists it (``GET /api/v1/projects/{id}/events``), with the project's id and title.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.project_tables import project_events, projects
from newsbridge.db.tables import endpoints, organizations, outbox
from newsbridge.delivery.outbox import State
from newsbridge.ids import new_id


def queue_project_event(conn: Connection, event_id: int, event_type: str, organization_ids: Sequence[str],
                        now: datetime) -> int:
    """One outbox message per subscribed, enabled endpoint of the organizations (or their outlets)."""
    owners = organizations.alias("owner")
    rows = conn.execute(
        sa.select(endpoints.c.id, endpoints.c.events)
        .join(owners, owners.c.id == endpoints.c.organization_id)
        .where(endpoints.c.enabled.is_(True),
               sa.or_(endpoints.c.organization_id.in_(organization_ids),
                      owners.c.parent_id.in_(organization_ids)))).all()
    messages = [{"endpoint_id": r.id, "project_event_id": event_id, "event": event_type,
                 "message_id": f"msg_{new_id()}", "state": State.PENDING.value, "attempts": 0,
                 "next_attempt_at": now, "created_at": now} for r in rows if event_type in r.events]
    if messages:
        conn.execute(outbox.insert(), messages)
    return len(messages)


def project_event_payloads(conn: Connection, event_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The webhook ``data`` of each project event."""
    if not event_ids:
        return {}
    rows = conn.execute(
        sa.select(project_events, organizations.c.slug, projects.c.title)
        .join(organizations, organizations.c.id == project_events.c.organization_id)
        .join(projects, projects.c.id == project_events.c.project_id)
        .where(project_events.c.id.in_(list(event_ids))))
    return {r.id: {"id": r.id, "project": {"id": r.project_id, "title": r.title}, "deliverable": r.deliverable_id,
                   "type": r.type, "organization": r.slug, "actor": r.actor, "data": dict(r.data),
                   "at": r.at.isoformat()} for r in rows}
