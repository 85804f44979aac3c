"""What a signed media URL serves: the rendition's blob and the facts its answer's headers need.

Asked at every request of ``GET /media/{rendition_id}`` (api/media_serving.py), so the common case is
one query: the rendition joined to its media. The media's owner is always entitled to it; anyone else
goes through :func:`~newsbridge.media.entitlement.entitled` (an available, not withdrawn item carrying
the media, and the agreement's media rules: one more query), never cached, so a withdrawal holds at once.
The same query says whether the hub operator suspended the asking organization: then nothing is served.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.accounts.suspension import CONTACT, OrganizationSuspended
from newsbridge.errors import NotFound
from newsbridge.media.entitlement import entitled

# text, not a Core select: this runs for every range a player asks for, and a select's cache key
# costs more than the query itself on SQLite
_LOOKUP = sa.text("SELECT r.name, r.sha256, r.size, r.content_type, m.id AS media_id, m.organization_id, m.filename, "
                  "r.width, r.height, m.kind, m.status, "
                  "EXISTS (SELECT 1 FROM organization_suspensions s WHERE s.organization_id = :viewer) AS suspended "
                  "FROM renditions r JOIN media m ON m.id = r.media_id WHERE r.id = :rendition_id")


@dataclass(frozen=True)
class Served:
    id: str
    name: str
    sha256: str
    size: int
    content_type: str
    media_id: str
    filename: str | None
    owner_id: str = ""  # the organization whose media it is


def served_rendition(conn: Connection, organization_id: str, rendition_id: str) -> Served:
    """The rendition ``organization_id`` may fetch now; NotFound otherwise (whatever the signature).
    A suspended organization's URLs stop at once, as its keys and sessions do: OrganizationSuspended
    (403), also for its own media."""
    row = conn.execute(_LOOKUP, {"rendition_id": rendition_id, "viewer": organization_id}).first()
    if row is not None and row.suspended:
        viewer = get_organization_by_id(conn, organization_id)
        raise OrganizationSuspended(CONTACT.format(name=viewer.name), field="org")
    if row is None or (row.organization_id != organization_id and not entitled(conn, organization_id, row)):
        raise NotFound(f"no media {rendition_id!r}", field="rendition")
    return Served(rendition_id, row.name, row.sha256, int(row.size), row.content_type, row.media_id, row.filename,
                  row.organization_id)
