"""Media in the desk: the upload page (tus with a progress bar, then the publish form) and the
thumbnail fragment the lists poll while previews are made (the media block and thumbnails
themselves are built by ``web/media.py``).

The desk uploads through the same tus routes partners use (``/api/v1/uploads``, the member's
session and the page's CSRF token) and publishes through the same services as ``POST
/api/v1/items`` with ``{"upload": id}``: the upload resolved to the organization's media, the
item linked to it, stored by the ingest pipeline and routed like any item. Every media URL a
page shows is a signed hub URL for the viewer's organization (``media/links.py``), relative to
the page (see ``web/media.py``).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from newsbridge.accounts.media_limit import media_limit
from newsbridge.accounts.organizations import Organization
from newsbridge.db.engine import reading
from newsbridge.errors import InvalidInput, NewsbridgeError, NotFound, PayloadTooLarge
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import to_ninjs3
from newsbridge.ids import new_id
from newsbridge.items.queries import get_item
from newsbridge.media import uploads as tus
from newsbridge.media.blobs import blob_store, copy_to_file
from newsbridge.media.links import MEDIA_URN, link_media, resolve_uploads
from newsbridge.media.metadata import read_photo_metadata
from newsbridge.vocab.mediatopics import topic_subject, vocabulary
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.media import CREDIT_ROLE, SCRIPT_ROLE, SHOTLIST_ROLE, shotlist_text, shots_from_form, thumbnails
from newsbridge.web.views.outgoing import LANGUAGES, _embargo, _topic_choices, _topics

router = APIRouter(include_in_schema=False)
SHOT_ROWS = 3  # empty shot-list rows the form shows (the page's script adds more)


@router.get("/items/{item_id}/thumbnail")
def thumbnail(request: Request, item_id: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """A list row's thumbnail alone: the placeholder asks again while the derivatives are being made."""
    with reading(request.app.state.hub.engine) as conn:
        record = get_item(conn, who.organization, item_id)
        thumb = thumbnails(request, who, conn, [record]).get(record.id)
    return page(request, "media_thumb.html", who, thumb=thumb)


PHOTO_TYPES = ("image/jpeg", "image/png", "image/tiff", "image/webp")


@router.get("/outgoing/media/uploads/{upload_id}")
def upload_details(request: Request, upload_id: str, who: Viewer = Depends(viewer)) -> JSONResponse:
    """A finished upload of the member's organization: its kind and, for a photo, the caption, creator,
    credit, copyright, place and keywords embedded in it (IPTC/XMP/EXIF), which the form offers to fill in.
    Another organization's upload answers 404 like one that does not exist."""
    who.require("publish")
    hub = request.app.state.hub
    found = tus.upload_media(hub.engine, who.organization.id, upload_id)
    details: dict[str, Any] = {"kind": found.kind, "contentType": found.content_type}
    if found.kind == "picture" and found.content_type in PHOTO_TYPES:
        with tempfile.TemporaryDirectory(prefix="newsbridge-desk-") as work:
            try:
                meta = read_photo_metadata(copy_to_file(blob_store(hub.settings), found.sha256, Path(work) / "photo"))
            except NewsbridgeError:
                meta = None  # unreadable metadata: the form stays empty, the probe judges the picture
        if meta is not None:
            details.update({"description": meta.caption, "byline": ", ".join(meta.creators) or None,
                            "credit": meta.credit, "copyright": meta.copyright,
                            "located": meta.located(), "keywords": list(meta.keywords)})
    return JSONResponse({k: v for k, v in details.items() if v}, headers={"Cache-Control": "no-store"})


# -- uploading and publishing -------------------------------------------------------------------------------------

def _form_context(request: Request, who: Viewer, form: dict[str, Any] | None = None) -> dict[str, Any]:
    form = form or {}
    shots = list(zip(form.get("shot_time") or [], form.get("shot_text") or []))
    shots += [("", "")] * max(SHOT_ROWS - len(shots), 1 if shots else 0)
    return {"form": form, "languages": LANGUAGES, "topic_choices": _topic_choices(who.locale), "shot_rows": shots,
            "max_bytes": media_limit(who.organization, request.app.state.hub.settings.max_media_bytes)}


