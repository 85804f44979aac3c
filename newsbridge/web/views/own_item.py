"""Correcting and withdrawing our own item from the desk: each is a new version, stored and routed
through the same ingest pipeline the API uses (ingest.pipeline.Ingestor.ingest_item), so partners
get the correction or the withdrawal exactly as if it came through ``POST /api/v1/items``.

Only the item's source may do either (anyone else is told the item does not exist: 404), and
only members who may publish. The new version's number is the current one plus one, so two
people correcting at once cannot overwrite each other: the second gets ``version_conflict``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.db.engine import reading
from newsbridge.errors import InvalidInput, NewsbridgeError, NotFound
from newsbridge.formats import ninjs
from newsbridge.formats.item import Item
from newsbridge.ids import utcnow
from newsbridge.items.queries import ItemRecord, get_item
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.i18n import N_

router = APIRouter(include_in_schema=False)
MAX_HEADLINE = 1000


def own_item(request: Request, who: Viewer, item_id: str) -> ItemRecord:
    """Our own item, or NotFound (a partner's item is not ours to change)."""
    with reading(request.app.state.hub.engine) as conn:
        record = get_item(conn, who.organization, item_id)
    if record.source.id != who.organization.id:
        raise NotFound(f"no item {item_id!r} of yours", field="id")
    return record


def _next_version(record: ItemRecord, who: Viewer, **changes: Any) -> Item:
    item = ninjs.item_from_ninjs(record.latest.document, who.organization.timezone)
    return replace(item, version=str(record.latest.version + 1), versioncreated=utcnow(), warnings=[], **changes)


def _refused(request: Request, who: Viewer, exc: NewsbridgeError) -> HTMLResponse:
    return page(request, "error.html", who, status=exc.status, title=N_("Please check the form"),
                message=exc.message)


@router.post("/items/{item_id}/correct")
async def correct(request: Request, item_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("publish")
    return await run_in_threadpool(_correct, request, who, item_id, form)


def _correct(request: Request, who: Viewer, item_id: str, form: dict[str, Any]) -> Response:
    record = own_item(request, who, item_id)
    try:
        headline = str(form.get("headline", "")).strip()[:MAX_HEADLINE]
        if not headline:
            raise InvalidInput("a headline is needed", field="headline")
        text = str(form.get("body", "")).replace("\r\n", "\n").strip()
        # the text as edited replaces both bodies: the HTML one is derived from it again (ingest.prepare)
        item = _next_version(record, who, headline=headline, body_text=text or None, body_html=None,
                             pubstatus="usable")
        request.app.state.hub.ingestor.ingest_item(who.organization, item)
    except NewsbridgeError as exc:
        return _refused(request, who, exc)
    return RedirectResponse(f"/items/{item_id}?corrected=1", status_code=303)


@router.get("/items/{item_id}/withdraw")
def withdraw_page(request: Request, item_id: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """The confirmation, as a page of its own (the item page opens the same form in a dialog)."""
    record = own_item(request, who, item_id)
    who.require("publish")
    return page(request, "item_withdraw.html", who, record=record, headline=_headline(record))


def _headline(record: ItemRecord) -> str:
    return next((h.get("value") for h in record.latest.document.get("headlines", []) if h.get("value")), record.uri)


@router.post("/items/{item_id}/withdraw")
async def withdraw(request: Request, item_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("publish")
    return await run_in_threadpool(_withdraw, request, who, item_id, form)


def _withdraw(request: Request, who: Viewer, item_id: str, form: dict[str, Any]) -> Response:
    record = own_item(request, who, item_id)
    if form.get("confirm") != "yes":  # only the confirmation's button sends it
        return RedirectResponse(f"/items/{item_id}/withdraw", status_code=303)
    try:
        request.app.state.hub.ingestor.ingest_item(who.organization, _next_version(record, who, pubstatus="canceled"))
    except NewsbridgeError as exc:
        return _refused(request, who, exc)
    return RedirectResponse(f"/items/{item_id}?withdrawn=1", status_code=303)
