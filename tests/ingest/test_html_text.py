"""The text helpers' fast paths against the slower code they stand for.

* html_to_text's fast path (one regular expression over sanitized HTML) must give what html.parser
  gives for every input it accepts, and hand every other input to html.parser: compared over
  hand-picked edge cases, the hostile-HTML corpora, sanitized and raw, and random tag soups;
* clean_text and clean_line return text that is already clean as it is: compared with the code
  before the fast path over random strings of awkward characters.
"""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from newsbridge.formats.markup import MarkupTooComplex
from newsbridge.ingest import text
from newsbridge.ingest.text import clean_line, clean_text, html_to_text, sanitize_html
from tests.ingest.test_hostile_html import HOSTILE, LEGIT


def _reference(markup: str) -> str:
    parser = text._TextExtractor()
    parser.feed(markup)
    parser.close()
    return clean_text("".join(parser.parts))


EDGES = [
    "<p>One</p><p>Two</p>", "<P>Upper</P><BR>case", "a<br/>b<br />c<hr/>d<hr>e", "<p/>x<p />y",
    '<p class="a>b">quoted &gt; in value</p>', "<p title='single'>x</p>", '<a href="x" disabled>flag</a>',
    "</p attr=\"x\">end tag with attributes", "<p>&amp;&lt;&gt;&quot;&#1178;&#x0493;&eacute;&nbsp;&amp</p>",
    "<p>Fish & chips &copy 2026 &notanentity;</p>", "text only", "", "<", ">", "a < b", "a <b",
    "<!-- comment --><p>x</p>", "<!DOCTYPE html><p>x</p>", "<?pi x?><p>y</p>", "<script>a<b</script><p>c</p>",
    "<style>p{}</style>x", "<p class=unquoted>x</p>", "<foo-bar>custom</foo-bar>", "<p\tclass=\"t\"\n>tabs</p>",
    "<li>one<li>two", "<ul><li>first</li><li>second</li></ul>", "<table><tr><td>a</td><td>b</td></tr></table>",
    "<p>\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645</p>", "<p>line\r\nbreak\rold</p>", "<p>&#0;&#x110000;</p>",
    "<p a=\"1\"b=\"2\">no space between attributes</p>", "<p>trailing &", "<p>x</p >", "<p >x</p>", "< p>x</p>",
    "<br></br>", "<h2>Sub</h2>\n\n\n<p>next</p>", "<div><p>  spaced   out  </p></div>",
]


@pytest.mark.parametrize("markup", EDGES + list(LEGIT.values()) + list(HOSTILE.values()))
def test_fast_path_reads_like_html_parser(markup: str) -> None:
    assert html_to_text(markup) == _reference(markup)


@pytest.mark.parametrize("markup", EDGES + list(LEGIT.values()))
def test_sanitized_html_takes_the_fast_path(markup: str) -> None:
    clean = sanitize_html(markup)

    assert text._simple_text(clean) is not None  # what ingest stores is read without html.parser
    assert html_to_text(clean) == _reference(clean)


PIECES = ["<p>", "</p>", "<br>", "<br/>", "<hr/>", "<b>", "</b>", "<li>", "<div class=\"x y\">", "</div>",
          "<a href='https://e.test/?a=1&amp;b=2'>", "</a>", "<script>", "</script>", "<!--", "-->", "<", ">", "&",
          "&amp;", "&lt;", "&#1178;", "&eacute", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "word", "Қазақ", "ایران",
          "\u200c", "<P>", "</LI>", "<p title=\"a>b\">", "<h1>", "</h1>", "'", '"', "=", "/", "<img src=x>", "\r\n"]


def test_random_soups_read_like_html_parser() -> None:
    rng = random.Random(17)
    for _ in range(3000):
        markup = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25)))
        assert html_to_text(markup) == _reference(markup), markup
        try:
            clean = sanitize_html(markup)
        except MarkupTooComplex:
            continue  # refused at ingest: never stored, never read back
        assert html_to_text(clean) == _reference(clean), clean


# clean_text and clean_line skip the work for text that is already clean: against the code before.
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _clean_text_reference(value: str, persian: bool = False) -> str:
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    if persian:
        value = value.translate(str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"}))
    lines = [_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


TEXT_PIECES = ["a", "word", "Қазақ", "ایران", "بانك", "ي", "ى", "ك", " ", "  ", "\n", "\n\n", "\n\n\n", "\r\n", "\r",
               "\t", "\u00a0", "\u2003", "\u3000", "\u200b", "\ufeff", "\x00", "\x1f", "\x7f", "\x85", "\u2028", "\u2029", "\u1680", "\u200c",
               "e\u0301", "\u00e9", "\u212b", ".", "\v", "\f", " \n ", "\n \n"]


def test_clean_text_fast_path_matches_the_reference() -> None:
    rng = random.Random(23)
    cases = ["", "Clean headline", "One.\n\nTwo.", "ایران و روسیه", "x\n\ny", " edge", "edge "]
    cases += ["".join(rng.choice(TEXT_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    unchanged = 0
    for value in cases:
        for persian in (False, True):
            expected = _clean_text_reference(value, persian)
            assert clean_text(value, persian=persian) == expected, (value, persian)
            assert clean_line(value, persian=persian) == " ".join(expected.split()), (value, persian)
            unchanged += expected == value
    assert unchanged > 1000  # the fast path is taken, not only the slow one


def test_every_odd_whitespace_character_sends_text_to_the_cleaning() -> None:
    # _is_clean relies on it: whitespace at a line's edge is either one of these or " " beside "\n"
    odd = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) not in " \n"]
    assert odd and all(text._DIRTY_CHARS.search(c) for c in odd)
    assert all(not text._is_clean(f"a{c}\nb", False) and not text._is_clean(f"a\n{c}b", True) for c in odd)
