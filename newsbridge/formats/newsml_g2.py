"""IPTC NewsML-G2: newsItem, packageItem and newsMessage documents in, newsItem documents out.

:func:`parse_newsml` gives one :class:`Item` per item, mapped as the ninjs 3.x names say: guid
→ uri, itemClass ``ninat:`` → type, pubStatus ``stat:`` (default usable), firstCreated (a bare
day allowed), versionCreated, embargoed, language (``contentMeta/language``, else the content's
or item's ``xml:lang``), headline (no role or ``hlrole:main`` first), description, ``by`` (else
the creators), subjects (``medtop:`` → Media Topic URI, other qcodes as ``literal``, rel
"about"), genres, urgency, rights, an XHTML/NITF ``inlineXML`` body → body_html (inner markup,
namespaces stripped), ``inlineData`` text → body_text, ``remoteContent`` → renditions. A
packageItem is a "composite" whose associations name the members by residref. ``extra`` holds
slugline, edNote, title, profile, contentCreated, infoSources, more headlines/descriptions.

Dateline: ninjs has none, so ``located`` is ``located/name`` or, only when that is missing, the
dateline as written ("MOSCOW, Monday (Reuters)"); nothing is put into the body.

Nothing is skipped silently: elements with no ninjs home (keyword, signal, hopHistory, ...)
are named in ``extra["edNote"]`` and ``extra["representationType"]`` is "partial", both ninjs
3.x keys so the stored document stays valid. Attributes of mapped elements (``subject@type``)
and a newsMessage's transport header are not itemized.

Errors: not XML, or hostile XML → ``malformed``; XML whose root is no NAR newsItem, packageItem
or newsMessage (RSS, NITF, a fragment) → ``unknown``; a wrong value → ``invalid``, naming it.

:func:`to_newsml` writes one item version as a newsItem, the body as XHTML ``inlineXML``
(paragraphs if only text) plus the text as ``inlineData``. Composites (packageItems) and
associations are not written.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import Any

from lxml import etree

from newsbridge.formats.errors import FormatError, Kind
from newsbridge.formats.item import PUBSTATUSES, Item
from newsbridge.formats.xml_safety import inner_markup, parse_xml, utf8_view, xhtml_document, xml_text

FORMAT_NAME = "newsml-g2"
NAR = "http://iptc.org/std/nar/2006-10-01/"
MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"
NATURES = ("text", "picture", "video", "audio", "graphic", "composite")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NATURE_URI = "http://cv.iptc.org/newscodes/ninature/"
_STATUS_URI = "http://cv.iptc.org/newscodes/pubstatusg2/"
_CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_32.xml"
_ROOTS = ("newsItem", "packageItem", "newsMessage")
_HANDLED = {  # what each part maps; catalogRef only resolves qcode aliases and carries no content
    "": {"catalogRef", "rightsInfo", "itemMeta", "contentMeta", "contentSet", "groupSet", "itemRef"},
    "itemMeta": {"itemClass", "provider", "versionCreated", "firstCreated", "embargoed", "pubStatus", "edNote",
                 "title", "profile"},
    "contentMeta": {"urgency", "contentCreated", "located", "infoSource", "creator", "language", "genre", "subject",
                    "slugline", "headline", "dateline", "by", "creditline", "description"},
    "rightsInfo": {"copyrightHolder", "copyrightNotice", "usageTerms"},
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_QCODE = re.compile(r"[A-Za-z][\w.-]*:\S+")
_SNIFF_BYTES = 4096
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*>)*", re.S)
_ROOT_START = re.compile(rb"<(?:!DOCTYPE\s+)?(?:[A-Za-z_][\w.-]*:)?(?:newsItem|newsMessage|packageItem)[\s/>\[]")


class NewsmlError(FormatError):
    """A NewsML-G2 document that cannot be read, or an Item that cannot be written as one."""

    def __init__(self, message: str, *, field: str | None = None, kind: Kind = "invalid") -> None:
        super().__init__(message, field=field, format=FORMAT_NAME, kind=kind)


def looks_like_newsml(data: bytes) -> bool:
    """Cheap sniff: is the root a newsItem, newsMessage or packageItem declaring the NAR namespace?"""
    head = utf8_view(data[:_SNIFF_BYTES]).removeprefix(b"\xef\xbb\xbf")
    found = _ROOT_START.match(head, _PROLOG.match(head).end())  # type: ignore[union-attr]
    # A root behind a DOCTYPE with declarations is claimed, so parse_newsml can refuse it clearly.
    return found is not None and (found.group(0).startswith(b"<!") or NAR.encode() in head[found.start():])


def _q(name: str) -> str:
    return f"{{{NAR}}}{name}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _elements(el: etree._Element | None) -> list[etree._Element]:
    return [child for child in el if isinstance(child.tag, str)] if el is not None else []


def _text(el: etree._Element | None) -> str | None:
    """Whitespace-normalized text: NewsML-G2 metadata is indented freely across lines."""
    return (" ".join("".join(el.itertext()).split()) or None) if el is not None else None


def _code(el: etree._Element | None, alias: str, base: str) -> str | None:
    qcode, uri = (el.get("qcode") or "", el.get("uri") or "") if el is not None else ("", "")
    return qcode[len(alias) + 1:] if qcode.startswith(f"{alias}:") else uri.removeprefix(base) if uri else None


def _name(el: etree._Element, language: str | None) -> str | None:
    """The ``name`` in the item's language (exact, then primary subtag), else one without a language."""
    want = (language or "").lower()

    def rank(name: etree._Element) -> int:
        lang = (name.get(_XML_LANG) or "").lower()
        same_primary = want and lang.split("-")[0] == want.split("-")[0]
        return 0 if want and lang == want else 1 if same_primary else 2 if not lang else 3
    return _text(min(el.findall(_q("name")), key=rank, default=None))


