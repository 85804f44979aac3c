"""The media a member may attach to a joint project's draft: their own organization's, newest first.

A draft names hub media (``urn:newsbridge:media:<id>``) of the saving organization only
(drafts.read_save checks it); the desk's editor offers the recent ones to tick instead of asking
for ids, and attaches what a member drops on it as soon as the upload is finished
(:func:`attach_upload`). Rejected files (their bytes lied about their type) are never offered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import Organization
from newsbridge.db.engine import writing
from newsbridge.db.tables import media
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.media.links import resolve_uploads
from newsbridge.projects.deliverables import get_deliverable
from newsbridge.projects.drafts import DraftContent, DraftSave, Revision, get_revision, latest_revision, save_draft
from newsbridge.projects.projects import Actor, get_project

RECENT = 20


@dataclass(frozen=True)
class Attachable:
    id: str
    kind: str  # picture, video, audio, graphic
    filename: str | None
    content_type: str
    status: str  # uploaded, probed, ready
    created_at: datetime


def recent_media(conn: Connection, organization: Organization, limit: int = RECENT) -> list[Attachable]:
    rows = conn.execute(sa.select(media.c.id, media.c.kind, media.c.filename, media.c.content_type, media.c.status,
                                  media.c.created_at)
                        .where(media.c.organization_id == organization.id, media.c.status != "rejected")
                        .order_by(media.c.created_at.desc(), media.c.id.desc()).limit(limit))
    return [Attachable(*r) for r in rows]


def attach_upload(engine: Engine, project_id: str, deliverable_id: str, language: str, actor: Actor, upload_id: str,
                  base_revision: int) -> tuple[Revision, bool]:
    """Add a finished upload of the actor's organization to a draft's media: a new revision with the
    text of ``base_revision`` and one more medium (the editor's drop zone calls it once the bytes are
    in). The same optimistic locking as any save: when someone saved since ``base_revision`` nothing
    is stored and :class:`~newsbridge.errors.DraftConflict` tells who and when (the editor then keeps
    the medium ticked for the member's own save, whose conflict view merges). Returns the revision
    and whether approvals were reset; an upload already attached makes no revision."""
    try:  # outside the write transaction: the upload is looked up (and made media) first
        resolved, _ids = resolve_uploads(engine, actor.organization, {"renditions": [{"upload": upload_id}]})
    except NotFound as exc:
        raise InvalidInput(f"{exc.message}: attach finished uploads of your own organization", field="upload") from None
    with writing(engine) as conn:
        project = get_project(conn, actor.organization, project_id, for_update=True)
        deliverable = get_deliverable(conn, project, deliverable_id)
        current = latest_revision(conn, deliverable.id, language)
        base = DraftContent()  # a base that does not exist: save_draft says what is wrong
        if current is not None and 0 < base_revision <= current.number:  # a stale one: the conflict shows it
            base = get_revision(conn, deliverable, language, base_revision).content
        known = {m.get("href") for m in base.media}
        added = tuple(m for m in resolved["renditions"] if m.get("href") not in known)
        return save_draft(conn, project, deliverable, language, actor,
                          DraftSave(replace(base, media=base.media + added), base_revision))
