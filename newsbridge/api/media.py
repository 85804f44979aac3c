"""Media routes: tus uploads (``/api/v1/uploads``), multipart media publishing (``/api/v1/media``)
and, from ``api/media_serving.py``, the signed rendition URLs partners fetch (``/media/{rendition_id}``).

Uploads are authenticated with an API key of the ``publish`` scope or a desk session (an editor's,
with the session's CSRF token in ``X-CSRF-Token`` on writes); an upload belongs to the caller's
organization and every other caller gets 404 for it. Bodies are read chunk by chunk and written
off the event loop; nothing holds a file in memory.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import tempfile
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from newsbridge.accounts.media_limit import LIMIT_SOURCE, media_limit
from newsbridge.accounts.members import Role
from newsbridge.accounts.organizations import Organization, get_organization_by_id
from newsbridge.accounts.sessions import find_session
from newsbridge.api import media_serving as serving
from newsbridge.api.deps import Hub, authorize, bearer, hub, limit_key
from newsbridge.db.engine import reading
from newsbridge.errors import (Forbidden, InvalidInput, MediaTypeMismatch, MediaUnreadable, NewsbridgeError,
                               PayloadTooLarge, TusVersionUnsupported, Unauthenticated)
from newsbridge.formats.errors import FormatError
from newsbridge.formats.json_safety import load_json
from newsbridge.items.queries import get_item
from newsbridge.items.render import render
from newsbridge.items.warnings import version_warnings
from newsbridge.media import uploads as tus
from newsbridge.media.blobs import blob_store
from newsbridge.media.embedded import with_file_metadata
from newsbridge.media.links import MEDIA_URN, link_media, resolve_uploads, with_media
from newsbridge.media.records import Media
from newsbridge.media.uploads_stream import BodySink

router = APIRouter(tags=["media"])
log = logging.getLogger(__name__)
SESSION_COOKIE = "nb_session"  # web/context.py COOKIE
WRITE_CHUNK = 1024 * 1024


def _tus_headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": tus.TUS_VERSION, "Cache-Control": "no-store", **extra}


def _expires(upload: tus.Upload) -> dict[str, str]:
    return {"Upload-Expires": format_datetime(upload.expires_at, usegmt=True)} if upload.expires_at else {}


def _uploader(the_hub: Hub, request: Request, credentials: HTTPAuthorizationCredentials | None) -> Organization:
    """The organization uploading: an API key with the publish scope, or an editor's desk session
    (writes must carry the session's CSRF token: a page of another site cannot upload as the member)."""
    with reading(the_hub.engine) as conn:
        token = request.cookies.get(SESSION_COOKIE)
        if credentials is None and token:
            session = find_session(conn, token)
            if session is None:
                raise Unauthenticated("your desk session ended; sign in again", field="session")
            if session.member.role == Role.VIEWER:
                raise Forbidden("a viewer may not upload; ask an admin for the editor role", field="role")
            if request.method not in ("GET", "HEAD", "OPTIONS") and not hmac.compare_digest(
                    request.headers.get("x-csrf-token", ""), session.csrf_token):
                raise Forbidden("send the page's CSRF token in X-CSRF-Token", field="X-CSRF-Token")
            return get_organization_by_id(conn, session.member.organization_id)
        principal = authorize(conn, credentials, "publish", request.client.host if request.client else None)
    if request.method == "POST":  # a new upload counts against the key's publishing limit; its PATCHes do not
        limit_key(the_hub, principal)
    return principal.organization


def _check_version(request: Request) -> None:
    if request.headers.get("tus-resumable") != tus.TUS_VERSION:
        raise TusVersionUnsupported(f"send Tus-Resumable: {tus.TUS_VERSION} (the only version this hub speaks)",
                                    field="Tus-Resumable")


def _length(request: Request, name: str) -> int:
    raw = request.headers.get(name)
    if raw is None or not raw.isdigit():
        raise InvalidInput(f"{name} must be a whole number of bytes", field=name)
    return int(raw)


@router.options("/api/v1/uploads", summary="tus: what this server supports", status_code=204)
def upload_options(the_hub: Hub = Depends(hub)) -> Response:
    return Response(status_code=204, headers=_tus_headers(
        **{"Tus-Version": tus.TUS_VERSION, "Tus-Extension": tus.TUS_EXTENSIONS,
           "Tus-Max-Size": str(the_hub.settings.max_media_bytes),
           "Tus-Checksum-Algorithm": tus.CHECKSUM_ALGORITHMS}))


@router.post("/api/v1/uploads", status_code=201, summary="tus: create an upload")
def create_upload(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                  the_hub: Hub = Depends(hub)) -> Response:
    """tus creation: `Upload-Length` (bytes, ≤ the organization's media limit: NEWSBRIDGE_MAX_MEDIA_BYTES unless the
    hub operator set one of its own) and optional `Upload-Metadata`
    (`filename`, `filetype` base64-encoded). Answers 201 with `Location` to PATCH the bytes to."""
    org = _uploader(the_hub, request, credentials)
    _check_version(request)
    if "upload-defer-length" in request.headers:
        raise InvalidInput("Upload-Defer-Length is not supported; send Upload-Length", field="Upload-Defer-Length")
    length = _length(request, "upload-length")
    meta = tus.parse_metadata(request.headers.get("upload-metadata"))
    upload = tus.create_upload(the_hub.engine, the_hub.settings, org.id, length, meta)
    return Response(status_code=201, headers=_tus_headers(Location=f"/api/v1/uploads/{upload.id}",
                                                          **_expires(upload)))


@router.head("/api/v1/uploads/{upload_id}", summary="tus: where an upload stands")
def upload_offset(upload_id: str, request: Request,
                  credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                  the_hub: Hub = Depends(hub)) -> Response:
    org = _uploader(the_hub, request, credentials)
    _check_version(request)
    upload = tus.read_upload(the_hub.engine, org.id, upload_id)
    # every byte arrived but the file never reached the store (it was down, or the hub was killed
    # in between): finish it now, so the client that resumes finds its media (503 while still down)
    upload = tus.complete_if_stranded(the_hub.engine, the_hub.settings, blob_store(the_hub.settings), upload)
    headers = _tus_headers(**{"Upload-Offset": str(upload.received), "Upload-Length": str(upload.length)},
                           **_expires(upload))
    if upload.media_id:
        headers["Newsbridge-Media"] = upload.media_id
    return Response(status_code=200, headers=headers)


@router.patch("/api/v1/uploads/{upload_id}", status_code=204, summary="tus: append bytes to an upload")
async def upload_patch(upload_id: str, request: Request,
                       credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                       the_hub: Hub = Depends(hub)) -> Response:
    """Append the body at `Upload-Offset` (which must be where the upload stands: HEAD tells).
    `Content-Type: application/offset+octet-stream`; optional `Upload-Checksum: sha256 <base64>`
    (a mismatch answers 460 and keeps nothing). The last byte turns the upload into media."""
    org = await run_in_threadpool(_uploader, the_hub, request, credentials)
    _check_version(request)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/offset+octet-stream":
        raise NewsbridgeError("send the bytes as Content-Type: application/offset+octet-stream",
                              field="Content-Type", code="unknown_format")
    offset = _length(request, "upload-offset")
    checksum = tus.parse_checksum(request.headers.get("upload-checksum"))
    writer = await run_in_threadpool(_begin_patch, the_hub, org, upload_id, offset, checksum)
    # the body's chunks go to a thread of the PATCH's own as they arrive: hashing and writing the last
    # ones overlap receiving the next (media/uploads_stream.py); its checkpoints sync and record meanwhile
    sink = BodySink(writer, partial(_checkpoint, the_hub, writer))
    try:
        whole, later = True, False
        try:
            async for chunk in request.stream():
                await sink.put(chunk)
        except ClientDisconnect:
            whole = False  # keep what arrived (unless a checksum needs it whole): the client resumes after it
        await sink.close()
        received = await run_in_threadpool(writer.finish, whole)
        upload = await run_in_threadpool(tus.record_offset, the_hub.engine, the_hub.settings, writer.upload, received)
        if upload.received == upload.length and tus.completes_later(upload):
            # durable and recorded: answered now, hashed and stored beside the answer, still under the
            # upload's lock (which the completion releases); a wrong type is refused in this answer still
            await run_in_threadpool(_sniff_or_discard, the_hub, upload)
            later = True
        elif upload.received == upload.length:
            upload = await run_in_threadpool(tus.complete_upload, the_hub.engine, the_hub.settings,
                                             blob_store(the_hub.settings), upload, writer.file_sha256())
    finally:
        await sink.ended()  # the file stays open (and locked) until the writer and its last sync end
        if not later:
            writer.close()
    if later:  # a task, not a response background: it runs even when the client has gone
        task = asyncio.ensure_future(run_in_threadpool(_complete_later, the_hub, writer, upload))
        _COMPLETING.add(task)
        task.add_done_callback(_COMPLETING.discard)
    headers = _tus_headers(**{"Upload-Offset": str(upload.received)}, **_expires(upload))
    if upload.media_id:
        headers["Newsbridge-Media"] = upload.media_id
    return Response(status_code=204, headers=headers)


_COMPLETING: set[asyncio.Future[None]] = set()  # completions running beside their answers (kept from the GC)


def _sniff_or_discard(the_hub: Hub, upload: tus.Upload) -> None:
    try:
        tus.sniff_file(tus.partial_path(the_hub.settings, upload.id), upload.content_type)
    except (MediaUnreadable, MediaTypeMismatch):
        tus.discard_upload(the_hub.engine, the_hub.settings, upload.id)
        raise


def _complete_later(the_hub: Hub, writer: tus.ChunkWriter, upload: tus.Upload) -> None:
    """A large upload's last bytes are answered: hash it, store it and record its media (HEAD names it
    then). A failure (the store down) leaves it whole: HEAD, a reference to it or the sweep completes it."""
    try:
        tus.complete_upload(the_hub.engine, the_hub.settings, blob_store(the_hub.settings), upload)
    except Exception:  # noqa: BLE001 - after the answer: nobody to tell but the log; retried as said above
        log.warning("storing upload %s failed; it is completed again later", upload.id, exc_info=True)
    finally:
        writer.close()


def _checkpoint(the_hub: Hub, writer: tus.ChunkWriter, offset: int) -> None:
    tus.record_offset(the_hub.engine, the_hub.settings, writer.upload, writer.sync(offset))


def _begin_patch(the_hub: Hub, org: Organization, upload_id: str, offset: int,
                 checksum: bytes | None) -> tus.ChunkWriter:
    upload = tus.read_upload(the_hub.engine, org.id, upload_id)
    tus.check_patch(upload, offset)
    writer = tus.ChunkWriter(tus.partial_path(the_hub.settings, upload_id), upload, checksum)
    try:  # under the lock: the upload as it stands now (a PATCH may have ended just before)
        fresh = tus.read_upload(the_hub.engine, org.id, upload_id)
        tus.check_patch(fresh, offset)
    except BaseException:
        writer.close()
        raise
    return writer


_MEDIA_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"},
            "meta": {"type": "string", "description": "Optional ninjs 3.x JSON of the item (uri, headlines, "
                                                      "description, embargo...)"}}}}},
    }
}


