"""``/team/sso``: an organization's admins connect its directory for single sign-on (accounts/oidc.py).

The page shows the redirect URI to register at the directory, and a form with the issuer URL, the client
id and secret (a blank secret keeps the stored one; it is never shown again), the e-mail domains, the
claim and values that map to roles, the role of everyone else, whether a first sign-in creates an
account, and whether the directory enforces a second factor. Only admins see and change it (others 403).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.oidc import checked_issuer, delete_config, get_config, save_config
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.i18n import N_
from newsbridge.web.views.sso import redirect_uri

router = APIRouter(include_in_schema=False)
ROLES = ("viewer", "editor", "admin")


def _page(request: Request, who: Viewer, status: int = 200, typed: dict[str, Any] | None = None,
          **extra: Any) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        config = get_config(conn, who.organization.id)
    shown = typed or (_as_form(config.to_json()) if config else {"default_role": "viewer"})
    return page(request, "team_sso.html", who, status=status, config=config, form=shown, roles=ROLES,
                callback=redirect_uri(request), **extra)


def _as_form(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "domains": "\n".join(data["domains"]),
            "roles": "\n".join(f"{value} = {role}" for value, role in data["roles"].items())}


def _as_data(form: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the API's JSON body: domains one a line (or commas), roles as ``value = role`` lines."""
    roles: dict[str, str] = {}
    for number, line in enumerate(str(form.get("roles", "")).splitlines(), 1):
        if not line.strip():
            continue
        value, sep, role = line.rpartition("=")
        if not sep or not value.strip():
            raise InvalidInput(f"roles, line {number}: write a claim value, =, and a role, like "
                               "newsbridge-admins = admin", field="roles")
        roles[value.strip()] = role.strip()
    data: dict[str, Any] = {
        "issuer": str(form.get("issuer", "")), "client_id": str(form.get("client_id", "")),
        "domains": [d for d in str(form.get("domains", "")).replace(",", "\n").split() if d],
        "role_claim": str(form.get("role_claim", "")).strip() or None, "roles": roles,
        "default_role": str(form.get("default_role", "viewer")),
        "create_accounts": form.get("create_accounts") == "on", "sync_roles": form.get("sync_roles") == "on",
        "idp_enforces_mfa": form.get("idp_enforces_mfa") == "on"}
    if str(form.get("client_secret", "")):
        data["client_secret"] = str(form["client_secret"])
    return data


@router.get("/team/sso")
def sso_settings(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    who.require("manage")
    return _page(request, who)


@router.post("/team/sso")
async def save(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    form = await checked_form(request, who)
    who.require("manage")
    return await run_in_threadpool(_save, request, who, form)


def _save(request: Request, who: Viewer, form: dict[str, Any]) -> HTMLResponse:
    typed = {k: v for k, v in form.items() if k not in ("csrf_token", "client_secret")}
    try:
        data = _as_data(form)
        issuer = checked_issuer(data, request.app.state.hub.settings.allow_private_targets)  # DNS: before the write
        with writing(request.app.state.hub.engine) as conn:
            save_config(conn, who.organization.id, data, issuer=issuer, actor=who.member.email,
                        address=request.client.host if request.client else None)
    except NewsbridgeError as exc:
        return _page(request, who, status=exc.status, typed=typed, flash=exc.message, flash_kind="error",
                     field=exc.field)
    return _page(request, who, flash=N_("Single sign-on is saved. Members sign in with their directory now."))


@router.post("/team/sso/delete")
async def remove(request: Request, who: Viewer = Depends(viewer)) -> Response:
    await checked_form(request, who)
    who.require("manage")
    return await run_in_threadpool(_remove, request, who)


def _remove(request: Request, who: Viewer) -> HTMLResponse:
    try:
        with writing(request.app.state.hub.engine) as conn:
            delete_config(conn, who.organization.id, actor=who.member.email,
                          address=request.client.host if request.client else None)
    except NewsbridgeError as exc:
        return _page(request, who, status=exc.status, flash=exc.message, flash_kind="error")
    return _page(request, who, flash=N_("Single sign-on is off. Members sign in with their passwords."))
