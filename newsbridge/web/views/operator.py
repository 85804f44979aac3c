"""The hub operator's console: organizations (list, create with a first admin invited by e-mail, suspend
with a reason, reactivate), each one's admins (list, send an invitation again) and, while the organization grants
support access (accounts/support.py), its own items, read-only.

Operators sign in on ``/login`` (accounts/operators.py) and carry their own cookie; these pages answer
members like any page they may not see (an id in the path: 404; a form: 403; else: sign in). Every
action is an operator action on the audit log. Health and the audit log are in ``operator_health.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.media_limit import describe_size, exact_size, media_limit, parse_size, set_media_limit
from newsbridge.accounts.members import Member, Role, list_members
from newsbridge.accounts.operators import (Operator, OperatorSession, create_with_admin, end_operator_session,
                                           pending_invitations, resend_invitation, start_operator_session)
from newsbridge.accounts.organizations import get_organization, get_organization_by_id
from newsbridge.accounts.support import grant_of, own_item, own_items
from newsbridge.accounts.throttle import forgive
from newsbridge.accounts.suspension import reactivate, sign_in_refusal, suspend, suspension_of
from newsbridge.config import base_url
from newsbridge.db.engine import reading, writing
from newsbridge.errors import NewsbridgeError
from newsbridge.ops.hub_health import organization_rows
from newsbridge.web.context import page, sentence
from newsbridge.web.i18n import N_, gettext_for
from newsbridge.web.invitation_mail import send_invitation
from newsbridge.web.operator_context import OPERATOR_COOKIE, operator, operator_form

router = APIRouter(include_in_schema=False)
SUSPENDED_SIGN_IN = N_("Your organization's access to this hub is suspended by the hub operator. Contact the hub "
                       "operator to have it restored.")


def console(request: Request, who: OperatorSession, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """An operator page, in the operator's language."""
    return page(request, template, None, status=status, locale=who.operator.locale, operator=who, **context)


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


# ---- sign-in (called by views/auth.py once a password is right) ------------------------------------------------

