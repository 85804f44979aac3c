"""``/api/v1/me``: which organization a key belongs to, and what it may do."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from newsbridge.accounts.api_keys import Principal
from newsbridge.accounts.organizations import outlets_of
from newsbridge.api.deps import Hub, caller, hub
from newsbridge.db.engine import reading

router = APIRouter(prefix="/api/v1", tags=["organizations"])


@router.get("/me", summary="The calling organization and the key's scopes")
def me(principal: Principal = Depends(caller(None)), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    org = principal.organization
    with reading(the_hub.engine) as conn:
        outlets = outlets_of(conn, org.id)
    return {
        "organization": {"id": org.id, "slug": org.slug, "name": org.name, "country": org.country,
                         "languages": list(org.languages), "timezone": org.timezone, "creditName": org.credit_name,
                         "outlets": [{"id": o.id, "slug": o.slug, "name": o.name} for o in outlets]},
        "key": {"id": principal.key_id, "scopes": list(principal.scopes)},
    }
