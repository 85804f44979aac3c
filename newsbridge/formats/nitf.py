"""IPTC NITF 3.x (News Industry Text Format), alone or in a NewsML 1.x envelope, in.

AP, EFE, NTB, PA, AAP, the Canadian Press and many others still send NITF. :func:`parse_nitf`
reads through :func:`~newsbridge.formats.xml_safety.parse_xml` (never lxml directly) and maps:

* ``head/docdata``: ``doc-id@id-string`` → uri (none: the hub derives one, with a warning),
  ``du-key@version`` → version, ``urgency@ed-urg`` → urgency, ``date.issue@norm`` → first and
  version created, ``date.release`` (later than the issue) → embargo, ``date.expire`` → expires,
  ``management-status`` → pubStatus, ``key-list`` keywords → subjects (``rel: keyword``),
  ``doc.copyright@holder`` → copyright holder, ``doc.rights@limitations`` → usage terms,
  ``ed-msg@info`` → edNote, ``evloc@city`` → located when the dateline names no place;
  ``head/tobject``: ``tobject.subject@refnum`` → IPTC Subject Code subjects, property → genres;
  ``head/title`` → headline when ``hl1`` is missing (else ``title``);
* ``body.head``: ``hedline/hl1`` → headline (``hl2`` → another headline), ``byline`` (without
  ``byttl``) → by, ``dateline`` location → located, ``abstract`` → description,
  ``distributor`` → an info source;
* ``body.content`` → the HTML body: ``hl2`` becomes ``h2``, ``block`` a ``div``, ``media`` a
  ``figure`` (an ``img`` when its reference is a URL, the caption as ``figcaption``); tables,
  lists and links are HTML already. The hub sanitizes the HTML later (ingest/prepare.py).

``nitf@baselang`` → language. Times are read by :class:`~newsbridge.formats.times.TimeReader`
(the basic format ``20170102T222800+0000`` too; no zone: the source's zone, with a warning).

NewsML 1.x (``<NewsML>``, AFP, ANA): each ``NewsItem`` is one item: ProviderId, DateId and
NewsItemId → uri, RevisionId → version, FirstCreated / ThisRevisionCreated, Status, Urgency (or
the envelope's Priority), NewsLines (HeadLine, SubHeadLine → description, ByLine, DateLine,
SlugLine, CopyrightLine), Language, SubjectCode / TopicSet subjects, and the text ContentItem's
DataContent (NITF, XHTML or HTML markup, or an HTML string) → the body.

Errors: not XML or hostile → ``malformed``; a root that is neither ``nitf`` nor ``NewsML`` →
``unknown``; a document with no headline and no body text at all → ``invalid``, naming it.
"""

from __future__ import annotations

import copy
import html
import re
from functools import cache
from typing import Any

from lxml import etree

from newsbridge.formats.errors import FormatError, Kind
from newsbridge.formats.item import PUBSTATUSES, IngestWarning, Item
from newsbridge.formats.times import TimeReader
from newsbridge.formats.xml_safety import inner_markup, parse_xml, utf8_view

FORMAT_NAME = "nitf"
NEWSML1_FORMAT_NAME = "newsml1"
SUBJECT_CODES = "http://cv.iptc.org/newscodes/subjectcode/"
_SNIFF = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*>)*<(?:[A-Za-z_][\w.-]*:)?(nitf|NewsML)[\s/>]", re.S)
_URL = re.compile(r"https?://", re.I)
_SUBJECT_REFNUM = re.compile(r"\d{8}")
_STATUS = {"usable": "usable", "embargoed": "usable", "withheld": "withheld", "canceled": "canceled",
           "cancelled": "canceled"}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_RENAME = {"hl1": "h1", "hl2": "h2", "block": "div", "media": "figure", "media-caption": "figcaption",
           "bq": "blockquote", "credit": "small"}
_DROPPED = frozenset({"media-metadata", "media-producer"})


class NitfError(FormatError):
    def __init__(self, message: str, *, field: str | None = None, kind: Kind = "invalid",
                 format: str = FORMAT_NAME) -> None:
        super().__init__(message, field=field, format=format, kind=kind)


def sniff(data: bytes) -> str | None:
    """``nitf`` or ``newsml1`` when the root element says so, else None (cheap: the first 4 KB)."""
    head = utf8_view(data[:4096]).removeprefix(b"\xef\xbb\xbf")
    found = _SNIFF.match(head)
    return None if found is None else FORMAT_NAME if found.group(1) == b"nitf" else NEWSML1_FORMAT_NAME


def _local(el: etree._Element) -> str:
    return el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""


