"""What happened in a project: the notifications of docs/projects.md, as rows of ``project_events``.

Each event is written in the transaction of the change it tells of, so a reader never sees one
without the other. The API lists them (``GET /api/v1/projects/{id}/events?after=N``, a cursor by
event id); :data:`EVENT_TYPES` are also the webhook event types partners subscribe to: each event
is queued for their endpoints in the same transaction (delivery/project_events.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.project_tables import project_events, project_members
from newsbridge.delivery.endpoints import PROJECT_EVENTS
from newsbridge.delivery.project_events import queue_project_event
from newsbridge.db.tables import organizations
from newsbridge.ids import utcnow

if TYPE_CHECKING:
    from newsbridge.accounts.organizations import Organization
    from newsbridge.projects.projects import Actor

EVENT_TYPES = PROJECT_EVENTS  # declared with the webhook event types (delivery/endpoints.py)


@dataclass(frozen=True)
class ProjectEvent:
    id: int
    project_id: str
    deliverable_id: str | None
    type: str
    organization: str  # slug of the acting organization
    actor: str
    data: dict[str, Any]
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "project": self.project_id, "deliverable": self.deliverable_id, "type": self.type,
                "organization": self.organization, "actor": self.actor, "data": self.data, "at": self.at.isoformat()}


def record_event(conn: Connection, project_id: str, deliverable_id: str | None, event_type: str, actor: Actor,
                 data: dict[str, Any]) -> int:
    """Record an event in the caller's transaction and queue its webhook messages; returns its id."""
    assert event_type in EVENT_TYPES, event_type
    now = utcnow()
    event_id = conn.execute(project_events.insert().values(
        project_id=project_id, deliverable_id=deliverable_id, type=event_type, organization_id=actor.organization.id,
        actor=actor.label, data=data, at=now).returning(project_events.c.id)).scalar_one()
    members = conn.execute(sa.select(project_members.c.organization_id)
                           .where(project_members.c.project_id == project_id)).scalars().all()
    queue_project_event(conn, event_id, event_type, members, now)
    return event_id


def list_events(conn: Connection, project_id: str, after: int = 0, limit: int = 200) -> list[ProjectEvent]:
    """The project's events after event id ``after``, oldest first."""
    rows = conn.execute(sa.select(project_events, organizations.c.slug)
                        .join(organizations, organizations.c.id == project_events.c.organization_id)
                        .where(project_events.c.project_id == project_id, project_events.c.id > after)
                        .order_by(project_events.c.id).limit(limit))
    return [ProjectEvent(r.id, r.project_id, r.deliverable_id, r.type, r.slug, r.actor, dict(r.data), r.at)
            for r in rows]


def project_events_for(conn: Connection, viewer: Organization, after: int, limit: int = 100) -> list[ProjectEvent]:
    """The events after ``after`` of every project the viewer (or its holding) belongs to, oldest first
    (the live stream's ``?projects=true``)."""
    sides = [viewer.id] + ([viewer.parent_id] if viewer.parent_id else [])
    mine = sa.select(project_members.c.project_id).where(project_members.c.organization_id.in_(sides))
    rows = conn.execute(sa.select(project_events, organizations.c.slug)
                        .join(organizations, organizations.c.id == project_events.c.organization_id)
                        .where(project_events.c.id > after, project_events.c.project_id.in_(mine))
                        .order_by(project_events.c.id).limit(limit))
    return [ProjectEvent(r.id, r.project_id, r.deliverable_id, r.type, r.slug, r.actor, dict(r.data), r.at)
            for r in rows]


def latest_project_event_id(conn: Connection) -> int:
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(project_events.c.id), 0))).scalar_one()
