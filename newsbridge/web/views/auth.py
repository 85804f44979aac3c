"""Sign in, sign out, and the member's own account (password, language, time zone)."""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newsbridge.accounts.members import change_password, check_password, set_preferences
from newsbridge.accounts.sessions import (check_rate, end_other_sessions, end_session, record_attempt,
                                          start_session)
from newsbridge.db.engine import writing
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.web.context import COOKIE, Viewer, checked_form, current_viewer, page, viewer

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Only local paths: a sign-in link must not send people to another site."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
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
    client = request.client.host if request.client else "unknown"
    engine = request.app.state.hub.engine
    try:
        with writing(engine) as conn:
            check_rate(conn, email, client)
            member = check_password(conn, email, password)
            record_attempt(conn, email, client, member is not None)
            token = start_session(conn, member.id) if member else None
    except NewsbridgeError as exc:
        return page(request, "login.html", None, status=exc.status, error=exc.message, email=email, next_path=target)
    if token is None:
        return page(request, "login.html", None, status=401, email=email, next_path=target,
                    error="That e-mail and password do not match. Check them and try again.")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=14 * 24 * 3600, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, who: Viewer = Depends(viewer)) -> RedirectResponse:
    await checked_form(request, who)
    with writing(request.app.state.hub.engine) as conn:
        end_session(conn, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return page(request, "account.html", who)


@router.post("/account/password")
async def password(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    form = await checked_form(request, who)
    try:
        if form.get("new_password") != form.get("repeat_password"):
            raise InvalidInput("the two new passwords differ", field="repeat_password")
        with writing(request.app.state.hub.engine) as conn:
            change_password(conn, who.member.id, str(form.get("current_password", "")),
                            str(form.get("new_password", "")))
            end_other_sessions(conn, who.member.id, request.cookies.get(COOKIE, ""))
    except NewsbridgeError as exc:
        return page(request, "account.html", who, status=exc.status, flash=exc.message, flash_kind="error")
    return page(request, "account.html", who, flash="Password changed; other browsers were signed out.")


@router.post("/account/preferences")
async def preferences(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    zone = str(form.get("timezone", "")).strip()
    try:
        if zone:
            ZoneInfo(zone)
        with writing(request.app.state.hub.engine) as conn:
            set_preferences(conn, who.member.id, str(form.get("locale", "en")), zone or None)
    except (ZoneInfoNotFoundError, ValueError):
        return page(request, "account.html", who, status=422, flash_kind="error",
                    flash=f"{zone!r} is not a time zone name like Asia/Almaty")
    except NewsbridgeError as exc:
        return page(request, "account.html", who, status=exc.status, flash=exc.message, flash_kind="error")
    return RedirectResponse("/account", status_code=303)