def _concept(el: etree._Element, language: str | None, *, expand: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name} if (name := _name(el, language)) else {}
    qcode, uri, literal = el.get("qcode"), el.get("uri"), el.get("literal")
    if expand and qcode and qcode.startswith("medtop:") and len(qcode) > 7:
        out["uri"] = MEDTOP + qcode[7:]
    elif qcode or uri or literal:
        out["uri" if uri and not qcode else "literal"] = qcode or uri or literal
    return out


class _ItemReader:
    """Reads one newsItem or packageItem; ``where`` is its path, for errors."""

    def __init__(self, el: etree._Element, where: str) -> None:
        self.el, self.where, self.unmapped = el, where, Counter[str]()
        self.meta, self.cm = el.find(_q("itemMeta")), el.find(_q("contentMeta"))

    def fail(self, el: etree._Element, path: str, message: str) -> NewsmlError:
        return NewsmlError(f"{self.where}/{path} (line {el.sourceline}): {message}", field=f"{self.where}/{path}")

    def report(self, parent: etree._Element | None, section: str) -> None:
        """Note every child of ``parent`` that the reader does not map."""
        for child in _elements(parent):
            if _local(child) not in _HANDLED[section]:
                self.unmapped[f"{section}/{_local(child)}".lstrip("/")] += 1
        if parent is not None and (parent.text or "").strip():
            self.unmapped[f"text in {section or _local(parent)}"] += 1

    def all(self, section: etree._Element | None, name: str) -> list[etree._Element]:
        return section.findall(_q(name)) if section is not None else []

    def one(self, section: etree._Element | None, name: str) -> etree._Element | None:
        return section.find(_q(name)) if section is not None else None

    def time(self, section: str, name: str, *, allow_day: bool = False) -> Any:
        """A timezone-aware datetime (or, with ``allow_day``, a bare date) or None."""
        if (el := self.one(self.meta if section == "itemMeta" else self.cm, name)) is None:
            return None
        raw = (el.text or "").strip()
        try:
            if allow_day and _DAY.fullmatch(raw):
                return date.fromisoformat(raw)
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise self.fail(el, f"{section}/{name}", f"{raw!r} is not an ISO 8601 date-time like "
                            "2018-10-21T16:25:32-05:00") from None
        if value.tzinfo is None:
            raise self.fail(el, f"{section}/{name}", f"{raw!r} has no time zone; NewsML-G2 date-times need a UTC "
                            f"offset, like {raw}Z or {raw}-05:00")
        return value

    def coded(self, path: str, alias: str, base: str, allowed: tuple[str, ...], default: str) -> str:
        el = self.one(self.meta, path)
        if el is None:
            return default
        if (code := _code(el, alias, base)) not in allowed:
            raise self.fail(el, f"itemMeta/{path}", f"{el.get('qcode') or el.get('uri')!r} is not one of "
                            + ", ".join(f"{alias}:{a}" for a in allowed))
        return code  # type: ignore[return-value]

    def read(self) -> Item:
        package = _local(self.el) == "packageItem"
        for part, section in ((self.el, ""), (self.meta, "itemMeta"), (self.cm, "contentMeta")):
            self.report(part, section)
        nature = "composite" if package else self.coded("itemClass", "ninat", _NATURE_URI, NATURES[:-1], "text")
        version = self.el.get("version")
        if version is not None and not version.strip().isdigit():
            raise self.fail(self.el, "@version", f"{version!r} must be a whole number like 11")
        body_html, body_text, renditions, inline_lang, nitf = self.content(self.el.find(_q("contentSet")))
        lang_el = self.one(self.cm, "language")
        language = (lang_el.get("tag") if lang_el is not None else None) or inline_lang or self.el.get(_XML_LANG)
        extra: dict[str, Any] = {}
        rights = self.el.findall(_q("rightsInfo"))
        self.unmapped.update(["rightsInfo"] * max(0, len(rights) - 1))
        self.report(rights[0] if rights else None, "rightsInfo")
        sources = [{**_concept(p, language), "role": "provider"} for p in self.all(self.meta, "provider")]
        sources += [{**_concept(s, language), **({"role": s.get("role")} if s.get("role") else {})}
                    for s in self.all(self.cm, "infoSource")]
        sources += [{"name": t, "role": "creditline"} for c in self.all(self.cm, "creditline") if (t := _text(c))]
        created = self.time("contentMeta", "contentCreated")
        holder = self.one(rights[0], "copyrightHolder") if rights else None
        holder_name = holder is not None and (_name(holder, language) or holder.get("uri") or holder.get("literal")
                                              or holder.get("qcode"))
        simple = {"slugline": _text(self.one(self.cm, "slugline")), "title": _text(self.one(self.meta, "title")),
                  "profile": _text(self.one(self.meta, "profile")), "contentCreated": created and created.isoformat(),
                  "infoSources": [s for s in sources if set(s) - {"role"}]}
        extra.update({k: v for k, v in simple.items() if v})
        item = Item(
            uri=self.el.get("guid"), type=nature, version=version.strip() if version else None,
            firstcreated=self.time("itemMeta", "firstCreated", allow_day=True),
            versioncreated=self.time("itemMeta", "versionCreated"), embargoed=self.time("itemMeta", "embargoed"),
            pubstatus=self.coded("pubStatus", "stat", _STATUS_URI, PUBSTATUSES, "usable"), language=language,
            headline=self.pick(extra, "headlines", "headline", (None, "hlrole:main")) or nitf.get("headline"),
            description=self.pick(extra, "descriptions", "description", (None, "drol:summary", "drol:caption"))
            or nitf.get("description"),
            body_text=body_text, body_html=body_html, located=self.located(language),
            byline=_text(self.one(self.cm, "by")) or ", ".join(
                n for c in self.all(self.cm, "creator") if (n := _name(c, language))) or nitf.get("byline"),
            subjects=self.subjects(language), urgency=self.urgency(),
            genres=[g for g in (_concept(e, language) for e in self.all(self.cm, "genre")) if g],
            copyrightholder=holder_name or None,
            copyrightnotice=_text(self.one(rights[0], "copyrightNotice")) if rights else None,
            usageterms=_text(self.one(rights[0], "usageTerms")) if rights else None,
            associations=self.associations() if package else [], renditions=renditions, extra=extra,
        )
        notes = [t for n in self.all(self.meta, "edNote") if (t := _text(n))]
        if self.unmapped:  # read last: every step above may add to it
            left = ", ".join(k if n == 1 else f"{k} ({n})" for k, n in self.unmapped.items())
            notes.append(f"Newsbridge could not carry these NewsML-G2 parts over to ninjs: {left}.")
            extra["representationType"] = "partial"
        if notes:
            extra["edNote"] = "\n\n".join(notes)
        return item

    def pick(self, extra: dict[str, Any], key: str, name: str, main_roles: tuple[str | None, ...]) -> str | None:
        found = [(el.get("role"), text) for el in self.all(self.cm, name) if (text := _text(el))]
        main = next((f for f in found if f[0] in main_roles), found[0] if found else None)
        if rest := [{"role": r, "value": t} if r else {"value": t} for r, t in found if (r, t) != main]:
            extra[key] = rest
        return main[1] if main else None

    def located(self, language: str | None) -> str | None:
        el, dateline = self.one(self.cm, "located"), _text(self.one(self.cm, "dateline"))
        if (name := _name(el, language) if el is not None else None) and dateline:
            self.unmapped["contentMeta/dateline"] += 1
        return name or dateline

    def urgency(self) -> int | None:
        if (el := self.one(self.cm, "urgency")) is None:
            return None
        if not (raw := (el.text or "").strip()).isdigit() or not 1 <= int(raw) <= 9:
            raise self.fail(el, "contentMeta/urgency", f"{raw!r} must be a whole number from 1 (most urgent) to 9")
        return int(raw)

    def subjects(self, language: str | None) -> list[dict[str, Any]]:
        subjects = (_concept(el, language, expand=True) for el in self.all(self.cm, "subject"))
        return [subject | {"rel": "about"} for subject in subjects if subject]

    def content(self, cs: etree._Element | None) -> tuple[str | None, str | None, list[dict[str, Any]], str | None,
                                                           dict[str, str]]:
        body_html: str | None = None
        body_text: str | None = None
        lang: str | None = None
        renditions: list[dict[str, Any]] = []
        nitf: dict[str, str] = {}
        for child in _elements(cs):
            name = _local(child)
            ctype = (child.get("contenttype") or "text/plain").split(";")[0].strip().lower()
            if name == "remoteContent":
                renditions.append(self.rendition(child, len(renditions) + 1))
                continue
            if name == "inlineXML" and not _elements(child):
                continue  # an empty inlineXML (IPTC's LISTING 1) has nothing to lose
            if name == "inlineXML" and body_html is None and (got := _inline_xml(child)) is not None:
                body_html, nitf = got
            elif name == "inlineData" and ctype == "text/plain" and body_text is None:
                body_text = (child.text or "").strip() or None
            else:
                self.unmapped[f"contentSet/{name}"] += 1
                continue
            lang = lang or child.get(_XML_LANG) or cs.get(_XML_LANG)  # type: ignore[union-attr]
        return body_html, body_text, renditions, lang, nitf

    def rendition(self, el: etree._Element, index: int) -> dict[str, Any]:
        out: dict[str, Any] = {"name": (el.get("rendition") or f"rendition{index}").removeprefix("rnd:")}
        out.update({k: v for k, v in (("href", el.get("href") or el.get("residref")),
                                      ("contentType", el.get("contenttype"))) if v})
        for attr, key in (("width", "width"), ("height", "height"), ("size", "sizeInBytes")):
            if (raw := el.get(attr)) is not None:
                if not raw.strip().isdigit():
                    raise self.fail(el, f"contentSet/remoteContent@{attr}", f"{raw!r} must be a whole number")
                out[key] = int(raw)
        return out

    def associations(self) -> list[dict[str, Any]]:
        refs = [(ref, None) for ref in self.el.findall(_q("itemRef"))] + [
            (ref, group.get("role")) for group in self.el.iterfind(f"{_q('groupSet')}/{_q('group')}")
            for ref in group.findall(_q("itemRef"))]
        out = []
        for ref, rel in refs:
            if not (uri := ref.get("residref") or ref.get("href")):
                self.unmapped["groupSet/group/itemRef without residref"] += 1
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


