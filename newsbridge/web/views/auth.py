"""Sign in, sign out, and the member's own account (password, language, time zone).

The POST handlers read the form on the event loop and do the rest in threads: a write on SQLite
may wait for another writer's lock, and argon2 costs tens of milliseconds of CPU (it runs on
the few threads of ``members.password_threads``); on the loop either stops every other request
of the process meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts import audit
from newsbridge.accounts.members import (Member, new_password_hash, password_threads,
                                         set_password_hash, set_preferences)
from newsbridge.accounts.operators import Operator, check_sign_in
from newsbridge.accounts.sessions import end_other_sessions, end_session, list_sessions, start_session
from newsbridge.accounts.throttle import TooManyAttempts, begin_attempt, forgive
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import members
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.ids import utcnow
from newsbridge.web.context import COOKIE, Viewer, checked_form, current_viewer, page, viewer
from newsbridge.web.i18n import LOCALES, N_, gettext_for
from newsbridge.web.views import operator as operator_views
from newsbridge.web.views import two_factor

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Only local paths: a sign-in link must not send people to another site."""
    if (not value or not value.startswith("/") or value[1:2] in ("/", "\\")  # browsers read /\host as //host
            or any(ch in value for ch in "\\\r\n\t") or urlsplit(value).netloc):
        return "/desk"
    return value


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/desk", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if current_viewer(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return page(request, "login.html", None, next_path=_safe_next(next))


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    # The peer's address; behind a reverse proxy uvicorn puts X-Forwarded-For's here, when the
    # proxy is one it trusts (FORWARDED_ALLOW_IPS, 127.0.0.1 by default). See docs/operations.md.
    client = request.client.host if request.client else "unknown"
    engine = request.app.state.hub.engine
    try:
        await run_in_threadpool(_begin_attempt, engine, client, email)
    except TooManyAttempts as exc:
        refused = await run_in_threadpool(_login_page, request, exc.status, exc.message, email, target)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    member = await asyncio.get_running_loop().run_in_executor(password_threads, _check_password, engine, email,
                                                              password)
    if member is None:
        await run_in_threadpool(_record_failure, engine, client, email)
        return await run_in_threadpool(_login_page, request, 401, "That e-mail and password do not match. "
                                       "Check them and try again.", email, target)
    # an operator lands on the console; a suspended organization's member is told why (views/operator.py)
    handled = await run_in_threadpool(operator_views.after_password, request, engine, member, client, target)
    if handled is not None:
        return handled
    step = await run_in_threadpool(two_factor.second_step, engine, member)
    if step is not None:  # the session starts after the second step (views/two_factor.py)
        return await run_in_threadpool(two_factor.half_sign_in, request, engine, member, step, target)
    token = await run_in_threadpool(_start_session, engine, client, email, member, request.headers.get("user-agent"))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=14 * 24 * 3600, path="/")
    return response


def _begin_attempt(engine: Engine, client: str, email: str) -> None:
    with writing(engine) as conn:
        begin_attempt(conn, client, email, utcnow())


def _check_password(engine: Engine, email: str, password: str) -> Member | Operator | None:
    with reading(engine) as conn:  # argon2 outside the write transaction: other writers need not wait for it
        return check_sign_in(conn, email, password)  # a member's or a hub operator's (accounts/operators.py)


def _start_session(engine: Engine, client: str, email: str, member: Member, user_agent: str | None = None) -> str:
    with writing(engine) as conn:
        forgive(conn, client, email)
        audit.record(conn, "sign_in.succeeded", organization_id=member.organization_id, actor=member.email,
                     address=client)
        return start_session(conn, member.id, user_agent=user_agent, address=client)


def _record_failure(engine: Engine, client: str, email: str) -> None:
    """A failed sign-in goes on the log of the organization whose member the e-mail is (if any)."""
    address = email.strip().lower()[:320]
    with writing(engine) as conn:
        org_id = conn.execute(sa.select(members.c.organization_id).where(members.c.email == address)).scalar()
        audit.record(conn, "sign_in.failed", organization_id=org_id, actor=address or "(no e-mail)", address=client)


