"""Which format a document is in, and parsing it with the right reader.

Uploads, polled sources and ``newsbridge ingest`` do not say their format; the first bytes
do. A document may hold several items (a NewsML-G2 news message, a feed, a JSON array of
ninjs items), so :func:`parse_document` returns a list.

Readers are liberal: they accept what agencies really send and record what they assumed as
warnings on each item. ``strict`` turns the first warning into a refusal instead (a source or
an upload can ask for it). ``zone`` is the source's time zone, for times that name none.
"""

from __future__ import annotations

from typing import Any

from newsbridge.formats import feeds, newsml1, newsml_g2, ninjs, ninjs1, nitf, plaintext
from newsbridge.formats.errors import FormatError
from newsbridge.formats.item import IngestWarning, Item

KNOWN_FORMATS: dict[str, str] = {
    ninjs.FORMAT_NAME: "IPTC ninjs 1.x, 2.x or 3.x JSON: one item, or an array of items (.json)",
    newsml_g2.FORMAT_NAME: "IPTC NewsML-G2 newsItem, packageItem or newsMessage (.xml)",
    nitf.FORMAT_NAME: "IPTC NITF 3.x document (.xml)",
    nitf.NEWSML1_FORMAT_NAME: "IPTC NewsML 1.x document with NITF or HTML text (.xml)",
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
        if found := nitf.sniff(data):
            return found
        if found := feeds.sniff_feed(data):
            return found
        raise _unknown("the document is XML, but neither NewsML-G2, NITF, NewsML 1.x nor an RSS or Atom feed")
    if plaintext.looks_like_plaintext(data):
        return plaintext.FORMAT_NAME
    raise _unknown("the document is in none of the formats the hub reads")


def _reads_as_later(doc: dict[str, Any]) -> bool:
    """Whether a document with some 1.x keys is still 2.x/3.x: it says so, or has keys only those versions have
    (a ninjs 3 item that says ``byline`` for ``by`` is a 3.x item with a mistake, not a 1.x item)."""
    standard = doc.get("standard")
    if isinstance(standard, dict) and str(standard.get("name", "")).lower() == "ninjs" \
            and str(standard.get("version", ""))[:1] in ("2", "3"):
        return True
    return bool(set(doc) & ninjs1.later_only_keys())


def item_from_ninjs_document(doc: Any, zone: str | None = None, *, strict: bool = False) -> Item:
    """A ninjs document of any version (1.x, 2.x, 3.x), fitted and validated against its IPTC schema.

    ``strict`` validates the document as sent, unmended, and refuses what would need a warning: the
    partner's own publish API asks for it, so a client that can fix its request at once is told at once."""
    warnings: list[IngestWarning] = []
    if isinstance(doc, dict) and ninjs1.is_ninjs1(doc) and not _reads_as_later(doc):
        if strict:
            ninjs1.validate_ninjs1(doc)
        return refuse_warnings([ninjs1.parse_ninjs1(doc, zone, warnings)], strict)[0]
    if not strict:
        doc = ninjs.fix_common_mistakes(doc, warnings)
    ninjs.validate(doc)
    return refuse_warnings([ninjs.item_from_ninjs(doc, zone, warnings)], strict)[0]


def _unwrap(doc: Any) -> tuple[list[Any], bool]:
    """The items of a JSON document: an array, one item, or an API page wrapping them (BBC: ``{"item": [...]}``)."""
    if isinstance(doc, list):
        return doc, False
    if isinstance(doc, dict) and "uri" not in doc and "guid" not in doc:
        for key in ("item", "items", "data", "results"):
            if isinstance(inner := doc.get(key), list) and inner and all(isinstance(i, dict) for i in inner):
                return inner, True
    return [doc], False


def refuse_warnings(items: list[Item], strict: bool = True) -> list[Item]:
    """``items``, or in ``strict`` mode a FormatError for the first warning any of them has."""
    for item in items if strict else ():
        if item.warnings:
            first = item.warnings[0]
            raise FormatError(f"strict mode: {first.message} ({first.code}; the hub would have accepted it with a "
                              "warning: fix it at the source, or turn strict mode off)", field=first.field,
                              kind="invalid")
    return items


def parse_document(data: bytes, *, zone: str | None = None, strict: bool = False) -> list[Item]:
    """Every item in ``data``, whatever supported format it is in; ``zone`` (IANA name, default UTC) is the
    source's zone for times that name none; ``strict`` refuses what would be accepted with a warning."""
    return refuse_warnings(_parse(data, zone, strict), strict)


def _parse(data: bytes, zone: str | None, strict: bool) -> list[Item]:
    name = detect_format(data)
    if name == plaintext.FORMAT_NAME:
        return [plaintext.parse_plaintext(data)]
    if name == newsml_g2.FORMAT_NAME:
        return newsml_g2.parse_newsml(data, zone)
    if name == nitf.FORMAT_NAME:
        return nitf.parse_nitf(data, zone)
    if name == nitf.NEWSML1_FORMAT_NAME:
        return newsml1.parse_newsml1(data, zone)
    if name in (feeds.FORMAT_RSS, feeds.FORMAT_ATOM, feeds.FORMAT_JSONFEED):
        return feeds.parse_feed(data)
    doc = ninjs.decode_json(data)
    docs, wrapped = _unwrap(doc)
    if not docs:
        raise FormatError("the JSON array holds no items; send at least one ninjs item", field="$",
                          format=ninjs.FORMAT_NAME, kind="invalid")
    items = []
    for index, one in enumerate(docs):
        try:
            items.append(item_from_ninjs_document(one, zone, strict=strict))
        except FormatError as exc:
            if len(docs) > 1 or wrapped:
                exc.field = f"[{index}]{(exc.field or '$').removeprefix('$')}"
                exc.message = f"item {index}: {exc.message}"
                exc.args = (exc.message,)
            raise
        if len(docs) > 1 or wrapped:  # say which item of the document each warning is about
            where = f"$.{key_of(doc)}[{index}]" if wrapped else f"[{index}]"
            items[-1].warnings = [IngestWarning(w.code, where + w.field.removeprefix("$"), w.message)
                                  for w in items[-1].warnings]
        if wrapped:
            items[-1].warnings.insert(0, IngestWarning("envelope_unwrapped", where,
                                                       "the items came wrapped in an API page; read each item in it"))
    return items


def key_of(page: dict[str, Any]) -> str:
    return next(k for k in ("item", "items", "data", "results") if isinstance(page.get(k), list))
