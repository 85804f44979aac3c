"""Outgoing: our own items with each partner's delivery state, the publish form, and uploads.

The POST handlers read the form on the event loop and do the rest (sanitizing, language
detection, parsing a file, the database) in a worker thread: on the loop it would stop every
other request of the process meanwhile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from newsbridge.db.engine import reading, writing
from newsbridge.delivery.status import partner_summaries
from newsbridge.desk.pickups import pickups_by_partners
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.formats.item import Item
from newsbridge.ids import new_id
from newsbridge.ingest.pipeline import with_subjects
from newsbridge.ingest.sources import add_source, list_sources, recent_polls
from newsbridge.items.queries import count_own_items, list_own_items
from newsbridge.items.search import matching_versions
from newsbridge.vocab.mediatopics import vocabulary
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.highlight import highlight
from newsbridge.web.media import thumbnails
from newsbridge.web.i18n import ngettext_for

router = APIRouter(include_in_schema=False)
LANGUAGES = ("en", "ru", "kk", "fa")
# What the upload hint names, one entry per format the hub reads (formats.detect.KNOWN_FORMATS; a test
# keeps them in step): format names are not translated, the plain-text wire is described.
UPLOAD_FORMATS = {"ninjs": "ninjs 1.x–3.x", "newsml-g2": "NewsML-G2", "nitf": "NITF", "newsml1": "NewsML 1.x",
                  "rss": "RSS", "atom": "Atom", "jsonfeed": "JSON Feed", "plaintext": None}


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


PAGE_SIZE = 50


def _cursor(value: str | None) -> tuple[datetime, str] | None:
    """A page cursor from a link (``<updated_at>_<item id>``); anything else is the first page."""
    when, _, item_id = (value or "").rpartition("_")
    try:
        return (datetime.fromisoformat(when), item_id) if item_id else None
    except ValueError:
        return None


def _context(request: Request, who: Viewer) -> dict[str, Any]:
    before = _cursor(request.query_params.get("before"))
    start = request.query_params.get("from", "")
    start_at = int(start) if before and start.isdigit() and len(start) < 10 else 1
    q = (request.query_params.get("q") or "").strip()[:500]
    with reading(request.app.state.hub.engine) as conn:
        among = matching_versions(conn.dialect.name, q) if q else None
        found = list_own_items(conn, who.organization, limit=PAGE_SIZE + 1, before=before, among=among)
        records = found[:PAGE_SIZE]
        total = count_own_items(conn, who.organization, among=among)
        status = partner_summaries(conn, [r.id for r in records])
        picked = pickups_by_partners(conn, who.organization, [r.id for r in records])
        sources = [(s, recent_polls(conn, s.id, 1)) for s in list_sources(conn, who.organization)]
        thumbs = thumbnails(request, who, conn, records)
    next_link = None
    if len(found) > PAGE_SIZE:
        last = records[-1]
        next_link = "/outgoing?" + urlencode({**({"q": q} if q else {}),
                                              "before": f"{last.updated_at.isoformat()}_{last.id}",
                                              "from": start_at + len(records)})
    count = {"first": start_at,
             "last": start_at + len(records) - 1,
             "total": total}
    return {"records": records, "thumbs": thumbs, "delivery_status": status, "partner_pickups": picked,
            "languages": LANGUAGES,
            "topic_choices": _topic_choices(who.locale), "sources": sources, "count": count,
            "upload_formats": [name for name in UPLOAD_FORMATS.values() if name],
            "next_link": next_link, "first_link": ("/outgoing?" + urlencode({"q": q}) if q else "/outgoing")
            if before else None, "q": q, "mark": lambda text: highlight(text, q)}


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


def _topics(values: list[str], choices: list[tuple[str, str]]) -> list[str]:
    """The chosen topics as qcodes. The form sends one value per topic (the chips, or the
    multi-select without JavaScript), each a qcode; a whole label is taken too. Only a value that
    is neither is split at commas (typed by hand): labels such as "economy, business and finance"
    hold commas themselves."""
    by_label = {label.casefold(): qcode for label, qcode in choices}
    known = {qcode for _, qcode in choices}
    found: list[str] = []
    for value in (v.strip() for v in values):
        if not value:
            continue
        if value in known or value.casefold() in by_label:
            parts = [value]
        else:
            parts = [p.strip() for p in value.split(",") if p.strip()]
        found += [by_label.get(part.casefold()) or part for part in parts]
    return list(dict.fromkeys(found))


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
    form["topics"] = [str(v) for v in (await request.form()).getlist("topics")]  # one value per chosen topic
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
        item = with_subjects(item, _topics(list(form.get("topics") or []), _topic_choices(who.locale)))
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
