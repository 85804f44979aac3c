"""Comments on a draft revision: threaded (a reply names its parent), resolvable, with ``@member`` mentions.

A mention is ``@`` and a member's e-mail (``@aigerim@kazinform.kz``) or the part of it before the
``@`` when that names one member of the project's organizations (``@aigerim``). Each mentioned
member is recorded with the comment and told by a ``project.mention`` event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.project_tables import draft_comments
from newsbridge.db.tables import members, organizations
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow
from newsbridge.projects.deliverables import Deliverable
from newsbridge.projects.drafts import get_revision
from newsbridge.projects.events import record_event
from newsbridge.projects.projects import Actor, Project, body_object, participant_side, text_field

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


@dataclass
class Comment:
    id: str
    language: str
    revision: int
    parent_id: str | None
    body: str
    mentions: list[str]  # e-mails
    organization: str
    author: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    replies: list[Comment] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "language": self.language, "revision": self.revision, "parent": self.parent_id,
                "body": self.body, "mentions": self.mentions, "organization": self.organization,
                "author": self.author, "created_at": self.created_at.isoformat(),
                "resolved": self.resolved_at is not None,
                "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
                "resolved_by": self.resolved_by, "replies": [r.to_json() for r in self.replies]}


def find_mentions(conn: Connection, project: Project, text: str) -> list[tuple[str, str]]:
    """(member id, e-mail) of each member of the project's organizations the text mentions, in order."""
    names = [m.group(1).rstrip(".").lower() for m in MENTION.finditer(text)]
    if not names:
        return []
    org_ids = [o.id for o in project.organizations]
    people = conn.execute(sa.select(members.c.id, members.c.email)
                          .join(organizations, organizations.c.id == members.c.organization_id)
                          .where(sa.or_(members.c.organization_id.in_(org_ids),
                                        organizations.c.parent_id.in_(org_ids)))).all()
    by_email = {p.email: p.id for p in people}
    by_local: dict[str, list[str]] = {}
    for p in people:
        by_local.setdefault(p.email.split("@")[0], []).append(p.email)
    found: dict[str, str] = {}
    for name in names:
        email = name if "@" in name else (by_local.get(name, [None])[0] if len(by_local.get(name, [])) == 1 else None)
        if email in by_email:
            found.setdefault(email, by_email[email])
    return [(member_id, email) for email, member_id in found.items()]


def _comments(conn: Connection, deliverable_id: str) -> list[Comment]:
    rows = conn.execute(sa.select(draft_comments, organizations.c.slug)
                        .join(organizations, organizations.c.id == draft_comments.c.organization_id)
                        .where(draft_comments.c.deliverable_id == deliverable_id)
                        .order_by(draft_comments.c.created_at, draft_comments.c.id)).all()
    named = {m for r in rows for m in r.mentions}
    emails = {r.id: r.email for r in conn.execute(sa.select(members.c.id, members.c.email)
                                                  .where(members.c.id.in_(named)))} if named else {}
    return [Comment(r.id, r.language, r.revision, r.parent_id, r.body, [emails.get(m, "") for m in r.mentions],
                    r.slug, r.author, r.created_at, r.resolved_at, r.resolved_by) for r in rows]


def list_comments(conn: Connection, deliverable: Deliverable, language: str | None = None) -> list[Comment]:
    """The deliverable's comment threads (replies nested under their parent), oldest first."""
    flat = [c for c in _comments(conn, deliverable.id) if language is None or c.language == language]
    by_id = {c.id: c for c in flat}
    threads = []
    for c in flat:
        if c.parent_id in by_id:
            by_id[c.parent_id].replies.append(c)
        else:
            threads.append(c)
    return threads


def _get(conn: Connection, deliverable: Deliverable, comment_id: str) -> sa.Row:
    row = conn.execute(sa.select(draft_comments).where(draft_comments.c.id == comment_id,
                                                       draft_comments.c.deliverable_id == deliverable.id)).first()
    if row is None:
        raise NotFound(f"no comment {comment_id!r} on this deliverable", field="id")
    return row


def add_comment(conn: Connection, project: Project, deliverable: Deliverable, language: str, revision: int,
                actor: Actor, data: Any) -> Comment:
    """A comment on revision ``revision`` of the ``language`` draft; ``parent`` makes it a reply."""
    participant_side(project, actor)
    get_revision(conn, deliverable, language, revision)
    data = body_object(data)
    text = text_field(data, "body", required=True, limit=10_000)
    parent = data.get("parent")
    if parent is not None:
        if not isinstance(parent, str):
            raise InvalidInput("parent is the id of the comment you answer", field="parent")
        try:
            _get(conn, deliverable, parent)
        except NotFound:
            raise InvalidInput(f"no comment {parent!r} on this deliverable to answer", field="parent") from None
    mentioned = find_mentions(conn, project, text)
    comment_id = new_id()
    conn.execute(draft_comments.insert().values(
        id=comment_id, deliverable_id=deliverable.id, language=language, revision=revision, parent_id=parent,
        body=text, mentions=[m for m, _ in mentioned], organization_id=actor.organization.id,
        member_id=actor.member.id if actor.member else None, author=actor.label, created_at=utcnow()))
    record_event(conn, project.id, deliverable.id, "project.comment", actor,
                 {"comment": comment_id, "language": language, "revision": revision, "parent": parent,
                  "excerpt": text[:200]})
    for _member_id, email in mentioned:
        record_event(conn, project.id, deliverable.id, "project.mention", actor,
                     {"comment": comment_id, "member": email, "language": language, "excerpt": text[:200]})
    return next(c for c in _comments(conn, deliverable.id) if c.id == comment_id)


def resolve_comment(conn: Connection, project: Project, deliverable: Deliverable, comment_id: str,
                    actor: Actor, resolved: bool = True) -> Comment:
    """Mark a comment (a thread, when it starts one) resolved, or open it again."""
    participant_side(project, actor)
    _get(conn, deliverable, comment_id)
    conn.execute(draft_comments.update().where(draft_comments.c.id == comment_id).values(
        resolved_at=utcnow() if resolved else None, resolved_by=actor.label if resolved else None))
    if resolved:
        record_event(conn, project.id, deliverable.id, "project.comment_resolved", actor, {"comment": comment_id})
    return next(c for c in _comments(conn, deliverable.id) if c.id == comment_id)
