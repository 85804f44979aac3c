"""The desk's decision on a detected pickup: an editor of either side confirms or dismisses it from
the item page (the buttons of ``pickup_detected.html``), through the same service as the API
(stories/pickups_review.py). A pickup the member's organization is no side of is the 404 page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.db.engine import writing
from newsbridge.stories.pickups_review import PickupRecord, decide
from newsbridge.web.context import Viewer, checked_form, viewer

router = APIRouter(include_in_schema=False)


def _back(record: PickupRecord, who: Viewer, shown_on: str) -> str:
    """The item page the form was on, when it is one of the pickup's two items; else the side's own."""
    own = record.republished_item_id if record.side(who.organization) == "picker" else record.item_id
    item_id = shown_on if shown_on in (record.item_id, record.republished_item_id) else own or record.item_id
    return f"/items/{item_id}?pickup={record.status}#pickup-{record.id}"


def _decide(request: Request, who: Viewer, pickup_id: str, action: str, form: dict[str, Any]) -> Response:
    who.require("publish")
    with writing(request.app.state.hub.engine) as conn:
        record = decide(conn, who.organization, who.member.email, pickup_id, action)
    return RedirectResponse(_back(record, who, str(form.get("item", ""))), status_code=303)


@router.post("/pickups/{pickup_id}/confirm")
async def confirm(request: Request, pickup_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    return await run_in_threadpool(_decide, request, who, pickup_id, "confirm", form)


@router.post("/pickups/{pickup_id}/dismiss")
async def dismiss(request: Request, pickup_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    return await run_in_threadpool(_decide, request, who, pickup_id, "dismiss", form)
