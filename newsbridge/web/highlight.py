"""Search matches shown in ``<mark>``: the words of a desk search, found as the index finds them.

A word of the text is marked when it starts with a word of the query, case and Unicode form
aside, Arabic and Persian letter forms alike (the rules of items/search.py). Everything else is
escaped: the result is safe HTML whatever the text holds.
"""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

from newsbridge.items.search import words

_WORD = re.compile(r"[^\W_]+")


def _matches(word: str, forms: list[list[str]]) -> bool:
    folded = unicodedata.normalize("NFC", word).casefold()
    return any(folded.startswith(form) for spellings in forms for form in spellings)


def highlight(text: str | None, query: str | None) -> Markup:
    """``text`` escaped, with each word that a word of ``query`` starts wrapped in ``<mark>``."""
    text = text or ""
    forms = words(query) if query else []
    if not forms:
        return Markup(escape(text))
    out, last = [], 0
    for found in _WORD.finditer(text):
        if _matches(found.group(), forms):
            out.append(escape(text[last:found.start()]))
            out.append(Markup("<mark>") + escape(found.group()) + Markup("</mark>"))
            last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
