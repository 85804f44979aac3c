"""``/api/v1/media-push-targets``: your own S3 buckets the hub pushes the originals you receive into,
and the log of each push (state, attempts, last error), like webhook endpoints and their messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub, json_body
from newsbridge.db.engine import reading, writing
from newsbridge.ids import utcnow
from newsbridge.media.push import list_pushes, replay
from newsbridge.media.push_targets import (PushTarget, create_target, get_target, list_targets, target_health,
                                           update_target)

router = APIRouter(prefix="/api/v1", tags=["media"])


def target_json(conn: Connection, target: PushTarget) -> dict[str, Any]:
    """A target as its organization sees it: everything but the secret, with counts of its pushes by state."""
    state = target_health(conn, target.id)
    return {"id": target.id, "endpoint_url": target.endpoint_url, "bucket": target.bucket, "prefix": target.prefix,
            "region": target.region, "access_key": target.access_key, "enabled": target.enabled,
            "disabled_reason": target.disabled_reason,
            "failing_since": target.failing_since.isoformat() if target.failing_since else None,
            "pushes": state.counts, "last_status": state.last_status, "last_error": state.last_error,
            "created_at": target.created_at.isoformat()}


@router.post("/media-push-targets", status_code=201, summary="Have the originals you receive pushed to your S3 bucket")
async def add_target(request: Request, principal: Principal = Depends(caller("manage")),
                     the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Body: `{"endpoint_url": "https://s3.eu-central-1.amazonaws.com", "bucket", "prefix", "region",
    "access_key", "secret_key"}`. The secret is kept sealed and never shown back. Media delivered to you
    from now on is pushed to `s3://bucket/prefix/<item id>/<file name>` as your agreements' media rules allow."""
    data = await json_body(request)
    return await run_in_threadpool(_add_target, the_hub, principal, data)


def _add_target(the_hub: Hub, principal: Principal, data: Any) -> JSONResponse:
    with writing(the_hub.engine) as conn:
        target = create_target(conn, principal.organization, data, the_hub.settings.allow_private_targets)
        body = target_json(conn, target)
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/media-push-targets/{target.id}"})


@router.get("/media-push-targets", summary="Your push targets with their health")
def index(principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"media_push_targets": [target_json(conn, t) for t in list_targets(conn, principal.organization)]}


@router.get("/media-push-targets/{target_id}", summary="One push target: counts by state, last error")
def show(target_id: str, principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return target_json(conn, get_target(conn, principal.organization, target_id))


@router.patch("/media-push-targets/{target_id}", summary="Turn a push target off or on, or replace its keys")
async def change(target_id: str, request: Request, principal: Principal = Depends(caller("manage")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Body: `{"enabled": false}`, or `{"access_key", "secret_key"}` (both) to replace the credentials."""
    data = await json_body(request)
    return await run_in_threadpool(_change, the_hub, principal, target_id, data)


def _change(the_hub: Hub, principal: Principal, target_id: str, data: Any) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        return target_json(conn, update_target(conn, principal.organization, target_id, data))


@router.get("/media-push-targets/{target_id}/pushes", summary="The push log: each item's media, state and attempts")
def pushes(target_id: str, limit: int = Query(50, ge=1, le=500), principal: Principal = Depends(caller("read")),
           the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        get_target(conn, principal.organization, target_id)
        return {"pushes": [{k: v.isoformat() if isinstance(v, datetime) else v for k, v in push.items()}
                           for push in list_pushes(conn, target_id, limit)]}


@router.post("/media-push-targets/{target_id}:replay", summary="Push failed or dead pushes again")
def replay_pushes(target_id: str, push_id: int | None = Query(None, description="One push (also a delivered one)"),
                  principal: Principal = Depends(caller("manage")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        get_target(conn, principal.organization, target_id)
        return {"replayed": replay(conn, target_id, utcnow(), push_id=push_id)}
