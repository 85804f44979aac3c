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
_BLANK_LINES = re.compile(r"\n\s*\n+")

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "tr", "figure", "figcaption",
           "table", "pre", "hr", "ul", "ol", "caption"}


def normalize_persian(text: str) -> str:
    return text.translate(PERSIAN_LETTERS)


def clean_text(text: str, *, persian: bool = False) -> str:
    """NFC, no control characters, single spaces, paragraphs separated by one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if persian:
        text = normalize_persian(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_line(text: str, *, persian: bool = False) -> str:
    """A one-line field (headline, byline, place): all whitespace becomes single spaces."""
    return " ".join(clean_text(text, persian=persian).split())


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


def html_to_text(markup: str) -> str:
    """Readable plain text from (sanitized) HTML: one blank line between blocks."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return clean_text("".join(parser.parts))


def text_to_html(text: str) -> str:
    """HTML paragraphs from plain text: blank lines separate paragraphs, single newlines become <br>."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "\n".join("<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs)
