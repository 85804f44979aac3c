"""The incoming desk: received items, filters, search, unread counts, live updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from newsbridge.db.engine import read, reading
from newsbridge.delivery.feeds import changes, latest_position
from newsbridge.desk.incoming import STATUSES, Filters, Row, incoming, unread_by_partner
from newsbridge.exchange.agreements import list_agreements
from newsbridge.items.queries import received_languages
from newsbridge.vocab.mediatopics import vocabulary
from newsbridge.web.context import Viewer, page, viewer

router = APIRouter(include_in_schema=False)
TOP_TOPICS = [q for q, t in vocabulary().items() if not t.broader and not t.retired]


# Days the filters compute with; beyond them "a day later" or a zone's offset leaves the calendar.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def _day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:  # not a day: the filter is left out, the form shows it empty
        return None
    return None if day is None else min(max(day, FIRST_DAY), LAST_DAY)  # 9999-12-31 means "no end"


def _filters(request: Request) -> Filters:
    q = request.query_params
    return Filters(partner=q.get("partner") or None, topic=q.get("topic") or None, language=q.get("language") or None,
                   status=q.get("status") if q.get("status") in STATUSES else None,
                   q=(q.get("q") or "").strip()[:500] or None, since=_day(q.get("since")), until=_day(q.get("until")))


def _context(request: Request, who: Viewer) -> dict[str, Any]:
    filters = _filters(request)
    with reading(request.app.state.hub.engine) as conn:
        rows: list[Row] = incoming(conn, who.organization, who.member, filters, zone=ZoneInfo(who.timezone))
        unread = unread_by_partner(conn, who.organization, who.member)
        languages = received_languages(conn, who.organization)
        partners = sorted({(p.slug, p.name) for a in list_agreements(conn, who.organization) if a.proposed
                           for p in a.parties if p.id not in (who.organization.id, who.organization.parent_id)})
    topics = vocabulary()
    return {"rows": rows, "filters": filters, "unread": unread, "partners": partners, "partner_names": dict(partners),
            "topics": [(q, topics[q].label) for q in TOP_TOPICS], "languages": languages,
            "query": request.url.query}


@router.get("/desk")
def desk(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return page(request, "desk.html", who, **_context(request, who))


@router.get("/desk/rows")
def desk_rows(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """The list alone, for live refreshes (htmx swaps it in)."""
    return page(request, "desk_rows.html", who, **_context(request, who))


@router.get("/desk/events")
async def desk_events(request: Request, who: Viewer = Depends(viewer)) -> StreamingResponse:
    """Server-sent events telling the open desk that something new arrived."""
    hub = request.app.state.hub

    def newer(after: int) -> list[Any]:
        with reading(hub.engine) as conn:
            return changes(conn, who.organization, after, 50)

    def start() -> int:
        with reading(hub.engine) as conn:
            return latest_position(conn)

    async def events() -> AsyncIterator[bytes]:
        position = await read(hub.engine, start)
        yield b"retry: 2000\n\n"
        while not await request.is_disconnected():
            found = await read(hub.engine, newer, position)
            if found:
                position = found[-1].position
                yield f"event: arrived\ndata: {len(found)}\n\n".encode()
            elif not await hub.signal.wait(10.0):
                yield b": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
