"""Outgoing: our own items with each partner's delivery state, the publish form, and uploads.

The POST handlers read the form on the event loop and do the rest (sanitizing, language
detection, parsing a file, the database) in a worker thread: on the loop it would stop every
other request of the process meanwhile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from newsbridge.db.engine import reading, writing
from newsbridge.delivery.status import partner_summary
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.formats.item import Item
from newsbridge.ids import new_id
from newsbridge.ingest.pipeline import with_subjects
from newsbridge.ingest.sources import add_source, list_sources, recent_polls
from newsbridge.items.queries import count_own_items, list_own_items
from newsbridge.vocab.mediatopics import vocabulary
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.i18n import ngettext_for

router = APIRouter(include_in_schema=False)
LANGUAGES = ("en", "ru", "kk", "fa")


def _topic_choices(locale: str) -> list[tuple[str, str]]:
    """(label, qcode) for the topic autocomplete, in the member's language where we have labels."""
    topics = vocabulary()
    top = {q for q, t in topics.items() if not t.broader}
    common = {q for q, t in topics.items() if not t.retired and (q in top or set(t.broader) & top)}
    try:
        from newsbridge.vocab.topic_labels import label
    except ImportError:  # localized labels not shipped: English from the vocabulary
        return sorted((topics[q].label, q) for q in common)
    return sorted((label(q, locale), q) for q in common)


def _context(request: Request, who: Viewer) -> dict[str, Any]:
    with reading(request.app.state.hub.engine) as conn:
        records = list_own_items(conn, who.organization, limit=50)
        status = {r.id: partner_summary(conn, r.id) for r in records}
        sources = [(s, recent_polls(conn, s.id, 1)) for s in list_sources(conn, who.organization)]
    return {"records": records, "delivery_status": status, "languages": LANGUAGES,
            "topic_choices": _topic_choices(who.locale), "sources": sources}


@router.post("/outgoing/sources")
async def add_feed_source(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("manage")
    return await run_in_threadpool(_add_feed_source, request, who, form)


def _add_feed_source(request: Request, who: Viewer, form: dict[str, Any]) -> Response:
    try:
        with writing(request.app.state.hub.engine) as conn:
            add_source(conn, who.organization, str(form.get("url", "")).strip(),
                       interval_seconds=int(str(form.get("interval", "300")) or 300),
                       language=str(form.get("language", "")) or None,
                       allow=request.app.state.hub.settings.allow_private_targets)
    except (NewsbridgeError, ValueError) as exc:
        message = exc.message if isinstance(exc, NewsbridgeError) else "the interval must be a number of seconds"
        return page(request, "outgoing.html", who, status=422, flash=message, flash_kind="error",
                    **_context(request, who))
    return RedirectResponse("/outgoing#sources", status_code=303)


@router.get("/outgoing")
def outgoing(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return page(request, "outgoing.html", who, **_context(request, who))


def _topics(raw: str, choices: list[tuple[str, str]]) -> list[str]:
    """Topics typed as labels (from the autocomplete) or qcodes, separated by commas."""
    by_label = {label.casefold(): qcode for label, qcode in choices}
    found = []
    for part in (p.strip() for p in raw.split(",")):
        if part:
            qcode = by_label.get(part.casefold()) or part
            found.append(qcode)
    return found


def _embargo(raw: str, zone: str) -> datetime | None:
    if not raw.strip():
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        raise InvalidInput("the embargo must be a date and time", field="embargo") from None


@router.post("/outgoing/publish")
async def publish(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("publish")
    return await run_in_threadpool(_publish, request, who, form)


def _publish(request: Request, who: Viewer, form: dict[str, Any]) -> Response:
    hub = request.app.state.hub
    try:
        headline = str(form.get("headline", "")).strip()
        if not headline:
            raise InvalidInput("a headline is needed", field="headline")
        language = str(form.get("language", ""))
        item = Item(uri=f"urn:newsbridge:{who.organization.slug}:{new_id().lower()}", version="1",
                    headline=headline, body_text=str(form.get("body", "")).strip() or None,
                    language=language if language in LANGUAGES else None,
                    byline=str(form.get("byline", "")).strip() or None,
                    embargoed=_embargo(str(form.get("embargo", "")), who.timezone))
        item = with_subjects(item, _topics(str(form.get("topics", "")), _topic_choices(who.locale)))
        stored = hub.ingestor.ingest_item(who.organization, item)
    except NewsbridgeError as exc:
        return page(request, "outgoing.html", who, status=exc.status, flash=exc.message, flash_kind="error",
                    form=form, **_context(request, who))
    return RedirectResponse(f"/items/{stored.item_id}", status_code=303)


@router.post("/outgoing/upload")
async def upload(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("publish")
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return await run_in_threadpool(_upload, request, who, "", None)
    return await run_in_threadpool(_upload, request, who, file.filename, await file.read())


def _upload(request: Request, who: Viewer, filename: str, data: bytes | None) -> Response:
    try:
        if data is None:
            raise InvalidInput("choose a file to upload", field="file")
        stored = request.app.state.hub.ingestor.ingest_document(who.organization, data)
    except NewsbridgeError as exc:
        return page(request, "outgoing.html", who, status=exc.status, flash=exc.message, flash_kind="error",
                    **_context(request, who))
    new = sum(s.created for s in stored)
    ngettext = ngettext_for(who.locale)
    flash = " ".join([ngettext("%(num)s item read from %(file)s.", "%(num)s items read from %(file)s.", len(stored),
                         file=filename),
                      ngettext("%(num)s new version stored.", "%(num)s new versions stored.", new),
                      ngettext("%(num)s already known.", "%(num)s already known.", len(stored) - new)])
    return page(request, "outgoing.html", who, flash=flash, **_context(request, who))
