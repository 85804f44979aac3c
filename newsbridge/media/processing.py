"""The derivative job: probe a stored original, make its derivatives, record them as renditions.

Queued by :func:`queue_derivatives` when a media file is stored (never done inside the upload
request), run by the job worker (``media/worker.py``). The original is copied from the blob
store to a private temporary directory (tools need a path), probed (``media/probe.py``);
a refused file marks the media ``rejected`` and ends the job ``failed`` with the reason.
Derivatives (``media/derivatives.py``) go into the blob store and become renditions
(``media/records.py``), what the job found looking for GPS in the original is recorded (``media.gps``:
``none`` or ``found``, which media/links.py offers the original by), and the media becomes ``ready``.
Running the job again (a retry after a crash half-way) does the same work again and replaces renditions
of the same name.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection, Engine

from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.errors import MediaTooLarge, MediaTypeMismatch, MediaUnreadable, MediaUnsafe
from newsbridge.media.blobs import BlobStore, blob_store, copy_to_file
from newsbridge.media.derivatives import WITHOUT_GPS, Options, location_found, make_derivatives
from newsbridge.media.jobs import Job, enqueue
from newsbridge.media.metadata import PhotoMetadata, read_photo_metadata
from newsbridge.media.probe import Probe, inspect
from newsbridge.media.provenance import read_credentials
from newsbridge.media.records import add_rendition, get_media, set_media_c2pa, set_media_gps, set_media_status
from newsbridge.media.worker import Handler, JobWorker

log = logging.getLogger(__name__)
DERIVATIVES = "media.derivatives"
REFUSED = (MediaUnreadable, MediaTypeMismatch, MediaTooLarge, MediaUnsafe)


def queue_derivatives(conn: Connection, media_id: str, now: datetime, *, keep_gps: bool = False) -> int:
    """Queue the derivative job of a media file (in the caller's transaction, with the media row)."""
    return enqueue(conn, DERIVATIVES, {"media": media_id, "keep_gps": keep_gps}, now, key=f"media:{media_id}")


def derivatives_handler(engine: Engine, store: BlobStore, settings: Settings) -> Handler:
    """The handler of ``media.derivatives`` jobs over this database and blob store."""

    def handle(job: Job) -> dict[str, Any]:
        media_id = job.payload["media"]
        with reading(engine) as conn:
            found = get_media(conn, media_id)
        if found.status == "rejected":
            return {"skipped": "the media was rejected"}
        with tempfile.TemporaryDirectory(prefix="newsbridge-media-") as work:
            original = copy_to_file(store, found.sha256, Path(work) / "original")
            try:
                probe = inspect(original, found.content_type, max_pixels=settings.media_max_pixels)
            except REFUSED:
                with writing(engine) as conn:
                    set_media_status(conn, media_id, "rejected")
                raise
            codecs = ",".join(c for c in (probe.video_codec, probe.audio_codec) if c) or None
            credentials = read_credentials(original, probe.content_type)  # C2PA, validated; None: none
            with writing(engine) as conn:
                set_media_c2pa(conn, media_id, credentials)
            if found.status == "uploaded":
                with writing(engine) as conn:
                    set_media_status(conn, media_id, "probed", content_type=probe.content_type, kind=probe.kind,
                                     width=probe.width, height=probe.height, duration=probe.duration, codecs=codecs,
                                     stream_facts=probe.facts())
            options = Options(threads=settings.media_ffmpeg_threads, keep_gps=bool(job.payload.get("keep_gps")),
                              max_pixels=settings.media_max_pixels)
            meta = read_photo_metadata(original) if probe.kind == "picture" else None
            made = make_derivatives(original, probe, Path(work) / "out", options, meta)
            gps = _gps_look(original, probe, options, meta, {d.name for d in made})
            stored = [(derivative, store.put_file(derivative.path)) for derivative in made]
        with writing(engine) as conn:
            for derivative, blob in stored:
                add_rendition(conn, media_id, derivative.name, blob, derivative.content_type,
                              width=derivative.width, height=derivative.height, duration=derivative.duration,
                              stream_facts=derivative.facts)
            set_media_gps(conn, media_id, gps)
            set_media_status(conn, media_id, "ready")
        return {"probe": probe.facts(), "renditions": {d.name: blob.sha256 for d, blob in stored},
                "c2pa": credentials["state"] if credentials else None}

    return handle


def _gps_look(original: Path, probe: Probe, options: Options, meta: PhotoMetadata | None, made: set[str]) -> str:
    """What the job found looking for GPS in the original (media.gps): a picture's EXIF/XMP GPS; a video's or
    audio's location the copy without GPS left out, or one it could not (then no copy: the original stays
    withheld from partners without ``allow_gps``, media/links.py)."""
    if meta is not None:
        return "found" if meta.gps else "none"
    if probe.kind not in ("video", "audio"):
        return "none"
    return "found" if WITHOUT_GPS in made or location_found(original, probe, options) else "none"


def media_handlers(engine: Engine, store: BlobStore, settings: Settings) -> dict[str, Handler]:
    """Every media job kind and its handler, for the workers."""
    from newsbridge.media.fetch import FETCH, fetch_handler  # fetch stores through uploads, which load us

    return {DERIVATIVES: derivatives_handler(engine, store, settings), FETCH: fetch_handler(engine, store, settings)}


UPLOAD_SWEEP_SECONDS = 300.0  # how often each media worker sweeps expired uploads and dead temporaries


def media_worker(engine: Engine, settings: Settings) -> JobWorker:
    """The media job worker ``newsbridge serve`` and ``newsbridge worker`` run beside the delivery
    worker; it also sweeps expired uploads every :data:`UPLOAD_SWEEP_SECONDS`."""
    from newsbridge.media.fetch import QUEUE_EVERY, queue_pending
    from newsbridge.media.uploads import sweep_uploads  # uploads queue jobs through this module

    store = blob_store(settings)

    def sweep() -> None:
        swept = sweep_uploads(engine, settings, store)
        if any(swept.values()):
            log.info("swept uploads", extra=swept)

    return JobWorker(engine, media_handlers(engine, store, settings), at_once=settings.media_jobs_at_once,
                     periodic=[(UPLOAD_SWEEP_SECONDS, sweep), (QUEUE_EVERY, lambda: queue_pending(engine))])
