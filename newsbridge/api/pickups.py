"""``/api/v1/items/{id}/pickups`` and ``/api/v1/pickups/{id}:confirm|dismiss``: who republished an
item (declared or detected by the hub), as both sides see it, and either side's decision on a
detected pickup (stories/pickups_review.py).

An item the caller may not read, and a pickup the caller is no side of, answer 404 like an unknown
id. Deciding needs the ``publish`` scope (the desk's editors decide too): it is an editorial word on
the exchange's record, as declaring a pickup is.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.api_keys import Principal
from newsbridge.accounts.organizations import Organization
from newsbridge.api.deps import Hub, caller, hub, key_actor
from newsbridge.db.engine import reading, writing
from newsbridge.stories.pickups_review import PickupRecord, decide, pickups_of_item

router = APIRouter(prefix="/api/v1", tags=["pickups"])


def pickup_json(p: PickupRecord, viewer: Organization) -> dict[str, Any]:
    """The record as ``viewer`` sees it: who decided (a member's e-mail, a key) only for the side that did,
    like a declared pickup's member and note, which stay with the partner."""
    return {"id": p.id, "kind": p.kind, "item": p.republished_item_id, "picked_up_item": p.item_id,
            "source": p.source_slug, "by": p.by_slug, "score": p.score, "evidence": p.evidence, "status": p.status,
            "url": p.url, "at": p.at.isoformat(),
            "decided": None if p.decided_at is None else {
                "by": p.decided_by if p.decided_org_slug == viewer.slug else None, "organization": p.decided_org_slug, "at": p.decided_at.isoformat()}}


@router.get("/items/{item_id}/pickups", summary="Declared and detected pickups of an item, as your side sees them")
def read_pickups(item_id: str, principal: Principal = Depends(caller("read")),
                 the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """On your own item: the partners' pickups of it (each by an organization it was delivered to)
    and the detected pickups your item is the evidence of (it republishes an item you received). On
    an item you received: your own pickups of it. Oldest first. Each has `kind` (`declared` |
    `detected`), `by` (the republishing organization's slug), `item` (the republishing item's id,
    when detected), `picked_up_item`, `source`, `score` (detected: confidence 0-1), `evidence`
    (detected: `method` and the signals that fired), `status` (`detected` until a side decides, then
    `confirmed` or `dismissed`; a declared pickup is `confirmed`), `url`, `at` and `decided` (`by`:
    who, shown to the deciding side only; `organization`; `at`; or null)."""
    with reading(the_hub.engine) as conn:
        found = pickups_of_item(conn, principal.organization, item_id)
    return {"item": item_id, "pickups": [pickup_json(p, principal.organization) for p in found], "count": len(found)}


async def _decide(principal: Principal, the_hub: Hub, pickup_id: str, action: str) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        with writing(the_hub.engine) as conn:
            return pickup_json(decide(conn, principal.organization, key_actor(principal), pickup_id, action),
                               principal.organization)
    return await run_in_threadpool(run)


@router.post("/pickups/{pickup_id}:confirm", summary="Confirm a detected pickup (either side of it)")
async def confirm_pickup(pickup_id: str, principal: Principal = Depends(caller("publish")),
                         the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """The pickup as it now stands, `status` `confirmed`, with who decided and when. Confirming a
    confirmed pickup changes nothing (the first decision's who and when stay); a dismissed one is
    confirmed again. 409 `pickup_not_detected` for a declared pickup; 404 for a pickup you are no
    side of (neither the item's source nor the republishing organization)."""
    return await _decide(principal, the_hub, pickup_id, "confirm")


@router.post("/pickups/{pickup_id}:dismiss", summary="Dismiss a detected pickup (either side of it)")
async def dismiss_pickup(pickup_id: str, principal: Principal = Depends(caller("publish")),
                         the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """The pickup as it now stands, `status` `dismissed`: it stays listed, and the agreement's metrics
    no longer count it. Dismissing again changes nothing; a confirmed one may be dismissed. 409
    `pickup_not_detected` for a declared pickup; 404 for a pickup you are no side of."""
    return await _decide(principal, the_hub, pickup_id, "dismiss")
