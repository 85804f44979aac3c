"""The desk's preview pane: one received item, as a fragment the desk shows beside its list.

The same access rule as the item page (items.queries.get_item: 404 for anything the viewer may
not see) and the same sanitizing of HTML on the way out; previewing does not mark the item read
(opening it does), so moving through the list with j/k leaves the "new" markers alone.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from newsbridge.db.engine import reading
from newsbridge.desk.pickups import list_pickups
from newsbridge.formats.markup import is_html, safe_html
from newsbridge.items.queries import get_item, received
from newsbridge.web.context import Viewer, page, viewer
from newsbridge.web.media import item_media

router = APIRouter(include_in_schema=False)


@router.get("/items/{item_id}/preview")
def item_preview(request: Request, item_id: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        record = get_item(conn, who.organization, item_id)
        how = received(conn, who.organization, item_id)
        picked = list_pickups(conn, who.organization, item_id) if record.source.id != who.organization.id else []
        media = item_media(request, who, conn, record)
    doc = record.latest.document
    markup = next((b.get("value") for b in doc.get("bodies", []) if isinstance(b, dict) and is_html(b.get("contentType"))),
                  "")
    headline = next((h.get("value") for h in doc.get("headlines", []) if h.get("value")), record.uri)
    return page(request, "item_preview.html", who, record=record, doc=doc, how=how, headline=headline,
                language=doc.get("language"), body_html=Markup(safe_html(markup)), pickups=picked,
                withdrawn=record.latest.pubstatus == "canceled" or record.latest.notice_only, **media)
