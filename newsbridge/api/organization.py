"""``/api/v1/organization``: the calling organization's profile; its admins' keys change it.

The profile is the organization's names in each language, languages, time zone, credit line and
contact, with a holding's outlets listed (accounts/profile.py). ``PATCH`` changes only the fields
sent, all checked before any is written; every change is on the audit log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.api_keys import Principal
from newsbridge.accounts.profile import get_profile, update_profile
from newsbridge.api.deps import Hub, caller, client_address, hub, json_body, key_actor
from newsbridge.db.engine import reading, writing

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.get("/organization", summary="Your organization's profile")
def show(principal: Principal = Depends(caller(None)), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return get_profile(conn, principal.organization.id).to_json()


@router.patch("/organization", summary="Change your organization's profile (admin keys: manage scope)")
async def change(request: Request, principal: Principal = Depends(caller("manage")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Body: any of `name`, `names` (`{"kk": "...", "ru": "...", "fa": "..."}`), `languages` (`["kk", "ru"]`),
    `timezone` (`Asia/Almaty`), `credit_line`, `contact` (`{"name", "email", "phone"}`)."""
    data = await json_body(request)
    return await run_in_threadpool(_change, the_hub, principal, data, client_address(request))


def _change(the_hub: Hub, principal: Principal, data: Any, address: str | None) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        return update_profile(conn, principal.organization.id, data, actor=key_actor(principal),
                              address=address).to_json()