@cache
def _path(path: str, namespace: str) -> str:
    return "/".join(f"{{{namespace}}}{step}" if namespace else step for step in path.split("/"))


def _namespace(el: etree._Element) -> str:
    tag = el.tag
    return tag[1:tag.index("}")] if tag[0] == "{" else ""


def _find(el: etree._Element | None, path: str) -> etree._Element | None:
    """The first match of a slash path of local names, in ``el``'s namespace (NITF comes with and without one;
    an exact path is several times faster than lxml's ``{*}`` wildcard)."""
    return None if el is None else el.find(_path(path, _namespace(el)))


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    """The first child of ``el`` named ``name`` in any namespace (cheaper than a path lookup for one step)."""
    if el is not None:
        for child in el:
            tag = child.tag
            if tag.__class__ is str and (tag == name or tag.endswith("}" + name)):
                return child
    return None


def _all(el: etree._Element | None, path: str) -> list[etree._Element]:
    return [] if el is None else el.findall(_path(path, _namespace(el)))


def _text(el: etree._Element | None, skip: tuple[str, ...] = ()) -> str | None:
    """Whitespace-normalized text of ``el`` and its children, leaving out the ``skip`` children."""
    if el is None:
        return None
    if not len(el):  # the common case, a leaf
        return " ".join((el.text or "").split()) or None
    parts: list[str] = [el.text or ""]
    for child in el:
        if _local(child) not in skip:
            parts.append(_text(child) or "")
        parts.append(child.tail or "")
    return " ".join(" ".join(parts).split()) or None


def _attr(el: etree._Element | None, name: str) -> str | None:
    return (el.get(name) or "").strip() or None if el is not None else None


def _byline(bhead: etree._Element | None) -> str | None:
    """The byline without its title (``byttl``, "AP Business Writer"), unless the title is all there is."""
    byline = _find(bhead, "byline")
    return _text(byline, ("byttl",)) or _text(byline)


def body_html(nitf: etree._Element | None, *, content: etree._Element | None = None,
              in_place: bool = False) -> str | None:
    """The HTML of ``body/body.content``: NITF-only elements renamed to their HTML kin, namespaces dropped.

    ``content`` is that element when the caller found it already; ``in_place`` rewrites the document's own
    ``body.content`` (the NITF reader's private tree) instead of a copy.
    """
    if content is None:
        content = _find(nitf, "body/body.content")
    if content is None:
        return None
    if not in_place:
        content = copy.deepcopy(content)
    namespaced = False
    for el in list(content.iter()):
        tag = el.tag
        if tag.__class__ is not str:
            continue
        if tag[0] == "{":
            namespaced, name = True, tag[tag.index("}") + 1:]
        else:
            name = tag
        if name in _DROPPED:
            el.getparent().remove(el)
            continue
        if name == "media-reference":
            source = el.get("source") or el.get("href") or el.get("data") or ""
            if _URL.match(source):
                alt = el.get("alternate-text") or ""
                el.attrib.clear()
                el.set("src", source)
                el.set("alt", alt)
                el.tag = "img"
            else:  # an id in the agency's archive: nothing a reader could load
                el.getparent().remove(el)
            continue
        if (html_name := _RENAME.get(name, name)) != tag:  # and namespaces go: the hub stores plain HTML
            el.tag = html_name
        for key in el.keys():
            if key[0] == "{":
                namespaced = True
                value = el.attrib.pop(key)
                if key == _XML_LANG:
                    el.set("lang", value)
    # As xml_safety.inner_markup does, on this private copy (a second copy cost a third of the read).
    content.tail = None
    content.attrib.clear()
    if namespaced or content.nsmap:
        etree.cleanup_namespaces(content)
    markup = etree.tostring(content, encoding="unicode")
    if markup.endswith("/>") and markup.count("<") == 1:
        return None
    return markup[markup.index(">") + 1:markup.rindex("</")].strip() or None


def head_fields(nitf: etree._Element) -> dict[str, str]:
    """Headline, title, byline and description from NITF's heads, for NITF inside NewsML-G2."""
    bhead = _find(nitf, "body/body.head")
    fields = {"headline": _text(_find(bhead, "hedline/hl1")), "byline": _byline(bhead),
              "description": _text(_find(bhead, "abstract")), "title": _text(_find(nitf, "head/title"))}
    return {k: v for k, v in fields.items() if v}


