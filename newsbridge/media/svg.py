"""SVG graphics: accepted only when they are pictures and nothing more.

An SVG file is a document a browser runs: it may hold scripts, event handlers, HTML in
``foreignObject``, ``javascript:`` links, animations that rewrite a link, and references to
other files or URLs (images, fonts, stylesheets) that make every viewer call a stranger's
server. A partner's graphic goes to every entitled newsroom, so the hub refuses all of these
(``media_unsafe``) rather than rewriting the file: the original is never altered. The XML is
read with the hub's safe parser (no entities, no DTDs, no network).
"""

from __future__ import annotations

import re

from lxml import etree

from newsbridge.errors import MediaUnreadable, MediaUnsafe
from newsbridge.formats.errors import FormatError
from newsbridge.formats.xml_safety import parse_xml

SVG = "http://www.w3.org/2000/svg"
XHTML = "http://www.w3.org/1999/xhtml"
MAX_SVG_BYTES = 10_000_000
# Elements that run code, embed other documents or media from elsewhere.
FORBIDDEN = frozenset({"script", "foreignobject", "iframe", "embed", "object", "handler", "listener", "audio",
                       "video", "frame", "frameset", "applet", "meta", "link", "base"})
ANIMATIONS = frozenset({"set", "animate", "animatemotion", "animatetransform"})
# Embedded pictures are part of the file; anything else a link names is outside it.
_EMBEDDED = re.compile(r"data:image/(png|jpeg|gif|webp);", re.I)
_CSS_OUTSIDE = re.compile(r"@import|url\(\s*['\"]?\s*(?!#)|expression\(", re.I)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


def _local(name: str) -> str:
    return etree.QName(name).localname.lower()


def _length(value: str | None) -> int | None:
    match = _LENGTH.match(value or "")
    return round(float(match.group(1))) if match else None


def _unsafe(what: str) -> MediaUnsafe:
    return MediaUnsafe(f"the SVG graphic {what}; partners' viewers would run or fetch it. Export the graphic "
                       "again without scripts, links or outside references", field="file")


def check_svg(data: bytes) -> tuple[int | None, int | None]:
    """Refuse an SVG that could run code or reach outside itself; return its (width, height) in px if stated."""
    if b"<?xml-stylesheet" in data:
        raise _unsafe("names an outside stylesheet (xml-stylesheet)")
    try:
        root = parse_xml(data, format="SVG", max_bytes=MAX_SVG_BYTES)
    except FormatError as exc:
        raise MediaUnreadable(f"the SVG graphic cannot be read: {exc}", field="file") from None
    if root.tag != f"{{{SVG}}}svg":
        raise MediaUnreadable("the file is XML but not an SVG graphic (its root is not <svg> in the SVG namespace)",
                              field="file")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # processing instructions inside the document
        name = _local(element.tag)
        if name in FORBIDDEN or etree.QName(element.tag).namespace == XHTML:
            raise _unsafe(f"holds a <{etree.QName(element.tag).localname}> element")
        if name in ANIMATIONS and re.search(r"href|^on", element.get("attributeName", ""), re.I):
            raise _unsafe("animates a link or an event handler")
        if name == "style" and _CSS_OUTSIDE.search(element.text or ""):
            raise _unsafe("has a stylesheet that loads from outside the file")
        for attribute, value in element.attrib.items():
            local = _local(attribute)
            compact = re.sub(r"\s+", "", value).lower()
            if local.startswith("on"):
                raise _unsafe(f"has an event handler ({local})")
            if "javascript:" in compact or "vbscript:" in compact:
                raise _unsafe("has a javascript: link")
            if local == "href" and not value.strip().startswith("#") and not _EMBEDDED.match(value.strip()):
                raise _unsafe(f"refers to something outside itself ({value.strip()[:80]})")
            if local == "style" and _CSS_OUTSIDE.search(value):
                raise _unsafe("has a style that loads from outside the file")
    width, height = _length(root.get("width")), _length(root.get("height"))
    if (width is None or height is None) and root.get("viewBox"):
        parts = re.split(r"[\s,]+", root.get("viewBox", "").strip())
        if len(parts) == 4:
            width, height = _length(parts[2]), _length(parts[3])
    return width, height
