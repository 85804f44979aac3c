"""IPTC NewsML-G2 out: one item version as a newsItem.

:func:`to_newsml` writes the item's metadata in the order of the NewsML-G2 schema, the body as
XHTML ``inlineXML`` (paragraphs if only text) plus the text as ``inlineData``, and renditions
as ``remoteContent`` (with size, content type, width, height, duration, frame rate, codecs and audio
channels, and a ``hash`` when the rendition names its ``sha256``). A text's media associations go out in a
package, written around this newsItem by :mod:`newsbridge.formats.newsml_g2_package`. The reader,
:func:`newsbridge.formats.newsml_g2.parse_newsml`, reads the written fields back unchanged; the
round-trip tests hold it to that. ``newsml_g2`` re-exports :func:`to_newsml`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from lxml import etree

from newsbridge.formats.codecs import channels_uri, codec_uri
from newsbridge.formats.item import PUBSTATUSES, Item
from newsbridge.formats.newsml_g2_names import MEDTOP, NAR, NATURES, NewsmlError
from newsbridge.formats.newsml_g2_names import q as _q
from newsbridge.formats.newsml_g2_names import sub as _sub
from newsbridge.formats.xml_safety import xhtml_document, xml_text

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_32.xml"
_QCODE = re.compile(r"[A-Za-z][\w.-]*:\S+")
# IPTC schemes whose concept URIs are written as qcodes (the catalog above declares the aliases)
_SCHEMES = {MEDTOP: "medtop", "http://cv.iptc.org/newscodes/subjectcode/": "subj"}
# A role must be a QCode (or a URI, as roleuri): a bare ninjs role word gets the IPTC scheme of its
# element's roles (infosrcrole: Information Source Role, drol: Description Role, hlrole: headline role).
_ROLE_SCHEMES = {"infoSource": "infosrcrole", "description": "drol", "headline": "hlrole"}
NITF_NS = "http://iptc.org/std/NITF/2006-10-18/"
PROFILES = ("standard", "superdesk")
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"  # the hash algorithm by URI: no catalog entry needed


def _role(name: str, role: Any) -> dict[str, str]:
    """``role`` as the attribute the schema allows: a QCode as it is, a URI as ``roleuri``, a word in
    the element's IPTC role scheme (``originator`` -> ``infosrcrole:originator``)."""
    role = str(role or "").strip()
    if not role or not (scheme := _ROLE_SCHEMES.get(name)):
        return {}
    if "://" in role:
        return {"roleuri": role}
    return {"role": role if _QCODE.fullmatch(role) else scheme + ":" + "_".join(role.split())}


def _concepts(parent: etree._Element, name: str, concepts: list[dict[str, Any]]) -> None:
    for concept in concepts:
        uri, literal = concept.get("uri") or "", concept.get("literal") or ""
        attrs: dict[str, Any] = _role(name, concept.get("role")) if name == "infoSource" else {}
        scheme = next((s for s in _SCHEMES if uri.startswith(s) and uri != s), None)
        if scheme:
            attrs["qcode"] = f"{_SCHEMES[scheme]}:{uri.removeprefix(scheme)}"
        elif uri or literal:
            attrs["uri" if uri else "qcode" if _QCODE.fullmatch(literal) else "literal"] = uri or literal
        el = _sub(parent, name, **attrs)
        if concept.get("name"):
            _sub(el, "name", concept["name"])


def _nitf_body(item: Item) -> etree._Element:
    """The HTML body inside an NITF ``block``: Superdesk's parser reads NITF with its markup (bold, links,
    lists), while from XHTML it keeps only each top-level element's first text."""
    xhtml = xhtml_document(item.headline or "", html=item.body_html, text=item.body_text)
    nitf = etree.Element(f"{{{NITF_NS}}}nitf", nsmap={None: NITF_NS})
    block = etree.SubElement(etree.SubElement(etree.SubElement(nitf, f"{{{NITF_NS}}}body"),
                                              f"{{{NITF_NS}}}body.content"), f"{{{NITF_NS}}}block")
    body = xhtml[-1]
    # Superdesk reads the block's elements only: text outside any element becomes a paragraph of its own
    loose = [(body.text, None)] + [(child.tail, child) for child in body]
    for text, child in loose:
        if child is not None:
            child.tail = None
            block.append(child)
        if text and text.strip():
            etree.SubElement(block, "p").text = text.strip()
    for el in block.iter(tag=etree.Element):
        el.tag = f"{{{NITF_NS}}}{etree.QName(el).localname}"
    return nitf