def _index(*tops: etree._Element | None) -> dict[str, list[etree._Element]]:
    """Every element under ``tops`` (``head`` and ``body.head``: a few dozen) by local name, in document order.

    One pass instead of an element-path lookup per field: the fields these heads carry have names
    of their own (``doc-id``, ``hl1``, ``tobject.subject``), so a name finds them wherever the
    agency nested them, and the lookups were most of the read's time.
    """
    found: dict[str, list[etree._Element]] = {}
    for top in tops:
        if top is None:
            continue
        for el in top.iter():  # every element (lxml's filter by a list of names was three times slower)
            tag = el.tag
            if tag.__class__ is not str:
                continue
            if tag[0] == "{":
                tag = tag[tag.index("}") + 1:]
            if (same := found.get(tag)) is None:
                found[tag] = [el]
            else:
                same.append(el)
    return found


class _Reader:
    """Reads one NITF document (``where`` is its path, for warnings)."""

    def __init__(self, nitf: etree._Element, where: str, zone: str | None) -> None:
        self.nitf, self.where = nitf, where
        self.warnings: list[IngestWarning] = []
        self.times = TimeReader(zone, self.warnings)
        head, body = _child(nitf, "head"), _child(nitf, "body")
        self.content = _child(body, "body.content")
        self.found = _index(head, _child(body, "body.head"))

    def one(self, name: str) -> etree._Element | None:
        return same[0] if (same := self.found.get(name)) else None

    def all(self, name: str) -> list[etree._Element]:
        return self.found.get(name, [])

    def warn(self, code: str, path: str, message: str) -> None:
        self.warnings.append(IngestWarning(code, f"{self.where}/{path}", message))

    def norm(self, el: etree._Element | None, path: str, *, allow_day: bool = False) -> Any:
        raw = el.get("norm") if el is not None else None
        return self.times.read(raw, f"{self.where}/{path}@norm", allow_day=allow_day) if raw is not None else None

    def read(self) -> Item:
        nitf, one = self.nitf, self.one
        docdata = one("docdata")
        extra: dict[str, Any] = {}
        uri = _attr(one("doc-id"), "id-string")
        if uri is None:
            self.warn("uri_derived", "head/docdata/doc-id", "no doc-id@id-string; the hub derives a stable uri "
                      "from the date and headline")
        version = _attr(one("du-key"), "version")
        if version is not None and not version.isdigit():
            self.warn("value_invalid", "head/docdata/du-key@version", f"{version[:20]!r} is not a whole number; "
                      "ignored")
            version = None
        issued = self.norm(one("date.issue"), "head/docdata/date.issue")
        if issued is None:
            issued = self.publication()
        released = self.norm(one("date.release"), "head/docdata/date.release")
        expires = self.norm(one("date.expire"), "head/docdata/date.expire")
        if expires is not None:
            extra["expires"] = expires.isoformat()
        status_raw = _attr(docdata, "management-status")
        pubstatus = _STATUS.get((status_raw or "usable").lower())
        if pubstatus is None:
            self.warn("code_unknown", "head/docdata@management-status", f"{status_raw!r} is not a NITF status "
                      "(usable, embargoed, withheld, canceled); read as usable")
            pubstatus = "usable"
        headline = _text(one("hl1"))
        title = _text(one("title"))
        if headline is None and title:
            headline = title
        elif title and title != headline:
            extra["title"] = title
        if more := [{"role": "subheadline", "value": t} for el in self.all("hl2") if (t := _text(el))
                    and t != headline]:
            extra["headlines"] = more
        markup = body_html(None, content=self.content, in_place=True)  # the tree is this reader's alone
        if not headline and not (markup and re.search(r">[^<\s]", f">{markup}")):
            raise NitfError(f"{self.where}: the document has no headline (body/body.head/hedline/hl1 or head/title) "
                            "and no text in body/body.content; send at least one of them", field=f"{self.where}/body")
        sources = [{"name": name, "role": "distributor"} for el in self.all("distributor") if (name := _text(el))]
        if sources:
            extra["infoSources"] = sources
        if (note := _attr(one("ed-msg"), "info")) is not None:
            extra["edNote"] = note
        byline = one("byline")
        return Item(
            uri=uri, type="text", version=version, firstcreated=issued, versioncreated=issued, pubstatus=pubstatus,
            embargoed=released if released is not None and issued is not None and released > issued else None,
            language=_attr(nitf, "baselang") or nitf.get(_XML_LANG),
            headline=headline, body_html=markup, description=_text(one("abstract")),
            byline=_text(byline, ("byttl",)) or _text(byline), located=self.located(),
            subjects=self.subjects(), genres=self.genres(), urgency=self.urgency(),
            copyrightholder=_attr(one("doc.copyright"), "holder") or _text(one("rights.owner")),
            usageterms=_attr(one("doc.rights"), "limitations"), extra=extra, warnings=self.warnings)

    def publication(self) -> Any:
        pubdata = self.one("pubdata")
        raw = pubdata.get("date.publication") if pubdata is not None else None
        return self.times.read(raw, f"{self.where}/head/pubdata@date.publication") if raw is not None else None

    def located(self) -> str | None:
        dateline = self.one("dateline")
        if dateline is not None:
            location = _child(dateline, "location")
            for el in (_child(location, "city"), location):
                if place := _text(el, ("state", "country", "region")):
                    return place
            if text := _text(dateline, ("story.date",)):
                return text
        return _attr(self.one("evloc"), "city")

    def urgency(self) -> int | None:
        # docdata's, else the one the Canadian Press puts in head
        candidates = self.all("urgency")
        el = next((u for u in candidates if _local(u.getparent()) == "docdata"), candidates[0] if candidates else None)
        if (raw := _attr(el, "ed-urg")) is None:
            return None
        if raw.isdigit() and 1 <= int(raw) <= 9:
            return int(raw)
        self.warn("value_invalid", "head/docdata/urgency@ed-urg", f"{raw[:20]!r} is not a whole number from 1 "
                  "(most urgent) to 9; left out")
        return None

    def subjects(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for el in self.all("tobject.subject"):
            get = el.get
            refnum = (get("tobject.subject.refnum") or "").strip()
            if not refnum:
                continue
            name = None
            for attribute in ("tobject.subject.detail", "tobject.subject.matter", "tobject.subject.type"):
                if name := (get(attribute) or "").strip():
                    break
            ipr = ((get("tobject.subject.ipr") or "").strip() or "IPTC").upper()
            subject: dict[str, Any] = {"name": name} if name else {}
            if ipr == "IPTC" and _SUBJECT_REFNUM.fullmatch(refnum):
                subject["uri"] = SUBJECT_CODES + refnum
            else:
                subject["literal"] = f"{ipr.lower()}:{refnum}"
            subject["rel"] = "about"
            out.append(subject)
        for el in self.all("keyword"):
            if keyword := _attr(el, "key") or _text(el):
                out.append({"name": keyword, "literal": keyword, "rel": "keyword"})
        return out

    def genres(self) -> list[dict[str, Any]]:
        return [{"name": value, "literal": value} for el in self.all("tobject.property")
                if (value := _attr(el, "tobject.property.type"))]


def _check_root(root: etree._Element, name: str, format: str) -> None:
    if _local(root) != name:
        raise NitfError(f"the XML root is <{_local(root)}>, not <{name}>", field=f"/{_local(root)}", kind="unknown",
                        format=format)


def parse_nitf(data: bytes, zone: str | None = None) -> list[Item]:
    """The item of an NITF document; ``zone`` (IANA name, default UTC) is the zone of times that name none."""
    root = parse_xml(data, format=FORMAT_NAME)
    _check_root(root, "nitf", FORMAT_NAME)
    return [_Reader(root, "nitf", zone).read()]


# --- NewsML 1.x ------------------------------------------------------------------------------------


def _components(el: etree._Element) -> list[etree._Element]:
    """``el`` and every NewsComponent inside it, outermost first."""
    return [el, *el.iter("{*}NewsComponent")] if _local(el) != "NewsComponent" else list(el.iter("{*}NewsComponent"))


def _first_text(components: list[etree._Element], path: str, skip: tuple[str, ...] = ()) -> str | None:
    for component in components:
        for el in _all(component, path):
            if text := _text(el, skip):
                return text
    return None


def _data_content(data: etree._Element) -> str | None:
    """The HTML of a DataContent: NITF, XHTML or other markup inside, else its text (HTML as a string, as
    ANA sends it in CDATA, or plain text made paragraphs)."""
    children = [c for c in data if isinstance(c.tag, str)]
    if len(children) == 1 and _local(children[0]) == "nitf":
        return body_html(children[0])
    if children:
        return inner_markup(data)
    if not (text := (data.text or "").strip()):
        return None
    if re.match(r"<[A-Za-z]", text):
        return text
    return "".join(f"<p>{html.escape(part.strip())}</p>" for part in re.split(r"\n\s*\n", text) if part.strip())


def _newsml1_item(item: etree._Element, envelope: etree._Element | None, where: str, zone: str | None) -> Item:
    warnings: list[IngestWarning] = []
    times = TimeReader(zone, warnings)
    ident = _find(item, "Identification/NewsIdentifier")
    provider, date_id, item_id = (_text(_find(ident, n)) for n in ("ProviderId", "DateId", "NewsItemId"))
    uri = f"urn:newsml:{provider}:{date_id}:{item_id}" if provider and date_id and item_id else \
        _text(_find(ident, "PublicIdentifier"))
    revision = _text(_find(ident, "RevisionId"))
    if uri is None:
        warnings.append(IngestWarning("uri_derived", f"{where}/Identification", "no NewsIdentifier; the hub "
                                      "derives a stable uri from the date and headline"))
    management = _find(item, "NewsManagement")
    first = times.read(_text(_find(management, "FirstCreated")), f"{where}/NewsManagement/FirstCreated")
    revised = times.read(_text(_find(management, "ThisRevisionCreated")), f"{where}/NewsManagement/ThisRevisionCreated")
    status = (_attr(_find(management, "Status"), "FormalName") or "usable").lower()
    if status not in PUBSTATUSES:
        status = _STATUS.get(status, "usable")
    components = _components(item)
    urgency_raw = _attr(_find(management, "Urgency"), "FormalName") or _attr(_find(envelope, "Priority"), "FormalName")
    urgency = int(urgency_raw) if urgency_raw and urgency_raw.isdigit() and 1 <= int(urgency_raw) <= 9 else None
    language = next((v.lower() for c in components for el in _all(c, "DescriptiveMetadata/Language")
                     if (v := _attr(el, "FormalName"))), None)
    names: dict[str, str] = {}
    for topic in item.iter("{*}Topic"):
        code = _text(_find(topic, "FormalName"))
        labels = [(d.get("{http://www.w3.org/XML/1998/namespace}lang"), _text(d)) for d in _all(topic, "Description")
                  if d.get("Variant") == "Name"]
        if code and labels:
            names[code] = next((t for lang, t in labels if lang == (language or "en")), labels[0][1]) or ""
    subjects = []
    for el in item.iter("{*}SubjectMatter", "{*}SubjectDetail", "{*}Subject"):
        if (code := _attr(el, "FormalName")) and _SUBJECT_REFNUM.fullmatch(code):
            subjects.append({**({"name": names[code]} if names.get(code) else {}), "uri": SUBJECT_CODES + code,
                             "rel": "about"})
    markup = None
    for content in item.iter("{*}ContentItem"):
        media = (_attr(_find(content, "MediaType"), "FormalName") or "text").lower()
        data = _find(content, "DataContent")
        if media == "text" and data is not None and (markup := _data_content(data)):
            break
    headline = _first_text(components, "NewsLines/HeadLine")
    if not headline and not markup:
        raise NitfError(f"{where}: the NewsItem has no HeadLine and no text DataContent; send at least one of them",
                        field=where, format=NEWSML1_FORMAT_NAME)
    dateline = _first_text(components, "NewsLines/DateLine")
    city = next((v for c in components for el in _all(c, "DescriptiveMetadata/Property")
                 if el.get("FormalName") == "City" and (v := _attr(el, "Value"))), None)
    extra: dict[str, Any] = {}
    if slug := _first_text(components, "NewsLines/SlugLine"):
        extra["slugline"] = slug
    if credit := _first_text(components, "NewsLines/CreditLine"):
        extra["infoSources"] = [{"name": credit, "role": "creditline"}]
    return Item(
        uri=uri, type="text", version=revision if revision and revision.isdigit() else None,
        firstcreated=first, versioncreated=revised,  # type: ignore[arg-type]
        pubstatus=status, language=language, headline=headline, body_html=markup,
        description=_first_text(components, "NewsLines/SubHeadLine"),
        byline=_first_text(components, "NewsLines/ByLine"),
        located=city or (dateline if dateline and re.search(r"[^\W\d_]", dateline) else None),
        subjects=subjects, urgency=urgency, copyrightnotice=_first_text(components, "NewsLines/CopyrightLine"),
        extra=extra, warnings=warnings)


def parse_newsml1(data: bytes, zone: str | None = None) -> list[Item]:
    """Every NewsItem of a NewsML 1.x document (AFP, ANA), in document order."""
    root = parse_xml(data, format=NEWSML1_FORMAT_NAME)
    _check_root(root, "NewsML", NEWSML1_FORMAT_NAME)
    envelope = _find(root, "NewsEnvelope")
    items = [_newsml1_item(el, envelope, f"NewsML/NewsItem[{n}]", zone)
             for n, el in enumerate(root.iterfind("{*}NewsItem"), 1)]
    if not items:
        raise NitfError("the NewsML document holds no NewsItem; send at least one", field="NewsML",
                        format=NEWSML1_FORMAT_NAME)
    return items
