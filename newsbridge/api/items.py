"""``/api/v1/items``: publish ninjs, upload any supported format, read items and versions."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.params import IsoTime
from newsbridge.api.deps import Hub, caller, hub
from newsbridge.db.engine import reading
from newsbridge.db.tables import item_versions, items
from newsbridge.formats import ninjs
from newsbridge.formats.detect import KNOWN_FORMATS
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.exchange.deliveries import explain_routing
from newsbridge.items.queries import ItemRecord, ItemVersion, SourceRef, get_item, list_own_items, list_versions, received
from newsbridge.formats.errors import FormatError
from newsbridge.ingest.pipeline import translate
from newsbridge.items.render import NEWSML_FORMATS, Format, newsml_media_type, render, render_newsml
from newsbridge.items.store import Stored
from newsbridge.items.warnings import version_warnings
from newsbridge.api.media import publish_document
from newsbridge.media.links import MEDIA_URN, NOT_ASKED, media_versions, with_media

router = APIRouter(prefix="/api/v1", tags=["items"])

_NINJS_BODY = {
    "requestBody": {
        "required": True,
        "description": "One IPTC ninjs 2.x (lower-case keys) or 3.x (camelCase keys) item; it must validate "
                       "against the official IPTC schema (GET /api/v1/schemas/ninjs2 or ninjs3).",
        "content": {"application/json": {"schema": {"type": "object", "required": ["uri"]},
                                         "example": {"uri": "urn:kazinform:2026:1001", "version": "1",
                                                     "type": "text", "language": "en",
                                                     "headlines": [{"role": "main", "value": "Headline"}],
                                                     "bodies": [{"role": "main", "contentType": "text/plain",
                                                                 "value": "Text."}]}}},
    }
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "A file in any supported format, sent as the raw body or as the multipart field "
                       "`file`. Known formats: " + "; ".join(f"{k}: {v}" for k, v in KNOWN_FORMATS.items()),
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}}}}},
    }
}


# A new version the publisher just stored is its item's newest, and a source always sees its own content (never
# a withdrawal notice: items.withdrawal.notice_only): the answer reads that version by its key, in one query
# compiled once, instead of get_item's visibility query (built per call with its delivery subqueries: a third
# of a publish's CPU, bench/load.py --unit-costs).
_NEW_VERSION = (sa.select(items.c.uri, items.c.created_at, items.c.updated_at, item_versions.c.pubstatus,
                          item_versions.c.language_source, item_versions.c.language_confidence,
                          item_versions.c.received_at, item_versions.c.document, item_versions.c.ingest_warnings)
                .join(items, items.c.id == item_versions.c.item_id)
                .where(item_versions.c.item_id == sa.bindparam("item_id"),
                       item_versions.c.version == sa.bindparam("version"),
                       items.c.organization_id == sa.bindparam("source")))


def _new_version(conn: sa.Connection, principal: Principal, stored: Stored) -> tuple[ItemRecord, list[Any]]:
    org = principal.organization
    row = conn.execute(_NEW_VERSION, {"item_id": stored.item_id, "version": stored.version, "source": org.id}).one()
    version = ItemVersion(stored.item_id, stored.version, row.pubstatus, row.language_source, row.language_confidence,
                          row.received_at, row.document)
    return (ItemRecord(stored.item_id, row.uri, SourceRef(org.id, org.slug, org.name, org.credit_name), version,
                       row.created_at, row.updated_at), list(row.ingest_warnings or []))


def _stored_response(the_hub: Hub, principal: Principal, stored: Stored) -> JSONResponse:
    with reading(the_hub.engine) as conn:
        if stored.created:
            record, warnings = _new_version(conn, principal, stored)
        else:  # an unchanged resend: the item's newest version, whichever that is now
            record = get_item(conn, principal.organization, stored.item_id)
            warnings = version_warnings(conn, record.id, record.latest.version)
    return JSONResponse(render(record, warnings=warnings), status_code=201 if stored.created else 200,
                        headers={"Location": f"/api/v1/items/{record.id}"})


@router.post("/items", status_code=201, openapi_extra=_NINJS_BODY, summary="Publish an item version (ninjs)",
             responses={200: {"description": "This exact version was stored before; nothing new written"},
                        409: {"description": "version_conflict: not newer than the stored version"}})
async def publish_item(request: Request,
                       strict: bool = Query(True, description="Refuse what the ninjs reader would accept only with "
                                                              "a warning (the default); false: accept and report "
                                                              "it in hub.warnings"),
                       principal: Principal = Depends(caller("publish")),
                       the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Store a new version of an item. Resending the same uri, version and content is harmless
    (200, same answer); a higher version supersedes; `pubStatus: canceled` withdraws the item."""
    data = await request.body()
    return await run_in_threadpool(_publish, the_hub, principal, data, strict)