def _inline_xml(el: etree._Element) -> tuple[str | None, dict[str, str]] | None:
    """(inner markup of the body, NITF body.head fields) of XHTML or NITF content, else None."""
    top = _elements(el)[0]
    name, head = _local(top), None
    if name in ("html", "body"):
        body = top if name == "body" else top.find("{*}body")
    elif name == "nitf":
        outer = top.find("{*}body")
        body, head = (outer.find("{*}body.content"), outer.find("{*}body.head")) if outer is not None else (None, None)
    else:
        return None
    fields = {"headline": _text(head.find("{*}hedline/{*}hl1")), "byline": _text(head.find("{*}byline")),
              "description": _text(head.find("{*}abstract"))} if head is not None else {}
    return (inner_markup(body), {k: v for k, v in fields.items() if v}) if body is not None else None


def parse_newsml(data: bytes) -> list[Item]:
    """Every item of a NewsML-G2 newsItem, packageItem or newsMessage document, in document order."""
    root = parse_xml(data, format=FORMAT_NAME)
    name, namespace = _local(root), etree.QName(root).namespace
    if namespace != NAR or name not in _ROOTS:
        where = f"in the namespace {namespace}" if namespace else "without a namespace"
        raise NewsmlError(f"the XML root is <{name}> {where}, not a NewsML-G2 newsItem, packageItem or "
                          f"newsMessage in the namespace {NAR}", field=f"/{name}", kind="unknown")
    if name != "newsMessage":
        return [_ItemReader(root, name).read()]
    members = _elements(root.find(_q("itemSet")))
    if not members:
        raise NewsmlError("the newsMessage has no items in its itemSet; send at least one newsItem",
                          field="newsMessage/itemSet")
    items, seen = [], Counter[str]()
    for el in members:
        seen[_local(el)] += 1
        where = f"newsMessage/itemSet/{_local(el)}[{seen[_local(el)]}]"
        if etree.QName(el).namespace != NAR or _local(el) not in _ROOTS[:2]:
            raise NewsmlError(f"{where} (line {el.sourceline}) is not an item the hub reads; send newsItem and "
                              "packageItem only", field=where)
        items.append(_ItemReader(el, where).read())
    return items


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
    for name, value in (("versionCreated", item.versioncreated), ("firstCreated", item.firstcreated),
                        ("embargoed", item.embargoed)):
        if value is not None:
            _sub(meta, name, value.isoformat())
    _sub(meta, "pubStatus", qcode=f"stat:{item.pubstatus}")
    for name in ("profile", "title", "edNote"):  # one edNote per paragraph: the reader joins them back
        value = str(extra.get(name) or "")
        for part in value.split("\n\n") if name == "edNote" else [value]:
            if part.strip():
                _sub(meta, name, part)
    cm = _sub(root, "contentMeta")  # children in the order of the NewsML-G2 schema
    for name, value in (("urgency", item.urgency), ("contentCreated", extra.get("contentCreated"))):
        if value is not None:
            _sub(cm, name, value)
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
