"""``/api/v1/items/{id}/story``: the other items of an item's story, as far as the caller may read them.

A story groups items from different organizations about the same event, across languages (the
story worker builds them: stories/worker.py). The answer lists only items the caller may read,
counts only those, and answers an item the caller may not read exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub
from newsbridge.db.engine import reading
from newsbridge.stories.queries import StoryItem, duplicates_of, story_of

router = APIRouter(prefix="/api/v1", tags=["items"])


def _item(item: StoryItem) -> dict[str, Any]:
    return {"id": item.id, "headline": item.headline, "language": item.language,
            "source": {"slug": item.source_slug, "name": item.source_name}, "versionCreated": item.published}


@router.get("/items/{item_id}/story", summary="The other items of the item's story that you may read")
def read_story(item_id: str, principal: Principal = Depends(caller("read")),
               the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """`story` is null while the item is in no story yet. `items` are the story's other items you may
    read (newest first), `organizations` and `languages` count the story's readable items, this one
    included; `sameTextAs` lists earlier readable items with the same (`exact`) or nearly the same
    (`near`, estimated Jaccard similarity of word 3-shingles) text in the same language."""
    with reading(the_hub.engine) as conn:
        story = story_of(conn, principal.organization, item_id)
        duplicates = duplicates_of(conn, principal.organization, item_id)
    items = [_item(i) for i in story.items]
    return {"id": item_id, "story": story.id, "items": items, "count": len(items),
            "sameTextAs": [{**_item(i), "kind": kind, "similarity": similarity} for i, kind, similarity in duplicates]}
