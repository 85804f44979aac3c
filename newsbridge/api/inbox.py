"""``/api/v1/inbox``: what partners delivered to your organization, newest first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.params import IsoTime
from newsbridge.api.deps import Hub, caller, hub
from newsbridge.items.render import Format, render
from newsbridge.db.engine import reading
from newsbridge.items.queries import inbox
from newsbridge.media.links import media_versions

router = APIRouter(prefix="/api/v1", tags=["exchange"])


@router.get("/inbox", summary="Items partners delivered to you (available now), newest first")
def read_inbox(since: IsoTime | None = Query(None, description="Only deliveries available after this time"),
               limit: int = Query(50, ge=1, le=500), format: Format = "ninjs3",
               principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Each entry is the newest version delivered to you, with `received`: the agreement, the reason,
    the credit line you must print and the usage terms. Embargoed and delayed items appear when available."""
    with reading(the_hub.engine) as conn:
        entries = inbox(conn, principal.organization, since=since, limit=limit)
        versions = media_versions(conn, the_hub.engine, the_hub.settings, principal.organization,
                                  [(record, record.latest, how.agreement_id) for record, how in entries])
    return {"items": [render(record, version, fmt=format, how=how)
                      for (record, how), version in zip(entries, versions)], "count": len(entries)}