@router.get("/outgoing/media")
def media_form(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    who.require("publish")
    return page(request, "media_upload.html", who, **_form_context(request, who))


@router.post("/outgoing/media")
async def publish_media(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("publish")
    multi = await request.form()
    for name in ("topics", "shot_time", "shot_text"):
        form[name] = [str(v) for v in multi.getlist(name)]
    file = form.get("file")
    local: Path | None = None
    if isinstance(file, UploadFile) and file.filename and not str(form.get("upload") or ""):
        local = await _spool(request, file, media_limit(who.organization, request.app.state.hub.settings.max_media_bytes))
    try:
        return await run_in_threadpool(_publish, request, who, form, local,
                                       file.filename if isinstance(file, UploadFile) else None,
                                       file.content_type if isinstance(file, UploadFile) else None)
    finally:
        if local is not None:
            local.unlink(missing_ok=True)


async def _spool(request: Request, file: UploadFile, limit: int) -> Path:
    """The form without JavaScript: the file came with it, at most ``limit`` bytes (the organization's)."""
    settings = request.app.state.hub.settings
    handle = tempfile.NamedTemporaryFile(dir=tus.uploads_dir(settings), suffix=".part", delete=False)
    copied = 0
    with handle:
        while chunk := await file.read(1024 * 1024):
            copied += len(chunk)
            if copied > limit:
                Path(handle.name).unlink(missing_ok=True)
                raise PayloadTooLarge(f"the file is larger than your organization may send ({limit} bytes)",
                                      field="file")
            handle.write(chunk)
    return Path(handle.name)


def media_document(org: Organization, kind: str, form: dict[str, Any], zone: str, locale: str,
                   rendition: dict[str, Any]) -> dict[str, Any]:
    """The ninjs 3.x document the publish form describes, with ``rendition`` (an upload or the
    organization's media) as its original: caption as the description, the shot list and the
    script as bodies of their own (the main text is the caption, else the script, else the shot
    list), the credit as an info source."""
    headline = str(form.get("headline", "")).strip()
    if not headline:
        raise InvalidInput("a headline is needed", field="headline")
    caption = str(form.get("description", "")).strip()
    script = str(form.get("script", "")).strip()
    shots = shots_from_form(list(form.get("shot_time") or []), list(form.get("shot_text") or []))
    language = str(form.get("language", ""))
    # the main text, for readers that show one text: the caption, else the script, else the shot list
    # (a reader picks the first plain body when none is "main", so one always is)
    main_text = caption or script or shotlist_text(shots)
    bodies = [{"role": SHOTLIST_ROLE, "contentType": "text/plain", "value": shotlist_text(shots)}] if shots else []
    if script and main_text != script:
        bodies.append({"role": SCRIPT_ROLE, "contentType": "text/plain", "value": script})
    credit = str(form.get("credit", "")).strip()
    topics = _topics(list(form.get("topics") or []), _topic_choices(locale))
    known = vocabulary()
    item = Item(uri=f"urn:newsbridge:{org.slug}:{kind}:{new_id().lower()}", version="1", type=kind,
                headline=headline, description=caption or None,
                body_text=main_text or None,
                language=language if language in LANGUAGES else None,
                byline=str(form.get("byline", "")).strip() or None,
                located=str(form.get("located", "")).strip() or None,
                copyrightnotice=str(form.get("copyright", "")).strip() or None,
                embargoed=_embargo(str(form.get("embargo", "")), zone),
                subjects=[topic_subject(q) for q in topics if q in known],
                renditions=[rendition],
                extra={"bodies": bodies, **({"infoSources": [{"name": credit, "role": CREDIT_ROLE}]} if credit else {})})
    return to_ninjs3(item)


def _publish(request: Request, who: Viewer, form: dict[str, Any], local: Path | None, filename: str | None,
             declared: str | None) -> Response:
    hub = request.app.state.hub
    try:
        upload_id = str(form.get("upload") or "").strip()
        if upload_id:
            kind = tus.upload_media(hub.engine, who.organization.id, upload_id).kind
            rendition: dict[str, Any] = {"name": "original", "upload": upload_id}
        elif local is not None:
            found = tus.store_media(hub.engine, blob_store(hub.settings), who.organization.id, local, declared,
                                    (filename or "")[:300] or None)
            kind, rendition = found.kind, {"name": "original", "href": MEDIA_URN + found.id}
        else:
            raise InvalidInput("choose a photo, video or audio file and wait until it is uploaded", field="file")
        doc = media_document(who.organization, kind, form, who.timezone, who.locale, rendition)
        doc, ids = resolve_uploads(hub.engine, who.organization, doc)
        link_media(hub.engine, who.organization, doc["uri"], ids)
        stored = hub.ingestor.ingest_ninjs(who.organization, json.dumps(doc, ensure_ascii=False).encode())
    except NewsbridgeError as exc:
        if isinstance(exc, NotFound):  # another's upload reads like one that does not exist
            exc = InvalidInput("that upload is not ready or not yours; upload the file again", field="upload")
        return page(request, "media_upload.html", who, status=exc.status, flash=exc.message, flash_kind="error",
                    **_form_context(request, who, form))
    return RedirectResponse(f"/items/{stored.item_id}", status_code=303)
