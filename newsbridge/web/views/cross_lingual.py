"""The desk's search in every language: the words typed in the Incoming filters, also found by meaning
in the other languages (desk/cross_lingual.py, the same service as ``GET /api/v1/search?
cross_lingual=true``), one ranked page with each hit marked "in another language" when its words
did not match. The Incoming search form asks for it with its "Search in all languages" button."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from newsbridge.db.engine import reading
from newsbridge.desk.cross_lingual import search_across_languages
from newsbridge.desk.search import SearchFilters
from newsbridge.stories.embeddings import E5Embedder
from newsbridge.web.context import Viewer, page, viewer

router = APIRouter(include_in_schema=False)
EMBEDDER = E5Embedder()  # the story worker's model, loaded once per process on first use
PAGE_SIZE = 30


@router.get("/desk/across")
def across_languages(request: Request, who: Viewer = Depends(viewer)) -> Response:
    params = request.query_params
    q = (params.get("q") or "").strip()[:500]
    partner, language = params.get("partner") or None, params.get("language") or None
    if not q:  # nothing to look for: the ordinary desk
        return RedirectResponse("/desk", status_code=303)
    filters = SearchFilters(q=q, partner=partner, language=language)
    with reading(request.app.state.hub.engine) as conn:
        found = search_across_languages(conn, who.organization, filters, EMBEDDER, limit=PAGE_SIZE, facets=False)
    words_only = "/desk?" + urlencode({k: v for k, v in {"q": q, "partner": partner, "language": language}.items()
                                       if v})
    context: dict[str, Any] = {"q": q, "hits": found.hits, "total": found.total, "words_only": words_only}
    return page(request, "cross_lingual.html", who, **context)
