"""Joint projects kept live in the desk: the project's events as server-sent events, and media dropped
on a draft attached as soon as its upload finished.

``/projects/{id}/live`` sends the ``project.*`` events of one project (the same events, ids and JSON
as the API's stream with ``?projects=true``), each with its line of the activity list and its time
in the member's language, to a member whose organization takes part in or observes the project;
everyone else gets 404 like a missing id, and the stream ends when the session ends. The project
page refreshes its board, timeline and activity from them; the deliverable page says who changed
the draft and when, never touching what the member is typing (projects-live.js).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.sessions import find_session
from newsbridge.db.engine import read, reading
from newsbridge.delivery.sse import until_database_fails
from newsbridge.errors import DraftConflict, InvalidInput, NewsbridgeError, NotFound
from newsbridge.projects.attachable import attach_upload
from newsbridge.projects.deliverables import get_deliverable, list_deliverables
from newsbridge.projects.events import ProjectEvent, list_events
from newsbridge.projects.projects import Actor, get_project
from newsbridge.projects.reads import member_label
from newsbridge.web.context import COOKIE, Viewer, checked_form, viewer
from newsbridge.web.i18n import gettext_for, local_time, number
from newsbridge.web.project_pages import EVENT_NAMES, event_key, event_words, newest_event_id

router = APIRouter(include_in_schema=False)
WAIT = 2.0  # seconds between reads when nothing woke the stream (writes by the API or another process)
KEEP_ALIVE = 15.0
MAX_ID = 2**62


def _event_id(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 19 and int(text) < MAX_ID else None


def _newest(engine: Any, who: Viewer, project_id: str) -> int:
    with reading(engine) as conn:
        return newest_event_id(conn, get_project(conn, who.organization, project_id))


def _events_after(engine: Any, who: Viewer, token: str, project_id: str, after: int) -> list[dict[str, Any]] | None:
    """The project's events after ``after`` as the page reads them; None once the member may no longer
    see them (signed out, or the organization no longer in the project)."""
    with reading(engine) as conn:
        if find_session(conn, token) is None:
            return None
        try:
            project = get_project(conn, who.organization, project_id)
        except NotFound:
            return None
        found = list_events(conn, project.id, after, 50)
        titles = {d.id: d.title for d in list_deliverables(conn, project.id)} if found else {}
    _ = gettext_for(who.locale)
    return [_shown(e, titles, who, _) for e in found]


def _shown(event: ProjectEvent, titles: dict[str, str], who: Viewer, _: Any) -> dict[str, Any]:
    key = event_key(event)
    text = _(EVENT_NAMES[key], **event_words(event, titles)) if key in EVENT_NAMES else event.type
    return {**event.to_json(), "text": text, "when": local_time(event.at, who.timezone, who.locale)}


@router.get("/projects/{project_id}/live")
async def live(request: Request, project_id: str, after: str | None = None,
               last_event_id: str | None = Header(None), who: Viewer = Depends(viewer)) -> StreamingResponse:
    """Server-sent events of one project for its page: ``event: project.…``, ``id`` the event id (a
    reconnect resumes after it), data the event's JSON with ``text`` and ``when`` in the member's words."""
    hub = request.app.state.hub
    token = request.cookies.get(COOKIE, "")
    start = _event_id(last_event_id) if last_event_id else _event_id(after)
    newest = await read(hub.engine, _newest, hub.engine, who, project_id)  # 404 for a stranger, before streaming
    position = newest if start is None else min(start, newest)

    async def events(position: int) -> AsyncIterator[bytes]:
        quiet = 0.0
        while not await request.is_disconnected():
            found = await read(hub.engine, _events_after, hub.engine, who, token, project_id, position)
            if found is None:
                yield b"event: ended\ndata: {}\n\n"
                return
            for shown in found:
                position = shown["id"]
                yield f"id: {position}\nevent: {shown['type']}\ndata: ".encode() + json.dumps(shown, ensure_ascii=False).encode() + b"\n\n"
            if found:
                quiet = 0.0
            elif not await hub.signal.wait(WAIT):
                quiet += WAIT
                if quiet >= KEEP_ALIVE:
                    yield b": keep-alive\n\n"
                    quiet = 0.0

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        async for chunk in until_database_fails(events(position), "project"):
            yield chunk

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/media")
async def attach(request: Request, project_id: str, deliverable_id: str, language: str,
                 who: Viewer = Depends(viewer)) -> Response:
    """Attach a finished upload (its id) to the draft, made from ``base_revision``: JSON for the editor's
    script, ``{"revision", "media", "reset"}``; 409 ``draft_conflict`` with who changed it and when."""
    form = await checked_form(request, who)
    hub = request.app.state.hub

    def run() -> Response:
        with reading(hub.engine) as conn:  # a stranger's id: 404 before anything else
            project = get_project(conn, who.organization, project_id)
            get_deliverable(conn, project, deliverable_id)
        try:
            who.require("publish")
            base = str(form.get("base_revision", ""))
            if not (base.isascii() and base.isdigit()) or len(base) > 9:
                raise InvalidInput("base_revision is the revision the page shows (0 for a new draft)",
                                   field="base_revision")
            upload = str(form.get("upload", "")).strip()
            if not upload or len(upload) > 100:
                raise InvalidInput("upload is the id of a finished upload", field="upload")
            actor = Actor(who.organization, who.member, member_label(who.member, who.organization))
            revision, reset = attach_upload(hub.engine, project_id, deliverable_id, language, actor, upload, int(base))
        except DraftConflict as conflict:
            details = conflict.details
            return JSONResponse({"error": {"code": conflict.code, "message": conflict.message, "field": "base_revision",
                                           "current_revision": details["current_revision"],
                                           "changed_by": details["changed_by"],
                                           "changed_at": local_time(datetime.fromisoformat(str(details["changed_at"])), who.timezone,
                                                                    who.locale)}}, status_code=409)
        except NewsbridgeError as exc:
            return JSONResponse(exc.to_dict(), status_code=exc.status)
        hub.signal.notify()  # open pages of the project hear of it now
        revision_text = gettext_for(who.locale)("revision %(num)s", num=number(revision.number, who.locale))
        return JSONResponse({"revision": revision.number, "revision_text": revision_text, "reset": reset,
                             "media": [str(m.get("href", "")).rsplit(":", 1)[-1] for m in revision.content.media]})

    return await run_in_threadpool(run)
