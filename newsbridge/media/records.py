"""Media records: what the hub knows about each uploaded file and its renditions.

A :class:`Media` is one file an organization uploaded, kept in the blob store by SHA-256 (its
``original`` rendition, never altered). Probing (``media/probe.py``) fills in width, height,
duration and codecs and moves its status on; derivative jobs add renditions (``preview``,
``thumbnail``, ``proxy``...) through :func:`add_rendition`. Items carry media by naming it in
their ninjs renditions (``media/links.py``), and :func:`link_item` records which of the
organization's items (by uri) do, so serving a rendition can check that the reader may see one.

Status moves one way: ``uploaded`` (bytes stored, type sniffed from the magic bytes) →
``probed`` (a decoder read it) → ``ready`` (derivatives made); any of the first two may end in
``rejected`` (the probe refused it). :data:`TRANSITIONS` is the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import item_media, media, renditions
from newsbridge.errors import Conflict, NotFound
from newsbridge.ids import new_id, utcnow
from newsbridge.media.blobs import Blob

STATUSES = ("uploaded", "probed", "ready", "rejected")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "uploaded": ("probed", "ready", "rejected"),
    "probed": ("ready", "rejected"),
    "ready": ("ready",),  # derivatives made again (a new preview size)
    "rejected": (),
}
KINDS = ("picture", "video", "audio", "graphic")
GPS_LOOKS = ("none", "found")  # what the hub found when it looked for GPS in an original (media.gps)


@dataclass(frozen=True)
class Rendition:
    id: str
    media_id: str
    name: str
    sha256: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    duration: float | None
    created_at: datetime
    frame_rate: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    audio_channels: int | None = None


RENDITION_FACTS = ("frame_rate", "video_codec", "audio_codec", "audio_channels")  # what a probe adds


@dataclass(frozen=True)
class Media:
    id: str
    organization_id: str
    sha256: str
    content_type: str
    size: int
    filename: str | None
    kind: str
    width: int | None
    height: int | None
    duration: float | None
    codecs: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    c2pa: dict[str, Any] | None = None  # C2PA credentials read from the original (media/provenance.py)
    origin_url: str | None = None  # fetched from this URL (media/fetch.py)
    gps: str | None = None  # the hub's GPS look at the original: None not yet, "none", "found" (GPS_LOOKS)


def _media(row: Any) -> Media:
    return Media(row.id, row.organization_id, row.sha256, row.content_type, row.size, row.filename, row.kind,
                 row.width, row.height, row.duration, row.codecs, row.status, row.created_at, row.updated_at,
                 row.c2pa, row.origin_url, row.gps)


def _rendition(row: Any) -> Rendition:
    return Rendition(row.id, row.media_id, row.name, row.sha256, row.content_type, row.size, row.width, row.height,
                     row.duration, row.created_at, row.frame_rate, row.video_codec, row.audio_codec,
                     row.audio_channels)


def create_media(conn: Connection, organization_id: str, blob: Blob, content_type: str, kind: str,
                 filename: str | None = None, *, origin_url: str | None = None) -> Media:
    """A media row for a blob already in the store, with its ``original`` rendition; status ``uploaded``
    (``origin_url``: the remote URL it was fetched from)."""
    if kind not in KINDS:
        raise ValueError(f"unknown media kind {kind!r}")
    media_id, now = new_id(), utcnow()
    conn.execute(media.insert().values(
        id=media_id, organization_id=organization_id, sha256=blob.sha256, content_type=content_type, size=blob.size,
        filename=filename, kind=kind, status="uploaded", created_at=now, updated_at=now, origin_url=origin_url))
    add_rendition(conn, media_id, "original", blob, content_type)
    return get_media(conn, media_id)


def get_media(conn: Connection, media_id: str) -> Media:
    """Any media by id (workers, serving); NotFound when there is none. Callers that answer an
    organization use :func:`own_media`."""
    row = conn.execute(sa.select(media).where(media.c.id == media_id)).first()
    if row is None:
        raise NotFound(f"no media {media_id!r}", field="media")
    return _media(row)


def media_by_id(conn: Connection, media_ids: Iterable[str]) -> dict[str, Media]:
    """The media of these ids that exist, in one query (a feed page's worth)."""
    ids = sorted(set(media_ids))
    if not ids:
        return {}
    return {row.id: _media(row) for row in conn.execute(sa.select(media).where(media.c.id.in_(ids)))}


def own_media(conn: Connection, organization_id: str, media_id: str) -> Media:
    """The organization's own media; another's is answered like one that does not exist."""
    found = get_media(conn, media_id)
    if found.organization_id != organization_id:
        raise NotFound(f"no media {media_id!r}", field="media")
    return found


def set_media_status(conn: Connection, media_id: str, status: str, *, content_type: str | None = None,
                     kind: str | None = None, width: int | None = None, height: int | None = None,
                     duration: float | None = None, codecs: str | None = None,
                     stream_facts: dict[str, Any] | None = None) -> Media:
    """Move the media along :data:`TRANSITIONS`, recording what the probe found (None: unchanged).
    The probe's ``kind`` replaces the one sniffed from the container (an MP4 holding only sound is
    audio). The ``original`` rendition takes the same facts, and ``stream_facts`` (frame rate, codecs,
    channels: :data:`RENDITION_FACTS`)."""
    current = get_media(conn, media_id)
    if status not in TRANSITIONS[current.status]:
        raise Conflict(f"media {media_id} is {current.status}; it cannot become {status}", field="status")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown media kind {kind!r}")
    facts = {k: v for k, v in {"content_type": content_type, "kind": kind, "width": width, "height": height,
                               "duration": duration, "codecs": codecs}.items() if v is not None}
    conn.execute(media.update().where(media.c.id == media_id).values(status=status, updated_at=utcnow(), **facts))
    original = {k: v for k, v in facts.items() if k not in ("codecs", "kind")}
    original.update({k: v for k, v in (stream_facts or {}).items() if k in RENDITION_FACTS and v is not None})
    if original:
        conn.execute(renditions.update().where(renditions.c.media_id == media_id, renditions.c.name == "original")
                     .values(**original))
    return get_media(conn, media_id)


def set_media_c2pa(conn: Connection, media_id: str, credentials: dict[str, Any] | None) -> None:
    """Keep what was read of the original's C2PA credentials (None: it carries none)."""
    conn.execute(media.update().where(media.c.id == media_id).values(c2pa=credentials, updated_at=utcnow()))


def set_media_gps(conn: Connection, media_id: str, found: str) -> None:
    """Record what the hub found looking for GPS in the media's original (:data:`GPS_LOOKS`): at publish
    (media/embedded.py) and by the derivative job, whichever looks first; a later look says the same."""
    if found not in GPS_LOOKS:
        raise ValueError(f"unknown GPS look {found!r}")
    conn.execute(media.update().where(media.c.id == media_id).values(gps=found, updated_at=utcnow()))


def provenance(conn: Connection, media_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """Each media's stored C2PA credentials (None: none), by id."""
    ids = sorted(set(media_ids))
    if not ids:
        return {}
    return {row.id: row.c2pa for row in conn.execute(sa.select(media.c.id, media.c.c2pa).where(media.c.id.in_(ids)))}


def add_rendition(conn: Connection, media_id: str, name: str, blob: Blob, content_type: str, *,
                  width: int | None = None, height: int | None = None, duration: float | None = None,
                  stream_facts: dict[str, Any] | None = None) -> Rendition:
    """Record a rendition of the media whose bytes are ``blob`` (already in the store). A rendition of
    the same name is replaced (a derivative made again); the ``original`` never is. ``stream_facts``:
    its frame rate, codecs and channels (:data:`RENDITION_FACTS`; other keys are ignored)."""
    existing = conn.execute(sa.select(renditions.c.id).where(renditions.c.media_id == media_id,
                                                             renditions.c.name == name)).scalar_one_or_none()
    values = dict(sha256=blob.sha256, content_type=content_type, size=blob.size, width=width, height=height,
                  duration=duration, **{k: (stream_facts or {}).get(k) for k in RENDITION_FACTS})
    if existing is not None:
        if name == "original":
            raise Conflict(f"media {media_id} has its original already; it is never replaced", field="name")
        conn.execute(renditions.update().where(renditions.c.id == existing).values(**values))
        rendition_id = existing
    else:
        rendition_id = new_id()
        conn.execute(renditions.insert().values(id=rendition_id, media_id=media_id, name=name, created_at=utcnow(),
                                                **values))
    return get_rendition(conn, rendition_id)


def get_rendition(conn: Connection, rendition_id: str) -> Rendition:
    row = conn.execute(sa.select(renditions).where(renditions.c.id == rendition_id)).first()
    if row is None:
        raise NotFound(f"no media {rendition_id!r}", field="rendition")
    return _rendition(row)


def list_renditions(conn: Connection, media_ids: Iterable[str]) -> dict[str, list[Rendition]]:
    """Each media's renditions, the original first, then by name."""
    ids = sorted(set(media_ids))
    found: dict[str, list[Rendition]] = {m: [] for m in ids}
    if not ids:
        return found
    for row in conn.execute(sa.select(renditions).where(renditions.c.media_id.in_(ids))
                            .order_by(renditions.c.media_id, renditions.c.name != "original", renditions.c.name)):
        found[row.media_id].append(_rendition(row))
    return found


def link_item(conn: Connection, organization_id: str, item_uri: str, media_ids: Iterable[str]) -> None:
    """Record that the organization's item ``item_uri`` carries these media (idempotent)."""
    have = set(conn.execute(sa.select(item_media.c.media_id).where(
        item_media.c.organization_id == organization_id, item_media.c.item_uri == item_uri)).scalars())
    for media_id in sorted(set(media_ids) - have):
        conn.execute(item_media.insert().values(organization_id=organization_id, item_uri=item_uri,
                                                media_id=media_id))


def items_carrying(conn: Connection, media_id: str) -> list[tuple[str, str]]:
    """(organization id, item uri) of every item that was published with the media."""
    rows = conn.execute(sa.select(item_media.c.organization_id, item_media.c.item_uri)
                        .where(item_media.c.media_id == media_id))
    return [(r.organization_id, r.item_uri) for r in rows]


def blob_in_use(conn: Connection, sha256: str) -> bool:
    """Whether any rendition names the blob (a blob is deleted only when none does)."""
    return conn.execute(sa.select(renditions.c.id).where(renditions.c.sha256 == sha256).limit(1)).first() is not None
