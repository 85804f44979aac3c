"""Highlighted search matches: marked as the search index matches, and always escaped."""

from __future__ import annotations

import pytest

from newsbridge.web.highlight import highlight


@pytest.mark.parametrize("text, query, expected", [
    ("Kazakhstan beat Iran", "kazakh", "<mark>Kazakhstan</mark> beat Iran"),
    ("Cooperation, cooperative", "COOP", "<mark>Cooperation</mark>, <mark>cooperative</mark>"),
    ("Президент Казахстана", "казахстан", "Президент <mark>Казахстана</mark>"),
    # Persian typed with an Arabic yeh finds the Persian spelling; endings after a ZWNJ are the word's
    ("همکاری\u200cهای رسانه\u200cای", "همكاري", "<mark>همکاری\u200cهای</mark> رسانه\u200cای"),
    ("<b>Budget</b> & more", "budget", "&lt;b&gt;<mark>Budget</mark>&lt;/b&gt; &amp; more"),
    ("Nothing here", "absent", "Nothing here"),
    ("<script>x</script>", None, "&lt;script&gt;x&lt;/script&gt;"),
    ("<i>x</i>", '"><mark>', "&lt;i&gt;x&lt;/i&gt;"),
])
def test_highlight(text: str, query: str | None, expected: str) -> None:
    assert str(highlight(text, query)) == expected
