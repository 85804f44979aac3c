"""IPTC NewsML-G2 out: one item version as a newsItem.

:func:`to_newsml` writes the item's metadata in the order of the NewsML-G2 schema, the body as
XHTML ``inlineXML`` (paragraphs if only text) plus the text as ``inlineData``, and renditions
as ``remoteContent``. Composites (packageItems) and associations are not written. The reader,
:func:`newsbridge.formats.newsml_g2.parse_newsml`, reads the written fields back unchanged; the
round-trip tests hold it to that. ``newsml_g2.to_newsml`` calls this module's.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from newsbridge.formats.item import PUBSTATUSES, Item
from newsbridge.formats.newsml_g2 import MEDTOP, NAR, NATURES, NewsmlError
from newsbridge.formats.xml_safety import xhtml_document, xml_text

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_32.xml"
_QCODE = re.compile(r"[A-Za-z][\w.-]*:\S+")


def _q(name: str) -> str:
    return f"{{{NAR}}}{name}"


def _sub(parent: etree._Element, name: str, text: Any = None, **attrs: Any) -> etree._Element:
    el = etree.SubElement(parent, _q(name), {k: xml_text(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = xml_text(text)
    return el


def _concepts(parent: etree._Element, name: str, concepts: list[dict[str, Any]]) -> None:
    for concept in concepts:
        uri, literal = concept.get("uri") or "", concept.get("literal") or ""
        attrs = {"role": concept.get("role") if name == "infoSource" else None}
        if uri.startswith(MEDTOP):
            attrs["qcode"] = "medtop:" + uri.removeprefix(MEDTOP)
        elif uri or literal:
            attrs["uri" if uri else "qcode" if _QCODE.fullmatch(literal) else "literal"] = uri or literal
        el = _sub(parent, name, **attrs)
        if concept.get("name"):
            _sub(el, "name", concept["name"])


def _content_set(root: etree._Element, item: Item) -> None:
    content_set = _sub(root, "contentSet")
    if item.body_html or item.body_text:
        _sub(content_set, "inlineXML", contenttype="application/xhtml+xml").append(
            xhtml_document(item.headline or "", html=item.body_html, text=item.body_text))
    if item.body_text:
        _sub(content_set, "inlineData", item.body_text, contenttype="text/plain")
    for rendition in item.renditions:
        name = rendition.get("name")
        _sub(content_set, "remoteContent", href=rendition.get("href"), contenttype=rendition.get("contentType"),
             width=rendition.get("width"), height=rendition.get("height"), size=rendition.get("sizeInBytes"),
             rendition=f"rnd:{name}" if name and ":" not in name else name)


def to_newsml(item: Item) -> bytes:
    """One version of ``item`` as a NewsML-G2 newsItem, as UTF-8 bytes."""
    if not item.uri:
        raise NewsmlError("the item has no uri; NewsML-G2 needs one for the guid", field="uri")
    if item.type not in NATURES[:-1]:
        raise NewsmlError(f"type {item.type!r} cannot be written as a NewsML-G2 newsItem; writable types: "
                          f"{', '.join(NATURES[:-1])} (a composite would need a packageItem)", field="type")
    if item.pubstatus not in PUBSTATUSES:
        raise NewsmlError(f"pubstatus {item.pubstatus!r} must be one of {', '.join(PUBSTATUSES)}", field="pubstatus")
    extra = item.extra
    root = etree.Element(_q("newsItem"), nsmap={None: NAR})
    for key, value in (("guid", item.uri), ("version", item.version), ("standard", "NewsML-G2"),
                       ("standardversion", "2.35"), ("conformance", "power"), (_XML_LANG, item.language)):
        if value:
            root.set(key, xml_text(value))
    _sub(root, "catalogRef", href=_CATALOG)
    if item.copyrightholder or item.copyrightnotice or item.usageterms:
        rights = _sub(root, "rightsInfo")
        if item.copyrightholder:
            _sub(_sub(rights, "copyrightHolder"), "name", item.copyrightholder)
        for name, value in (("copyrightNotice", item.copyrightnotice), ("usageTerms", item.usageterms)):
            if value:
                _sub(rights, name, value)
    sources = extra.get("infoSources", [])
    meta = _sub(root, "itemMeta")
    _sub(meta, "itemClass", qcode=f"ninat:{item.type}")
    # NewsML-G2 requires a provider: the source's, else the hub that releases the item.
    _concepts(meta, "provider", [s for s in sources if s.get("role") == "provider"][:1] or [{"literal": "newsbridge"}])
    for name, when in (("versionCreated", item.versioncreated), ("firstCreated", item.firstcreated),
                       ("embargoed", item.embargoed)):
        if when is not None:
            _sub(meta, name, when.isoformat())
    _sub(meta, "pubStatus", qcode=f"stat:{item.pubstatus}")
    for name in ("profile", "title", "edNote"):  # one edNote per paragraph: the reader joins them back
        value = str(extra.get(name) or "")
        for part in value.split("\n\n") if name == "edNote" else [value]:
            if part.strip():
                _sub(meta, name, part)
    cm = _sub(root, "contentMeta")  # children in the order of the NewsML-G2 schema
    for name, given in (("urgency", item.urgency), ("contentCreated", extra.get("contentCreated"))):
        if given is not None:
            _sub(cm, name, given)
    if item.located:
        _sub(_sub(cm, "located"), "name", item.located)
    _concepts(cm, "infoSource", [s for s in sources if s.get("role") not in ("provider", "creditline")])
    if item.language:
        _sub(cm, "language", tag=item.language)
    _concepts(cm, "genre", item.genres)
    _concepts(cm, "subject", item.subjects)
    texts = [("slugline", extra.get("slugline"), None), ("headline", item.headline, None)]
    texts += [("headline", h.get("value"), h.get("role")) for h in extra.get("headlines", [])]
    texts += [("by", item.byline, None)] + [("creditline", s.get("name"), None) for s in sources
                                            if s.get("role") == "creditline"]
    texts += [("description", item.description, None)]
    texts += [("description", d.get("value"), d.get("role")) for d in extra.get("descriptions", [])]
    for name, value, role in texts:
        if value:
            _sub(cm, name, value, role=role)
    etree.indent(root, space="  ")
    if item.body_html or item.body_text or item.renditions:
        root[-1].tail = "\n  "  # added after indenting: pretty-printing would change the body's whitespace
        _content_set(root, item)
        root[-1].tail = "\n"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
