"""``/api/v1/members``: an organization's admins list, invite, re-role and deactivate its members.

An invitation is mailed through ``NEWSBRIDGE_SMTP_URL`` in the language the admin chose; without a
mail server configured, the answer carries the link (``link``) for the admin to pass on. Another
organization's member ids answer 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.api_keys import Principal
from newsbridge.accounts.members import LOCALES, list_members
from newsbridge.accounts.team import change_role, deactivate, invite, member_json
from newsbridge.api.deps import Hub, caller, client_address, hub, json_body, key_actor
from newsbridge.config import base_url
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput
from newsbridge.web.invitation_mail import send_invitation

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.get("/members", summary="Your organization's members")
def index(principal: Principal = Depends(caller("manage")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"members": [member_json(m) for m in list_members(conn, principal.organization.slug)]}


@router.post("/members", status_code=201, summary="Invite someone by e-mail (a single-use link, 7 days)")
async def add(request: Request, principal: Principal = Depends(caller("manage")),
              the_hub: Hub = Depends(hub)) -> JSONResponse:
    """Body: `{"email", "role": "editor", "locale": "ru"}` (`locale`: the e-mail's language)."""
    data = await json_body(request)
    return await run_in_threadpool(_invite, the_hub, principal, data, client_address(request))


def _invite(the_hub: Hub, principal: Principal, data: Any, address: str | None) -> JSONResponse:
    if not isinstance(data, dict):
        raise InvalidInput('send {"email": "...", "role": "editor"}', field="$")
    locale = data.get("locale", "en")
    if locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    with writing(the_hub.engine) as conn:
        invitation, token = invite(conn, principal.organization.id, data.get("email"), data.get("role", "editor"),
                                   actor=key_actor(principal), address=address)
    link = f"{base_url(the_hub.settings)}/invite/{token}"
    body = {**invitation.to_json(), "mailed": send_invitation(the_hub.settings, invitation,
                                                             principal.organization.name, link, locale)}
    if not body["mailed"]:
        body["link"] = link  # no mail server: the admin passes the link on
    return JSONResponse(body, status_code=201)


@router.patch("/members/{member_id}", summary="Change a member's role")
async def update(member_id: str, request: Request, principal: Principal = Depends(caller("manage")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    data = await json_body(request)
    if not isinstance(data, dict) or "role" not in data:
        raise InvalidInput('send {"role": "admin" | "editor" | "viewer"}', field="role")
    return await run_in_threadpool(_change_role, the_hub, principal, member_id, data["role"], client_address(request))


def _change_role(the_hub: Hub, principal: Principal, member_id: str, role: Any, address: str | None) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        return member_json(change_role(conn, principal.organization.id, member_id, role, actor=key_actor(principal),
                                       address=address))


@router.delete("/members/{member_id}", summary="Deactivate a member (as :deactivate; the record stays for the audit log)")
@router.post("/members/{member_id}:deactivate", summary="Deactivate a member: sessions end, sign-in refused")
def stop(member_id: str, request: Request, principal: Principal = Depends(caller("manage")),
         the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        return member_json(deactivate(conn, principal.organization.id, member_id, actor=key_actor(principal),
                                      address=client_address(request)))
