"""What a published picture says of itself: its embedded metadata in the item, and its GPS looked for at once.

When the API publishes an item whose renditions name hub media (``POST /api/v1/media``, ``POST /api/v1/items``
with ``{"upload": id}``: api/media.py ``publish_document``), :func:`with_file_metadata` reads the embedded
IPTC/XMP/EXIF of the picture the item (or each of its associations) carries (media/metadata.py) and fills the
ninjs fields the partner did not set: caption, creators, credit, copyright notice, keywords and place
(``PhotoMetadata.ninjs_fields``). The partner's own fields always win, field by field. The desk does not merge:
its form was prefilled from the same file (web/views/media.py), and what an editor cleared stays cleared.

The same read is the GPS look, which needs no decoder and so is done now rather than in the derivative job: a
picture that carries GPS gets its ``original-nogps`` copy (the original's bytes without the GPS tags) before
the item is stored, so when NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS ends a partner whose agreement does not allow
GPS is offered that copy (media/links.py ``offers_rendition``), not nothing. The derivative job makes the same
copy again later (same bytes, same name: the rendition is replaced). A video's or an audio file's container
tags are read by ffprobe (:data:`LOOK_SECONDS` at most; media/derivatives.py ``location_found``): the copy
without them is a stream copy the derivative job makes. What was found is recorded (``media.gps``: ``none``,
``found``): a partner without ``allow_gps`` is offered an original the hub looked in and found no GPS in,
whatever its previews' state. A file whose tags cannot be read so (unreadable, too slow, a data stream that is
not named KLV, or kept in an object store and larger than :data:`COPY_AT_PUBLISH_BYTES`, which would have to
be copied out in the request) stays unlooked: the derivative job decides.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from newsbridge.db.engine import reading, writing
from newsbridge.errors import NewsbridgeError
from newsbridge.media.blobs import BlobStore, FileBlobStore, copy_to_file
from newsbridge.media.derivatives import WITHOUT_GPS, location_found
from newsbridge.media.links import MEDIA_URN, media_ids
from newsbridge.media.metadata import PhotoMetadata, read_photo_metadata, strip_gps
from newsbridge.media.probe import SNIFF_BYTES, Probe, picture_size, sniff
from newsbridge.media.records import Media, add_rendition, get_media, list_renditions, media_by_id, set_media_gps

log = logging.getLogger(__name__)
READABLE = ("image/jpeg", "image/png", "image/tiff", "image/webp")  # pictures libexiv2 reads and writes
LOOK_SECONDS = 10.0  # ffprobe's bound on reading a video's or audio's tags at publish
COPY_AT_PUBLISH_BYTES = 64 * 1024 * 1024  # from an object store, larger originals are looked in by the job


def with_file_metadata(engine: Engine, store: BlobStore, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` (a ninjs 3.x document whose hub media the caller resolved and owns) with each picture's embedded
    metadata in the fields its object left unset: the document's own for the first picture its renditions
    name, each association's for its own; a picture carrying GPS gets its GPS-free copy on the way."""
    _look_in_sound_and_video(engine, store, doc)
    result = dict(doc)
    if doc.get("type") == "picture" and isinstance(doc.get("renditions"), list):  # no type: a text (ninjs)
        result.update(_unset(doc, _picture_metadata(engine, store, doc.get("renditions"))))
    if isinstance(doc.get("associations"), list):
        result["associations"] = [
            {**a, **_unset(a, _picture_metadata(engine, store, a.get("renditions")))}
            if isinstance(a, dict) and _is_picture(a) else a for a in doc["associations"]]
    return result


def _is_picture(association: dict[str, Any]) -> bool:
    """An association that is a picture: typed so, or untyped (it names the media; its kind decides)."""
    return association.get("type", "picture") == "picture" and isinstance(association.get("renditions"), list)


JOINED = {"infoSources": "role", "subjects": "rel"}  # lists the file adds to, unless an entry of its kind is there