@router.post("/api/v1/media", status_code=201, openapi_extra=_MEDIA_BODY, summary="Publish a media file (multipart)")
async def publish_media(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                        the_hub: Hub = Depends(hub)) -> JSONResponse:
    """A small file in the multipart field `file`, with the item's ninjs in `meta` (optional): the
    file becomes the item's `original` rendition; answers 201 with the item like `POST /api/v1/items`."""
    org = await run_in_threadpool(_uploader, the_hub, request, credentials)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("send multipart/form-data with the field `file` (and optional `meta`)", field="file")
    form = await request.form(max_part_size=1024 * 1024)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput("send the file in the multipart field `file`", field="file")
    raw_meta = form.get("meta")
    if raw_meta is not None and not isinstance(raw_meta, str):
        raw_meta = (await raw_meta.read()).decode("utf-8", "replace")
    declared = upload.content_type
    return await run_in_threadpool(_publish_media, the_hub, org, upload.file, upload.filename, declared, raw_meta)


def _publish_media(the_hub: Hub, org: Organization, source: Any, filename: str | None, declared: str | None,
                   raw_meta: str | None) -> JSONResponse:
    meta: dict[str, Any] = {}
    if raw_meta:
        try:  # the safe reader: 100,000 nested brackets are refused, not a RecursionError (a 500)
            meta = load_json(raw_meta, format="ninjs", what="`meta`")
        except FormatError as exc:
            raise InvalidInput(f"{exc.message}; send the item's ninjs as a JSON object", field="meta") from None
        if not isinstance(meta, dict):
            raise InvalidInput("`meta` must be a JSON object (ninjs)", field="meta")
    settings = the_hub.settings
    limit = media_limit(org, settings.max_media_bytes)
    with tempfile.NamedTemporaryFile(dir=tus.uploads_dir(settings), suffix=".part") as local:
        source.seek(0)
        copied = 0
        while chunk := source.read(WRITE_CHUNK):
            copied += len(chunk)
            if copied > limit:
                raise PayloadTooLarge(f"the file is larger than your organization may upload ({limit} bytes: "
                                      f"{LIMIT_SOURCE})", field="file")
            local.write(chunk)
        local.flush()
        found = tus.store_media(the_hub.engine, blob_store(settings), org.id, Path(local.name), declared,
                                (filename or "")[:300] or None)
    return publish_with_media(the_hub, org, meta, found)


