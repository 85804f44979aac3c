"""The media a member may attach to a joint project's draft: their own organization's, newest first.

A draft names hub media (``urn:newsbridge:media:<id>``) of the saving organization only
(drafts.read_save checks it); the desk's editor offers the recent ones to tick instead of asking
for ids. Rejected files (their bytes lied about their type) are never offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import media

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
