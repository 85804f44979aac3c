"""``/invite/{token}``: the page an invitation link opens; the invitee chooses a name and password and is
signed in as a new member (accounts/team.py). Every unusable link (unknown, used, expired) answers
the same 404 page."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.members import hash_password, password_threads
from newsbridge.accounts.oidc import get_config
from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.accounts.sessions import start_session
from newsbridge.accounts.team import accept, open_invitation
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.web.context import COOKIE, page
from newsbridge.web.signed_out_forms import form_token, keep

router = APIRouter(include_in_schema=False)


def _form(request: Request, token: str, status: int = 200, error: str | None = None, name: str = "") -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        invitation = open_invitation(conn, token)
        organization = get_organization_by_id(conn, invitation.organization_id).name
        sso = get_config(conn, invitation.organization_id) is not None  # the invitee may join through the directory
    guard = form_token(request)
    return keep(request, page(request, "invite.html", None, status=status, token=token, email=invitation.email,
                              organization=organization, error=error, name=name, sso=sso, form_token=guard), guard)


@router.get("/invite/{token}")
def invitation_page(request: Request, token: str) -> HTMLResponse:
    return _form(request, token)


@router.post("/invite/{token}")
async def join(request: Request, token: str) -> Response:
    form = await request.form()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    await run_in_threadpool(_form, request, token)  # an unusable link answers 404 before any hashing
    try:
        if password != str(form.get("repeat", "")):
            raise InvalidInput("the two passwords differ", field="repeat")
        hashed = await asyncio.get_running_loop().run_in_executor(password_threads, hash_password, password)
        session = await run_in_threadpool(_accept, request, token, name, hashed)
    except NewsbridgeError as exc:
        if exc.status == 404:
            raise
        return await run_in_threadpool(_form, request, token, exc.status, exc.message, name)
    response = RedirectResponse("/desk", status_code=303)
    response.set_cookie(COOKIE, session, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=14 * 24 * 3600, path="/")
    return response


def _accept(request: Request, token: str, name: str, hashed: str) -> str:
    locale = request.cookies.get("nb_locale", "en")
    with writing(request.app.state.hub.engine) as conn:
        member = accept(conn, token, name, hashed, locale, request.client.host if request.client else None)
        return start_session(conn, member.id, user_agent=request.headers.get("user-agent"),
                             address=request.client.host if request.client else None)
