"""Password reset by e-mail: ``/login/forgot`` asks for a link, ``/reset?token=`` sets the new password.

Asking answers the same sentence whether or not the address is a member's (and whether or not the
mail went out), so the form tells nobody who is a member. Requests are limited per e-mail and per
client address (accounts/rate_limits.py). The link is mailed in the member's interface language
through NEWSBRIDGE_SMTP_URL; it works once, for an hour (accounts/resets.py); an unusable link
answers the same 404 page as any unknown one. The token is the credential (like an invitation's), so
it travels in the query, not as an id in the path; both forms carry a signed-out CSRF token
(web/signed_out_forms.py).
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.members import Member, hash_password, password_threads
from newsbridge.accounts.rate_limits import RateLimited, check
from newsbridge.accounts.resets import complete_reset, open_reset, request_reset
from newsbridge.alerts.mail import Link, SmtpMailer, compose
from newsbridge.config import Settings, base_url
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.ids import utcnow
from newsbridge.web.context import COOKIE, page
from newsbridge.web.i18n import N_, gettext_for
from newsbridge.web.signed_out_forms import check as check_form
from newsbridge.web.signed_out_forms import form_token, keep

router = APIRouter(include_in_schema=False)
REQUESTS_PER_EMAIL = 3  # a minute
REQUESTS_PER_ADDRESS = 10
SENT = N_("If that address belongs to a member, a link to set a new password is on its way. It works once, "
          "for one hour.")


def reset_mail(settings: Settings, member: Member, link: str) -> EmailMessage:
    """The reset link, in the member's interface language."""
    _ = gettext_for(member.locale)
    text = _("Someone (we hope you) asked to set a new password for %(email)s on Newsbridge. Open this link "
             "within one hour to choose it; it works once:", email=member.email)
    ignore = _("If you did not ask, ignore this message: your password stays as it is.")
    return compose(sender=settings.mail_from, to=member.email, locale=member.locale,
                   subject=_("Set a new Newsbridge password"), blocks=[[text], [Link(link)], [ignore]])


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login/forgot")
def forgot_form(request: Request) -> HTMLResponse:
    token = form_token(request)
    return keep(request, page(request, "forgot_password.html", None, form_token=token), token)


@router.post("/login/forgot")
async def forgot(request: Request) -> Response:
    form = await request.form()
    check_form(request, form)
    return await run_in_threadpool(_forgot, request, str(form.get("email", "")).strip().lower()[:320])


def _forgot(request: Request, email: str) -> HTMLResponse:
    hub = request.app.state.hub
    try:
        check(hub.engine, f"reset:{email}", REQUESTS_PER_EMAIL, "asking for a reset link", field="email")
        check(hub.engine, f"reset-ip:{_client(request)}", REQUESTS_PER_ADDRESS, "asking for a reset link",
              field="email")
    except RateLimited as exc:
        refused = page(request, "forgot_password.html", None, status=exc.status, error=exc.message, email=email,
                       form_token=form_token(request))
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    with writing(hub.engine) as conn:
        found = request_reset(conn, email, utcnow())
    if found is not None and hub.settings.smtp_url:
        member, token = found
        SmtpMailer.from_url(hub.settings.smtp_url).send(
            reset_mail(hub.settings, member, f"{base_url(hub.settings)}/reset?token={token}"))
    return page(request, "forgot_password.html", None, sent=SENT)


def _form(request: Request, token: str, status: int = 200, error: str | None = None) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        member = open_reset(conn, token, utcnow())
    guard = form_token(request)
    shown = page(request, "reset_password.html", None, status=status, token=token, email=member.email, error=error,
                 form_token=guard)
    return keep(request, shown, guard)


@router.get("/reset")
def reset_page(request: Request, token: str = "") -> HTMLResponse:
    return _form(request, token)


@router.post("/reset")
async def reset(request: Request) -> Response:
    form = await request.form()
    check_form(request, form)
    token, password = str(form.get("token", "")), str(form.get("password", ""))
    await run_in_threadpool(_form, request, token)  # an unusable link answers 404 before any hashing
    try:
        if password != str(form.get("repeat", "")):
            raise InvalidInput("the two passwords differ", field="repeat")
        hashed = await asyncio.get_running_loop().run_in_executor(password_threads, hash_password, password)
        await run_in_threadpool(_complete, request, token, hashed)
    except NewsbridgeError as exc:
        if exc.status == 404:
            raise
        return await run_in_threadpool(_form, request, token, exc.status, exc.message)
    done = await run_in_threadpool(page, request, "login.html", None, next_path="/desk",
                                   notice=N_("Your new password is set, and every browser was signed out. "
                                             "Sign in with it."))
    done.delete_cookie(COOKIE, path="/")
    return done


def _complete(request: Request, token: str, hashed: str) -> None:
    with writing(request.app.state.hub.engine) as conn:
        complete_reset(conn, token, hashed, utcnow(), _client(request))
