"""``/api/v1/sources``: feeds and endpoints the hub polls for your items, and their health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from sqlalchemy.engine import Connection

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub, json_body
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput
from newsbridge.ingest.sources import (Source, add_source, get_source, list_sources, poll_soon, recent_polls,
                                       set_source_enabled, set_source_fetch_media)

router = APIRouter(prefix="/api/v1", tags=["sources"])


def source_json(conn: Connection, source: Source, polls: int = 5) -> dict[str, Any]:
    return {"id": source.id, "url": source.url, "interval_seconds": source.interval_seconds,
            "language": source.language, "subjects": list(source.subjects), "enabled": source.enabled,
            "strict": source.strict, "fetch_media": source.fetch_media, "failures": source.failures, "next_poll_at": source.next_poll_at.isoformat(),
            "recent_polls": [{"at": p.at.isoformat(), "outcome": p.outcome, "http_status": p.http_status,
                              "stored": p.stored, "unchanged": p.unchanged, "rejected": p.rejected,
                              "error": p.error, "duration_ms": p.duration_ms}
                             for p in recent_polls(conn, source.id, polls)],
            "created_at": source.created_at.isoformat()}


@router.post("/sources", status_code=201, summary="Poll a feed or endpoint for your items")
async def create(request: Request, principal: Principal = Depends(caller("manage")),
                 the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Body: `{"url", "interval_seconds": 300, "language": "kk", "subjects": ["medtop:..."], "strict": false,
    "fetch_media": false}`. RSS, Atom, JSON Feed, NewsML-G2, NITF, NewsML 1.x and ninjs are recognized by their
    content; a `strict` source's documents are refused where the readers would accept them with warnings; with
    `fetch_media` the hub downloads the media its items name by URL and serves its own copy."""
    data = await json_body(request)
    return await run_in_threadpool(_create, the_hub, principal, data)


def _create(the_hub: Hub, principal: Principal, data: Any) -> JSONResponse:
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object with url and interval_seconds", field="$")
    with writing(the_hub.engine) as conn:
        source = add_source(conn, principal.organization, data.get("url"),
                            interval_seconds=data.get("interval_seconds", 300), language=data.get("language"),
                            subjects=data.get("subjects") or (), allow=the_hub.settings.allow_private_targets,
                            strict=data.get("strict", False), fetch_media=data.get("fetch_media", False))
        body = source_json(conn, source)
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/sources/{source.id}"})


@router.get("/sources", summary="Your sources with their last polls")
def index(principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"sources": [source_json(conn, s) for s in list_sources(conn, principal.organization)]}


@router.get("/sources/{source_id}", summary="One source and its recent polls")
def show(source_id: str, principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return source_json(conn, get_source(conn, principal.organization, source_id), polls=20)


@router.patch("/sources/{source_id}", summary="Turn polling, or the fetching of media, off or on")
async def toggle(source_id: str, request: Request, principal: Principal = Depends(caller("manage")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = await json_body(request)
    return await run_in_threadpool(_toggle, the_hub, principal, source_id, data)


def _toggle(the_hub: Hub, principal: Principal, source_id: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not data.keys() & {"enabled", "fetch_media"}:
        raise InvalidInput('send {"enabled": true|false} and/or {"fetch_media": true|false}', field="enabled")
    for name in ("enabled", "fetch_media"):
        if name in data and not isinstance(data[name], bool):
            raise InvalidInput(f"{name} must be true or false", field=name)
    with writing(the_hub.engine) as conn:
        source = get_source(conn, principal.organization, source_id)
        if "enabled" in data:
            source = set_source_enabled(conn, principal.organization, source_id, data["enabled"])
        if "fetch_media" in data:
            source = set_source_fetch_media(conn, principal.organization, source_id, data["fetch_media"])
        return source_json(conn, source)


@router.post("/sources/{source_id}:poll-now", summary="Poll this source at the next worker round")
def poll_now(source_id: str, principal: Principal = Depends(caller("manage")),
             the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        return source_json(conn, poll_soon(conn, principal.organization, source_id))