def after_password(request: Request, engine: Engine, account: Member | Operator, client: str,
                   target: str) -> Response | None:
    """An operator's sign-in, or a suspended organization's member refused; None: sign the member in as usual."""
    if isinstance(account, Operator):
        with writing(engine) as conn:
            forgive(conn, client, account.email)
            token = start_operator_session(conn, account, client)
        response = RedirectResponse(target if target.startswith("/operator") else "/operator", status_code=303)
        response.set_cookie(OPERATOR_COOKIE, token, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", max_age=12 * 3600, path="/")
        return response
    with reading(engine) as conn:
        refused = sign_in_refusal(conn, get_organization_by_id(conn, account.organization_id))
    if refused is None:
        return None
    locale = account.locale
    return page(request, "login.html", None, status=403, locale=locale, email=account.email, next_path=target,
                error=gettext_for(locale)(SUSPENDED_SIGN_IN))


@router.post("/operator/logout")
async def operator_logout(request: Request, who: OperatorSession = Depends(operator)) -> Response:
    await operator_form(request, who)
    await run_in_threadpool(_end, request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(OPERATOR_COOKIE, path="/")
    return response


def _end(request: Request) -> None:
    with writing(request.app.state.hub.engine) as conn:
        end_operator_session(conn, request.cookies.get(OPERATOR_COOKIE, ""))


# ---- organizations ---------------------------------------------------------------------------------------------

def _organizations(request: Request, who: OperatorSession, status: int = 200, **extra: Any) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        rows = organization_rows(conn)
    return console(request, who, "operator_organizations.html", status=status, organizations=rows, **extra)


@router.get("/operator")
def operator_home(request: Request, who: OperatorSession = Depends(operator)) -> HTMLResponse:
    return _organizations(request, who)


@router.post("/operator/organizations")
async def create_organization(request: Request, who: OperatorSession = Depends(operator)) -> Response:
    form = await operator_form(request, who)
    return await run_in_threadpool(_create, request, who, form)


def _create(request: Request, who: OperatorSession, form: dict[str, str]) -> HTMLResponse:
    settings = request.app.state.hub.settings
    languages = tuple(p.strip() for p in form.get("languages", "").split(",") if p.strip())
    locale = form.get("locale") or who.operator.locale
    try:
        with writing(request.app.state.hub.engine) as conn:
            org, invitation, token = create_with_admin(
                conn, who.operator, form.get("slug", "").strip(), form.get("name", ""), form.get("admin_email", ""),
                parent=form.get("parent") or None, country=form.get("country") or None, languages=languages,
                timezone=form.get("timezone") or "UTC", address=_address(request))
        link = f"{base_url(settings)}/invite/{token}"
        mailed = send_invitation(settings, invitation, org.name, link, locale)
    except NewsbridgeError as exc:
        return _organizations(request, who, status=exc.status, flash=sentence(exc.message), flash_kind="error",
                              typed=form)
    flash = N_("Organization created; its first admin was invited by e-mail.") if mailed else \
        N_("Organization created. No mail server is set up: send this link to its first admin yourself.")
    return _organizations(request, who, flash=flash, link=None if mailed else link)


def _one(request: Request, who: OperatorSession, slug: str, status: int = 200, **extra: Any) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        org = get_organization(conn, slug)
        admins = [m for m in list_members(conn, slug) if m.role == Role.ADMIN]
        waiting = pending_invitations(conn, org.id)
        suspension = suspension_of(conn, org.id)
        grant = grant_of(conn, org.id)
    hub_limit = request.app.state.hub.settings.max_media_bytes
    return console(request, who, "operator_organization.html", status=status, org=org, admins=admins,
                   invitations=waiting, suspension=suspension, grant=grant if grant and grant.holds() else None,
                   media_limit=describe_size(media_limit(org, hub_limit)), hub_media_limit=describe_size(hub_limit),
                   own_media_limit=exact_size(org.max_media_bytes) if org.max_media_bytes is not None else "",
                   **extra)


@router.get("/operator/organizations/{slug}")
def organization_page(request: Request, slug: str, who: OperatorSession = Depends(operator)) -> HTMLResponse:
    return _one(request, who, slug)


@router.get("/operator/organizations/{slug}/items")
def support_items(request: Request, slug: str, who: OperatorSession = Depends(operator)) -> HTMLResponse:
    """The organization's own items, while it grants support access (accounts/support.py); 404 otherwise."""
    with writing(request.app.state.hub.engine) as conn:  # the read is written to the organization's audit log
        org = get_organization(conn, slug)
        found = own_items(conn, org.id, operator=who.operator.email, address=_address(request))
        grant = grant_of(conn, org.id)
    return console(request, who, "operator_support_items.html", org=org, items=found, grant=grant)


@router.get("/operator/organizations/{slug}/items/{item_id}")
def support_item(request: Request, slug: str, item_id: str, who: OperatorSession = Depends(operator)) -> HTMLResponse:
    with writing(request.app.state.hub.engine) as conn:
        org = get_organization(conn, slug)
        item, versions = own_item(conn, org.id, item_id, operator=who.operator.email, address=_address(request))
    return console(request, who, "operator_support_item.html", org=org, item=item, versions=versions)


def _act(request: Request, who: OperatorSession, slug: str, action: Callable[[Connection, Any], Any],
         flash: str) -> HTMLResponse:
    """Run ``action(conn, organization)`` in one write; the organization's page again, with the outcome."""
    try:
        with writing(request.app.state.hub.engine) as conn:
            action(conn, get_organization(conn, slug))
    except NewsbridgeError as exc:
        if exc.status == 404:
            raise
        return _one(request, who, slug, status=exc.status, flash=sentence(exc.message), flash_kind="error")
    return _one(request, who, slug, flash=flash)


@router.post("/operator/organizations/{slug}/suspend")
async def suspend_organization(request: Request, slug: str, who: OperatorSession = Depends(operator)) -> Response:
    form = await operator_form(request, who)
    return await run_in_threadpool(_act, request, who, slug, lambda conn, org: suspend(
        conn, org, form.get("reason", ""), actor=who.operator.email, address=_address(request)),
        N_("Suspended: its keys, feeds and sessions stopped; deliveries to it are held."))


@router.post("/operator/organizations/{slug}/reactivate")
async def reactivate_organization(request: Request, slug: str, who: OperatorSession = Depends(operator)) -> Response:
    await operator_form(request, who)
    return await run_in_threadpool(_act, request, who, slug, lambda conn, org: reactivate(
        conn, org, actor=who.operator.email, address=_address(request)),
        N_("Reactivated: its keys, feeds and sign-in work again; held deliveries go out."))


@router.post("/operator/organizations/{slug}/media-limit")
async def organization_media_limit(request: Request, slug: str, who: OperatorSession = Depends(operator)) -> Response:
    """Its media file size limit (accounts/media_limit.py): a size, or empty for the hub's."""
    form = await operator_form(request, who)
    return await run_in_threadpool(_act, request, who, slug, lambda conn, org: set_media_limit(
        conn, org, parse_size(form.get("max_media_bytes", "")), actor=who.operator.email, address=_address(request)),
        N_("Media file size limit saved; uploads already under way keep the length they declared."))


@router.post("/operator/organizations/{slug}/resend")
async def resend(request: Request, slug: str, who: OperatorSession = Depends(operator)) -> Response:
    form = await operator_form(request, who)
    return await run_in_threadpool(_resend, request, who, slug, form.get("invitation_id", ""),
                                   form.get("locale") or who.operator.locale)


def _resend(request: Request, who: OperatorSession, slug: str, invitation_id: str, locale: str) -> HTMLResponse:
    settings = request.app.state.hub.settings
    try:
        with writing(request.app.state.hub.engine) as conn:
            org = get_organization(conn, slug)
            invitation, token = resend_invitation(conn, who.operator, org.id, invitation_id,
                                                  address=_address(request))
        link = f"{base_url(settings)}/invite/{token}"
        mailed = send_invitation(settings, invitation, org.name, link, locale)
    except NewsbridgeError as exc:
        if exc.status == 404 and exc.field == "slug":
            raise
        return _one(request, who, slug, status=exc.status, flash=sentence(exc.message), flash_kind="error")
    flash = N_("Invitation sent again by e-mail; the earlier link no longer works.") if mailed else \
        N_("No mail server is set up: send this link yourself; the earlier link no longer works.")
    return _one(request, who, slug, flash=flash, link=None if mailed else link)
