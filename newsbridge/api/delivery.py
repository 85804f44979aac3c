"""Delivery API: webhook endpoints, delivery status, the changes feed and the live stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.engine import Connection, Engine
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from newsbridge.accounts.api_keys import USED_PRECISION, Principal
from newsbridge.api.params import IsoTime
from newsbridge.api.deps import (Hub, authorize, bearer, caller, client_address, hub, json_body, key_actor,
                                 note_use)
from newsbridge.db.engine import read, reading, writing
from newsbridge.delivery.endpoints import (Endpoint, create_endpoint, get_endpoint, health, list_endpoints,
                                           rotate_secret, set_enabled)
from newsbridge.delivery.feeds import MAX_POSITION, decode_cursor, encode_cursor, latest_position, page_bytes
from newsbridge.delivery.live import KEY_RECHECK, live_reads
from newsbridge.delivery.outbox import replay
from newsbridge.delivery.sse import until_database_fails
from newsbridge.delivery.status import partner_summary, recipient_deliveries
from newsbridge.errors import InvalidInput, NotFound, Unauthenticated
from newsbridge.ids import utcnow
from newsbridge.items.queries import get_item
from newsbridge.items.render import Format
from newsbridge.projects.events import latest_project_event_id, project_events_for

router = APIRouter(prefix="/api/v1", tags=["delivery"])
MAX_WAIT = 60
KEEP_ALIVE = 15.0  # seconds of silence before a stream sends a comment, so proxies keep it open


def endpoint_json(conn: Connection, endpoint: Endpoint) -> dict[str, Any]:
    state = health(conn, endpoint.id)
    return {"id": endpoint.id, "url": endpoint.url, "events": list(endpoint.events),
            "ninjs_version": endpoint.ninjs_version, "format": endpoint.format, "enabled": endpoint.enabled,
            "disabled_reason": endpoint.disabled_reason,
            "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None,
            "paused_until": endpoint.paused_until.isoformat() if endpoint.paused_until else None,
            "previous_secret_until": endpoint.previous_secret_until.isoformat()
            if endpoint.previous_secret_until else None,
            "deliveries": state.counts, "last_status": state.last_status, "last_error": state.last_error,
            "created_at": endpoint.created_at.isoformat()}


@router.post("/endpoints", status_code=201, summary="Register a webhook endpoint (the secret is shown once)")
async def add_endpoint(request: Request, principal: Principal = Depends(caller("manage")),
                       the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Body: `{"url", "events": ["item.published", "item.updated", "item.withdrawn"], "format": "ninjs3"}`;
    `format` is `ninjs3` (default), `ninjs2` or `ninjs1-superdesk` (the older `"ninjs_version": "3"|"2"` still works)."""
    data = await json_body(request)
    return await run_in_threadpool(_add_endpoint, the_hub, principal, data, client_address(request))


def _add_endpoint(the_hub: Hub, principal: Principal, data: Any, address: str | None = None) -> JSONResponse:
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object with url, events and format", field="$")
    for name in ("format", "ninjs_version"):  # given as null is a mistake, not a choice of the default
        if name in data and data[name] is None:
            raise InvalidInput(f"{name} must not be null; leave it out for the default", field=name)
    with writing(the_hub.engine) as conn:
        endpoint, secret = create_endpoint(conn, principal.organization, data.get("url"), data.get("events"),
                                           data.get("ninjs_version"), the_hub.settings.allow_private_targets,
                                           fmt=data.get("format"), actor=key_actor(principal), address=address)
        body = {**endpoint_json(conn, endpoint), "secret": secret}
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/endpoints/{endpoint.id}"})


@router.get("/endpoints", summary="Your endpoints with their health")
def index(principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"endpoints": [endpoint_json(conn, e) for e in list_endpoints(conn, principal.organization)]}