def _unset(obj: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The ``fields`` the object did not set (an empty value counts as unset). The credit joins the object's
    info sources and the keywords its subjects (topics stay), unless it has a credit or keywords of its own."""
    out = {k: v for k, v in fields.items() if k not in JOINED and not obj.get(k)}
    if "descriptions" in out and obj.get("description"):
        del out["descriptions"]  # ninjs 1.x's single description, read as one
    if "by" in out and obj.get("byline"):
        del out["by"]  # ninjs 1.x's name for it
    for name, kind in JOINED.items():
        have = obj.get(name) if isinstance(obj.get(name), list) else []
        adding = fields.get(name) or []
        if adding and not any(isinstance(e, dict) and e.get(kind) == adding[0][kind] for e in have):
            out[name] = [*have, *adding]
    return out


def _picture_metadata(engine: Engine, store: BlobStore, entries: Any) -> dict[str, Any]:
    """The ninjs fields of the first hub picture ``entries`` name (empty when none, or its metadata is
    unreadable: then the derivative job's probe judges the file)."""
    for entry in entries if isinstance(entries, list) else []:
        href = entry.get("href") if isinstance(entry, dict) else None
        if not (isinstance(href, str) and href.startswith(MEDIA_URN)):
            continue
        with reading(engine) as conn:
            media = get_media(conn, href.removeprefix(MEDIA_URN))
        if media.kind != "picture" or media.status == "rejected" or media.content_type not in READABLE:
            continue
        with tempfile.TemporaryDirectory(prefix="newsbridge-publish-") as work:
            original = copy_to_file(store, media.sha256, Path(work) / "original")
            try:
                meta = read_photo_metadata(original)
            except NewsbridgeError:
                return {}
            if meta.gps:
                _gps_free_copy(engine, store, media, original, Path(work))
            if media.gps is None:
                with writing(engine) as conn:
                    set_media_gps(conn, media.id, "found" if meta.gps else "none")
        return meta.ninjs_fields()
    return {}


def _gps_free_copy(engine: Engine, store: BlobStore, media: Media, original: Path, work: Path) -> None:
    """Keep the ``original-nogps`` rendition of a picture whose original carries GPS, unless it is kept
    already (the derivative job was first). A copy libexiv2 cannot clean is not kept: the original then stays
    withheld from partners without ``allow_gps`` until the job has looked (media/links.py)."""
    with reading(engine) as conn:
        if any(r.name == WITHOUT_GPS for r in list_renditions(conn, [media.id])[media.id]):
            return
    clean = work / WITHOUT_GPS
    shutil.copyfile(original, clean)
    if not strip_gps(clean):
        return
    size = picture_size(clean)
    if size is None:  # no size, no copy: a partner's maximum resolution could not be checked against it
        return
    blob = store.put_file(clean)
    try:
        with writing(engine) as conn:
            add_rendition(conn, media.id, WITHOUT_GPS, blob, media.content_type, width=size[0], height=size[1])
    except IntegrityError:  # the derivative job kept the same copy at the same moment
        log.info("the GPS-free copy of media %s was made by its job meanwhile", media.id)


def _look_in_sound_and_video(engine: Engine, store: BlobStore, doc: dict[str, Any]) -> None:
    """Record what each video and audio the document names carries (``media.gps``), when not looked at yet."""
    ids = media_ids(doc)
    if not ids:
        return
    with reading(engine) as conn:
        named = media_by_id(conn, ids)
    for media in sorted(named.values(), key=lambda m: m.id):
        if media.kind not in ("video", "audio") or media.gps is not None or media.status == "rejected":
            continue
        with tempfile.TemporaryDirectory(prefix="newsbridge-publish-") as work:
            found = _location(store, media, Path(work))
        if found is not None:
            with writing(engine) as conn:
                set_media_gps(conn, media.id, "found" if found else "none")


def _location(store: BlobStore, media: Media, work: Path) -> bool | None:
    """Whether the media's original carries a location, by its container's tags; None: not known so."""
    if isinstance(store, FileBlobStore):
        original = store.path(media.sha256)  # read where it is kept: ffprobe reads the tags, not the file
    elif media.size > COPY_AT_PUBLISH_BYTES:
        return None  # an object store has no file to read in place: copying a large one is the job's work
    else:
        original = copy_to_file(store, media.sha256, work / "original")
    with original.open("rb") as handle:
        sniffed = sniff(handle.read(SNIFF_BYTES))
    if sniffed is None or sniffed.demuxer is None:
        return None
    probe = Probe(media.kind, sniffed.content_type, sniffed.demuxer, media.size, duration=media.duration,
                  demuxer=sniffed.demuxer)
    try:
        return location_found(original, probe, scan_data=False, timeout=LOOK_SECONDS)
    except NewsbridgeError:
        return None  # unreadable so, or too slow: the derivative job's probe judges the file
