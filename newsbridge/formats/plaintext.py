"""Plain-text agency wires: the Kazinform and Pars Today styles.

Both are UTF-8 text (BOM and CRLF accepted), body paragraphs separated by blank lines.

Kazinform style: the first line is `` date 2023-04-26 Headline`` (indented by one space,
the word ``date``, an ISO day, the headline), then a blank line and the body. The wire
gives only a day, so ``published`` is a :class:`datetime.date`. The first paragraph opens
with a dateline, ``ASTANA. KAZINFORM – ``: place, dot, source in capitals, dash. It is read
into ``dateline_place``/``dateline_source`` but left in the text, as the agency wrote it.

Pars Today style: the first line is ``Jul 12, 2018 07:08 Asia/Tehran`` (month-day-year,
time, IANA zone name), the next ``  • Headline``, then the body. A short single line
without final punctuation that is followed by more text is a subheading.

Pure: bytes in, :class:`Article` or :class:`Item` out. Unicode normalization happens later.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser

from newsbridge.formats.errors import FormatError, Kind
from newsbridge.formats.item import Item

FORMAT_NAME = "plaintext"

_EXPECTED_HEADER = (
    "the first line must be 'date YYYY-MM-DD Headline' (Kazinform style) or "
    "'Mon DD, YYYY HH:MM Area/City' followed by a '•' headline (Pars Today style)"
)
_KAZINFORM_HEADER = re.compile(r"date\s+(?P<day>\d{4}-\d{2}-\d{2})(?:\s+(?P<headline>.*))?")
_PARSTODAY_HEADER = re.compile(
    r"(?P<when>[A-Za-z]{3,9}\.?\s+\d{1,2},\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?)(?:\s+(?P<zone>\S+))?"
)
_BULLET = "•"
_DATELINE = re.compile(r"(?P<place>[A-Z][A-Z .'-]*?)\.\s+(?P<source>[A-Z][A-Z]+)\s*[–—-]\s")
# dateparser guesses a lot (languages, relative dates, missing parts); the header
# regexes already fixed the shape, so it must only read an absolute English date.
_DATEPARSER_SETTINGS = {
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PREFER_DAY_OF_MONTH": "first",
    "DATE_ORDER": "MDY",
    "STRICT_PARSING": True,
    "PARSERS": ["absolute-time"],
}
_SUBHEADING_MAX_CHARS = 100
_FINAL_PUNCTUATION = ('.', '!', '?', ':', ';', '»', '"', '”')
_SNIFF_BYTES = 1024


class PlainTextError(FormatError):
    """A plain-text wire that cannot be read; ``field`` names the part that is wrong."""

    def __init__(self, message: str, *, field: str) -> None:
        kind: Kind = "malformed" if field in ("data", "encoding", "header") else "invalid"
        super().__init__(message, field=field, format=FORMAT_NAME, kind=kind)


@dataclass(frozen=True)
class Block:
    """One blank-line separated block of the body."""

    kind: Literal["paragraph", "subheading"]
    text: str


@dataclass
class Article:
    """A plain-text wire story as sent, before it becomes an :class:`Item`."""

    style: Literal["kazinform", "parstoday"]
    headline: str
    published: datetime | date
    dateline_place: str | None = None
    dateline_source: str | None = None
    blocks: list[Block] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[str]:
        return [block.text for block in self.blocks if block.kind == "paragraph"]

    @property
    def subheadings(self) -> list[str]:
        return [block.text for block in self.blocks if block.kind == "subheading"]


def looks_like_plaintext(data: bytes) -> bool:
    """Cheap sniff: does the first non-empty line look like either style's header?"""
    text = data[:_SNIFF_BYTES].decode("utf-8", errors="replace").removeprefix("\ufeff")
    for line in text.splitlines():
        if line.strip():
            return _header_match(line.strip()) is not None
    return False


