"""``/team/profile``: the organization's profile on the desk. Everyone of the organization reads it; its
admins change it (names in each language, languages, time zone, credit line, contact), through the
same service as ``PATCH /api/v1/organization`` (accounts/profile.py), so the rules and the audit
entry are the same. Its admins also grant the hub operator support access, and revoke it
(accounts/support.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.profile import NAME_LANGUAGES, get_profile, update_profile
from newsbridge.accounts.support import MAX_DAYS, grant_of, grant_support, revoke_support, until_from_form
from newsbridge.db.engine import reading, writing
from newsbridge.errors import NewsbridgeError
from newsbridge.ids import utcnow
from newsbridge.web.context import Viewer, checked_form, page, sentence, viewer
from newsbridge.web.i18n import N_

router = APIRouter(include_in_schema=False)


def _page(request: Request, who: Viewer, status: int = 200, **extra: Any) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        profile = get_profile(conn, who.organization.id)
        grant = grant_of(conn, who.organization.id)
    today = utcnow().date()
    return page(request, "organization_profile.html", who, status=status, profile=profile,
                name_languages=NAME_LANGUAGES, grant=grant if grant and grant.holds() else None,
                support_min=today.isoformat(), support_max=(today + timedelta(days=MAX_DAYS)).isoformat(), **extra)


@router.get("/team/profile")
def profile_page(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return _page(request, who)


@router.post("/team/profile")
async def change_profile(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("manage")
    return await run_in_threadpool(_change, request, who, form)


def _change(request: Request, who: Viewer, form: dict[str, Any]) -> HTMLResponse:
    text = {k: str(v) for k, v in form.items()}
    changes = {
        "name": text.get("name", ""), "credit_line": text.get("credit_line", ""),
        "timezone": text.get("timezone", ""),
        "languages": [p.strip() for p in text.get("languages", "").split(",") if p.strip()],
        "names": {code: text.get(f"name_{code}", "") for code in NAME_LANGUAGES},
        "contact": {k: text.get(f"contact_{k}", "") for k in ("name", "email", "phone")},
    }
    try:
        with writing(request.app.state.hub.engine) as conn:
            update_profile(conn, who.organization.id, changes, actor=who.member.email,
                           address=request.client.host if request.client else None)
    except NewsbridgeError as exc:
        # nothing was saved: the form again with what was typed and what to fix
        return _page(request, who, status=exc.status, flash=sentence(exc.message), flash_kind="error", typed=text)
    return _page(request, who, flash=N_("Profile saved."))


@router.post("/team/profile/support")
async def grant_support_access(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("manage")
    return await run_in_threadpool(_grant, request, who, str(form.get("until", "")))


def _grant(request: Request, who: Viewer, until: str) -> HTMLResponse:
    try:
        with writing(request.app.state.hub.engine) as conn:
            grant_support(conn, who.organization.id, until_from_form(until), actor=who.member.email,
                          address=request.client.host if request.client else None)
    except NewsbridgeError as exc:
        return _page(request, who, status=exc.status, flash=sentence(exc.message), flash_kind="error")
    return _page(request, who, flash=N_("Support access granted: the hub operator may read your own items."))


@router.post("/team/profile/support/revoke")
async def revoke_support_access(request: Request, who: Viewer = Depends(viewer)) -> Response:
    await checked_form(request, who)
    who.require("manage")
    return await run_in_threadpool(_revoke, request, who)


def _revoke(request: Request, who: Viewer) -> HTMLResponse:
    with writing(request.app.state.hub.engine) as conn:
        revoke_support(conn, who.organization.id, actor=who.member.email,
                       address=request.client.host if request.client else None)
    return _page(request, who, flash=N_("Support access revoked: the hub operator no longer sees your items."))
