"""IPTC NewsML-G2: newsItem, packageItem and newsMessage documents in, newsItem documents out.

:func:`parse_newsml` gives one :class:`Item` per item, as the ninjs 3.x names say: guid → uri,
itemClass → type, pubStatus (default usable), firstCreated (a bare day allowed), versionCreated,
embargoed, language (``contentMeta/language``, else ``xml:lang``), headline (no role or
``hlrole:main`` first), description, ``by`` (else the creators), subjects (``medtop:`` → Media
Topic URI, other qcodes as ``literal``), genres, urgency, rights, an XHTML/NITF ``inlineXML``
body → body_html, ``inlineData`` → body_text, ``remoteContent`` → renditions. A packageItem is a
"composite" whose associations name the members. ``extra`` holds slugline, edNote, title,
profile, contentCreated, infoSources, more headlines/descriptions. ``located`` is
``located/name`` (or literal), else the dateline as written ("MOSCOW, Monday (Reuters)"). Nothing is skipped silently: elements with no ninjs home (keyword, signal, agency namespaces
such as ``rtr:``) are named in ``extra["edNote"]`` with ``representationType`` "partial".

Liberal in what it accepts (what agencies really send): an ``itemClass`` or ``pubStatus`` in
another scheme (Reuters' and ANSA's ``icls:text``) is read by its code, else text/usable; empty
or unreadable values are left out; times without a zone take the source's zone; a bad
``@version`` is ignored; an XHTML body sent as ``text/plain`` is read as HTML. Each assumption
is an :class:`~newsbridge.formats.item.IngestWarning` on the item.

Errors: not XML, or hostile XML → ``malformed``; XML whose root is no NAR newsItem, packageItem
or newsMessage → ``unknown``; a newsMessage member that is no item → ``invalid``. A text packaged with
its media: the text with associations (formats/packages.py). :func:`to_newsml` (newsml_g2_out) writes one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date, datetime
from typing import Any

from lxml import etree

from newsbridge.formats import nitf as nitf_format
from newsbridge.formats.codecs import codec_name
from newsbridge.formats.item import PUBSTATUSES, IngestWarning, Item
from newsbridge.formats.newsml_g2_names import FORMAT_NAME, MEDTOP, NAR, NATURES, NewsmlError  # also re-exported
from newsbridge.formats.newsml_g2_out import to_newsml  # re-exported: the writer, beside its reader
from newsbridge.formats.packages import fold_packages
from newsbridge.formats.times import TimeReader
from newsbridge.formats.xml_safety import inner_markup, parse_xml, utf8_view

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NATURE_URI = "http://cv.iptc.org/newscodes/ninature/"
_STATUS_URI = "http://cv.iptc.org/newscodes/pubstatusg2/"
_ROOTS = ("newsItem", "packageItem", "newsMessage")
_HANDLED = {  # what each part maps; catalogRef only resolves qcode aliases and carries no content
    "": {"catalogRef", "rightsInfo", "itemMeta", "contentMeta", "contentSet", "groupSet", "itemRef"},
    "itemMeta": {"itemClass", "provider", "versionCreated", "firstCreated", "embargoed", "pubStatus", "edNote",
                 "title", "profile"},
    "contentMeta": {"urgency", "contentCreated", "located", "infoSource", "creator", "language", "genre", "subject",
                    "slugline", "headline", "dateline", "by", "creditline", "description"},
    "rightsInfo": {"copyrightHolder", "copyrightNotice", "usageTerms"},
}
_CODED = {"ninat": {f"ninat:{code}": code for code in NATURES[:-1]},  # qcode -> code, of the codes allowed
          "stat": {f"stat:{code}": code for code in PUBSTATUSES}}
# Codes agencies use in their own schemes (Reuters' and ANSA's icls:, nature:, ...), by the code alone.
_SYNONYMS = {"ninat": {"photo": "picture", "image": "picture", "graphics": "graphic", "article": "text", "story": "text",
                       "package": "composite"}, "stat": {"cancelled": "canceled", "withdrawn": "canceled"}}
_HTML_START = re.compile(r"<(?:p|div|br|h[1-6]|ul|ol|table|blockquote)\b", re.I)
_RENDITION_ATTRS = {  # remoteContent attributes ninjs 3.x renditions can hold: attribute -> (key, kind)
    "href": ("href", str), "contenttype": ("contentType", str), "width": ("width", int), "height": ("height", int),
    "size": ("sizeInBytes", int), "duration": ("duration", float), "format": ("format", str), "videocodec": ("videoCodec", str),
    "videocodecuri": ("videoCodec", str), "videoframerate": ("frameRate", float), "aspectratio": ("aspectRatio", str),
    "videoavgbitrate": ("bitrate", str), "videoscan": ("scanType", str)}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATELINE_TIME = re.compile(r"\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}\S*)?(?:\s*(?:GMT|UTC)\S*)?\s*$")
_SNIFF_BYTES = 4096
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*>)*", re.S)
_ROOT_START = re.compile(rb"<(?:!DOCTYPE\s+)?(?:[A-Za-z_][\w.-]*:)?(?:newsItem|newsMessage|packageItem)[\s/>\[]")


def looks_like_newsml(data: bytes) -> bool:
    """Cheap sniff: is the root a newsItem, newsMessage or packageItem declaring the NAR namespace?"""
    head = utf8_view(data[:_SNIFF_BYTES]).removeprefix(b"\xef\xbb\xbf")
    found = _ROOT_START.match(head, _PROLOG.match(head).end())  # type: ignore[union-attr]
    # A root behind a DOCTYPE with declarations is claimed, so parse_newsml can refuse it clearly.
    return found is not None and (found.group(0).startswith(b"<!") or NAR.encode() in head[found.start():])


def _q(name: str) -> str:
    return f"{{{NAR}}}{name}"


_NAME = _q("name")
_PACKAGE_ITEM = _q("packageItem")
_LISTED = frozenset({"rightsInfo", "itemRef", "provider", "edNote", "infoSource", "creator", "genre", "subject",
                     "headline", "creditline", "description"})  # read as lists; of the others only the first
# For each part: Clark tag -> local name of the children read singly, of those read as lists, and
# every local name mapped. The parts' names do not overlap, so one index serves a whole item.
_PARTS = {section: ({_q(name): name for name in names - _LISTED}, {_q(name): name for name in names & _LISTED}, names)
          for section, names in _HANDLED.items()}
# A tag holding a prefixed element or attribute name, where inner_markup has to rename; attribute
# values are quoted with escaped quotes, so a colon inside one never matches.
_PREFIXED_NAME = re.compile(r'<(?:[^\s/>]*:|[^\s/>]+(?:\s+[^\s="/>]+="[^"]*")*\s+[^\s="/>]*:)')


def _text(el: etree._Element | None) -> str | None:
    """Whitespace-normalized text: NewsML-G2 metadata is indented freely across lines."""
    if el is None:
        return None
    if len(el):
        return " ".join("".join(el.itertext()).split()) or None
    if not (text := el.text):
        return None
    # Printable text has no whitespace but " ": with no space at the ends or doubled, it is normal already.
    if text.isprintable() and text[0] != " " and text[-1] != " " and "  " not in text:
        return text
    return " ".join(text.split()) or None


def _code(el: etree._Element | None, alias: str, base: str) -> str | None:
    qcode, uri = (el.get("qcode") or "", el.get("uri") or "") if el is not None else ("", "")
    return qcode[len(alias) + 1:] if qcode.startswith(f"{alias}:") else uri.removeprefix(base) if uri else None


def _name(el: etree._Element, language: str | None) -> str | None:
    """The ``name`` in the item's language (exact, then primary subtag), else one without a language."""
    if (count := len(el)) < 2:  # the usual concept: one name or nothing
        return _text(only) if count and (only := el[0]).tag == _NAME else None
    names = [child for child in el if child.tag == _NAME]
    want = (language or "").lower()

    def rank(name: etree._Element) -> int:
        lang = (name.get(_XML_LANG) or "").lower()
        same_primary = want and lang.split("-")[0] == want.split("-")[0]
        return 0 if want and lang == want else 1 if same_primary else 2 if not lang else 3
    return _text(min(names, key=rank, default=None))