def parse_article(data: bytes) -> Article:
    """Read a Kazinform or Pars Today style wire; raise :class:`PlainTextError` if neither."""
    lines = _decode_lines(data)
    while lines and not lines[0]:
        lines.pop(0)
    if not lines:
        raise PlainTextError(f"the file is empty; {_EXPECTED_HEADER}", field="data")
    header = lines.pop(0).strip()
    match = _header_match(header)
    if match is None:
        raise PlainTextError(f"unknown header line {header[:80]!r}; {_EXPECTED_HEADER}", field="header")
    if match.re is _KAZINFORM_HEADER:
        style: Literal["kazinform", "parstoday"] = "kazinform"
        published: datetime | date = _parse_day(match["day"])
        headline = (match["headline"] or "").strip()
        if not headline:
            raise PlainTextError(
                "the Kazinform header has no headline; expected 'date YYYY-MM-DD Headline'", field="headline"
            )
    else:
        style = "parstoday"
        published = _parse_zoned_time(match["when"], match["zone"])
        headline = _pop_bullet_headline(lines)
    blocks = _split_blocks(lines, detect_subheadings=style == "parstoday")
    if not blocks:
        raise PlainTextError("the story has no body text; expected paragraphs after the headline", field="body")
    place, source = _read_dateline(blocks[0].text)
    return Article(style, headline, published, place, source, blocks)


def article_to_item(article: Article) -> Item:
    """Map an :class:`Article` onto the hub's :class:`Item`; the pipeline assigns uri and language."""
    extra: dict[str, object] = {}
    if article.dateline_source:
        extra["infoSources"] = [{"name": article.dateline_source, "role": "originator"}]
    html_blocks = [
        f"<h2>{html.escape(block.text)}</h2>" if block.kind == "subheading" else f"<p>{html.escape(block.text)}</p>"
        for block in article.blocks
    ]
    return Item(
        uri=None,
        type="text",
        headline=article.headline,
        firstcreated=article.published,
        versioncreated=article.published if isinstance(article.published, datetime) else None,
        located=article.dateline_place,
        body_text="\n\n".join(block.text for block in article.blocks),
        body_html="\n".join(html_blocks),
        language=None,
        extra=extra,
    )


def parse_plaintext(data: bytes) -> Item:
    """Parse a plain-text wire straight into an :class:`Item`."""
    return article_to_item(parse_article(data))


def _decode_lines(data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlainTextError(
            f"the file is not valid UTF-8 (bad byte at offset {exc.start}); expected UTF-8 text", field="encoding"
        ) from None
    # Split on line ends only: str.splitlines() would also break on U+2028 and
    # other separators that may legitimately sit inside a paragraph.
    return [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _header_match(line: str) -> re.Match[str] | None:
    return _KAZINFORM_HEADER.fullmatch(line) or _PARSTODAY_HEADER.fullmatch(line)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PlainTextError(f"{text!r} is not a calendar day; expected YYYY-MM-DD", field="published") from None


def _parse_zoned_time(when: str, zone: str | None) -> datetime:
    # dateparser does not read IANA zone names, so the zone is split off by the header
    # regex and attached afterwards; replace() lets zoneinfo pick the DST offset.
    if zone is None:
        raise PlainTextError(
            f"the time {when!r} has no zone; expected an IANA zone name such as 'Asia/Tehran' after it",
            field="published",
        )
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PlainTextError(
            f"unknown time zone {zone!r}; expected an IANA zone name such as 'Asia/Tehran'", field="published"
        ) from None
    parsed = dateparser.parse(when, languages=["en"], settings=_DATEPARSER_SETTINGS)
    if parsed is None:
        raise PlainTextError(f"cannot read the time {when!r}; expected 'Mon DD, YYYY HH:MM'", field="published")
    return parsed.replace(tzinfo=tz)


def _pop_bullet_headline(lines: list[str]) -> str:
    while lines and not lines[0]:
        lines.pop(0)
    line = lines.pop(0).strip() if lines else ""
    headline = line.removeprefix(_BULLET).strip()
    if not line.startswith(_BULLET) or not headline:
        raise PlainTextError(
            "the Pars Today header must be followed by a headline line starting with '•'", field="headline"
        )
    return headline


def _split_blocks(lines: list[str], *, detect_subheadings: bool) -> list[Block]:
    groups: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            groups[-1].append(line.strip())
        elif groups[-1]:
            groups.append([])
    groups = [group for group in groups if group]
    blocks: list[Block] = []
    for index, group in enumerate(groups):
        text = " ".join(group)
        is_subheading = (
            detect_subheadings
            and len(group) == 1
            and len(text) < _SUBHEADING_MAX_CHARS
            and not text.endswith(_FINAL_PUNCTUATION)
            and index + 1 < len(groups)
        )
        blocks.append(Block("subheading" if is_subheading else "paragraph", text))
    return blocks


def _read_dateline(first_paragraph: str) -> tuple[str | None, str | None]:
    match = _DATELINE.match(first_paragraph)
    if match is None:
        return None, None
    return match["place"].strip().title(), match["source"].title()
