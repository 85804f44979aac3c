"""Who is on an operator console page, and the console's CSRF check (like members' ``web/context.py``,
with the operator's own cookie and session table: accounts/operators.py)."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Request

from newsbridge.accounts.operators import OperatorSession, find_operator_session
from newsbridge.db.engine import reading
from newsbridge.errors import Forbidden, InvalidInput, NotFound, NewsbridgeError

OPERATOR_COOKIE = "nb_operator"


class OperatorSignInRequired(NewsbridgeError):
    """An operator page opened without an operator session: browsers go to /login (web/errors.py)."""

    status = 303
    code = "sign_in_required"


def current_operator(request: Request) -> OperatorSession | None:
    token = request.cookies.get(OPERATOR_COOKIE)
    if not token:
        return None
    with reading(request.app.state.hub.engine) as conn:
        return find_operator_session(conn, token)


def operator(request: Request) -> OperatorSession:
    """The signed-in operator. Anyone else: a page about one organization (an id in the path) answers 404
    like a missing one; a form answers 403; any other page sends the browser to sign in."""
    found = current_operator(request)
    if found is not None:
        return found
    if request.path_params:
        raise NotFound("no such page", field=None)
    if request.method == "POST":
        raise Forbidden("only the hub's operators may do this; sign in with an operator account", field=None)
    raise OperatorSignInRequired(request.url.path, field=None)


async def operator_form(request: Request, who: OperatorSession) -> dict[str, Any]:
    """The posted form, after checking its CSRF token against the operator session's."""
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf_token", "")), who.csrf_token):
        raise Forbidden("the form expired or came from another site; reload the page and try again",
                        field="csrf_token")
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    for name, value in fields.items():
        if "\x00" in value:
            raise InvalidInput(f"{name} holds a NUL character; remove it and send the form again", field=name)
    return fields
