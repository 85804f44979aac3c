"""CSRF for the forms posted before there is a session (forgotten password, reset, the second sign-in step).

Signed-in forms carry the session's CSRF token (web/context.py); these have no session yet, so they use a
double-submit token: the page that shows the form sets a random token in a ``SameSite=Strict`` cookie and
in a hidden field, and the post must bring both, equal. Another site can make a browser post, but it can
neither read the cookie nor make the browser send it cross-site.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from newsbridge.errors import Forbidden

FORM_COOKIE = "nb_form"
FIELD = "form_token"


def form_token(request: Request) -> str:
    """The token for a form on this page: the browser's one, or a new one (set it with :func:`keep`)."""
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)


def keep(request: Request, response: Response, token: str) -> Response:
    """Set the form token's cookie on the page showing the form."""
    response.set_cookie(FORM_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        max_age=3600, path="/")
    return response


def check(request: Request, form: Any) -> None:
    """Refuse a post whose form token is missing or is not the cookie's."""
    cookie, sent = request.cookies.get(FORM_COOKIE, ""), str(form.get(FIELD, ""))
    if not cookie or not hmac.compare_digest(cookie, sent):
        raise Forbidden("the form expired or came from another site; reload the page and try again", field=FIELD)