def publish_with_media(the_hub: Hub, org: Organization, meta: dict[str, Any], found: Media) -> JSONResponse:
    """Store the item ``meta`` describes with ``found`` as its original rendition (and what ``meta``
    names besides), then answer like the publish API."""
    doc = {"uri": f"urn:newsbridge:{org.slug}:media:{found.id}", "version": "1", "type": found.kind, **meta}
    renditions = [r for r in doc.get("renditions") or [] if isinstance(r, dict)]
    doc["renditions"] = [{"name": "original", "href": MEDIA_URN + found.id}, *renditions]
    return publish_document(the_hub, org, doc)


def publish_document(the_hub: Hub, org: Organization, doc: Any, strict: bool = True) -> JSONResponse:
    """The publish API for a ninjs 3.x document whose renditions (its own or its associations') name
    finished uploads (``{"upload": id}``) or the organization's media: each becomes a hub rendition,
    the item is linked to the media, stored, and answered with signed hrefs."""
    if not isinstance(doc, dict):
        raise InvalidInput("the body must be one ninjs object", field="body")
    doc, ids = resolve_uploads(the_hub.engine, org, doc)
    if ids:  # a picture's own caption, credit... where the partner set none; its GPS looked for now
        doc = with_file_metadata(the_hub.engine, blob_store(the_hub.settings), doc)
    if ids and not isinstance(doc.get("uri"), str):
        raise InvalidInput("an item that carries media needs its `uri`", field="uri")
    link_media(the_hub.engine, org, doc.get("uri", ""), ids)
    stored = the_hub.ingestor.ingest_ninjs(org, json.dumps(doc, ensure_ascii=False).encode(), strict=strict)
    with reading(the_hub.engine) as conn:
        record = get_item(conn, org, stored.item_id)
        warnings = version_warnings(conn, record.id, record.latest.version)
        record = with_media(conn, the_hub.engine, the_hub.settings, org, [record])[0]
    return JSONResponse(render(record, warnings=warnings), status_code=201 if stored.created else 200,
                        headers={"Location": f"/api/v1/items/{record.id}"})


router.include_router(serving.router)  # GET/HEAD /media/{rendition_id}: api/media_serving.py
