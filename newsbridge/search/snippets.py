"""Matches shown in ``<mark>``: the words of a text whose stems a query looks for, and a snippet
of the text around the first of them.

A word is marked when its stem (as the index stores it, search/stemming.py) starts with a stem
of the query; a phrase's words are marked one by one. Everything else is escaped, so the result
is safe HTML whatever the text holds. The text keeps its own order: a Persian snippet is the
logical text, and the page or client shows it right to left (``direction``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

from newsbridge.search.query import Query
from newsbridge.search.stemming import stem, words

SNIPPET_CHARS = 220
# A word as it is written: letters and digits with the marks, tatweel and non-joiners inside it.
_WRITTEN = re.compile(r"[^\W_][\w\u0640\u064b-\u065f\u0670\u200c]*")
_RTL_LANGUAGES = ("fa", "ar", "ps", "ur", "he", "ckb")


def direction(language: str | None) -> str:
    """``rtl`` for a language written right to left, else ``ltr``."""
    return "rtl" if (language or "").lower().split("-")[0] in _RTL_LANGUAGES else "ltr"


@lru_cache(maxsize=100_000)
def _marked(written: str, wanted: frozenset[str], language: str | None) -> bool:
    # Cached: news repeats its words, and stemming each one is most of a page's snippets' cost.
    for word in words(written):
        # Without the language a Cyrillic word may be stored as Russian or as Kazakh.
        stored = {stem(word, language)} if language else {stem(word, None), stem(word, "kk")}
        if any(part.startswith(want) for form in stored for part in form.split() for want in wanted):
            return True
    return False


def _spans(text: str, query: Query, language: str | None, start: int = 0, end: int | None = None,
           first: bool = False) -> list[tuple[int, int]]:
    """The marked words of ``text`` that lie within ``start``-``end`` (only the first, with ``first``)."""
    wanted = _wanted(query)
    if not wanted:
        return []
    end = len(text) if end is None else end
    found = []
    # read from the space before ``start``: a word cut by ``start`` is then not one, and the words
    # before it are not stemmed again
    for m in _WRITTEN.finditer(text, text.rfind(" ", 0, start) + 1 if start else 0):
        left, right = m.span()
        if left >= end:
            break
        if left >= start and right <= end and _marked(m.group(), wanted, language):
            found.append((left, right))
            if first:
                break
    return found


@lru_cache(maxsize=1024)
def _wanted(query: Query) -> frozenset[str]:
    return frozenset(query.stems())


def _marked_html(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> Markup:
    end = len(text) if end is None else end
    out, last = [], start
    for left, right in spans:
        if left < start or right > end:
            continue
        out += (escape(text[last:left]), "<mark>", escape(text[left:right]), "</mark>")
        last = right
    out.append(escape(text[last:end]))
    return Markup("".join(out))  # every piece is escaped text or a <mark> tag


def highlight(text: str | None, query: Query, language: str | None = None) -> Markup:
    """``text`` escaped, with each word the query looks for wrapped in ``<mark>``."""
    text = text or ""
    return _marked_html(text, _spans(text, query, language))


def snippet(text: str | None, query: Query, language: str | None = None, limit: int = SNIPPET_CHARS) -> Markup:
    """About ``limit`` characters of ``text`` around its first match (its start when nothing
    matches), cut at words, with an ellipsis where text was left out, matches marked."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return _marked_html(text, _spans(text, query, language))
    spans = _spans(text, query, language, first=True)  # the window is placed by the first match
    first = spans[0][0] if spans else 0
    start = max(0, first - limit // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + limit)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > (spans[0][1] if spans else start) else end
    body = _marked_html(text, _spans(text, query, language, start, end), start, end)
    return Markup("…" if start else "") + body + Markup("…" if end < len(text) else "")
