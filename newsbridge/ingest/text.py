"""Text normalization: Unicode, Persian letters, whitespace, and HTML <-> text.

Persian is written with the Persian yeh (ی) and keheh (ک); wires and keyboards often send
the Arabic forms (ي, ك), which search and language detection treat as other letters. The
mapping is applied to Persian text only, never to Arabic. The zero-width non-joiner
(U+200C), which Persian spelling needs, is kept.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

from newsbridge.formats.markup import clean_html

PERSIAN_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ODD_SPACES = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")  # the spaces _SPACES folds but " "
_BLANK_LINES = re.compile(r"\n\s*\n+")

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "tr", "figure", "figcaption",
           "table", "pre", "hr", "ul", "ol", "caption"}


def normalize_persian(text: str) -> str:
    # Three str.replace passes: same result as text.translate(PERSIAN_LETTERS), ~10x faster on
    # non-ASCII text (translate with a dict makes a Python-level look-up per character).
    return text.replace("\u064a", "\u06cc").replace("\u0649", "\u06cc").replace("\u0643", "\u06a9")


# Anything clean_text would change, but for NFC and the edges of the whole text (checked apart):
# wires mostly send clean text, and a few searches cost less than cleaning it again. Every
# whitespace character but " " and "\n" is in the class, so whitespace at a line's edge is either
# one of them or a " " next to a "\n" (the plain substring checks).
_DIRTY_CHARS = re.compile(r"[\r\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b\ufeff\t\u00a0\u2000-\u200a"
                          r"\u202f\u205f\u3000\u0085\u1680\u2028\u2029]")
_DIRTY_CHARS_PERSIAN = re.compile(_DIRTY_CHARS.pattern[:-1] + "\u064a\u0649\u0643]")
_NOT_ONE_LINE = re.compile(r"[^\S ]| {2}")


def _is_clean(text: str, persian: bool) -> bool:
    """Whether :func:`clean_text` would return ``text`` as it is."""
    return (not text[:1].isspace() and not text[-1:].isspace()
            and "  " not in text and "\n\n\n" not in text and " \n" not in text and "\n " not in text
            and (_DIRTY_CHARS_PERSIAN if persian else _DIRTY_CHARS).search(text) is None
            and unicodedata.is_normalized("NFC", text))


def clean_text(text: str, *, persian: bool = False) -> str:
    """NFC, no control characters, single spaces, paragraphs separated by one blank line."""
    if _is_clean(text, persian):
        return text
    text = unicodedata.normalize("NFC", text)
    # One search for what the next steps look for (carriage returns, control characters, odd
    # spaces: _DIRTY_CHARS holds them all): text joined from HTML has none, only blank lines.
    odd = _DIRTY_CHARS.search(text) is not None
    if odd:
        text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if persian:
        text = normalize_persian(text)
    # _SPACES never matches a newline: one pass over the whole text equals one per line. Without a
    # double or an odd space there is nothing to fold, and rewriting every space costs 8x the check.
    if "  " in text or (odd and _ODD_SPACES.search(text)):
        text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_line(text: str, *, persian: bool = False) -> str:
    """A one-line field (headline, byline, place): all whitespace becomes single spaces."""
    text = clean_text(text, persian=persian)  # no whitespace left at either end
    return text if _NOT_ONE_LINE.search(text) is None else " ".join(text.split())


def sanitize_html(markup: str, *, persian: bool = False) -> str:
    """Untrusted HTML made safe to show: scripts, handlers and unknown tags removed.

    Raises :class:`~newsbridge.formats.markup.MarkupTooComplex` for markup too large or too
    deeply nested to sanitize cheaply (checked before anything is parsed)."""
    markup = clean_html(unicodedata.normalize("NFC", markup))
    # after sanitizing, so the check and nh3 see the markup as sent; the letters mapped are never markup
    return normalize_persian(markup) if persian else markup


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


# A start or end tag as an HTML serializer writes it (nh3's output, which ingest stores): a name,
# attributes whose values are quoted, nothing else. Text between such tags holds no "<".
_SIMPLE_TAG = re.compile(r"""<(/?)([A-Za-z][A-Za-z0-9]*)((?:[\t\n\f\r ]+[^\t\n\f\r /<>"'=]+"""
                         r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'))?)*)[\t\n\f\r ]*(/?)>""")
_RAW_TEXT = frozenset({"script", "style"})  # content that html.parser reads as raw text, not markup


def _simple_text(markup: str) -> list[str] | None:
    """The pieces :class:`_TextExtractor` would collect from ``markup``, read with one regular
    expression; None when the markup holds anything but simple tags and text (comments,
    declarations, a stray "<", raw-text elements, unquoted attributes): html.parser reads those."""
    parts: list[str] = []
    position = 0
    for tag in _SIMPLE_TAG.finditer(markup):
        text = markup[position:tag.start()]
        if "<" in text:
            return None
        if text:
            parts.append(html.unescape(text) if "&" in text else text)
        position = tag.end()
        closing, name, _attributes, self_closing = tag.groups()
        name = name.lower()
        if name in _RAW_TEXT:
            return None
        if name in _BLOCKS:
            parts.append("\n\n")
            if self_closing and not closing:
                parts.append("\n\n")  # html.parser reports <hr/> as a start and an end tag
        elif name == "br" and not closing:
            parts.append("\n")
    text = markup[position:]
    if "<" in text:
        return None
    if text:
        parts.append(html.unescape(text) if "&" in text else text)
    return parts


def html_to_text(markup: str) -> str:
    """Readable plain text from (sanitized) HTML: one blank line between blocks.

    Sanitized HTML is read with a regular expression (five times faster than html.parser);
    anything else goes through html.parser, with the same result."""
    parts = _simple_text(markup)
    if parts is None:
        parser = _TextExtractor()
        parser.feed(markup)
        parser.close()
        parts = parser.parts
    return clean_text("".join(parts))


def text_to_html(text: str) -> str:
    """HTML paragraphs from plain text: blank lines separate paragraphs, single newlines become <br>."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "\n".join("<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs)