def _concept(el: etree._Element, language: str | None, *, expand: bool = False,
             role: str | None = None) -> dict[str, Any]:
    """A concept as ninjs has it: name, qcode (``expand``: Media Topics as URIs) or URI or literal, role."""
    # A lone name, the usual case, is read here, saving a call.
    name = _text(only) if len(el) == 1 and (only := el[0]).tag == _NAME else _name(el, language)
    out: dict[str, Any] = {"name": name} if name else {}
    if (qcode := el.get("qcode")) and expand and qcode.startswith("medtop:") and len(qcode) > 7:
        out["uri"] = MEDTOP + qcode[7:]
    elif qcode:
        out["literal"] = qcode
    elif uri := el.get("uri"):
        out["uri"] = uri
    elif literal := el.get("literal"):
        out["literal"] = literal
    if role:
        out["role"] = role
    return out


class _ItemReader:
    """Reads one newsItem or packageItem; ``where`` is its path, for errors.

    Each part (the item, itemMeta, contentMeta, the first rightsInfo) is walked once, indexing
    the children it maps by local name and counting the others. Fields are then read from the
    index in a fixed order, so the first wrong value named does not depend on the document's.
    """

    __slots__ = ("el", "where", "parts", "first", "unmapped", "warnings", "times")

    def __init__(self, el: etree._Element, where: str, zone: str | None = None) -> None:
        self.el, self.where = el, where
        self.warnings: list[IngestWarning] = []
        self.times = TimeReader(zone, self.warnings)
        self.parts: dict[str, list[etree._Element]] = {}  # the children read as lists, by local name
        self.first: dict[str, etree._Element] = {}  # the first child of every other mapped name
        self.unmapped: dict[str, int] = {}  # how many of each part the reader cannot map, in document order

    def fail(self, el: etree._Element, path: str, message: str) -> NewsmlError:
        return NewsmlError(f"{self.where}/{path} (line {el.sourceline}): {message}", field=f"{self.where}/{path}")

    def index(self, parent: etree._Element, section: str) -> None:
        """Index the children of ``parent`` that the reader maps; note every other one, and any text."""
        parts, first, unmapped = self.parts, self.first, self.unmapped
        single, many, handled = _PARTS[section]
        for child in parent:
            tag = child.tag
            if (name := single.get(tag)) is not None:
                first.setdefault(name, child)
            elif (name := many.get(tag)) is not None:
                parts.setdefault(name, []).append(child)
            elif isinstance(tag, str) and (local := tag.rpartition("}")[2]) not in handled:
                key = f"{section}/{local}" if section else local
                unmapped[key] = unmapped.get(key, 0) + 1
        if (text := parent.text) and not text.isspace():
            self.note(f"text in {section or parent.tag.rpartition('}')[2]}")

    def note(self, part: str, count: int = 1) -> None:
        self.unmapped[part] = self.unmapped.get(part, 0) + count

    def warn(self, code: str, path: str, message: str) -> None:
        self.warnings.append(IngestWarning(code, f"{self.where}/{path}", message))

    def time(self, section: str, name: str, *, allow_day: bool = False) -> Any:
        """A timezone-aware datetime (or, with ``allow_day``, a bare date) or None."""
        if (el := self.first.get(name)) is None:
            return None
        raw = (el.text or "").strip()
        if allow_day and len(raw) == 10 and _DAY.fullmatch(raw):  # the usual: quick paths first
            return date.fromisoformat(raw)
        try:
            if (value := datetime.fromisoformat(raw)).tzinfo is not None:
                return value
        except ValueError:
            pass
        return self.times.read(raw, f"{self.where}/{section}/{name}", allow_day=allow_day)

    def coded(self, path: str, alias: str, base: str, allowed: tuple[str, ...], default: str) -> str:
        """The code of ``itemMeta/path``: its qcode in ``alias`` or URI under ``base``, else (with a warning)
        the code of a qcode in another scheme when it names one of ``allowed``, else ``default``."""
        if (el := self.first.get(path)) is None:
            return default
        if (code := _CODED[alias].get(el.get("qcode"))) is not None:  # the usual "ninat:text"
            return code
        if (code := _code(el, alias, base)) in allowed:
            return code  # type: ignore[return-value]
        given = el.get("qcode") or el.get("uri") or el.get("literal") or ""
        word = given.rstrip("/").rpartition("/")[2].rpartition(":")[2].strip().lower()
        if (found := _SYNONYMS[alias].get(word, word)) in allowed:
            self.warn("code_mapped", f"itemMeta/{path}", f"{given!r} is not in the IPTC scheme ({alias}:); read by "
                      f"its code as {alias}:{found}")
            return found
        self.warn("code_unknown", f"itemMeta/{path}", f"{given!r} names none of "
                  + ", ".join(f"{alias}:{a}" for a in allowed) + f"; read as {alias}:{default}")
        return default

    def read(self) -> Item:
        """The item as an :class:`Item`; raises :class:`NewsmlError` naming the first wrong value."""
        el, first, parts = self.el, self.first, self.parts
        package = el.tag == _PACKAGE_ITEM
        self.index(el, "")
        for section in ("itemMeta", "contentMeta"):  # the first of each; a second is ignored
            if (part := first.get(section)) is not None:
                self.index(part, section)
        nature = "composite" if package else self.coded("itemClass", "ninat", _NATURE_URI, NATURES[:-1], "text")
        version = raw.strip() if (raw := el.get("version")) is not None else None
        if version is not None and not version.isdigit():
            self.warn("value_invalid", "@version", f"{raw!r} is not a whole number; ignored, the hub numbers "
                      "the versions itself")
            version = None
        if not el.get("guid"):
            self.warn("uri_derived", "@guid", "the item has no guid; the hub derives a stable uri from its content")
        body_html, body_text, renditions, read_content, nitf = self.content(cs := first.get("contentSet"))
        language = lang_el.get("tag") if (lang_el := first.get("language")) is not None else None
        for child in () if language else read_content:  # as the content is read: its xml:lang, else the set's
            language = language or child.get(_XML_LANG) or cs.get(_XML_LANG)  # type: ignore[union-attr]
        language = language or el.get(_XML_LANG)
        extra: dict[str, Any] = {}
        if rights := parts.get("rightsInfo"):
            if len(rights) > 1:
                self.note("rightsInfo", len(rights) - 1)
            self.index(rights[0], "rightsInfo")
        sources: list[dict[str, Any]] = []  # the infoSources: those with more than a role
        for part in parts.get("provider", ()):
            if len(source := _concept(part, language, role="provider")) > 1:
                sources.append(source)
        for part in parts.get("infoSource", ()):
            if len(source := _concept(part, language, role=(role := part.get("role")))) > bool(role):
                sources.append(source)
        for part in parts.get("creditline", ()):
            if text := _text(part):
                sources.append({"name": text, "role": "creditline"})
        created = self.time("contentMeta", "contentCreated")
        holder_name = (holder := first.get("copyrightHolder")) is not None and (
            _name(holder, language) or holder.get("uri") or holder.get("literal") or holder.get("qcode"))
        if slugline := _text(first.get("slugline")):  # written out: a loop costs more, on every item
            extra["slugline"] = slugline
        if "title" in first and (title := _text(first["title"])):
            extra["title"] = title
        if "profile" in first and (profile := _text(first["profile"])):
            extra["profile"] = profile
        if created:
            extra["contentCreated"] = created.isoformat()
        if sources:
            extra["infoSources"] = sources
        byline = _text(by) if (by := first.get("by")) is not None else None
        for creator in () if byline else parts.get("creator", ()):  # else the creators' names
            if name := _name(creator, language):
                byline = f"{byline}, {name}" if byline else name
        item = Item(
            uri=el.get("guid"), type=nature, version=version or None,
            firstcreated=self.time("itemMeta", "firstCreated", allow_day=True),
            versioncreated=self.time("itemMeta", "versionCreated"),
            embargoed=self.time("itemMeta", "embargoed") if "embargoed" in first else None,
            pubstatus=self.coded("pubStatus", "stat", _STATUS_URI, PUBSTATUSES, "usable"), language=language,
            headline=self.pick(extra, "headlines", "headline", (None, "hlrole:main")) or nitf.get("headline")
            or nitf.get("title"),
            description=(self.pick(extra, "descriptions", "description", (None, "drol:summary", "drol:caption"))
                         if "description" in parts else None) or nitf.get("description"),
            body_text=body_text, body_html=body_html, located=self.located(language),
            byline=byline or nitf.get("byline"), subjects=self.subjects(language),
            urgency=self.urgency() if "urgency" in first else None,
            genres=[g for e in parts["genre"] if (g := _concept(e, language))] if "genre" in parts else [],
            copyrightholder=holder_name or None, copyrightnotice=_text(first.get("copyrightNotice")),
            usageterms=_text(first.get("usageTerms")),
            associations=self.associations() if package else [], renditions=renditions, extra=extra,
            warnings=self.warnings,
        )
        notes = [t for n in parts["edNote"] if (t := _text(n))] if "edNote" in parts else []
        if unmapped := self.unmapped:  # read last: every step above may add to it
            left = ", ".join(unmapped) if len(unmapped) == sum(unmapped.values()) else \
                ", ".join(k if n == 1 else f"{k} ({n})" for k, n in unmapped.items())
            notes.append(f"Newsbridge could not carry these NewsML-G2 parts over to ninjs: {left}.")
            extra["representationType"] = "partial"
        if notes:
            extra["edNote"] = "\n\n".join(notes)
        return item

    def pick(self, extra: dict[str, Any], key: str, name: str, main_roles: tuple[str | None, ...]) -> str | None:
        """The text of the main ``name`` (by role, else the first); the others go to ``extra[key]``."""
        if not (elements := self.parts.get(name)):
            return None
        if len(elements) == 1:  # the main one, whatever its role
            return _text(elements[0])
        found = [(el.get("role"), text) for el in elements if (text := _text(el))]
        main = next((f for f in found if f[0] in main_roles), found[0] if found else None)
        if rest := [{"role": r, "value": t} if r else {"value": t} for r, t in found if (r, t) != main]:
            extra[key] = rest
        return main[1] if main else None

    def located(self, language: str | None) -> str | None:
        el = self.first.get("located")
        dateline = _text(d) if (d := self.first.get("dateline")) is not None else None
        name = (_name(el, language) or el.get("literal")) if el is not None else None  # ANSA: literal="Rome"
        if dateline and (name or _DATELINE_TIME.match(dateline)):  # Reuters' "2018-01-03 20:13:08 GMT" is no place
            self.note("contentMeta/dateline")
            dateline = None
        return name or dateline

    def urgency(self) -> int | None:
        if (el := self.first.get("urgency")) is None:
            return None
        if not (raw := (el.text or "").strip()):
            self.warn("value_empty", "contentMeta/urgency", "the urgency is empty; read as not given")
            return None
        if not raw.isdigit() or not 1 <= int(raw) <= 9:
            self.warn("value_invalid", "contentMeta/urgency", f"{raw[:20]!r} is not a whole number from 1 (most "
                      "urgent) to 9; left out")
            return None
        return int(raw)

    def subjects(self, language: str | None) -> list[dict[str, Any]]:
        subjects: list[dict[str, Any]] = []
        for el in self.parts.get("subject", ()):
            if subject := _concept(el, language, expand=True):
                subject["rel"] = "about"
                subjects.append(subject)
        return subjects

    def content(self, cs: etree._Element | None) -> tuple[str | None, str | None, list[dict[str, Any]],
                                                           list[etree._Element], dict[str, str]]:
        """(body_html, body_text, renditions, the inlineXML and inlineData read, NITF head fields) of ``cs``."""
        body_html: str | None = None
        body_text: str | None = None
        read: list[etree._Element] = []
        renditions: list[dict[str, Any]] = []
        nitf: dict[str, str] = {}
        for child in cs if cs is not None else ():
            if not isinstance(tag := child.tag, str):
                continue
            name = tag.rpartition("}")[2]
            if name == "remoteContent":
                renditions.append(self.rendition(child, len(renditions) + 1))
                continue
            if name == "inlineXML" and (top := next(child.iterchildren(etree.Element), None)) is None:
                continue  # an empty inlineXML (IPTC's LISTING 1) has nothing to lose
            if name == "inlineXML" and body_html is None and (got := _inline_xml(top)) is not None:
                body_html, nitf = got
            elif name == "inlineData" and body_text is None and ((ctype := child.get("contenttype")) is None or (
                    ctype == "text/plain" or ctype.split(";")[0].strip().lower() == "text/plain")):
                body_text = (child.text or "").strip() or None
                if body_text and _HTML_START.match(body_text):  # ANSA: XHTML in a text/plain CDATA section
                    self.warn("text_is_html", "contentSet/inlineData", "the text/plain body is HTML; read as the "
                              "HTML body")
                    body_html, body_text = body_html or body_text, None
            else:
                self.note(f"contentSet/{name}")
                continue
            read.append(child)
        return body_html, body_text, renditions, read, nitf

    def rendition(self, el: etree._Element, index: int) -> dict[str, Any]:
        """A remoteContent as a rendition with every attribute 3.x renditions can hold (the rest are named in
        edNote: 3.x renditions are closed); a number that is not one is left out with a warning."""
        out: dict[str, Any] = {"name": (el.get("rendition") or f"rendition{index}").removeprefix("rnd:")}
        if not el.get("href") and (residref := el.get("residref")):
            out["href"] = residref
        for attr, raw in el.attrib.items():
            if (mapped := _RENDITION_ATTRS.get(attr)) is None:
                if attr not in ("rendition", "residref"):
                    self.note(f"contentSet/remoteContent@{etree.QName(attr).localname}")
                continue
            key, kind = mapped
            if kind is str:  # a codec's URI the hub's writer gives (formats/codecs.py): the codec's name again
                if value := raw.strip():
                    out[key] = {"videoscan": value.rpartition(":")[2], "videoavgbitrate": f"{value} bps",
                                "videocodecuri": codec_name(value) or value}.get(attr, value)
                continue
            try:
                if not math.isfinite(number := float(raw)) or kind is int and not number.is_integer():
                    raise ValueError(raw)
                out[key] = int(number) if kind is int else number
            except ValueError:
                self.warn("value_invalid", f"contentSet/remoteContent[{index}]@{attr}",
                          f"{raw[:20]!r} is not a number; left out of the rendition")
        if out.get("scanType") not in (None, "progressive", "interlaced"):
            del out["scanType"]
        return out

    def associations(self) -> list[dict[str, Any]]:
        refs = [(ref, None) for ref in self.parts.get("itemRef", ())] + [
            (ref, group.get("role")) for group in self.el.iterfind(f"{_q('groupSet')}/{_q('group')}")
            for ref in group.findall(_q("itemRef"))]
        out = []
        for ref, rel in refs:
            if not (uri := ref.get("residref") or ref.get("href")):
                self.note("groupSet/group/itemRef without residref")
                continue
            one: dict[str, Any] = {"name": _text(ref.find(_q("title"))) or uri, "uri": uri}
            nature, status = _code(ref.find(_q("itemClass")), "ninat", _NATURE_URI), \
                _code(ref.find(_q("pubStatus")), "stat", _STATUS_URI)
            descriptions = [{"role": d.get("role"), "value": t} if d.get("role") else {"value": t}
                            for d in ref.findall(_q("description")) if (t := _text(d))]
            one.update({k: v for k, v in (("rel", rel), ("version", ref.get("version")),
                                          ("type", nature if nature in NATURES else None),
                                          ("pubStatus", status if status in PUBSTATUSES else None),
                                          ("descriptions", descriptions)) if v})
            out.append(one)
        return out