def _content_set(root: etree._Element, item: Item, profile: str) -> None:
    # Always written, empty for a withdrawal notice: readers (Superdesk's) expect one in every newsItem.
    content_set = _sub(root, "contentSet")
    if profile == "superdesk":
        if item.body_html or item.body_text:
            _sub(content_set, "inlineXML", contenttype="application/nitf+xml").append(_nitf_body(item))
    else:
        # the text first: readers that keep the last body they meet (Superdesk's) keep the XHTML
        if item.body_text:
            _sub(content_set, "inlineData", item.body_text, contenttype="text/plain")
        if item.body_html or item.body_text:
            _sub(content_set, "inlineXML", contenttype="application/xhtml+xml").append(
                xhtml_document(item.headline or "", html=item.body_html, text=item.body_text))
    for index, rendition in enumerate(item.renditions):
        name = rendition.get("name")
        contenttype = rendition.get("contentType")
        if profile == "superdesk":  # its parser needs both on every remoteContent
            name, contenttype = name or f"rendition{index + 1}", contenttype or "application/octet-stream"
        remote = _sub(content_set, "remoteContent", href=rendition.get("href"), contenttype=contenttype,
                      width=rendition.get("width"), height=rendition.get("height"), size=rendition.get("sizeInBytes"),
                      duration=rendition.get("duration"),  # seconds, the schema's default unit
                      videoframerate=rendition.get("frameRate"), **_codecs(rendition),
                      rendition=f"rnd:{name}" if name and ":" not in name else name)
        if isinstance(rendition.get("sha256"), str):  # the hub's media: its SHA-256, as the reader can check it
            _sub(remote, "hash", rendition["sha256"], hashtypeuri=SHA256_URI)


def _codecs(rendition: dict[str, Any]) -> dict[str, str | None]:
    """A rendition's codecs and audio channels as remoteContent attributes: a QCode a partner's NewsML-G2
    gave (``vcdc:c015``) as it is, the hub's own probe's names (``h264``) by URI (formats/codecs.py)."""
    out: dict[str, str | None] = {}
    for key, attr in (("videoCodec", "videocodec"), ("audioCodec", "audiocodec")):
        codec = rendition.get(key)
        if isinstance(codec, str) and "://" in codec:  # a partner's codec URI, read from its NewsML-G2
            out[attr + "uri"] = codec
        elif isinstance(codec, str) and _QCODE.fullmatch(codec):
            out[attr] = codec
        else:
            out[attr + "uri"] = codec_uri(codec)
    out["audiochannelsuri"] = channels_uri(rendition.get("audioChannels"))
    return out


def _moment(when: datetime | date | None) -> datetime | None:
    """A NewsML-G2 date-time: a day alone (plain-text wires) is the start of that day in UTC."""
    if when is None or isinstance(when, datetime):
        return when
    return datetime(when.year, when.month, when.day, tzinfo=timezone.utc)


def to_newsml(item: Item, *, created: datetime | None = None, profile: str = "standard") -> bytes:
    """One version of ``item`` as a NewsML-G2 newsItem, as UTF-8 bytes, valid against IPTC's 2.35 schema.

    ``versionCreated`` is required there: without one on the item, ``created`` (when the hub stored the
    version), else the first-created time, is written. ``profile="superdesk"`` writes the body as NITF
    (see :func:`_nitf_body`) and nothing else in the contentSet."""
    if profile not in PROFILES:
        raise NewsmlError(f"profile {profile!r} must be one of {', '.join(PROFILES)}", field="profile")
    if not item.uri:
        raise NewsmlError("the item has no uri; NewsML-G2 needs one for the guid", field="uri")
    if item.type not in NATURES[:-1]:
        raise NewsmlError(f"type {item.type!r} cannot be written as a NewsML-G2 newsItem; writable types: "
                          f"{', '.join(NATURES[:-1])} (a composite would need a packageItem)", field="type")
    if item.pubstatus not in PUBSTATUSES:
        raise NewsmlError(f"pubstatus {item.pubstatus!r} must be one of {', '.join(PUBSTATUSES)}", field="pubstatus")
    version_created = item.versioncreated or created or _moment(item.firstcreated)
    if version_created is None:
        raise NewsmlError("the item has no versionCreated (nor firstCreated); NewsML-G2 needs one",
                          field="versionCreated")
    extra = item.extra
    root = etree.Element(_q("newsItem"), nsmap={None: NAR})
    for key, value in (("guid", item.uri), ("version", item.version), ("standard", "NewsML-G2"),
                       ("standardversion", "2.35"), ("conformance", "power"), (_XML_LANG, item.language)):
        if value:
            root.set(key, xml_text(value))
    _sub(root, "catalogRef", href=CATALOG)
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
    for name, when in (("versionCreated", version_created), ("firstCreated", _moment(item.firstcreated)),
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
    texts: list[tuple[str, Any, Any]] = [("slugline", extra.get("slugline"), None), ("headline", item.headline, None)]
    texts += [("headline", h.get("value"), h.get("role")) for h in extra.get("headlines", [])]
    texts += [("by", item.byline, None)] + [("creditline", s.get("name"), None) for s in sources
                                            if s.get("role") == "creditline"]
    texts += [("description", item.description, None)]
    texts += [("description", d.get("value"), d.get("role")) for d in extra.get("descriptions", [])]
    for name, value, role in texts:
        if value:
            _sub(cm, name, value, **_role(name, role))
    etree.indent(root, space="  ")
    root[-1].tail = "\n  "  # added after indenting: pretty-printing would change the body's whitespace
    _content_set(root, item, profile)
    root[-1].tail = "\n"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