@router.get("/endpoints/{endpoint_id}", summary="One endpoint: health, last error, counts by state")
def show(endpoint_id: str, principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return endpoint_json(conn, get_endpoint(conn, principal.organization, endpoint_id))


@router.patch("/endpoints/{endpoint_id}", summary="Turn an endpoint off or on")
async def toggle(endpoint_id: str, request: Request, principal: Principal = Depends(caller("manage")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = await json_body(request)
    return await run_in_threadpool(_toggle, the_hub, principal, endpoint_id, data, client_address(request))


def _toggle(the_hub: Hub, principal: Principal, endpoint_id: str, data: Any, address: str | None) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("enabled"), bool):
        raise InvalidInput('send {"enabled": true} or {"enabled": false}', field="enabled")
    with writing(the_hub.engine) as conn:
        return endpoint_json(conn, set_enabled(conn, principal.organization, endpoint_id, data["enabled"],
                                               actor=key_actor(principal), address=address))


@router.post("/endpoints/{endpoint_id}:rotate-secret", summary="New secret; the old one signs too for a grace period")
def rotate(endpoint_id: str, request: Request, grace_hours: int = Query(24, description="Hours both secrets sign"),
           principal: Principal = Depends(caller("manage")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        secret = rotate_secret(conn, principal.organization, endpoint_id, grace_hours, actor=key_actor(principal),
                               address=client_address(request))
        return {**endpoint_json(conn, get_endpoint(conn, principal.organization, endpoint_id)), "secret": secret}


@router.post("/endpoints/{endpoint_id}:replay", summary="Send failed or dead messages again")
def replay_messages(endpoint_id: str, message_id: str | None = Query(None, description="One message (webhook-id)"),
                    since: IsoTime | None = Query(None, description="All failed since this time"),
                    principal: Principal = Depends(caller("manage")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        get_endpoint(conn, principal.organization, endpoint_id)
        count = replay(conn, endpoint_id, utcnow(), message_id=message_id, since=since)
    return {"replayed": count}


@router.get("/deliveries", summary="Deliveries to you: item, event, and each endpoint's state")
def deliveries(limit: int = Query(50, ge=1, le=500), principal: Principal = Depends(caller("read")),
               the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"deliveries": recipient_deliveries(conn, principal.organization, limit)}


@router.get("/items/{item_id}/deliveries", summary="For the source: delivery state per partner")
def item_deliveries(item_id: str, principal: Principal = Depends(caller("read")),
                    the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        record = get_item(conn, principal.organization, item_id)
        if record.source.id != principal.organization.id:
            raise NotFound(f"no item {item_id!r}", field="id")
        return {"id": item_id, "partners": partner_summary(conn, item_id)}


@router.get("/feed", summary="Your changes feed: every delivery once, in order, with a cursor")
async def feed(request: Request, cursor: str | None = Query(None), limit: int = Query(100, ge=1, le=500),
               wait: int = Query(0, ge=0, le=MAX_WAIT, description="Long-poll: seconds to wait for news"),
               format: Format = "ninjs3", credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
               the_hub: Hub = Depends(hub)) -> Response:
    """Follow `cursor` from each answer to the next request; an empty page keeps the same cursor.
    Needs a key with the `read` scope."""
    after = decode_cursor(cursor)
    principal = await read(the_hub.engine, _authorized, the_hub, credentials, client_address(request))
    if principal.last_used_at is None or utcnow() - principal.last_used_at >= USED_PRECISION:
        await run_in_threadpool(note_use, the_hub, principal)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    live = live_reads(the_hub.engine)
    # Every page, the first too, comes from a read shared with the organization's other readers at this
    # position (delivery/live.py) that started after the newest delivery notified before this request: a
    # reader sees every delivery notified before it asked (one sequenced but not yet notified may come on
    # the next page, as it may to a read of its own begun a moment earlier). Readers answered by one read
    # ask next from the same cursor, so at 50 items/s the 150 feed readers of bench/load.py meet in a few
    # reads instead of each reading its own page (and each entry is encoded once a read, not once a reader).
    batch = await live.changes(the_hub.settings, principal.organization, after, limit, the_hub.signal.generation)
    while not batch.entries:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        await the_hub.signal.wait(min(remaining, 1.0))
        if not await live.key_active(principal.key_id):  # the key was revoked while the request waited
            raise Unauthenticated("the API key is unknown or revoked; ask your hub operator for a new one",
                                  field="Authorization")
        batch = await live.changes(the_hub.settings, principal.organization, after, limit,
                                   the_hub.signal.generation)
    entries = batch.entries
    next_cursor = encode_cursor(entries[-1].position) if entries else (cursor or encode_cursor(0))
    # Assembled as bytes around the stored documents' JSON text (see feeds.entry_bytes).
    return Response(page_bytes(entries, next_cursor, format, batch.encoded), media_type="application/json")


def _authorized(the_hub: Hub, credentials: HTTPAuthorizationCredentials | None, address: str | None) -> Principal:
    with reading(the_hub.engine) as conn:
        return authorize(conn, credentials, "read", address)


def _latest_position(engine: Engine) -> int:
    with reading(engine) as conn:
        return latest_position(conn)


def _project_events(engine: Engine, principal: Principal, after: int) -> list[Any]:
    with reading(engine) as conn:
        return project_events_for(conn, principal.organization, after, 100)


def _latest_project_event(engine: Engine) -> int:
    with reading(engine) as conn:
        return latest_project_event_id(conn)


@router.get("/stream", summary="Server-sent events: new deliveries as they happen (Last-Event-ID resumes)")
async def stream(request: Request, last_event_id: str | None = Header(None), format: Format = "ninjs3",
                 projects: bool = Query(False, description="Also send the project.* events of your joint projects; "
                                                           "event ids are then POSITION-EVENT"),
                 principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> StreamingResponse:
    position_text, _, event_text = (last_event_id or "").partition("-")
    after = int(position_text) if position_text.isdigit() else None
    if after is not None and after > MAX_POSITION:
        after = None  # not a position the hub gave out: start from now
    if after is None:
        after = await read(the_hub.engine, _latest_position, the_hub.engine)
    project_after = int(event_text) if projects and event_text.isdigit() and len(event_text) < 18 else None
    if projects and project_after is None:
        project_after = await read(the_hub.engine, _latest_project_event, the_hub.engine)

    async def events(position: int, project_position: int | None) -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        async for chunk in until_database_fails(_events(position, project_position), "api"):
            yield chunk

    async def _events(position: int, project_position: int | None) -> AsyncIterator[bytes]:
        clock = asyncio.get_running_loop().time
        quiet_since = clock()
        live = live_reads(the_hub.engine)
        while not await request.is_disconnected():
            # The key is checked before each read (asked of the database at most every KEY_RECHECK
            # seconds), so a revoked key ends the stream (the client's reconnect gets 401).
            if not await live.key_active(principal.key_id):
                yield b": the API key no longer works (revoked, expired, or its organization suspended); reconnect to see why\n\n"
                return
            # Shared with the organization's other streams at this position (delivery/live.py).
            batch = await live.changes(the_hub.settings, principal.organization, position, 100,
                                       the_hub.signal.generation)
            entries = batch.entries
            if entries and project_position is None:  # the shared read's events, as one chunk
                position = entries[-1].position
                yield batch.events(format)
            elif entries:
                position = entries[-1].position
                yield b"".join(f"id: {entry.position}-{project_position}\nevent: {entry.event}\ndata: ".encode()
                               + batch.encoded(entry, format) + b"\n\n" for entry in entries)
            if project_position is not None:  # a joint project's events, after the deliveries read with them
                found = await read(the_hub.engine, _project_events, the_hub.engine, principal, project_position)
                for project_event in found:
                    project_position = project_event.id
                    yield (f"id: {position}-{project_position}\nevent: {project_event.type}\ndata: ".encode()
                           + json.dumps(project_event.to_json(), ensure_ascii=False).encode() + b"\n\n")
                entries = entries or found
            if entries:
                quiet_since = clock()
                continue  # a full page may have more behind it: read on at once
            if not await the_hub.signal.wait(KEY_RECHECK) and clock() - quiet_since >= KEEP_ALIVE:
                yield b": keep-alive\n\n"
                quiet_since = clock()

    return StreamingResponse(events(after, project_after), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
