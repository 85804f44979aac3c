"""The item page: the story with its credit line and terms, versions with a diff, routing, pickup."""

from __future__ import annotations

import difflib
from datetime import date, datetime
import html
import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from markupsafe import Markup

from newsbridge.db.engine import reading, writing
from newsbridge.delivery.status import partner_summary
from newsbridge.desk.pickups import detected_from, list_pickups, mark_read, pickups_by_partners, record_pickup
from newsbridge.errors import InvalidInput
from newsbridge.exchange.deliveries import explain_routing
from newsbridge.formats import ninjs
from newsbridge.items.queries import ItemVersion, get_item, list_versions, received
from newsbridge.formats.errors import FormatError
from newsbridge.formats.markup import is_html, safe_html
from newsbridge.ingest.pipeline import translate
from newsbridge.items.render import NEWSML_FORMATS, newsml_media_type, render, render_newsml
from newsbridge.items.warnings import version_warnings
from newsbridge.media.links import with_media
from newsbridge.stories.queries import duplicates_of, story_of
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.media import item_media
from newsbridge.web.views.translations import item_translation

router = APIRouter(include_in_schema=False)
DOWNLOADS = {"ninjs3": "ninjs 3.x", "ninjs2": "ninjs 2.x", "newsml-g2": "NewsML-G2",
             "ninjs1-superdesk": "ninjs 1.x (Superdesk)", "newsml-g2-superdesk": "NewsML-G2 (Superdesk)"}


def _plain(version: ItemVersion) -> str:
    doc = version.document
    return next((b["value"] for b in doc.get("bodies", []) if b.get("contentType") == "text/plain"), "")


def _diff(old: str, new: str) -> Markup:
    """Word-level difference between two versions' texts, as <ins>/<del> HTML."""
    a, b = old.split(), new.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(html.escape(" ".join(a[i1:i2])))
        if op in ("delete", "replace"):
            out.append(f"<del>{html.escape(' '.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{html.escape(' '.join(b[j1:j2]))}</ins>")
    return Markup(" ".join(out))


def _parse_time(value: str | None) -> datetime | date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return None


def _headline(version: ItemVersion) -> str:
    return next((h.get("value") for h in version.document.get("headlines", []) if h.get("value")), "")


def _body_html(doc: dict[str, Any]) -> Markup:
    """The first HTML body, sanitized again here: only what passed the sanitizer on the way out is
    marked safe, whatever was stored (versions stored before a sanitizer rule existed included)."""
    markup = next((b.get("value") for b in doc.get("bodies", [])
                   if isinstance(b, dict) and is_html(b.get("contentType"))), "")
    return Markup(safe_html(markup))


def _context(request: Request, who: Viewer, item_id: str) -> dict[str, Any]:
    with reading(request.app.state.hub.engine) as conn:
        record = get_item(conn, who.organization, item_id)
        versions = list_versions(conn, who.organization, item_id)
        how = received(conn, who.organization, item_id)
        own = record.source.id == who.organization.id
        routing = partners = None
        if own:
            routing = explain_routing(conn, who.organization, record.id, record.latest.version,
                                      ninjs.item_from_ninjs(record.latest.document))
            partners = [{**p, "available_at": datetime.fromisoformat(p["available_from"])}  # shown in the zone
                        for p in partner_summary(conn, record.id)]
        picked = [] if own else list_pickups(conn, who.organization, item_id)
        partner_pickups = pickups_by_partners(conn, who.organization, [item_id]).get(item_id, []) if own else []
        republishes = detected_from(conn, who.organization, item_id) if own else []
        warnings = version_warnings(conn, item_id, record.latest.version)
        media = item_media(request, who, conn, record)
        story_items = story_of(conn, who.organization, item_id).items  # readable items only
        same_text = duplicates_of(conn, who.organization, item_id)
    doc = record.latest.document
    changes = [(older.version, newer.version, _headline(older) != _headline(newer), _diff(_plain(older), _plain(newer)))
               for older, newer in zip(versions, versions[1:])]
    published = doc.get("versionCreated") or doc.get("firstCreated")
    return {"record": record, "doc": doc, "published": _parse_time(published), "how": how, "own": own, "versions": versions, "changes": changes,
            "routing": routing, "partners": partners, "pickups": picked, "partner_pickups": partner_pickups,
            "downloads": DOWNLOADS,
            "headline": _headline(record.latest) or record.uri, "language": doc.get("language"),
            "body_html": _body_html(doc), "warnings": warnings,
            "plain_text": _plain(record.latest) if own else "",
            "withdrawn": record.latest.pubstatus == "canceled" or record.latest.notice_only,
            "story_items": story_items, "same_text": same_text, "republishes": republishes, **media}


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: str, translate: bool = False, who: Viewer = Depends(viewer)) -> HTMLResponse:
    context = _context(request, who, item_id)
    # machine translation: offered, made or read back from the cache, never in place of the original
    context.update(item_translation(request, who, context["record"], context["withdrawn"], translate))
    if not context["own"]:
        with writing(request.app.state.hub.engine) as conn:
            mark_read(conn, who.member, item_id, context["record"].latest.version)
    return page(request, "item.html", who, **context)


@router.get("/items/{item_id}/download")
def download(request: Request, item_id: str, format: str = "ninjs3", who: Viewer = Depends(viewer)) -> Response:
    if format not in DOWNLOADS:
        raise InvalidInput(f"format must be one of {', '.join(DOWNLOADS)}", field="format")
    hub = request.app.state.hub
    with reading(hub.engine) as conn:
        record = get_item(conn, who.organization, item_id)
        # hub media as renditions signed for the member's organization, as its agreement offers them
        record = with_media(conn, hub.engine, hub.settings, who.organization, [record],
                            for_newsml=format in NEWSML_FORMATS)[0]
        how = received(conn, who.organization, item_id)
    if format in NEWSML_FORMATS:
        try:
            xml = render_newsml(record.latest, NEWSML_FORMATS[format])
        except FormatError as exc:
            raise translate(exc) from None
        return Response(xml, media_type=newsml_media_type(xml), headers={
            "Content-Disposition": f'attachment; filename="{item_id}.xml"'})
    body = json.dumps(render(record, fmt=format, how=how), ensure_ascii=False, indent=2)  # type: ignore[arg-type]
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="{item_id}-{format}.json"'})


@router.post("/items/{item_id}/pickup")
async def pickup(request: Request, item_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    return await run_in_threadpool(_pickup, request, who, item_id, form)


def _pickup(request: Request, who: Viewer, item_id: str, form: dict[str, Any]) -> Response:
    who.require("publish")
    try:
        with writing(request.app.state.hub.engine) as conn:
            record_pickup(conn, who.organization, who.member, item_id, str(form.get("url", "")),
                          str(form.get("note", "")))
    except InvalidInput as exc:
        context = _context(request, who, item_id)
        return page(request, "item.html", who, status=exc.status, flash=exc.message, flash_kind="error", **context)
    return RedirectResponse(f"/items/{item_id}?picked=1", status_code=303)
