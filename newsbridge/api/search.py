"""``/api/v1/search``: what partners delivered to you, found by words in any of their forms.

The same service as the desk's search box (desk/search.py): stemmed words and quoted phrases,
filters, facets counted over what the caller may see only, highlighted snippets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub
from newsbridge.api.params import IsoTime
from newsbridge.db.engine import reading
from newsbridge.desk.cross_lingual import CrossLingualHit, search_across_languages
from newsbridge.desk.search import Hit, SearchFilters, search
from newsbridge.errors import InvalidInput
from newsbridge.items.render import Format, render
from newsbridge.stories.embeddings import E5Embedder

router = APIRouter(prefix="/api/v1", tags=["exchange"])
ItemType = Literal["text", "picture", "video", "audio", "graphic", "composite"]
QUERY_EMBEDDER = E5Embedder()  # the model the story worker embeds items with, loaded on first use
_CURSOR_HINT = "pass the `next` value of the previous page unchanged"


def _cursor(value: str | None) -> tuple[datetime, int] | None:
    if value is None:
        return None
    when, _, number = value.rpartition("_")
    try:
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None or not number.isdigit() or len(number) > 18:
            raise ValueError(value)
        return moment, int(number)
    except ValueError:
        raise InvalidInput(f"not a page cursor: {_CURSOR_HINT}", field="before") from None


def _hit(hit: Hit, fmt: Format) -> dict[str, Any]:
    return {"item": render(hit.record, fmt=fmt, how=hit.received),
            "highlight": {"headline": str(hit.headline), "snippet": str(hit.snippet), "dir": hit.direction}}


def _found_by(entry: CrossLingualHit) -> list[str]:
    return [name for name, yes in (("words", entry.by_words), ("meaning", entry.by_meaning), ("story", entry.by_story))
            if yes]


def _across_languages(the_hub: Hub, principal: Principal, filters: SearchFilters, limit: int, before: str | None,
                      facets: bool, fmt: Format) -> dict[str, Any]:
    if before is not None:
        raise InvalidInput("a cross-lingual search answers one ranked page: leave before out (ask for up to 100 "
                           "with limit)", field="before", code="not_available")
    with reading(the_hub.engine) as conn:
        found = search_across_languages(conn, principal.organization, filters, QUERY_EMBEDDER, limit=limit,
                                        facets=facets)
    return {"items": [{**_hit(entry.hit, fmt), "found_by": _found_by(entry),
                       "similarity": None if entry.similarity is None else round(entry.similarity, 4)}
                      for entry in found.hits],
            "count": len(found.hits), "total": found.total, "total_is_lower_bound": found.total_is_lower_bound,
            "counted_over": None,
            "next": None,
            "facets": {name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                       for name, values in found.facets.items()}}


@router.get("/search", summary="Search what partners delivered to you: words in any form, phrases, facets")
def search_items(
        q: str | None = Query(None, max_length=500, description='Words (each in any form: "Казахстан" finds '
                              '"Казахстана") and "quoted phrases"; every one must match'),
        lang: str | None = Query(None, max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
                                 description="Language (``en`` covers ``en-GB``)"),
        partner: str | None = Query(None, max_length=64, description="Source organization's slug"),
        topic: str | None = Query(None, max_length=40, pattern=r"^medtop:\d{8}$",
                                  description="Media Topic qcode, narrower topics included"),
        type: ItemType | None = Query(None, description="Item type"),
        from_: IsoTime | None = Query(None, alias="from", description="Available to you at or after this time"),
        to: IsoTime | None = Query(None, description="Available to you before this time"),
        cross_lingual: bool = Query(False, description="Also find items in other languages by meaning "
                                    "(multilingual embeddings), fused with the word matches: one ranked page"),
        limit: int = Query(20, ge=1, le=100),
        before: str | None = Query(None, max_length=80, description="The `next` cursor of the previous page"),
        facets: bool = Query(True, description="Count matches per partner, language, topic and type"),
        format: Format = "ninjs3",
        principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Items delivered to you and available now whose headline or text holds every word and phrase
    of `q`, newest arrival first, with `highlight` (the headline and a snippet as HTML: escaped,
    matches in `<mark>`, and `dir` to show them in), the `total` of matches and `facets`: per
    partner, language, topic and type, how many of them you may see (each facet counted with the
    other filters applied, not its own). Embargoed, delayed and withdrawn items are never found.
    When `q` is in more than 1,000 versions, `total` and `facets` count only what you may see of
    the newest 1,000 of them: `total_is_lower_bound` is then true (show "1,000+") and
    `counted_over` is 1,000 (else null). On PostgreSQL, a query held by 100 or more of the hub's
    newest 4,000 versions is counted over those hits (at most 1,000): `counted_over` says how many.
    Without `q`, `total` and `facets` count what you may see of your newest 1,000 deliveries
    (`total_is_lower_bound` true when there were more, `counted_over` null).

    With `cross_lingual=true`, items in other languages are found too, by meaning (multilingual
    embeddings) and as the other items of the stories of the word matches and of the five closest by
    meaning, and ranked with the word matches by reciprocal rank fusion: one page, best first,
    each item with `found_by` (`words`, `meaning`, `story`: one or more) and `similarity`; `next` is null."""
    filters = SearchFilters(q=q, partner=partner, language=lang, topic=topic, type=type, since=from_, until=to)
    if cross_lingual:
        return _across_languages(the_hub, principal, filters, limit, before, facets, format)
    with reading(the_hub.engine) as conn:
        found = search(conn, principal.organization, filters, limit=limit, before=_cursor(before), facets=facets)
    next_cursor = f"{found.next_cursor[0].isoformat()}_{found.next_cursor[1]}" if found.next_cursor else None
    return {"items": [_hit(hit, format) for hit in found.hits], "count": len(found.hits), "total": found.total,
            "total_is_lower_bound": found.total_is_lower_bound, "counted_over": found.counted_over,
            "next": next_cursor,
            "facets": {name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                       for name, values in found.facets.items()}}