def _body_markup(body: etree._Element) -> str | None:
    """:func:`inner_markup` of ``body``, cut from one serialization when no name in it needs renaming:
    only namespace declarations or prefixed names inside need inner_markup's copy-and-rename."""
    markup = etree.tostring(body, encoding="unicode", with_tail=False)
    # libxml2 escapes ">" and '"' in attribute values but not in namespace names (quoted with ' if
    # they hold a "): the first ">" ends the start tag unless quotes are open. No "=": no attributes.
    end = markup.find(">") + 1
    if markup.count('"', 0, end) % 2 or markup.find("'", 0, end) >= 0 or \
            (markup.find("=", end) >= 0 and markup.find("xmlns", end) >= 0) or \
            (markup.find(":", end) >= 0 and _PREFIXED_NAME.search(markup, end)):
        return inner_markup(body)
    if markup[end - 2] == "/":  # <body/>
        return None
    return markup[end:markup.rindex("</")].strip() or None


def _inline_xml(top: etree._Element) -> tuple[str | None, dict[str, str]] | None:
    """(inner markup of the body, NITF head fields) of XHTML or NITF content, else None."""
    name = top.tag.rpartition("}")[2]
    if name == "nitf":
        return nitf_format.body_html(top), nitf_format.head_fields(top)
    if name not in ("html", "body"):
        return None
    if (body := top if name == "body" else next(top.iterchildren("{*}body"), None)) is None:
        return None
    return _body_markup(body), {}


