"""check_html skips its model for markup that cannot break a limit (formats/markup.py, _cannot_refuse):
fuzzed against the model itself, with pieces chosen to push every limit."""

from __future__ import annotations

import random

import pytest

from newsbridge.formats.markup import (FEW_TAGS, FEW_TAGS_CHARS, MarkupTooComplex, _cannot_refuse, _check_model,
                                       check_html)

PIECES = ["<p>", "</p>", "<b>", "</b>", "<em title=\"{long}\">", "<i class={long}>", "</em>", "<a href=x>", "<a>",
          "</a>", "<nobr>", "<div>", "</div>", "<table>", "<td>", "<tr>", "</table>", "<option>", "<optgroup>",
          "<svg>", "<math>", "<style>", "</style>", "<script>", "<!--", "-->", "<!-->", "<br>", "<h1>", "<li>",
          "<font color={long}>", "<marquee>", "</b></i></em>", "<plaintext>", "<textarea>", "<button>", "x", "text ",
          "<SVG>", "<Script>", "<b title='{long}'>"]


def _markup(rng: random.Random, tags: int) -> str:
    out = []
    while sum(part.count("<") for part in out) < tags:
        piece = rng.choice(PIECES)
        out.append(piece.replace("{long}", "A" * rng.choice((1, 50, 600, 3_000))))
        if rng.random() < 0.5:
            out.append(rng.choice(("x", " ", "paragraph text", "\n")))
    return "".join(out)


def test_markup_the_fast_path_skips_is_never_refused_by_the_model() -> None:
    rng = random.Random(17)
    skipped = refused_when_more = 0
    for _ in range(20_000):
        markup = _markup(rng, rng.randint(0, FEW_TAGS + 8))
        if _cannot_refuse(markup):
            skipped += 1
            _check_model(markup)  # raises MarkupTooComplex if the fast path were wrong
        else:
            try:
                _check_model(markup)
            except MarkupTooComplex:
                refused_when_more += 1
    assert skipped > 3_000 and refused_when_more > 100  # both sides of the line are exercised


@pytest.mark.parametrize("markup", [
    "<svg><style><b></style>",  # markup in raw text after SVG: refused with three tags
    "<math><textarea><i></textarea>",
    "<script><!--<script></script>",
    "".join(f"<em title={n}>" for n in range(FEW_TAGS + 2)),  # too many formatting elements left open
])
def test_what_the_model_refuses_with_few_tags_is_not_skipped(markup: str) -> None:
    assert not _cannot_refuse(markup)
    with pytest.raises(MarkupTooComplex):
        check_html(markup)


def test_the_bounds() -> None:
    assert _cannot_refuse("<p>" + "x" * (FEW_TAGS_CHARS - 3))
    assert not _cannot_refuse("<p>" + "x" * (FEW_TAGS_CHARS - 2))
    assert _cannot_refuse("<b>" * FEW_TAGS) and not _cannot_refuse("<b>" * (FEW_TAGS + 1))
