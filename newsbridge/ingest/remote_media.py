"""Remote media of ingested items: what a source set to fetch media hands over to the media worker.

An item read from a feed, a NewsML-G2 or a ninjs document may name its pictures, video or audio by
URL (ninjs ``renditions``, NewsML-G2 ``remoteContent``, RSS enclosures and Media RSS, JSON Feed
attachments). Kept as links, every recipient would fetch them from the source's server, which may
be private, slow, or gone tomorrow. When the source has ``fetch_media`` on, each such URL of a
newly stored version is recorded in ``media_fetches`` as ``pending``; the media worker
(``media/fetch.py``) downloads it through the SSRF guard, keeps the hub's copy and rewrites the
rendition to it. Ingest only records the wish: it never downloads anything itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.media_tables import media_fetches
from newsbridge.db.tables import item_versions
from newsbridge.ids import utcnow

MAX_PER_ITEM = 20  # renditions fetched per item: a feed entry naming hundreds of files is not a report


def remote_renditions(document: dict[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """(name, URL, declared content type) of each http(s) rendition of a ninjs 3.x document, its own
    and its associations' (the hub's own ``urn:newsbridge:media:`` references are not remote)."""
    lists = [document.get("renditions")]
    lists += [a.get("renditions") for a in document.get("associations") or [] if isinstance(a, dict)]
    seen: set[str] = set()
    for entries in lists:
        for entry in entries if isinstance(entries, list) else []:
            href = entry.get("href") if isinstance(entry, dict) else None
            if not isinstance(href, str) or not href.lower().startswith(("http://", "https://")) or href in seen \
                    or len(href) > 2000:
                continue
            seen.add(href)
            content_type = entry.get("contentType") if isinstance(entry.get("contentType"), str) else None
            yield str(entry.get("name") or "original")[:64], href, (content_type or None) and content_type[:100]


def record_remote_media(conn: Connection, organization_id: str, versions: Iterable[tuple[str, int]]) -> int:
    """Record as pending the remote renditions of the stored versions ``(item id, version)`` (once per
    item and URL); returns how many were new."""
    added = 0
    for item_id, version in versions:
        document = conn.execute(sa.select(item_versions.c.document).where(
            item_versions.c.item_id == item_id, item_versions.c.version == version)).scalar_one_or_none()
        if not isinstance(document, dict) or not isinstance(document.get("uri"), str):
            continue
        uri = document["uri"]
        known = set(conn.execute(sa.select(media_fetches.c.url).where(
            media_fetches.c.organization_id == organization_id, media_fetches.c.item_uri == uri)).scalars())
        now = utcnow()
        for name, url, content_type in list(remote_renditions(document))[:MAX_PER_ITEM]:
            if url in known:
                continue
            conn.execute(media_fetches.insert().values(
                organization_id=organization_id, item_uri=uri, url=url, name=name, content_type=content_type,
                state="pending", created_at=now, updated_at=now))
            known.add(url)
            added += 1
    return added
