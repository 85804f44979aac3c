"""Approval by every participating organization, and its reset when the draft changes.

A deliverable in review needs one approval from each participating organization, given by a
member with the editor or admin role; the last one makes it ``approved``. Each approval records
the revision of every language it saw. Any draft change after an approval drops all approvals
(with a ``project.approvals_reset`` notice naming what changed), and an approved deliverable goes
back to review: nobody's approval ever stands for a text they have not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.project_tables import deliverable_approvals, draft_revisions
from newsbridge.db.tables import members, organizations
from newsbridge.errors import Conflict
from newsbridge.ids import utcnow
from newsbridge.projects.deliverables import Deliverable, Status, get_deliverable, move, update_deliverable
from newsbridge.projects.events import record_event
from newsbridge.projects.projects import Actor, Project, editor_member, participant_side


@dataclass(frozen=True)
class Approval:
    organization: str  # slug
    member: str  # e-mail
    member_name: str
    revisions: dict[str, int]
    approved_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"organization": self.organization, "member": self.member, "member_name": self.member_name,
                "revisions": self.revisions, "approved_at": self.approved_at.isoformat()}


def list_approvals(conn: Connection, deliverable_id: str) -> list[Approval]:
    rows = conn.execute(
        sa.select(deliverable_approvals, organizations.c.slug, members.c.email, members.c.name)
        .join(organizations, organizations.c.id == deliverable_approvals.c.organization_id)
        .join(members, members.c.id == deliverable_approvals.c.member_id)
        .where(deliverable_approvals.c.deliverable_id == deliverable_id).order_by(organizations.c.slug))
    return [Approval(r.slug, r.email, r.name, dict(r.revisions), r.approved_at) for r in rows]


def _newest_revisions(conn: Connection, deliverable_id: str) -> dict[str, int]:
    rows = conn.execute(sa.select(draft_revisions.c.language, sa.func.max(draft_revisions.c.number))
                        .where(draft_revisions.c.deliverable_id == deliverable_id)
                        .group_by(draft_revisions.c.language))
    return {lang: number for lang, number in rows}


def approval_state(conn: Connection, project: Project, deliverable: Deliverable) -> dict[str, Any]:
    """Who approved, and which participating organizations are still to."""
    given = list_approvals(conn, deliverable.id)
    done = {a.organization for a in given}
    return {"approvals": [a.to_json() for a in given],
            "waiting_for": [o.slug for o in project.participants if o.slug not in done]}


def approve(conn: Connection, project: Project, deliverable: Deliverable, actor: Actor) -> Deliverable:
    """The actor's organization approves the deliverable as its drafts are now."""
    side = participant_side(project, actor)
    member = editor_member(actor, "an approval")
    if deliverable.status != Status.IN_REVIEW:
        raise Conflict(f"the deliverable is {deliverable.status.value}; approvals are given in review "
                       f"(move it to in_review first)", field="status")
    revisions = _newest_revisions(conn, deliverable.id)
    if missing := [lang for lang in deliverable.languages if lang not in revisions]:
        raise Conflict(f"the {', '.join(missing)} draft is not written yet; every language is approved together",
                       field="language")
    conn.execute(deliverable_approvals.delete().where(deliverable_approvals.c.deliverable_id == deliverable.id,
                                                      deliverable_approvals.c.organization_id == side.id))
    conn.execute(deliverable_approvals.insert().values(deliverable_id=deliverable.id, organization_id=side.id,
                                                       member_id=member.id, revisions=revisions,
                                                       approved_at=utcnow()))
    state = approval_state(conn, project, deliverable)
    record_event(conn, project.id, deliverable.id, "project.approval_given", actor,
                 {"organization": side.slug, "member": member.email, "revisions": revisions,
                  "waiting_for": state["waiting_for"]})
    if not state["waiting_for"]:
        return move(conn, project, deliverable, Status.APPROVED, "approval", actor)
    return get_deliverable(conn, project, deliverable.id)


def reset_approvals(conn: Connection, project: Project, deliverable: Deliverable, actor: Actor, reason: str) -> bool:
    """Drop every approval after a draft change; True when there were any (a notice is recorded)."""
    given = list_approvals(conn, deliverable.id)
    if not given:
        return False
    conn.execute(deliverable_approvals.delete().where(deliverable_approvals.c.deliverable_id == deliverable.id))
    record_event(conn, project.id, deliverable.id, "project.approvals_reset", actor,
                 {"reason": reason, "cleared": [a.organization for a in given]})
    if deliverable.status == Status.APPROVED:
        move(conn, project, deliverable, Status.IN_REVIEW, "edit", actor)
    return True


def change_deliverable(conn: Connection, project: Project, deliverable: Deliverable, actor: Actor,
                       data: Any) -> Deliverable:
    """Change a deliverable (``update_deliverable``); a change of its languages after an approval changes
    what is published, so it drops the approvals like a draft change does (with the notice)."""
    changed = update_deliverable(conn, project, deliverable, actor, data)
    if set(changed.languages) != set(deliverable.languages) and \
            reset_approvals(conn, project, changed, actor, f"the languages changed ({', '.join(changed.languages)})"):
        return get_deliverable(conn, project, deliverable.id)
    return changed
