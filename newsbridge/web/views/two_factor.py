"""Two-factor sign-in on the desk: enrolment on the Account page, the second sign-in step, the Team policy.

* ``/account/two-factor``: set up (a QR code drawn here as inline SVG with ``segno``, and the secret as
  text), confirm with a first code (the 10 recovery codes are shown once), turn off with a code.
* ``/login/two-factor``: after a right password (views/auth.py) a member with a second factor holds a
  half sign-in (cookie :data:`HALF_COOKIE`, accounts/totp.py) and types a code or a recovery code; the
  session starts only then. A member whose organization requires a second factor and who has none
  enrols there first. Wrong codes count in the sign-in back-off of accounts/throttle.py.
* ``/team/two-factor``: the organization's admins require a second factor of admins or of everyone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts import audit
from newsbridge.accounts.members import Member
from newsbridge.accounts.sessions import start_session
from newsbridge.accounts.throttle import TooManyAttempts, begin_attempt, forgive
from newsbridge.accounts.totp import (Policy, begin_enrolment, check_code, confirm_enrolment, disable,
                                      end_half_sign_in, half_signed_in, is_enrolled, must_use, pending_secret,
                                      policy, provisioning_uri, recovery_codes_left, set_policy, start_half_sign_in)
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.ids import utcnow
from newsbridge.web.context import COOKIE, Viewer, checked_form, page, viewer
from newsbridge.web.i18n import N_
from newsbridge.web.signed_out_forms import check as check_form
from newsbridge.web.signed_out_forms import form_token, keep

router = APIRouter(include_in_schema=False)
HALF_COOKIE = "nb_half"
WRONG_CODE = N_("That code is not right. Type the 6 digits your app shows now, or one of your recovery codes.")
POLICIES = {Policy.NOBODY: N_("Nobody has to"), Policy.ADMINS: N_("Admins must"), Policy.ALL: N_("Every member must")}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _qr(secret: str, email: str) -> str:
    """The enrolment QR code as inline SVG, drawn here (the secret never leaves the hub for a QR service)."""
    return segno.make(provisioning_uri(secret, email), error="m").svg_inline(scale=4, border=2)


def second_step(engine: Engine, member: Member) -> str | None:
    """After a right password: "code" (the member has a second factor), "enrol" (the organization requires one
    they lack; a new secret waits for them) or None (sign in now)."""
    with writing(engine) as conn:
        if is_enrolled(conn, member.id):
            return "code"
        if must_use(conn, member):
            begin_enrolment(conn, member.id, utcnow())
            return "enrol"
    return None


def half_sign_in(request: Request, engine: Engine, member: Member, step: str, target: str) -> Response:
    """The answer to a right password when a second step follows: a half sign-in cookie, not a session."""
    with writing(engine) as conn:
        token = start_half_sign_in(conn, member.id, utcnow())
    path = "/login/two-factor" if step == "code" else "/login/two-factor/enrol"
    response = RedirectResponse(f"{path}?{urlencode({'next': target})}", status_code=303)
    response.set_cookie(HALF_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=300, path="/login")
    return response


def _half(request: Request) -> Member | None:
    with reading(request.app.state.hub.engine) as conn:
        return half_signed_in(conn, request.cookies.get(HALF_COOKIE, ""), utcnow())


def _step_page(request: Request, member: Member, enrol: bool, status: int = 200, error: str | None = None,
               **extra: Any) -> HTMLResponse:
    guard = form_token(request)
    context: dict[str, Any] = {"enrol": enrol, "next_path": _next(request), "error": error, "form_token": guard,
                               **extra}
    if enrol and "recovery" not in extra:
        with reading(request.app.state.hub.engine) as conn:
            secret = pending_secret(conn, member.id) or ""
        context.update(secret=secret, qr=_qr(secret, member.email) if secret else "")
    return keep(request, page(request, "two_factor_sign_in.html", None, status=status, **context), guard)


def _next(request: Request) -> str:
    from newsbridge.web.views.auth import _safe_next  # the one rule for local targets
    return _safe_next(request.query_params.get("next"))


@router.get("/login/two-factor")
def code_form(request: Request) -> Response:
    member = _half(request)
    if member is None:
        return RedirectResponse("/login", status_code=303)
    return _step_page(request, member, enrol=False)


@router.get("/login/two-factor/enrol")
def enrol_form(request: Request) -> Response:
    member = _half(request)
    if member is None:
        return RedirectResponse("/login", status_code=303)
    return _step_page(request, member, enrol=True)


@router.post("/login/two-factor")
async def sign_in_with_code(request: Request) -> Response:
    form = await request.form()
    check_form(request, form)
    return await run_in_threadpool(_second_step, request, str(form.get("code", "")), False)


@router.post("/login/two-factor/enrol")
async def sign_in_enrolling(request: Request) -> Response:
    form = await request.form()
    check_form(request, form)
    return await run_in_threadpool(_second_step, request, str(form.get("code", "")), True)


def _second_step(request: Request, code: str, enrol: bool) -> Response:
    member = _half(request)
    if member is None:
        return RedirectResponse("/login", status_code=303)
    engine, client, now = request.app.state.hub.engine, _client(request), utcnow()
    try:
        with writing(engine) as conn:
            begin_attempt(conn, client, member.email, now)
    except TooManyAttempts as exc:
        refused = _step_page(request, member, enrol, status=exc.status, error=exc.message)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    recovery: list[str] = []
    try:
        with writing(engine) as conn:
            if enrol:
                recovery = confirm_enrolment(conn, member, code, now, client)
            elif not check_code(conn, member, code, now, client):
                raise InvalidInput("wrong second-factor code", field="code")
            forgive(conn, client, member.email)
            audit.record(conn, "sign_in.succeeded", organization_id=member.organization_id, actor=member.email,
                         address=client, detail={"second_factor": True})
            end_half_sign_in(conn, request.cookies.get(HALF_COOKIE, ""))
            session = start_session(conn, member.id, user_agent=request.headers.get("user-agent"), address=client)
    except InvalidInput:
        with writing(engine) as conn:
            audit.record(conn, "sign_in.failed", organization_id=member.organization_id, actor=member.email,
                         address=client, detail={"step": "second factor"})
        return _step_page(request, member, enrol, status=401, error=WRONG_CODE)
    response: Response = (_step_page(request, member, enrol, recovery=recovery) if recovery
                          else RedirectResponse(_next(request), status_code=303))
    response.set_cookie(COOKIE, session, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=14 * 24 * 3600, path="/")
    response.delete_cookie(HALF_COOKIE, path="/login")
    return response


def _account_context(request: Request, who: Viewer, **extra: Any) -> dict[str, Any]:
    with reading(request.app.state.hub.engine) as conn:
        enrolled = is_enrolled(conn, who.member.id)
        left = recovery_codes_left(conn, who.member.id) if enrolled else 0
        secret = None if enrolled else pending_secret(conn, who.member.id)
        required = must_use(conn, who.member)
    return {"enrolled": enrolled, "codes_left": left, "secret": secret, "required": required,
            "qr": _qr(secret, who.member.email) if secret else "", **extra}


def _account_page(request: Request, who: Viewer, status: int = 200, **extra: Any) -> HTMLResponse:
    return page(request, "two_factor.html", who, status=status, **_account_context(request, who, **extra))


@router.get("/account/two-factor")
def account_two_factor(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return _account_page(request, who)


@router.post("/account/two-factor/begin")
async def begin(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    await checked_form(request, who)
    return await run_in_threadpool(_change, request, who, lambda conn: begin_enrolment(conn, who.member.id, utcnow()))


@router.post("/account/two-factor/confirm")
async def confirm(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    code = str((await checked_form(request, who)).get("code", ""))
    return await run_in_threadpool(_change, request, who, lambda conn: confirm_enrolment(
        conn, who.member, code, utcnow(), _client(request)), shown="recovery")


@router.post("/account/two-factor/disable")
async def turn_off(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    code = str((await checked_form(request, who)).get("code", ""))
    return await run_in_threadpool(_change, request, who, lambda conn: disable(
        conn, who.member, code, utcnow(), _client(request)), flash=N_("Two-factor sign-in is off."))


def _change(request: Request, who: Viewer, action: Any, shown: str | None = None, flash: str | None = None) -> HTMLResponse:
    """One write, counted in the sign-in back-off like a second step (codes are guessable otherwise)."""
    engine, client = request.app.state.hub.engine, _client(request)
    try:
        with writing(engine) as conn:
            begin_attempt(conn, client, who.member.email, utcnow())
        with writing(engine) as conn:
            result = action(conn)
            forgive(conn, client, who.member.email)
    except NewsbridgeError as exc:
        message = WRONG_CODE if isinstance(exc, InvalidInput) else exc.message
        return _account_page(request, who, status=exc.status, flash=message, flash_kind="error")
    return _account_page(request, who, flash=flash, **({shown: result} if shown else {}))


@router.get("/team/two-factor")
def team_policy(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return _policy_page(request, who)


def _policy_page(request: Request, who: Viewer, status: int = 200, **extra: Any) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        current = policy(conn, who.organization.id)
    return page(request, "team_two_factor.html", who, status=status, current=current, policies=POLICIES, **extra)


@router.post("/team/two-factor")
async def change_policy(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    form = await checked_form(request, who)
    who.require("manage")
    return await run_in_threadpool(_set_policy, request, who, str(form.get("required_for", "")))


def _set_policy(request: Request, who: Viewer, value: str) -> HTMLResponse:
    try:
        with writing(request.app.state.hub.engine) as conn:
            set_policy(conn, who.organization.id, value, actor=who.member.email, address=_client(request))
    except NewsbridgeError as exc:
        return _policy_page(request, who, status=exc.status, flash=exc.message, flash_kind="error")
    return _policy_page(request, who, flash=N_("The two-factor rule is saved."))