def parse_newsml(data: bytes, zone: str | None = None) -> list[Item]:
    """Every item of a NewsML-G2 newsItem, packageItem or newsMessage document, in document order;
    ``zone`` (an IANA name, default UTC) is the zone of times that name none."""
    root = parse_xml(data, format=FORMAT_NAME)
    namespace, _, name = root.tag[1:].rpartition("}") if root.tag[0] == "{" else (None, "", root.tag)
    if namespace != NAR or name not in _ROOTS:
        where = f"in the namespace {namespace}" if namespace else "without a namespace"
        raise NewsmlError(f"the XML root is <{name}> {where}, not a NewsML-G2 newsItem, packageItem or "
                          f"newsMessage in the namespace {NAR}", field=f"/{name}", kind="unknown")
    if name != "newsMessage":
        return [_ItemReader(root, name, zone).read()]
    item_set = root.find(_q("itemSet"))
    members = [el for el in item_set if isinstance(el.tag, str)] if item_set is not None else []
    if not members:
        raise NewsmlError("the newsMessage has no items in its itemSet; send at least one newsItem",
                          field="newsMessage/itemSet")
    items, seen = [], Counter[str]()
    for el in members:
        seen[local := el.tag.rpartition("}")[2]] += 1
        where = f"newsMessage/itemSet/{local}[{seen[local]}]"
        if etree.QName(el).namespace != NAR or local not in _ROOTS[:2]:
            raise NewsmlError(f"{where} (line {el.sourceline}) is not an item the hub reads; send newsItem and "
                              "packageItem only", field=where)
        items.append(_ItemReader(el, where, zone).read())
    return fold_packages(items)  # a text packaged with its media: the text with its associations
