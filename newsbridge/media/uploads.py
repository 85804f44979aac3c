"""Resumable uploads: the core of the tus 1.0 protocol, with its creation, checksum and expiration
extensions, kept by the hub itself (not ``tuspyserver``: its uploads belong to nobody and live in
its own directory, while ours belong to one organization, are recorded in the database beside
the media they become, and end in the blob store).

An upload is a row (the organization, the announced ``Upload-Length``, the bytes received so
far, the decoded ``Upload-Metadata``) and a partial file under ``NEWSBRIDGE_MEDIA_DIR/uploads``
(appending needs a local file, whatever the blob store). Each PATCH appends at the recorded
offset under an exclusive lock on the file; the offset in the database moves only after the
bytes are on disk, and a PATCH first cuts the file back to that offset, so whatever a crash or
a dropped connection left half-written is never counted. A PATCH with ``Upload-Checksum`` that
does not match leaves the offset where it was (460). When the last byte arrives the file is
sniffed (its bytes must be of the declared type), moved into the blob store (hash computed on
the way) and becomes a :class:`~newsbridge.media.records.Media` with status ``uploaded``, its
probing and derivatives queued as a job (``media/processing.py``).
Unfinished uploads expire ``NEWSBRIDGE_UPLOAD_EXPIRY_HOURS`` after their last write;
:func:`expire_uploads` deletes their rows and partial files, at each creation and in
:func:`sweep_uploads`, which the job workers run periodically.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.media_limit import LIMIT_SOURCE, media_limit_of
from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import uploads
from newsbridge.errors import (ChecksumMismatch, Conflict, InvalidInput, MediaTypeMismatch, MediaUnreadable,
                               NewsbridgeError, NotFound, PayloadTooLarge)
from newsbridge.ids import new_id, utcnow
from newsbridge.media.blobs import BlobStore, FileBlobStore, uploads_dir
from newsbridge.media.probe import SNIFF_BYTES, sniff
from newsbridge.media.processing import queue_derivatives
from newsbridge.media.records import Media, blob_in_use, create_media, get_media
from newsbridge.media.uploads_direct import DirectAppender, file_sha256

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,checksum"
CHECKSUM_ALGORITHMS = "sha256"
CHECKPOINT = 16 * 1024 * 1024  # bytes of a long PATCH made durable and recorded at a time
# A file larger than this is hashed and stored after the last PATCH is answered (``completes_later``): the
# answer waits only for its bytes to be durable. Smaller ones (most photos) are media by the answer.
INLINE_COMPLETION = 64 * 1024 * 1024
COMPLETION_WAIT = 120.0  # seconds a reference to an upload still being stored waits for it
STALE_TEMPORARY = timedelta(hours=6)  # a blob-store temporary this old belongs to a write that died


@dataclass(frozen=True)
class Upload:
    id: str
    organization_id: str
    length: int
    received: int
    filename: str | None
    content_type: str | None
    meta: dict[str, str]
    created_at: datetime
    expires_at: datetime | None
    media_id: str | None

    @property
    def finished(self) -> bool:
        return self.media_id is not None


def _upload(row: Any) -> Upload:
    return Upload(row.id, row.organization_id, row.length, row.received, row.filename, row.content_type, row.meta,
                  row.created_at, row.expires_at, row.media_id)


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus ``Upload-Metadata``: comma-separated ``key base64value`` pairs (the value may be absent)."""
    found: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        if not key or " " in encoded.strip() or key in found:
            raise InvalidInput("Upload-Metadata holds comma-separated `key base64value` pairs, each key once",
                               field="Upload-Metadata")
        try:
            found[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput(f"Upload-Metadata {key!r}: the value is not base64 of UTF-8 text",
                               field="Upload-Metadata") from None
        if "\x00" in found[key]:
            raise InvalidInput(f"Upload-Metadata {key!r} holds a NUL character", field="Upload-Metadata")
    return found


def parse_checksum(header: str | None) -> bytes | None:
    """tus ``Upload-Checksum: sha256 <base64 digest>``; None when absent."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm.lower() != "sha256":
        raise InvalidInput(f"Upload-Checksum algorithm {algorithm!r} is not supported; use sha256",
                           field="Upload-Checksum")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != 32:
        raise InvalidInput("Upload-Checksum: the sha256 digest must be 32 bytes in base64", field="Upload-Checksum")
    return digest


def partial_path(settings: Settings, upload_id: str) -> Path:
    return uploads_dir(settings) / f"{upload_id}.part"


def _expiry(settings: Settings, now: datetime) -> datetime:
    return now + timedelta(hours=settings.upload_expiry_hours)


def create_upload(engine: Engine, settings: Settings, organization_id: str, length: int,
                  meta: dict[str, str]) -> Upload:
    """A new upload of ``length`` bytes for the organization (tus creation); its partial file is empty."""
    if length <= 0:
        raise MediaUnreadable("Upload-Length is 0: the file is empty; send the media file itself",
                              field="Upload-Length")
    with reading(engine) as conn:
        limit = media_limit_of(conn, organization_id, settings.max_media_bytes)
    if length > limit:
        raise PayloadTooLarge(f"the file ({length} bytes) is larger than your organization may upload "
                              f"({limit} bytes: {LIMIT_SOURCE})", field="Upload-Length")
    expire_uploads(engine, settings)  # sweep abandoned ones as new ones come (bounded; indexed)
    upload_id, now = new_id(), utcnow()
    partial_path(settings, upload_id).touch()
    filename = (meta.get("filename") or meta.get("name") or "")[:300] or None
    content_type = (meta.get("filetype") or meta.get("contentType") or meta.get("type") or "")[:100] or None
    with writing(engine) as conn:
        conn.execute(uploads.insert().values(
            id=upload_id, organization_id=organization_id, length=length, received=0, filename=filename,
            content_type=content_type, meta=meta, created_at=now, expires_at=_expiry(settings, now)))
        return own_upload(conn, organization_id, upload_id)


def own_upload(conn: Connection, organization_id: str, upload_id: str) -> Upload:
    """The organization's upload; another organization's, an expired or an unknown one: NotFound."""
    row = conn.execute(sa.select(uploads).where(uploads.c.id == upload_id)).first()
    if row is None or row.organization_id != organization_id or (
            row.expires_at is not None and row.expires_at <= utcnow()):
        raise NotFound(f"no upload {upload_id!r}", field="id")
    return _upload(row)


def read_upload(engine: Engine, organization_id: str, upload_id: str) -> Upload:
    with reading(engine) as conn:
        return own_upload(conn, organization_id, upload_id)


class ChunkWriter:
    """Appends one PATCH's bytes to an upload's partial file, under an exclusive lock.

    The file is first cut back to the recorded offset (bytes a crash or a dropped connection left
    beyond it were never acknowledged). :meth:`finish` makes the bytes durable and checks the
    checksum; a mismatch cuts them off again. A long PATCH without a checksum is made durable every
    :data:`CHECKPOINT` bytes (:meth:`checkpoint`), so a hub killed in the middle of a one-PATCH
    upload (tus-js-client's default) resumes from its last checkpoint, not from the start. ``direct``
    (by default: a file large enough to complete later) writes past the page cache (media/uploads_direct.py).
    """

    def __init__(self, path: Path, upload: Upload, checksum: bytes | None, direct: bool | None = None) -> None:
        self.upload, self.checksum = upload, checksum
        self.began = upload.received  # where this PATCH started
        self.start = upload.received  # durable and recorded: where an abort cuts back to
        self.left = upload.length - upload.received
        self.hash = hashlib.sha256()
        # the bytes are hashed as they come when a checksum needs it, or when the whole of a small file comes
        # in this PATCH (its hash then names the blob with no second read); a large file is hashed after the
        # answer, off the request path (:func:`completes_later`)
        self.hashing = checksum is not None or (upload.received == 0 and not completes_later(upload))
        try:
            self.handle: BinaryIO = open(path, "r+b")
        except FileNotFoundError:
            raise NotFound(f"no upload {upload.id!r}", field="id") from None
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise Conflict("another PATCH of this upload is still running; wait for it, then HEAD and resume",
                           field="Upload-Offset") from None
        self.handle.truncate(self.start)
        self.handle.seek(self.start)
        self.written = 0
        self.direct: DirectAppender | None = None
        if self.left > 0 and (completes_later(upload) if direct is None else direct):  # past the page cache
            try:
                self.direct = DirectAppender(path, self.start, self.handle.fileno())
            except BaseException:
                self.handle.close()
                raise

    def write(self, data: bytes | bytearray) -> None:
        if len(data) > self.left - self.written:
            self.abort()
            raise PayloadTooLarge(f"the PATCH carries more than the {self.left} bytes left of Upload-Length "
                                  f"{self.upload.length}", field="body")
        if self.hashing:
            self.hash.update(data)
        if self.direct is not None:
            self.direct.write(data)
        else:
            self.handle.write(data)
        self.written += len(data)

    def _hand_over(self) -> None:
        """Every byte written so far to the kernel (an fsync then makes them durable)."""
        if self.direct is not None:
            self.direct.flush()
        else:
            self.handle.flush()

    def due(self) -> bool:
        """Whether enough unrecorded bytes arrived to make them durable now (never with a checksum,
        which must see the whole body before anything counts)."""
        return self.checksum is None and self.written >= CHECKPOINT

    def mark(self) -> int:
        """Close a checkpoint: what arrived so far is handed to the kernel and counted as this PATCH's
        (an abort no longer cuts it off); returns its offset. The caller makes it durable with
        :meth:`sync` (in a thread, while the next bytes arrive) and only then records the offset."""
        self._hand_over()
        self.start += self.written
        self.left -= self.written
        self.written = 0
        return self.start

    def sync(self, offset: int) -> int:
        """Make the file durable up to at least ``offset`` (a :meth:`mark`); returns it."""
        os.fdatasync(self.handle.fileno())
        return offset

    def checkpoint(self) -> int:
        """:meth:`mark` and :meth:`sync` at once; returns the offset to record."""
        return self.sync(self.mark())

    def finish(self, complete_body: bool) -> int:
        """The new offset. A body that did not arrive whole is kept (tus resumes after it) unless it
        carried a checksum, which only a whole body can match."""
        if self.checksum is not None and (not complete_body or self.hash.digest() != self.checksum):
            self.abort()
            if complete_body:
                raise ChecksumMismatch("the bytes do not match Upload-Checksum; nothing of this PATCH was kept, "
                                       f"send it again from offset {self.start}", field="Upload-Checksum")
            return self.start
        self._hand_over()
        os.fsync(self.handle.fileno())
        return self.start + self.written

    def file_sha256(self) -> str | None:
        """The SHA-256 of the whole file when this PATCH wrote all of it, from its first byte to its
        last (the hash of its bytes is then the file's: no second read to name the blob); else None."""
        if self.hashing and self.began == 0 and self.start + self.written == self.upload.length:
            return self.hash.hexdigest()
        return None

    def abort(self) -> None:
        self.handle.truncate(self.start)
        self.written = 0
        if self.direct is not None:
            self.direct.restart(self.start)

    def close(self) -> None:
        if self.direct is not None:
            self.direct.close()
            self.direct = None
        self.handle.close()  # closing releases the lock


def completes_later(upload: Upload) -> bool:
    """Whether the upload's last PATCH is answered once its bytes are durable, before the file is hashed,
    moved into the blob store and recorded as media (:func:`complete_upload`, run right after the answer):
    hashing 1 GiB costs about 0.7 s of CPU, as much again as receiving it (bench/media.py). Until then
    ``HEAD`` shows the full offset without ``Newsbridge-Media``, and a reference to the upload waits for it
    (:func:`upload_media`)."""
    return upload.length > INLINE_COMPLETION


def check_patch(upload: Upload, offset: int) -> None:
    """A PATCH must start where the hub stands (tus: 409 otherwise)."""
    if upload.finished:
        raise Conflict("this upload is finished; publish it by its id", field="Upload-Offset")
    if offset != upload.received:
        raise Conflict(f"Upload-Offset {offset} is not where this upload stands ({upload.received}); "
                       "HEAD it and resume from there", field="Upload-Offset")


def record_offset(engine: Engine, settings: Settings, upload: Upload, received: int) -> Upload:
    now = utcnow()
    with writing(engine) as conn:
        conn.execute(uploads.update().where(uploads.c.id == upload.id)
                     .values(received=received, expires_at=_expiry(settings, now)))
        return own_upload(conn, upload.organization_id, upload.id)


def sniff_file(path: Path, declared: str | None) -> tuple[str, str]:
    """(content type, kind) the file's first bytes announce; refuses an empty file, one in no format
    the hub reads, and one whose bytes are not of the declared type. The cheap check made before
    anything is stored; ``media/probe.py`` ``inspect`` reads the whole file later."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise MediaUnreadable("the file is empty (0 bytes); send the media file itself", field="file")
    found = sniff(head)
    if found is None:
        raise MediaUnreadable("the file is in no media format the hub reads (pictures, video, audio, SVG; "
                              "see docs/media.md)", field="file")
    bare = (declared or "").split(";", 1)[0].strip().lower()
    if bare and bare not in ("application/octet-stream", "binary/octet-stream") and bare not in found.family:
        raise MediaTypeMismatch(f"the file was declared as {bare} but its bytes are {found.content_type}; "
                                "send it with its real content type", field="contentType")
    kind = found.kind
    if kind == "av":  # audio or video: the streams decide when it is probed; until then the container says
        kind = "audio" if found.content_type.startswith("audio/") or bare.startswith("audio/") else "video"
    return found.content_type, kind


def store_media(engine: Engine, store: BlobStore, organization_id: str, path: Path, declared: str | None,
                filename: str | None, *, origin_url: str | None = None, adopt: bool = False,
                sha256: str | None = None) -> Media:
    """Sniff the local file, put it into the blob store and record it as the organization's media
    (``origin_url``: where the hub fetched it from, ``media/fetch.py``). With ``adopt`` (a durable file
    nobody changes any more: a finished upload) a filesystem store links it in place of a copy, under
    ``sha256`` when the caller hashed the bytes as they were written."""
    content_type, kind = sniff_file(path, declared)
    if adopt and isinstance(store, FileBlobStore):
        blob = store.adopt(path, sha256 or file_sha256(path))
    else:
        blob = store.put_file(path)
    with writing(engine) as conn:
        found = create_media(conn, organization_id, blob, content_type, kind, filename, origin_url=origin_url)
        # probing and derivatives run as a job, never in the upload request; the media stays
        # `uploaded` until the job has probed it (in the same transaction: no media without its job)
        queue_derivatives(conn, found.id, utcnow())
        return found


def complete_upload(engine: Engine, settings: Settings, store: BlobStore, upload: Upload,
                    sha256: str | None = None) -> Upload:
    """The last byte is in: the file becomes media; the upload row keeps pointing at it (no expiry).
    A refused file (wrong type) ends the upload; a store that fails leaves it whole to try again.
    ``sha256``: the file's hash when the PATCH that wrote all of it computed it on the way."""
    path = partial_path(settings, upload.id)
    try:
        found = store_media(engine, store, upload.organization_id, path, upload.content_type, upload.filename,
                            adopt=True, sha256=sha256)  # fsynced by the last PATCH, which no PATCH changes
    except (MediaUnreadable, MediaTypeMismatch):
        discard_upload(engine, settings, upload.id)
        raise
    with writing(engine) as conn:
        conn.execute(uploads.update().where(uploads.c.id == upload.id).values(media_id=found.id, expires_at=None))
        finished = own_upload(conn, upload.organization_id, upload.id)
    path.unlink(missing_ok=True)
    return finished


def complete_if_stranded(engine: Engine, settings: Settings, store: BlobStore, upload: Upload) -> Upload:
    """An upload whose bytes all arrived but whose file never reached the blob store (the store was
    down, or the hub was killed in between) is completed now: ``HEAD`` and an empty ``PATCH`` at the
    full offset retry it, so a client that resumes finds its media. Others come back unchanged."""
    if upload.finished or upload.received != upload.length:
        return upload
    try:  # the upload's lock: one completion at a time, and none while a PATCH runs
        writer = ChunkWriter(partial_path(settings, upload.id), upload, None)
    except Conflict:
        return upload
    except NotFound:  # completed meanwhile (its partial file goes once it is media), or discarded: as it is now
        return read_upload(engine, upload.organization_id, upload.id)
    try:
        fresh = read_upload(engine, upload.organization_id, upload.id)
        if fresh.finished:
            return fresh
        return complete_upload(engine, settings, store, fresh)
    finally:
        writer.close()


def discard_upload(engine: Engine, settings: Settings, upload_id: str) -> None:
    with writing(engine) as conn:
        conn.execute(uploads.delete().where(uploads.c.id == upload_id))
    partial_path(settings, upload_id).unlink(missing_ok=True)


def upload_media(engine: Engine, organization_id: str, upload_id: str, wait: float = COMPLETION_WAIT) -> Media:
    """The media a finished upload became (for ``"upload": id`` references); NotFound for another's or
    an unfinished one. An upload whose bytes have all arrived and that is being stored (a large file, just
    after its last PATCH) is waited for, up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        with reading(engine) as conn:
            upload = own_upload(conn, organization_id, upload_id)
            if upload.media_id is not None:
                return get_media(conn, upload.media_id)
        if upload.received != upload.length:
            raise InvalidInput(f"upload {upload_id} is not finished ({upload.received} of {upload.length} bytes); "
                               "finish it first", field="upload")
        if time.monotonic() >= deadline:
            raise InvalidInput(f"upload {upload_id} has all its bytes but is still being stored; HEAD it until it "
                               "names its media (Newsbridge-Media), then try again", field="upload")
        time.sleep(0.05)


def expire_uploads(engine: Engine, settings: Settings, now: datetime | None = None, limit: int = 100,
                   store: BlobStore | None = None) -> int:
    """Delete unfinished uploads past their expiry, rows and partial files; returns how many.

    An expired upload whose bytes had all arrived may have reached the blob store just before a
    crash, without its media row: with ``store`` given, its blob is deleted too unless a rendition
    names it (content addressing: the partial file's hash is the blob's name)."""
    now = now or utcnow()
    with writing(engine) as conn:
        expired = list(conn.execute(sa.select(uploads.c.id, uploads.c.received, uploads.c.length)
                                    .where(uploads.c.expires_at <= now, uploads.c.media_id.is_(None)).limit(limit)))
        if expired:
            conn.execute(uploads.delete().where(uploads.c.id.in_([row.id for row in expired])))
    for row in expired:  # after the rows: a PATCH racing the sweep finds no upload, not half a file
        path = partial_path(settings, row.id)
        if store is not None and row.received == row.length and path.exists():
            _forget_orphan_blob(engine, store, path)
        path.unlink(missing_ok=True)
    return len(expired)


def _forget_orphan_blob(engine: Engine, store: BlobStore, path: Path) -> None:
    sha256 = file_sha256(path)
    with writing(engine) as conn:  # under the write lock: no media row can name it meanwhile on SQLite
        if not blob_in_use(conn, sha256) and store.exists(sha256):
            store.delete(sha256)


def sweep_uploads(engine: Engine, settings: Settings, store: BlobStore, now: datetime | None = None) -> dict[str, int]:
    """The periodic clean-up the job workers run: expired uploads (rows, partial files, a blob no
    media row names) in batches, old partial files no unfinished upload names (a creation killed
    before its row, a finished upload killed before it removed its file), and
    blob-store temporaries older than :data:`STALE_TEMPORARY` (writes that died half-way)."""
    now = now or utcnow()
    expired = 0
    while (batch := expire_uploads(engine, settings, now, store=store)) > 0:
        expired += batch
        if batch < 100:
            break
    strays = 0
    directory = uploads_dir(settings)
    cutoff = now.timestamp() - STALE_TEMPORARY.total_seconds()
    with reading(engine) as conn:
        for path in directory.glob("*.part"):
            try:
                old = path.stat().st_mtime < cutoff
            except FileNotFoundError:
                continue
            row = conn.execute(sa.select(uploads.c.media_id).where(uploads.c.id == path.stem)).first() if old \
                else None
            if old and (row is None or row.media_id is not None):  # no upload, or one finished before a crash
                path.unlink(missing_ok=True)
                strays += 1
    temporaries = store.clear_temporaries(older_than=STALE_TEMPORARY.total_seconds(), now=now.timestamp())
    return {"expired": expired, "strays": strays, "temporaries": temporaries,
            "completed": complete_stranded(engine, settings, store)}


def complete_stranded(engine: Engine, settings: Settings, store: BlobStore, limit: int = 20) -> int:
    """Uploads whose bytes all arrived but that never became media (the hub stopped between a large file's
    last answer and its storing, or the store was down) are completed now, whether or not their client comes
    back; one a PATCH or a completion holds is left to it. Returns how many became media; a refused file
    ends its upload, a store still down leaves it for the next sweep."""
    with reading(engine) as conn:
        rows = conn.execute(sa.select(uploads).where(
            uploads.c.media_id.is_(None), uploads.c.received == uploads.c.length,
            uploads.c.expires_at > utcnow()).order_by(uploads.c.created_at).limit(limit)).all()
    completed = 0
    for row in rows:
        try:
            completed += complete_if_stranded(engine, settings, store, _upload(row)).finished
        except NewsbridgeError:
            continue
    return completed
