"""Which format a document is in, and parsing it with the right reader.

Uploads, polled sources and ``newsbridge ingest`` do not say their format; the first bytes
do. A document may hold several items (a NewsML-G2 news message, a feed, a JSON array of
ninjs items), so :func:`parse_document` returns a list.
"""

from __future__ import annotations

from typing import Any

from newsbridge.formats import feeds, newsml_g2, ninjs, ninjs1, plaintext
from newsbridge.formats.errors import FormatError
from newsbridge.formats.item import Item

KNOWN_FORMATS: dict[str, str] = {
    ninjs.FORMAT_NAME: "IPTC ninjs 1.x, 2.x or 3.x JSON: one item, or an array of items (.json)",
    newsml_g2.FORMAT_NAME: "IPTC NewsML-G2 newsItem, packageItem or newsMessage (.xml)",
    feeds.FORMAT_RSS: "RSS 2.0 (and RSS 1.0/RDF) feeds",
    feeds.FORMAT_ATOM: "Atom 1.0 feeds",
    feeds.FORMAT_JSONFEED: "JSON Feed 1.0/1.1",
    plaintext.FORMAT_NAME: "plain-text agency wire, Kazinform or Pars Today style (.txt)",
}


def _unknown(message: str) -> FormatError:
    known = "; ".join(f"{name}: {text}" for name, text in KNOWN_FORMATS.items())
    return FormatError(f"{message}. Known formats: {known}", field="file", kind="unknown")


def detect_format(data: bytes) -> str:
    """The name of the format ``data`` is in; raises FormatError(kind="unknown") otherwise."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise _unknown("the document is empty")
    if head[:1] in (b"{", b"["):
        return feeds.sniff_feed(data) or ninjs.FORMAT_NAME
    if head[:1] == b"<":
        if newsml_g2.looks_like_newsml(data):
            return newsml_g2.FORMAT_NAME
        if found := feeds.sniff_feed(data):
            return found
        raise _unknown("the document is XML, but neither NewsML-G2 nor an RSS or Atom feed")
    if plaintext.looks_like_plaintext(data):
        return plaintext.FORMAT_NAME
    raise _unknown("the document is in none of the formats the hub reads")


def item_from_ninjs_document(doc: Any) -> Item:
    """A ninjs document of any version (1.x, 2.x, 3.x), validated against its IPTC schema."""
    if isinstance(doc, dict) and ninjs1.is_ninjs1(doc):
        return ninjs1.parse_ninjs1(doc)
    ninjs.validate(doc)
    return ninjs.item_from_ninjs(doc)


def parse_document(data: bytes) -> list[Item]:
    """Every item in ``data``, whatever supported format it is in."""
    name = detect_format(data)
    if name == plaintext.FORMAT_NAME:
        return [plaintext.parse_plaintext(data)]
    if name == newsml_g2.FORMAT_NAME:
        return newsml_g2.parse_newsml(data)
    if name in (feeds.FORMAT_RSS, feeds.FORMAT_ATOM, feeds.FORMAT_JSONFEED):
        return feeds.parse_feed(data)
    doc = ninjs.decode_json(data)
    docs = doc if isinstance(doc, list) else [doc]
    if not docs:
        raise FormatError("the JSON array holds no items; send at least one ninjs item", field="$",
                          format=ninjs.FORMAT_NAME, kind="invalid")
    items = []
    for index, one in enumerate(docs):
        try:
            items.append(item_from_ninjs_document(one))
        except FormatError as exc:
            if isinstance(doc, list):
                exc.field = f"[{index}]{(exc.field or '$').removeprefix('$')}"
                exc.message = f"item {index}: {exc.message}"
                exc.args = (exc.message,)
            raise
    return items
