"""``/api/v1/sso``: the calling organization's single sign-on directory (OpenID Connect), for its admins.

``GET`` shows the settings (never the client secret: ``client_secret_set`` says one is stored), ``PUT``
sets or replaces them (leave ``client_secret`` out to keep the stored one), ``DELETE`` turns single sign-on
off. An organization without a directory answers 404 to GET and DELETE. The sign-in itself happens in the
browser (``/login/sso``); docs/accounts.md says how to register the hub at Keycloak, Entra ID and Google.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.api_keys import Principal
from newsbridge.accounts.oidc import checked_issuer, delete_config, get_config, save_config
from newsbridge.api.deps import Hub, caller, client_address, hub, json_body, key_actor
from newsbridge.db.engine import reading, writing
from newsbridge.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.get("/sso", summary="Your organization's single sign-on directory")
def show(principal: Principal = Depends(caller("manage")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        config = get_config(conn, principal.organization.id)
    if config is None:
        raise NotFound("your organization has no single sign-on set up; PUT /api/v1/sso sets it", field=None)
    return config.to_json()


@router.put("/sso", summary="Set your organization's single sign-on directory (OpenID Connect)")
async def put(request: Request, principal: Principal = Depends(caller("manage")),
              the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Body: `{"issuer", "client_id", "client_secret", "domains": ["agency.kz"], "role_claim": "groups",
    "roles": {"newsbridge-admins": "admin"}, "default_role": "viewer", "create_accounts": false,
    "sync_roles": false, "idp_enforces_mfa": false}`."""
    data = await json_body(request)
    return await run_in_threadpool(_save, the_hub, principal, data, client_address(request))


def _save(the_hub: Hub, principal: Principal, data: Any, address: str | None) -> dict[str, Any]:
    issuer = checked_issuer(data, the_hub.settings.allow_private_targets)  # DNS: before the write transaction
    with writing(the_hub.engine) as conn:
        return save_config(conn, principal.organization.id, data, issuer=issuer, actor=key_actor(principal),
                           address=address).to_json()


@router.delete("/sso", status_code=204, summary="Turn single sign-on off (members sign in with passwords)")
def remove(request: Request, principal: Principal = Depends(caller("manage")),
           the_hub: Hub = Depends(hub)) -> Response:
    with writing(the_hub.engine) as conn:
        delete_config(conn, principal.organization.id, actor=key_actor(principal), address=client_address(request))
    return Response(status_code=204)
