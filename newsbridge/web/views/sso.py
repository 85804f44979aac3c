"""Signing in through the organization's directory (OpenID Connect) on the desk.

* ``/login/sso``: the member types their e-mail; the hub finds the organization that claims its domain
  and sends the browser to that directory (accounts/oidc_flow.py: code flow with PKCE, state and nonce) with
  a page that moves on by itself (templates/sso_redirect.html: the CSP lets a form's answer redirect only
  to the hub itself).
  The state is also kept in a cookie of this browser, so only the browser that began can finish.
* ``/login/sso/callback``: the directory sends the browser back with a code; the hub swaps it for an ID
  token, verifies it and finds (or creates, or joins from an invitation) the member. Then the usual
  session, unless the organization's two-factor rule applies and it has not said that its directory
  enforces a second factor: then the hub's own second step follows (views/two_factor.py).
* ``/invite/{token}/sso``: an invitee joins by signing in through the directory instead of choosing a
  password.

Every outcome is on the audit log (``sign_in.succeeded`` / ``sign_in.failed`` with ``"via": "sso"``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts import audit, rate_limits
from newsbridge.accounts.members import EMAIL, Member
from newsbridge.accounts.oidc import client_secret, config_for_email, domain_of, get_config
from newsbridge.accounts.oidc_flow import (DirectoryUnavailable, Flow, SsoRefused, begin, discover, member_for,
                                           redeem, take_flow, verified_claims)
from newsbridge.accounts.sessions import start_session
from newsbridge.accounts.team import open_invitation
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput
from newsbridge.web.context import COOKIE, current_viewer, page
from newsbridge.web.i18n import N_, gettext_for
from newsbridge.web.signed_out_forms import check as check_form
from newsbridge.web.signed_out_forms import form_token, keep
from newsbridge.web.views import two_factor
from newsbridge.web.views.auth import _safe_next

router = APIRouter(include_in_schema=False)
FLOW_COOKIE = "nb_sso"
NO_DIRECTORY = N_("No organization on this hub signs in addresses at %(domain)s through a directory. Sign in with "
                  "your password.")
STARTS_PER_MINUTE = 20  # directory sign-ins one address may begin a minute (each keeps a row for ten minutes)
TOO_MANY = N_("Too many sign-ins through a directory from this address this minute. Wait a minute and try again.")
UNAVAILABLE = N_("Your organization's directory cannot be reached now. Try again later, or sign in with your "
                 "password.")
REASONS = {
    "browser": N_("This sign-in was started in another browser, was used already or took too long. Start again."),
    "token": N_("Your directory's answer could not be verified. Start again; if it keeps failing, tell your IT "
                "department."),
    "directory": N_("Your directory did not sign you in. Start again, or sign in with your password."),
    "no_email": N_("Your directory did not send your e-mail address. Your IT department must allow it for this hub."),
    "unverified": N_("Your directory has not verified your e-mail address yet."),
    "domain": N_("%(email)s is not an address of your organization. Sign in to your directory with your "
                 "organization's address."),
    "no_account": N_("%(email)s has no account on this hub yet. Ask an admin of your organization to invite you."),
    "other_org": N_("%(email)s belongs to another organization on this hub."),
    "deactivated": N_("%(email)s is deactivated. Ask an admin of your organization."),
    "suspended": N_("Your organization's access to this hub is suspended. Contact the hub operator."),
    "invitation": N_("This invitation is used or expired. Ask your admin for a new one."),
    "invitation_email": N_("This invitation is for another address. Sign in to your directory as the invited "
                           "person."),
}


def redirect_uri(request: Request) -> str:
    """The callback the directory sends browsers back to: register it there (NEWSBRIDGE_PUBLIC_URL behind a
    proxy; otherwise the address the browser used)."""
    settings = request.app.state.hub.settings
    base = settings.public_url.rstrip("/") if settings.public_url else str(request.base_url).rstrip("/")
    return f"{base}/login/sso/callback"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _form(request: Request, status: int = 200, error: str | None = None, email: str = "",
          target: str = "/desk") -> HTMLResponse:
    guard = form_token(request)
    return keep(request, page(request, "sso_sign_in.html", None, status=status, error=error, email=email,
                              next_path=target, form_token=guard), guard)  # type: ignore[return-value]


def _words(request: Request, message: str, **values: str) -> str:
    return gettext_for(request.cookies.get("nb_locale", "en"))(message, **values)


@router.get("/login/sso")
def sso_form(request: Request, next: str | None = None) -> Response:
    if current_viewer(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _form(request, target=_safe_next(next))


@router.post("/login/sso")
async def sso_start(request: Request) -> Response:
    form = await request.form()
    check_form(request, form)
    email = str(form.get("email", "")).strip().lower()[:320]
    return await run_in_threadpool(_start, request, email, _safe_next(str(form.get("next", ""))))


def _start(request: Request, email: str, target: str, invitation_id: str | None = None,
           organization_id: str | None = None) -> Response:
    engine, allow = request.app.state.hub.engine, request.app.state.hub.settings.allow_private_targets
    try:
        rate_limits.check(engine, f"sso:{_client(request)}", STARTS_PER_MINUTE, "starting directory sign-ins")
    except rate_limits.RateLimited as exc:
        refused = _form(request, 429, _words(request, TOO_MANY), email, target)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    with reading(engine) as conn:
        config = get_config(conn, organization_id) if organization_id else \
            config_for_email(conn, email) if EMAIL.match(email) else None
    if config is None:
        return _form(request, 404, _words(request, NO_DIRECTORY, domain=domain_of(email) or "?"), email, target)
    try:
        directory = discover(config.issuer, allow)
    except (DirectoryUnavailable, InvalidInput):
        return _form(request, 502, _words(request, UNAVAILABLE), email, target)
    with writing(engine) as conn:
        started = begin(conn, config, directory, redirect_uri(request), target, login_hint=email or None,
                        invitation_id=invitation_id)
    # a page that goes on to the directory by itself: a 303 would be blocked by the CSP's form-action 'self'
    response = page(request, "sso_redirect.html", None, url=started.url)
    response.set_cookie(FLOW_COOKIE, started.state, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=600, path="/login/sso")
    return response


@router.post("/invite/{token}/sso")
async def join_with_directory(request: Request, token: str) -> Response:
    form = await request.form()
    check_form(request, form)
    return await run_in_threadpool(_join, request, token)


def _join(request: Request, token: str) -> Response:
    with reading(request.app.state.hub.engine) as conn:
        invitation = open_invitation(conn, token)  # an unusable link: the same 404 as the invitation page
    return _start(request, invitation.email, "/desk", invitation.id, invitation.organization_id)


@router.get("/login/sso/callback")
def callback(request: Request, state: str = "", code: str = "", error: str = "") -> Response:
    engine, allow, address = request.app.state.hub.engine, request.app.state.hub.settings.allow_private_targets, \
        _client(request)
    flow: Flow | None = None
    claims: dict[str, Any] = {}
    try:
        with writing(engine) as conn:
            flow = take_flow(conn, state, request.cookies.get(FLOW_COOKIE, ""))
        with reading(engine) as conn:
            config = get_config(conn, flow.organization_id)
            secret = client_secret(conn, flow.organization_id) if config else ""
        if config is None:
            raise SsoRefused("single sign-on was turned off meanwhile", field="state", reason="browser")
        if error or not code:
            raise SsoRefused(f"the directory answered {error[:100] or 'without a code'}", field="code",
                             reason="directory")
        directory = discover(config.issuer, allow)
        id_token = redeem(config, secret, directory, flow, code, redirect_uri(request), allow)
        claims = verified_claims(id_token, config, directory, flow, allow)
        with writing(engine) as conn:
            member = member_for(conn, config, flow, claims, locale=request.cookies.get("nb_locale", "en"),
                                address=address)
    except SsoRefused as exc:
        return _refused(request, flow, claims, exc)
    except (DirectoryUnavailable, InvalidInput) as exc:
        _record_failure(request, flow, claims, exc.message)
        return _form(request, 502, _words(request, UNAVAILABLE), target=flow.next_path if flow else "/desk")
    if not config.idp_enforces_mfa:
        step = two_factor.second_step(engine, member)
        if step is not None:
            response = two_factor.half_sign_in(request, engine, member, step, flow.next_path)
            response.delete_cookie(FLOW_COOKIE, path="/login/sso")
            return response
    return _signed_in(request, member, flow, config.issuer)


def _signed_in(request: Request, member: Member, flow: Flow, issuer: str) -> Response:
    with writing(request.app.state.hub.engine) as conn:
        audit.record(conn, "sign_in.succeeded", organization_id=member.organization_id, actor=member.email,
                     address=_client(request), detail={"via": "sso", "issuer": issuer})
        session = start_session(conn, member.id, user_agent=request.headers.get("user-agent"),
                                address=_client(request))
    response = RedirectResponse(flow.next_path or "/desk", status_code=303)
    response.set_cookie(COOKIE, session, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=14 * 24 * 3600, path="/")
    response.delete_cookie(FLOW_COOKIE, path="/login/sso")
    return response


def _record_failure(request: Request, flow: Flow | None, claims: dict[str, Any], why: str) -> None:
    email = str(claims.get("email") or "(directory)")[:320]
    with writing(request.app.state.hub.engine) as conn:
        audit.record(conn, "sign_in.failed", organization_id=flow.organization_id if flow else None, actor=email,
                     address=_client(request), detail={"via": "sso", "reason": why[:300]})


def _refused(request: Request, flow: Flow | None, claims: dict[str, Any], exc: SsoRefused) -> Response:
    _record_failure(request, flow, claims, exc.message)
    message = _words(request, REASONS.get(exc.reason, REASONS["token"]),
                     email=str(claims.get("email") or "").strip().lower())
    response = _form(request, 403, message, target=flow.next_path if flow else "/desk")
    response.delete_cookie(FLOW_COOKIE, path="/login/sso")
    return response
