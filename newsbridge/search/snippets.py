"""Matches shown in ``<mark>``: the words of a text whose stems a query looks for, and a snippet
of the text around the first of them.

A word is marked when its stem (as the index stores it, search/stemming.py) starts with a stem
of the query; a phrase's words are marked one by one. Everything else is escaped, so the result
is safe HTML whatever the text holds. The text keeps its own order: a Persian snippet is the
logical text, and the page or client shows it right to left (``direction``).
"""

from __future__ import annotations

import re

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


def _marked(written: str, wanted: set[str], language: str | None) -> bool:
    for word in words(written):
        # Without the language a Cyrillic word may be stored as Russian or as Kazakh.
        stored = {stem(word, language)} if language else {stem(word, None), stem(word, "kk")}
        if any(part.startswith(want) for form in stored for part in form.split() for want in wanted):
            return True
    return False


def _spans(text: str, query: Query, language: str | None) -> list[tuple[int, int]]:
    wanted = query.stems()
    if not wanted:
        return []
    return [(m.start(), m.end()) for m in _WRITTEN.finditer(text) if _marked(m.group(), wanted, language)]


def _marked_html(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> Markup:
    end = len(text) if end is None else end
    out, last = [], start
    for left, right in spans:
        if left < start or right > end:
            continue
        out.append(escape(text[last:left]))
        out.append(Markup("<mark>") + escape(text[left:right]) + Markup("</mark>"))
        last = right
    out.append(escape(text[last:end]))
    return Markup("").join(out)


def highlight(text: str | None, query: Query, language: str | None = None) -> Markup:
    """``text`` escaped, with each word the query looks for wrapped in ``<mark>``."""
    text = text or ""
    return _marked_html(text, _spans(text, query, language))


def snippet(text: str | None, query: Query, language: str | None = None, limit: int = SNIPPET_CHARS) -> Markup:
    """About ``limit`` characters of ``text`` around its first match (its start when nothing
    matches), cut at words, with an ellipsis where text was left out, matches marked."""
    text = " ".join((text or "").split())
    spans = _spans(text, query, language)
    if len(text) <= limit:
        return _marked_html(text, spans)
    first = spans[0][0] if spans else 0
    start = max(0, first - limit // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + limit)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > (spans[0][1] if spans else start) else end
    body = _marked_html(text, spans, start, end)
    return Markup("…" if start else "") + body + Markup("…" if end < len(text) else "")
