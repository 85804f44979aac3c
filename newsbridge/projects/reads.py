"""What a member has not seen yet of their joint projects: the desk's unread markers.

The notifications of docs/projects.md are ``project_events``; which of them concern a member:
an assignment to their organization or to them, a comment, a mention of them, an approval
requested or given, a publication. Their own doings never count. ``project_reads`` keeps, per
member and project, the newest event the desk showed them on the project's pages; later ones
are unread.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member
from newsbridge.accounts.organizations import Organization
from newsbridge.db.project_tables import project_events, project_members, project_reads
from newsbridge.db.tables import organizations
from newsbridge.ids import utcnow
from newsbridge.projects.events import ProjectEvent

NOTIFYING = ("project.assigned", "project.comment", "project.mention", "project.approval_requested",
             "project.approval_given", "project.published")
SCAN_LIMIT = 2000  # unread events read per call; a member away for longer sees "2000+" at worst


def member_label(member: Member, organization: Organization) -> str:
    """How the services sign what a desk member does (projects.Actor.label)."""
    return f"{member.name} ({organization.slug})"


def concerns(event: ProjectEvent, organization: Organization, member: Member, sides: set[str]) -> bool:
    """Whether an event is a notification for the member (``sides``: slugs the member's organization acts as)."""
    if event.type not in NOTIFYING or event.actor == member_label(member, organization):
        return False
    if event.type == "project.mention":
        return event.data.get("member") == member.email
    if event.type == "project.assigned":
        named = event.data.get("member")
        return named == member.email if named else event.data.get("assignee") in sides
    return True


def _sides(organization: Organization) -> list[str]:
    return [organization.id] + ([organization.parent_id] if organization.parent_id else [])


def unread_events(conn: Connection, organization: Organization, member: Member,
                  project_id: str | None = None) -> list[ProjectEvent]:
    """The member's unread notifications, oldest first (of one project, or of all the member's projects)."""
    sides = _sides(organization)
    mine = sa.select(project_members.c.project_id).where(project_members.c.organization_id.in_(sides))
    seen = (sa.select(project_reads.c.seen_event_id)
            .where(project_reads.c.member_id == member.id, project_reads.c.project_id == project_events.c.project_id)
            .scalar_subquery())
    query = (sa.select(project_events, organizations.c.slug)
             .join(organizations, organizations.c.id == project_events.c.organization_id)
             .where(project_events.c.project_id.in_(mine), project_events.c.type.in_(NOTIFYING),
                    project_events.c.id > sa.func.coalesce(seen, 0)))
    if project_id is not None:
        query = query.where(project_events.c.project_id == project_id)
    rows = conn.execute(query.order_by(project_events.c.id).limit(SCAN_LIMIT))
    slugs = set(conn.execute(sa.select(organizations.c.slug).where(organizations.c.id.in_(sides))).scalars())
    found = [ProjectEvent(r.id, r.project_id, r.deliverable_id, r.type, r.slug, r.actor, dict(r.data), r.at)
             for r in rows]
    return [e for e in found if concerns(e, organization, member, slugs)]


def unread_counts(conn: Connection, organization: Organization, member: Member) -> dict[str, int]:
    """{project id: unread notifications} of the member's projects that have any."""
    return dict(Counter(e.project_id for e in unread_events(conn, organization, member)))


def mark_seen(conn: Connection, member: Member, project_id: str) -> None:
    """The member saw the project as it is now: every event so far counts as read (never moves back,
    so two tabs of the same member cannot unread what one of them showed)."""
    newest = conn.execute(sa.select(sa.func.coalesce(sa.func.max(project_events.c.id), 0))
                          .where(project_events.c.project_id == project_id)).scalar_one()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(project_reads).values(member_id=member.id, project_id=project_id, seen_event_id=newest,
                                             seen_at=utcnow())
    conn.execute(statement.on_conflict_do_update(
        index_elements=[project_reads.c.member_id, project_reads.c.project_id],
        set_={"seen_event_id": statement.excluded.seen_event_id, "seen_at": statement.excluded.seen_at},
        where=project_reads.c.seen_event_id < statement.excluded.seen_event_id))
