"""The incoming desk: received items, filters, search, unread counts, live updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from newsbridge.accounts.organizations import outlets_of
from newsbridge.accounts.sessions import find_session
from newsbridge.db.engine import read, reading
from newsbridge.delivery.feeds import changes, latest_position
from newsbridge.delivery.sse import until_database_fails
from newsbridge.desk.incoming import STATUSES, Filters, incoming, unread_by_partner
from newsbridge.exchange.agreements import list_agreements
from newsbridge.items import inbox_counts
from newsbridge.items.inbox_counts import received_languages
from newsbridge.items.queries import InboxCursor
from newsbridge.stories.queries import group_by_story, story_ids
from newsbridge.vocab.mediatopics import vocabulary
from newsbridge.web.context import COOKIE, Viewer, page, viewer
from newsbridge.web.highlight import highlight
from newsbridge.web.media import thumbnails

router = APIRouter(include_in_schema=False)
EVENTS_WAIT = 2.0  # seconds between looks when nothing woke the stream: how soon an ended session ends it
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


PAGE_SIZE = 100


def cursor(value: str | None) -> InboxCursor | None:
    """A page cursor from a link (``<arrival time>_<delivery id>``); anything else is the first page."""
    when, _, number = (value or "").rpartition("_")
    try:
        return datetime.fromisoformat(when), int(number)
    except ValueError:
        return None


def _start(value: str | None) -> int:
    return int(value) if (value or "").isdigit() and int(value) < 10**9 else 1


def _partners(conn: Any, who: Viewer) -> list[tuple[str, str]]:
    """Partners for the filter: parties of agreements proposed at least once, and their outlets
    (an outlet publishes under its own name, so its items are filtered by it)."""
    parties = {p.id: p for a in list_agreements(conn, who.organization) if a.proposed for p in a.parties
               if p.id not in (who.organization.id, who.organization.parent_id)}
    found = {(p.slug, p.name) for p in parties.values()}
    for party_id in parties:
        found |= {(o.slug, o.name) for o in outlets_of(conn, party_id) if o.id != who.organization.id}
    return sorted(found, key=lambda p: p[1].casefold())


def _unread(conn: Any, who: Viewer) -> dict[str, Any]:
    """The unread-by-partner panel's values: ``unread`` (slug, name, count) and ``unread_more``
    (counted over the newest entries, and there were more: each count is a lower bound, "1,000+")."""
    unread, more = unread_by_partner(conn, who.organization, who.member)
    return {"unread": unread, "unread_more": more, "unread_window": inbox_counts.COUNTED_ENTRIES}


def _context(request: Request, who: Viewer) -> dict[str, Any]:
    filters = _filters(request)
    before = cursor(request.query_params.get("before"))
    start = _start(request.query_params.get("from")) if before else 1
    with reading(request.app.state.hub.engine) as conn:
        found = incoming(conn, who.organization, who.member, filters, limit=PAGE_SIZE, zone=ZoneInfo(who.timezone),
                         before=before)
        unread = _unread(conn, who)
        # the newest entries' languages, and the one chosen (an older item's language stays chosen)
        languages = sorted({*received_languages(conn, who.organization),
                            *([filters.language] if filters.language else [])})
        partners = _partners(conn, who)
        thumbs = thumbnails(request, who, conn, [row.record for row in found.rows],
                            {row.record.id: row.received.agreement_id for row in found.rows})
        stories = story_ids(conn, [row.record.id for row in found.rows])
    # one row per story on the page: "3 items · 3 languages · 2 partners", the others folded under it
    groups = group_by_story(found.rows, stories, lambda r: r.record.id, lambda r: r.language,
                            lambda r: r.record.source.id)
    topics = vocabulary()
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("before", "from")]
    next_link = None
    if found.next_cursor is not None:
        at, number = found.next_cursor
        next_link = "/desk?" + urlencode([*kept, ("before", f"{at.isoformat()}_{number}"),
                                          ("from", str(start + len(found.rows)))])
    count = {"first": start,
             "last": start + len(found.rows) - 1,
             "total": found.total,
             "more": found.total_is_lower_bound}  # a broad search counted up to a cap: "1,000+ results"
    return {"rows": found.rows, "groups": groups, "thumbs": thumbs, "filters": filters, **unread, "partners": partners,
            "unread_counts": {slug: n for slug, _, n in unread["unread"]},
            "topics": [(q, topics[q].label) for q in TOP_TOPICS], "languages": languages,
            "query": request.url.query, "count": count, "total": found.total, "next_link": next_link,
            "first_link": ("/desk?" + urlencode(kept)) if before else None,
            "mark": lambda text: highlight(text, filters.q)}


@router.get("/desk")
def desk(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return page(request, "desk.html", who, **_context(request, who))


@router.get("/desk/rows")
def desk_rows(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """The list alone, for live refreshes (htmx swaps it in)."""
    return page(request, "desk_rows.html", who, **_context(request, who))


@router.get("/desk/unread")
def desk_unread(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """The unread-by-partner panel alone, refreshed with the list on live arrivals."""
    with reading(request.app.state.hub.engine) as conn:
        unread = _unread(conn, who)
    return page(request, "desk_unread.html", who, **unread)


@router.get("/desk/events")
async def desk_events(request: Request, who: Viewer = Depends(viewer)) -> StreamingResponse:
    """Server-sent events telling the open desk that something new arrived. The member's session is read
    again before each look (every EVENTS_WAIT seconds at most), so the stream ends within seconds of a
    sign-out, a deactivation or the organization's suspension (each ends the session)."""
    hub = request.app.state.hub
    token = request.cookies.get(COOKIE, "")

    def newer(after: int) -> list[Any] | None:
        with reading(hub.engine) as conn:
            if find_session(conn, token) is None:
                return None
            return changes(conn, who.organization, after, 50)

    def start() -> int:
        with reading(hub.engine) as conn:
            return latest_position(conn)

    async def events() -> AsyncIterator[bytes]:
        position = await read(hub.engine, start)
        yield b"retry: 2000\n\n"  # after the start is read: what arrives once the page sees this is announced
        quiet = 0.0
        while not await request.is_disconnected():
            found = await read(hub.engine, newer, position)
            if found is None:
                yield b"event: ended\ndata: {}\n\n"
                return
            if found:
                position = found[-1].position
                quiet = 0.0
                yield f"event: arrived\ndata: {len(found)}\n\n".encode()
            elif not await hub.signal.wait(EVENTS_WAIT):
                quiet += EVENTS_WAIT
                if quiet >= 10.0:
                    yield b": keep-alive\n\n"
                    quiet = 0.0

    return StreamingResponse(until_database_fails(events(), "desk"), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
