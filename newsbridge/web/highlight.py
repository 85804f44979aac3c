"""Search matches shown in ``<mark>``: the words of a desk search, found as the index finds them.

A word of the text is marked when its stem starts with a stem of the query (the rules of
search/stemming.py and items/search.py: "Казахстан" marks "Казахстана", "کتاب" marks
"کتاب‌ها"). Everything else is escaped: the result is safe HTML whatever the text holds.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

from newsbridge.search import snippets
from newsbridge.search.query import Query, parse


def highlight(text: str | None, query: str | None, language: str | None = None) -> Markup:
    """``text`` escaped, with each word the search ``query`` looks for wrapped in ``<mark>``."""
    return snippets.highlight(text, _parsed(query), language)


@lru_cache(maxsize=256)
def _parsed(query: str | None) -> Query:
    # a page marks its query in every row's headline and snippet: read it once
    return parse(query)