def _publish(the_hub: Hub, principal: Principal, data: bytes, strict: bool = True) -> JSONResponse:
    if b'"upload"' in data or MEDIA_URN.encode() in data:  # renditions naming uploads or hub media
        try:
            doc = ninjs.decode_json(data)
        except FormatError as exc:
            raise translate(exc) from None
        return publish_document(the_hub, principal.organization, doc, strict)
    stored = the_hub.ingestor.ingest_ninjs(principal.organization, data, strict=strict)
    return _stored_response(the_hub, principal, stored)


@router.post("/items:upload", status_code=201, openapi_extra=_UPLOAD_BODY,
             summary="Upload a file in any supported format")
async def upload_items(request: Request,
                       subject: list[str] = Query([], description="Media Topic qcodes (medtop:...) to add to every "
                                                                 "item of the file; wires without subjects need them"),
                       strict: bool = Query(False, description="Refuse the file where the readers would accept it "
                                                                "with warnings (see hub.warnings)"),
                       principal: Principal = Depends(caller("publish")),
                       the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Detect the file's format, parse it and store every item in it (all or nothing)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("send the file in the multipart field `file`", field="file")
        data = await upload.read()
    else:
        data = await request.body()
    return await run_in_threadpool(_upload, the_hub, principal, data, subject, strict)


def _upload(the_hub: Hub, principal: Principal, data: bytes, subjects: list[str], strict: bool = False) -> JSONResponse:
    stored = the_hub.ingestor.ingest_document(principal.organization, data, subjects, strict=strict)
    with reading(the_hub.engine) as conn:
        records = [get_item(conn, principal.organization, s.item_id) for s in stored]
        warnings = [version_warnings(conn, r.id, r.latest.version) for r in records]
    created = any(s.created for s in stored)
    return JSONResponse({"items": [render(r, warnings=w) for r, w in zip(records, warnings)]},
                        status_code=201 if created else 200)


@router.get("/items", summary="List your organization's items")
def list_items(since: IsoTime | None = Query(None, description="Only items changed after this time (ISO 8601)"),
               limit: int = Query(50, ge=1, le=500), format: Format = "ninjs3",
               principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        records = list_own_items(conn, principal.organization, since=since, limit=limit)
        records = with_media(conn, the_hub.engine, the_hub.settings, principal.organization, records)
    return {"items": [render(r, fmt=format) for r in records], "count": len(records)}


@router.get("/items/{item_id}", summary="Read an item (newest version)",
            responses={200: {"content": {"application/json": {}, "application/vnd.iptc.g2.newsitem+xml": {},
                                         "application/vnd.iptc.g2.newsmessage+xml": {}}}})
def read_item(item_id: str,
              format: Literal["ninjs3", "ninjs2", "ninjs1-superdesk", "newsml-g2", "newsml-g2-superdesk"] = "ninjs3",
              principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> Any:
    """ninjs 3.x (default) or 2.x as JSON with the hub's fields, `format=newsml-g2` for a NewsML-G2
    newsItem in XML; `ninjs1-superdesk` and `newsml-g2-superdesk` as Superdesk's parsers read them."""
    with reading(the_hub.engine) as conn:
        record = get_item(conn, principal.organization, item_id)
        record = with_media(conn, the_hub.engine, the_hub.settings, principal.organization, [record],
                            for_newsml=format in NEWSML_FORMATS)[0]
        if format in NEWSML_FORMATS:
            try:
                xml = render_newsml(record.latest, NEWSML_FORMATS[format])
            except FormatError as exc:
                raise translate(exc) from None
            return Response(xml, media_type=newsml_media_type(xml))
        return render(record, fmt=format, how=received(conn, principal.organization, item_id),
                      warnings=version_warnings(conn, item_id, record.latest.version))


@router.get("/items/{item_id}/versions", summary="Every version of an item, oldest first")
def read_versions(item_id: str, format: Format = "ninjs3", principal: Principal = Depends(caller("read")),
                  the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        record = get_item(conn, principal.organization, item_id)
        versions = list_versions(conn, principal.organization, item_id)
        versions = media_versions(conn, the_hub.engine, the_hub.settings, principal.organization,
                                  [(record, v, NOT_ASKED) for v in versions])
    return {"id": record.id, "versions": [render(record, v, format) for v in versions]}


@router.get("/items/{item_id}/routing", summary="Why each partner did (or did not) receive your item")
def read_routing(item_id: str, principal: Principal = Depends(caller("read")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """For the source only: every partner it has an agreement with, whether the newest version
    reached it, under which agreement, and the rule that matched or failed."""
    with reading(the_hub.engine) as conn:
        record = get_item(conn, principal.organization, item_id)
        if record.source.id != principal.organization.id:
            raise NotFound(f"no item {item_id!r}", field="id")
        item = ninjs.item_from_ninjs(record.latest.document)
        report = explain_routing(conn, principal.organization, record.id, record.latest.version, item)
    return {"id": record.id, "version": report.version, "partners": [
        {"slug": slug, "name": name, "delivered": e.delivered, "agreement": e.agreement_id, "reason": e.reason}
        for slug, name, e in report.partners]}