def _login_page(request: Request, status: int, error: str, email: str, target: str) -> HTMLResponse:
    return page(request, "login.html", None, status=status, error=error, email=email, next_path=target)


@router.post("/logout")
async def logout(request: Request, who: Viewer = Depends(viewer)) -> RedirectResponse:
    await checked_form(request, who)
    await run_in_threadpool(_end_session, request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _end_session(request: Request) -> None:
    with writing(request.app.state.hub.engine) as conn:
        end_session(conn, request.cookies.get(COOKIE, ""))


@router.get("/account")
def account(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        signed_in = list_sessions(conn, who.member.id, request.cookies.get(COOKIE, ""))
    return page(request, "account.html", who, signed_in=signed_in)


@router.post("/account/sessions/others")
async def sign_out_others(request: Request, who: Viewer = Depends(viewer)) -> Response:
    await checked_form(request, who)
    await run_in_threadpool(_end_others, request, who)
    return RedirectResponse("/account", status_code=303)


def _end_others(request: Request, who: Viewer) -> None:
    with writing(request.app.state.hub.engine) as conn:
        end_other_sessions(conn, who.member.id, request.cookies.get(COOKIE, ""))
        audit.record(conn, "sessions.ended_others", organization_id=who.organization.id, actor=who.member.email,
                     address=request.client.host if request.client else None)


@router.post("/account/password")
async def password(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    form = await checked_form(request, who)
    engine = request.app.state.hub.engine
    try:
        if form.get("new_password") != form.get("repeat_password"):
            raise InvalidInput("the two new passwords differ", field="repeat_password")
        new_hash = await asyncio.get_running_loop().run_in_executor(
            password_threads, _new_password_hash, engine, who.member.id, str(form.get("current_password", "")),
            str(form.get("new_password", "")))
    except NewsbridgeError as exc:
        return await run_in_threadpool(page, request, "account.html", who, status=exc.status, flash=exc.message,
                                       flash_kind="error")
    return await run_in_threadpool(_set_password, request, who, new_hash)


def _new_password_hash(engine: Engine, member_id: str, current: str, new: str) -> str:
    with reading(engine) as conn:  # two argon2 runs, before the write transaction
        return new_password_hash(conn, member_id, current, new)


def _set_password(request: Request, who: Viewer, new_hash: str) -> HTMLResponse:
    with writing(request.app.state.hub.engine) as conn:
        set_password_hash(conn, who.member.id, new_hash)
        end_other_sessions(conn, who.member.id, request.cookies.get(COOKIE, ""))
        audit.record(conn, "password.changed", organization_id=who.organization.id, actor=who.member.email,
                     address=request.client.host if request.client else None)
    return page(request, "account.html", who, flash=N_("Password changed; other browsers were signed out."))


@router.post("/account/preferences")
async def preferences(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    return await run_in_threadpool(_set_preferences, request, who, form)


def _set_preferences(request: Request, who: Viewer, form: dict[str, Any]) -> Response:
    zone = str(form.get("timezone", "")).strip()
    chosen = str(form.get("locale", "en"))
    chosen = chosen if chosen in LOCALES else who.locale
    try:
        if zone:
            ZoneInfo(zone)
        with writing(request.app.state.hub.engine) as conn:
            set_preferences(conn, who.member.id, str(form.get("locale", "en")), zone or None)
    except (ZoneInfoNotFoundError, ValueError):
        # shown in the language just chosen, with what was typed: nothing was saved, nothing is lost
        return page(request, "account.html", who, status=422, flash_kind="error", locale=chosen, typed_zone=zone,
                    flash=gettext_for(chosen)(N_("%(zone)s is not a time zone name like Asia/Almaty"), zone=repr(zone)))
    except NewsbridgeError as exc:
        return page(request, "account.html", who, status=exc.status, flash=exc.message, flash_kind="error",
                    locale=chosen, typed_zone=zone)
    return RedirectResponse("/account", status_code=303)
