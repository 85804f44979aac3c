"""Team: an organization's members, invitations, API keys and audit log, run by its admins on the desk.

Everyone of the organization sees the members; only admins invite, change roles, deactivate, make
and revoke keys and read the audit log (others get 403 on those forms). The services are the
API's (accounts/team.py, accounts/api_keys.py), so the rules are the same: the last admin stays,
a key is shown once, every change is on the audit log.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts import audit
from newsbridge.accounts.api_keys import SCOPES, create_api_key, list_api_keys, parse_allowed_ips, revoke_api_key
from newsbridge.accounts.members import list_members
from newsbridge.accounts.operators import pending_invitations
from newsbridge.accounts.team import change_role, deactivate, invite
from newsbridge.config import base_url
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.i18n import N_
from newsbridge.web.invitation_mail import send_invitation

router = APIRouter(include_in_schema=False)


def _context(request: Request, who: Viewer, **extra: Any) -> dict[str, Any]:
    with reading(request.app.state.hub.engine) as conn:
        people = list_members(conn, who.organization.slug)
        keys = list_api_keys(conn, who.organization.slug) if who.may("manage") else []
        waiting = pending_invitations(conn, who.organization.id) if who.may("manage") else []
    return {"people": people, "keys": keys, "invitations": waiting, "scopes": SCOPES,
            "roles": ("admin", "editor", "viewer"), **extra}


def _who(request: Request, who: Viewer) -> dict[str, Any]:
    return {"actor": who.member.email, "address": request.client.host if request.client else None}


def _done(request: Request, who: Viewer, action: Any, **shown: Any) -> HTMLResponse:
    """Run ``action(conn)`` in one write; the page again, with what it showed or the error beside it."""
    try:
        with writing(request.app.state.hub.engine) as conn:
            result = action(conn)
    except NewsbridgeError as exc:
        if exc.status == 404:
            raise  # someone else's id: the same "not found" page as any missing one
        return page(request, "team.html", who, status=exc.status, flash=exc.message, flash_kind="error",
                    **_context(request, who))
    extra = {name: (value(result) if callable(value) else value) for name, value in shown.items()}
    return page(request, "team.html", who, **_context(request, who, **extra))


@router.get("/team")
def team_page(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return page(request, "team.html", who, **_context(request, who))


async def _admin_form(request: Request, who: Viewer) -> dict[str, Any]:
    form = await checked_form(request, who)
    who.require("manage")
    return form


@router.post("/team/invite")
async def invite_member(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await _admin_form(request, who)
    return await run_in_threadpool(_invite, request, who, form)


def _invite(request: Request, who: Viewer, form: dict[str, Any]) -> HTMLResponse:
    settings = request.app.state.hub.settings
    locale = str(form.get("locale") or who.locale)
    try:
        with writing(request.app.state.hub.engine) as conn:
            invitation, token = invite(conn, who.organization.id, str(form.get("email", "")),
                                       str(form.get("role", "editor")), **_who(request, who))
        link = f"{base_url(settings)}/invite/{token}"
        mailed = send_invitation(settings, invitation, who.organization.name, link, locale)
    except NewsbridgeError as exc:
        return page(request, "team.html", who, status=exc.status, flash=exc.message, flash_kind="error",
                    **_context(request, who))
    flash = N_("Invitation sent by e-mail.") if mailed else N_("No mail server is set up: send this link yourself.")
    return page(request, "team.html", who, flash=flash, **_context(request, who, link=None if mailed else link))


@router.post("/team/members/{member_id}/role")
async def member_role(request: Request, member_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await _admin_form(request, who)
    return await run_in_threadpool(_done, request, who, lambda conn: change_role(
        conn, who.organization.id, member_id, str(form.get("role", "")), **_who(request, who)),
        flash=N_("Role changed."))


@router.post("/team/members/{member_id}/deactivate")
async def member_out(request: Request, member_id: str, who: Viewer = Depends(viewer)) -> Response:
    await _admin_form(request, who)
    return await run_in_threadpool(_done, request, who, lambda conn: deactivate(
        conn, who.organization.id, member_id, **_who(request, who)), flash=N_("Member deactivated; their sessions ended."))


@router.post("/team/keys")
async def new_key(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await _admin_form(request, who)
    return await run_in_threadpool(_new_key, request, who, form)


def _new_key(request: Request, who: Viewer, form: dict[str, Any]) -> HTMLResponse:
    def act(conn: Any) -> tuple[Any, str]:
        ips = [part.strip() for part in str(form.get("allowed_ips", "")).replace("\n", ",").split(",") if part.strip()]
        return create_api_key(conn, who.organization.slug, [s for s in SCOPES if form.get(f"scope_{s}")],
                              str(form.get("label", ""))[:200], expires_at=_expiry(form.get("expires"), who),
                              allowed_ips=parse_allowed_ips(ips) if ips else (), **_who(request, who))

    return _done(request, who, act, new_key=lambda made: made[1])


def _expiry(value: Any, who: Viewer) -> datetime | None:
    """The end of the chosen day in the member's time zone."""
    if not value:
        return None
    try:
        day = datetime.fromisoformat(str(value)).date()
    except ValueError:
        raise InvalidInput("the expiry must be a date", field="expires") from None
    zone = ZoneInfo(who.timezone or "UTC")
    ends = datetime.combine(day, time(23, 59, 59), zone)
    if ends <= datetime.now(zone):
        raise InvalidInput("the expiry date is in the past", field="expires")
    return ends


@router.post("/team/keys/{key_id}/revoke")
async def drop_key(request: Request, key_id: str, who: Viewer = Depends(viewer)) -> Response:
    await _admin_form(request, who)
    return await run_in_threadpool(_done, request, who, lambda conn: revoke_api_key(
        conn, key_id, organization_id=who.organization.id, **_who(request, who)), flash=N_("Key revoked."))


PAGE = 200


def _audit(request: Request, who: Viewer, limit: int) -> tuple[list[audit.Entry], dict[str, str]]:
    """The organization's entries for its admins, filtered by an action prefix and paged back by ``before``
    (an entry's number), as on the operator's page."""
    who.require("manage")
    action = request.query_params.get("action", "")[:64]
    before = request.query_params.get("before", "")
    try:
        before_id = int(before) if before else None
    except ValueError:
        raise InvalidInput("before must be an entry number", field="before") from None
    with reading(request.app.state.hub.engine) as conn:
        found = audit.entries(conn, who.organization.id, action=action or None, before=before_id, limit=limit)
    return found, {"action": action, "before": before if before_id else ""}


@router.get("/team/audit")
def audit_page(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    entries, chosen = _audit(request, who, PAGE)
    return page(request, "team_audit.html", who, entries=entries, action=chosen["action"], before=chosen["before"],
                next_before=entries[-1].id if len(entries) == PAGE else None, export_limit=audit.MAX_PAGE)


@router.get("/team/audit.csv")
def audit_csv(request: Request, who: Viewer = Depends(viewer)) -> Response:
    entries, _ = _audit(request, who, audit.MAX_PAGE)
    return Response(audit.csv_text(entries), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{who.organization.slug}-audit.csv"'})


@router.get("/team/audit.jsonl")
def audit_jsonl(request: Request, who: Viewer = Depends(viewer)) -> Response:
    entries, _ = _audit(request, who, audit.MAX_PAGE)
    return Response(audit.json_lines(entries), media_type="application/x-ndjson; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{who.organization.slug}-audit.jsonl"'})
