"""``/api/v1/keys``: an organization's admins create, list and revoke its API keys themselves.

A key is created with scopes (``publish``, ``read``, ``manage``), an optional label, expiry and IP
allow-list, and shown once; the list never shows secrets but says when each key was last used; a
revoked key stops at once (its open live streams end, the feed tokens minted with it die too).
Every change is on the audit log. Another organization's key ids answer 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.api_keys import (Principal, create_api_key, list_api_keys, parse_allowed_ips,
                                          revoke_api_key)
from newsbridge.api.deps import Hub, caller, client_address, hub, json_body, key_actor
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput
from newsbridge.ids import utcnow

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.get("/keys", summary="Your organization's API keys (never their secrets)")
def index(principal: Principal = Depends(caller("manage")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"keys": [key.to_json() for key in list_api_keys(conn, principal.organization.slug)]}


@router.post("/keys", status_code=201, summary="Create an API key (the key is shown once)")
async def create(request: Request, principal: Principal = Depends(caller("manage")),
                 the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Body: `{"scopes": ["publish", "read"], "label": "CMS", "expires_at": "2027-06-30T00:00:00Z",
    "allowed_ips": ["203.0.113.0/24"]}`; only `scopes` is required."""
    data = await json_body(request)
    return await run_in_threadpool(_create, the_hub, principal, data, client_address(request))


def _create(the_hub: Hub, principal: Principal, data: Any, address: str | None) -> JSONResponse:
    if not isinstance(data, dict):
        raise InvalidInput('send a JSON object: {"scopes": ["read"], "label": "..."}', field="$")
    scopes = data.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise InvalidInput("scopes must be a list among publish, read, manage", field="scopes")
    label = data.get("label", "")
    if not isinstance(label, str) or len(label) > 200:
        raise InvalidInput("label must be text of up to 200 characters", field="label")
    expires_at = _expiry(data.get("expires_at"))
    allowed = parse_allowed_ips(data.get("allowed_ips"))
    with writing(the_hub.engine) as conn:
        key, raw = create_api_key(conn, principal.organization.slug, scopes, label, actor=key_actor(principal),
                                  address=address, expires_at=expires_at, allowed_ips=allowed)
    return JSONResponse({**key.to_json(), "key": raw}, status_code=201,
                        headers={"Location": f"/api/v1/keys/nb_{key.id}"})


def _expiry(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InvalidInput("expires_at must be an ISO 8601 time with a zone, like 2027-06-30T00:00:00Z",
                           field="expires_at")
    if when <= utcnow():
        raise InvalidInput("expires_at is in the past; give a later time", field="expires_at")
    return when


@router.delete("/keys/{key_id}", summary="Revoke a key at once (as :revoke; the record stays for the audit log)")
@router.post("/keys/{key_id}:revoke", summary="Revoke a key at once")
def revoke(key_id: str, request: Request, principal: Principal = Depends(caller("manage")),
           the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        key = revoke_api_key(conn, key_id, actor=key_actor(principal), address=client_address(request),
                             organization_id=principal.organization.id)
    return key.to_json()
