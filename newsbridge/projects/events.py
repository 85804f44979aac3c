"""What happened in a project: the notifications of docs/projects.md, as rows of ``project_events``.

Each event is written in the transaction of the change it tells of, so a reader never sees one
without the other. The API lists them (``GET /api/v1/projects/{id}/events?after=N``, a cursor by
event id); :data:`EVENT_TYPES` are also the webhook event types partners subscribe to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.project_tables import project_events
from newsbridge.db.tables import organizations
from newsbridge.ids import utcnow

if TYPE_CHECKING:
    from newsbridge.projects.projects import Actor

EVENT_TYPES = (
    "project.created", "project.accepted", "project.activated", "project.observer_invited",
    "project.deliverable_added", "project.assigned", "project.status_changed", "project.draft_saved",
    "project.comment", "project.mention", "project.comment_resolved", "project.approval_requested",
    "project.approval_given", "project.approvals_reset", "project.published",
)


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
                 data: dict[str, Any]) -> None:
    assert event_type in EVENT_TYPES, event_type
    conn.execute(project_events.insert().values(project_id=project_id, deliverable_id=deliverable_id,
                                                type=event_type, organization_id=actor.organization.id,
                                                actor=actor.label, data=data, at=utcnow()))


def list_events(conn: Connection, project_id: str, after: int = 0, limit: int = 200) -> list[ProjectEvent]:
    """The project's events after event id ``after``, oldest first."""
    rows = conn.execute(sa.select(project_events, organizations.c.slug)
                        .join(organizations, organizations.c.id == project_events.c.organization_id)
                        .where(project_events.c.project_id == project_id, project_events.c.id > after)
                        .order_by(project_events.c.id).limit(limit))
    return [ProjectEvent(r.id, r.project_id, r.deliverable_id, r.type, r.slug, r.actor, dict(r.data), r.at)
            for r in rows]
