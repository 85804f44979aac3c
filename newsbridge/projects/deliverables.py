"""Deliverables: the plan of a project, each with its assignee, due day, languages and status.

The status machine is one table, :data:`TRANSITIONS`: (from, to) -> what may cause it. Members
move a deliverable by hand (``member``); saving a draft starts work on an assigned one and sends
an approved one back to review (``edit``); the last approval makes it approved (``approval``);
only publishing makes it published (``publication``). A draft change after publication starts a
correction: the deliverable is back in review, approved by all again, and publishing it again
gives each changed item a new version (publication.py)::

    idea -> assigned -> in_progress -> in_review -> approved -> published
      (every state but published can be dropped, and none once it was published; a dropped one
       can become an idea again; a published one goes back to review by a draft change)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.project_tables import deliverable_approvals, deliverables, project_publications
from newsbridge.db.tables import members, organizations
from newsbridge.errors import Conflict, InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow
from newsbridge.projects.events import record_event
from newsbridge.projects.projects import (Actor, Project, body_object, day_field, languages_field, member_of,
                                          participant_side, text_field)
from newsbridge.accounts.organizations import get_organization_by_id

KINDS = ("article", "photo_set", "video_report", "documentary_episode", "series_part")
VIDEO_KINDS = ("video_report", "documentary_episode", "series_part")  # their drafts carry a shot list


class Status(StrEnum):
    IDEA = "idea"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    DROPPED = "dropped"


S = Status
TRANSITIONS: dict[tuple[Status, Status], frozenset[str]] = {
    (S.IDEA, S.ASSIGNED): frozenset({"member"}),
    (S.IDEA, S.DROPPED): frozenset({"member"}),
    (S.ASSIGNED, S.IN_PROGRESS): frozenset({"member", "edit"}),
    (S.ASSIGNED, S.IDEA): frozenset({"member"}),
    (S.ASSIGNED, S.DROPPED): frozenset({"member"}),
    (S.IN_PROGRESS, S.IN_REVIEW): frozenset({"member"}),
    (S.IN_PROGRESS, S.ASSIGNED): frozenset({"member"}),
    (S.IN_PROGRESS, S.DROPPED): frozenset({"member"}),
    (S.IN_REVIEW, S.APPROVED): frozenset({"approval"}),
    (S.IN_REVIEW, S.IN_PROGRESS): frozenset({"member"}),
    (S.IN_REVIEW, S.DROPPED): frozenset({"member"}),
    (S.APPROVED, S.PUBLISHED): frozenset({"publication"}),
    (S.APPROVED, S.IN_REVIEW): frozenset({"edit"}),
    (S.APPROVED, S.IN_PROGRESS): frozenset({"member"}),
    (S.APPROVED, S.DROPPED): frozenset({"member"}),
    (S.DROPPED, S.IDEA): frozenset({"member"}),
    (S.PUBLISHED, S.IN_REVIEW): frozenset({"edit"}),  # a correction, approved by all before it goes out
}
EDITABLE = (S.IDEA, S.ASSIGNED, S.IN_PROGRESS, S.IN_REVIEW, S.APPROVED, S.PUBLISHED)  # drafts can be saved
REVIEWED = (S.IN_REVIEW, S.APPROVED, S.PUBLISHED)  # where approvals count; leaving them drops the approvals


def allowed(current: Status, target: Status, cause: str) -> bool:
    return cause in TRANSITIONS.get((current, target), frozenset())


def check_transition(current: Status, target: Status, cause: str) -> None:
    """Raise Conflict unless the table lets ``cause`` move a deliverable from ``current`` to ``target``."""
    if allowed(current, target, cause):
        return
    if TRANSITIONS.get((current, target)):
        how = {"approval": "an approval from every participating organization makes it approved",
               "publication": "POST …:publish makes it published",
               "edit": "a draft change does that", "member": "a member does that"}
        causes = "; ".join(how[c] for c in sorted(TRANSITIONS[(current, target)]))
        raise Conflict(f"a deliverable does not go from {current.value} to {target.value} so: {causes}",
                       field="status")
    nexts = sorted(t.value for (f, t), causes in TRANSITIONS.items() if f == current and "member" in causes)
    raise Conflict(f"a deliverable {current.value} can go to {', '.join(nexts) or 'no other status'}, "
                   f"not to {target.value}", field="status")


@dataclass(frozen=True)
class Deliverable:
    id: str
    project_id: str
    title: str
    kind: str
    assignee: str | None  # organization slug
    assignee_member: str | None  # member e-mail
    due: date | None
    languages: tuple[str, ...]
    source_language: str
    status: Status
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None  # first published (it stays so while a correction is made)

    def overdue(self, today: date) -> bool:
        return self.due is not None and self.due < today and self.published_at is None \
            and self.status not in (S.PUBLISHED, S.DROPPED)


def _select() -> sa.Select[Any]:
    assignee, member = organizations.alias("assignee"), members.alias("assignee_member")
    first = (sa.select(project_publications.c.deliverable_id, sa.func.min(project_publications.c.published_at)
                       .label("published_at")).group_by(project_publications.c.deliverable_id).subquery("first"))
    return (sa.select(deliverables, assignee.c.slug.label("assignee_slug"), member.c.email.label("member_email"),
                      first.c.published_at.label("first_published_at"))
            .outerjoin(assignee, assignee.c.id == deliverables.c.assignee_id)
            .outerjoin(member, member.c.id == deliverables.c.assignee_member_id)
            .outerjoin(first, first.c.deliverable_id == deliverables.c.id))


def _from_row(r: sa.Row) -> Deliverable:
    return Deliverable(r.id, r.project_id, r.title, r.kind, r.assignee_slug, r.member_email, r.due,
                       tuple(r.languages), r.source_language, Status(r.status), r.created_at, r.updated_at,
                       r.first_published_at)


def get_deliverable(conn: Connection, project: Project, deliverable_id: str) -> Deliverable:
    """A deliverable of a project the caller sees (get the project first); NotFound otherwise."""
    row = conn.execute(_select().where(deliverables.c.id == deliverable_id,
                                       deliverables.c.project_id == project.id)).first()
    if row is None:
        raise NotFound(f"no deliverable {deliverable_id!r} in this project", field="id")
    return _from_row(row)


def list_deliverables(conn: Connection, project_id: str) -> list[Deliverable]:
    rows = conn.execute(_select().where(deliverables.c.project_id == project_id)
                        .order_by(deliverables.c.due.is_(None), deliverables.c.due, deliverables.c.created_at))
    return [_from_row(r) for r in rows]


def _assignment(conn: Connection, project: Project, data: Mapping[str, Any]) -> dict[str, Any]:
    """Assignee organization (a participant) and member (of that organization) from the body."""
    values: dict[str, Any] = {}
    if "assignee" in data:
        slug = data["assignee"]
        if slug is None:
            return {"assignee_id": None, "assignee_member_id": None}
        side = next((o for o in project.participants if o.slug == slug), None)
        if side is None:
            raise InvalidInput("assignee must be one of the project's participants (an organization slug)",
                               field="assignee")
        values["assignee_id"] = side.id
        org = get_organization_by_id(conn, side.id)
        member = member_of(conn, org, data.get("assignee_member"), "assignee_member")
        values["assignee_member_id"] = member.id if member else None
    elif data.get("assignee_member") is not None:
        raise InvalidInput("name the assignee organization with the member", field="assignee")
    return values


def _languages(project: Project, data: Mapping[str, Any]) -> tuple[str, ...]:
    chosen = languages_field(data) if "languages" in data else project.languages
    if outside := [lang for lang in chosen if lang not in project.languages]:
        raise InvalidInput(f"{outside[0]} is not a language of the project ({', '.join(project.languages)})",
                           field="languages")
    return chosen


def add_deliverable(conn: Connection, project: Project, actor: Actor, data: Any) -> Deliverable:
    """Plan a deliverable; with an assignee it starts ``assigned``, else as an ``idea``."""
    participant_side(project, actor)
    data = body_object(data)
    title = text_field(data, "title", required=True)
    kind = data.get("kind")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    languages = _languages(project, data)
    source = data.get("source_language", languages[0])
    if source not in languages:
        raise InvalidInput("source_language must be one of the deliverable's languages", field="source_language")
    assignment = _assignment(conn, project, data)
    now = utcnow()
    deliverable_id = new_id()
    status = S.ASSIGNED if assignment.get("assignee_id") else S.IDEA
    conn.execute(deliverables.insert().values(
        id=deliverable_id, project_id=project.id, title=title, kind=kind, due=day_field(data, "due"),
        languages=list(languages), source_language=source, status=status.value, created_at=now, updated_at=now,
        **{"assignee_id": None, "assignee_member_id": None, **assignment}))
    created = get_deliverable(conn, project, deliverable_id)
    record_event(conn, project.id, deliverable_id, "project.deliverable_added", actor,
                 {"title": title, "kind": kind, "due": created.due.isoformat() if created.due else None})
    if created.assignee:
        record_event(conn, project.id, deliverable_id, "project.assigned", actor,
                     {"assignee": created.assignee, "member": created.assignee_member})
    return created


def update_deliverable(conn: Connection, project: Project, deliverable: Deliverable, actor: Actor,
                       data: Any) -> Deliverable:
    """Change title, due day, languages or assignment; naming an assignee assigns an idea."""
    participant_side(project, actor)
    data = body_object(data)
    values: dict[str, Any] = {}
    if "title" in data:
        values["title"] = text_field(data, "title", required=True)
    if "due" in data:
        values["due"] = day_field(data, "due")
    if "languages" in data:
        values["languages"] = list(_languages(project, data))
        if deliverable.source_language not in values["languages"]:
            raise InvalidInput("the languages must keep the source language", field="languages")
    values.update(_assignment(conn, project, data))
    if not values:
        return deliverable
    conn.execute(deliverables.update().where(deliverables.c.id == deliverable.id)
                 .values(**values, updated_at=utcnow()))
    changed = get_deliverable(conn, project, deliverable.id)
    if values.get("assignee_id") and (changed.assignee, changed.assignee_member) != \
            (deliverable.assignee, deliverable.assignee_member):
        record_event(conn, project.id, deliverable.id, "project.assigned", actor,
                     {"assignee": changed.assignee, "member": changed.assignee_member})
        if changed.status == S.IDEA:
            changed = move(conn, project, changed, S.ASSIGNED, "member", actor)
    return changed


def move(conn: Connection, project: Project, deliverable: Deliverable, target: Status, cause: str,
         actor: Actor) -> Deliverable:
    """Change the status as the table allows ``cause`` to; records a ``project.status_changed`` event
    (and ``project.approval_requested`` on entering review)."""
    check_transition(deliverable.status, target, cause)
    if target == S.DROPPED and deliverable.published_at is not None:
        raise Conflict("the deliverable was published: it is not dropped (its items stay with the partners; the "
                       "lead withdraws an item if it must come down)", field="status")
    if target == S.ASSIGNED and deliverable.assignee is None:
        raise Conflict("name an assignee first (PATCH the deliverable with \"assignee\")", field="assignee")
    conn.execute(deliverables.update().where(deliverables.c.id == deliverable.id)
                 .values(status=target.value, updated_at=utcnow()))
    if target not in REVIEWED:  # back to work: the next review starts from no approvals
        conn.execute(deliverable_approvals.delete().where(deliverable_approvals.c.deliverable_id == deliverable.id))
    record_event(conn, project.id, deliverable.id, "project.status_changed", actor,
                 {"from": deliverable.status.value, "to": target.value, "cause": cause})
    if target == S.IN_REVIEW:
        record_event(conn, project.id, deliverable.id, "project.approval_requested", actor,
                     {"from": [o.slug for o in project.participants]})
    return get_deliverable(conn, project, deliverable.id)


def move_by_member(conn: Connection, project: Project, deliverable: Deliverable, actor: Actor,
                   data: Any) -> Deliverable:
    """A member's status change (``{"to": "in_review"}``)."""
    participant_side(project, actor)
    target = body_object(data).get("to")
    if target not in Status.__members__.values():
        raise InvalidInput(f"to must be one of {', '.join(s.value for s in Status)}", field="to")
    return move(conn, project, deliverable, Status(target), "member", actor)
