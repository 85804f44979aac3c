"""Which format a document is in, and parsing it with the right reader.

Uploads and ``newsbridge ingest`` do not say their format; the first bytes do. A document
may hold several items (a JSON array of ninjs items), so :func:`parse_document` returns a
list.
"""

from __future__ import annotations

from newsbridge.formats import ninjs, plaintext
from newsbridge.formats.errors import FormatError
from newsbridge.formats.item import Item

KNOWN_FORMATS: dict[str, str] = {
    ninjs.FORMAT_NAME: "IPTC ninjs 2.x or 3.x JSON: one item, or an array of items (.json)",
    plaintext.FORMAT_NAME: "plain-text agency wire, Kazinform or Pars Today style (.txt)",
}


def detect_format(data: bytes) -> str:
    """The name of the format ``data`` is in; raises FormatError(kind="unknown") otherwise."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return ninjs.FORMAT_NAME
    if plaintext.looks_like_plaintext(data):
        return plaintext.FORMAT_NAME
    known = "; ".join(f"{name}: {text}" for name, text in KNOWN_FORMATS.items())
    if not head:
        raise FormatError(f"the document is empty. Known formats: {known}", field="file", kind="unknown")
    raise FormatError(f"the document is in none of the formats the hub reads. Known formats: {known}",
                      field="file", kind="unknown")


def parse_document(data: bytes) -> list[Item]:
    """Every item in ``data``, whatever supported format it is in."""
    name = detect_format(data)
    if name == plaintext.FORMAT_NAME:
        return [plaintext.parse_plaintext(data)]
    doc = ninjs.decode_json(data)
    docs = doc if isinstance(doc, list) else [doc]
    if not docs:
        raise FormatError("the JSON array holds no items; send at least one ninjs item", field="$",
                          format=ninjs.FORMAT_NAME, kind="invalid")
    items = []
    for index, one in enumerate(docs):
        try:
            ninjs.validate(one)
            items.append(ninjs.item_from_ninjs(one))
        except FormatError as exc:
            if isinstance(doc, list):
                exc.field = f"[{index}]{(exc.field or '$').removeprefix('$')}"
                exc.message = f"item {index}: {exc.message}"
                exc.args = (exc.message,)
            raise
    return items
