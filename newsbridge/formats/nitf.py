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

NewsML 1.x envelopes (``<NewsML>``, AFP, ANA) are read by :mod:`newsbridge.formats.newsml1`,
with this module's helpers; :func:`sniff` tells the two apart.

Errors: not XML or hostile → ``malformed``; a root that is neither ``nitf`` nor ``NewsML`` →
``unknown``; a document with no headline and no body text at all → ``invalid``, naming it.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

from lxml import etree

from newsbridge.formats.errors import FormatError, Kind
from newsbridge.formats.item import IngestWarning, Item
from newsbridge.formats.times import TimeReader
from newsbridge.formats.xml_safety import parse_xml, utf8_view

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
_HAS_TEXT = re.compile(r">[^<\s]")


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


def _squeeze(text: str) -> str:
    """``text`` with every run of white space made one space, and none at either end.

    Most text is so already, and saying so is cheaper than splitting it: ``split`` looks every
    character of non-Latin text up in Unicode's tables, while ``isprintable`` rules out every white
    space but the plain space at a fraction of that cost (a headline's split was a tenth of the read).
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _text(el: etree._Element | None, skip: tuple[str, ...] = ()) -> str | None:
    """Whitespace-normalized text of ``el`` and its children, leaving out the ``skip`` children."""
    if el is None:
        return None
    if not len(el):  # the common case, a leaf
        return _squeeze(text) or None if (text := el.text) else None
    # Children's text joins with a space between, so each part can be squeezed on its own.
    parts: list[str] = [text] if (text := el.text) and (text := _squeeze(text)) else []
    for child in el:
        tag = child.tag  # a processing instruction's text counts, as its name is not skipped
        if (tag.__class__ is not str or (tag[tag.index("}") + 1:] if tag[0] == "{" else tag) not in skip) \
                and (text := _text(child)):
            parts.append(text)
        if (text := child.tail) and (text := _squeeze(text)):
            parts.append(text)
    return " ".join(parts) or None


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
    doomed: list[etree._Element] = []  # removed after the walk, which a removal would cut short
    for el in content.iter():
        tag = el.tag
        if tag.__class__ is not str:
            continue
        if tag[0] == "{":
            namespaced, name = True, tag[tag.index("}") + 1:]
        else:
            name = tag
        if name in _DROPPED:
            doomed.append(el)
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
                doomed.append(el)
            continue
        if (html_name := _RENAME.get(name, name)) != tag:  # and namespaces go: the hub stores plain HTML
            el.tag = html_name
        for key in el.keys():
            if key[0] == "{":
                namespaced = True
                value = el.attrib.pop(key)
                if key == _XML_LANG:
                    el.set("lang", value)
    for el in doomed:
        el.getparent().remove(el)
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


def _two_children(el: etree._Element, one: str, other: str) -> tuple[etree._Element | None, etree._Element | None]:
    """The first child of ``el`` named ``one`` and the first named ``other``, in any namespace (or None)."""
    found_one = found_other = None
    for child in el:
        tag = child.tag
        if tag.__class__ is not str:
            continue
        if tag[0] == "{":
            tag = tag[tag.index("}") + 1:]
        if tag == one:
            if found_one is None:
                found_one = child
                if found_other is not None:
                    break
        elif tag == other and found_other is None:
            found_other = child
            if found_one is not None:
                break
    return found_one, found_other


def _index(first: dict[str, etree._Element], more: dict[str, list[etree._Element]], top: etree._Element) -> None:
    """Every element under ``top`` (``head`` or ``body.head``: a few dozen) by local name: the first of each
    name into ``first``, the others, in document order, into ``more``.

    One pass instead of an element-path lookup per field: the fields these heads carry have names
    of their own (``doc-id``, ``hl1``, ``tobject.subject``), so a name finds them wherever the
    agency nested them, and the lookups were most of the read's time. Most names come once, so
    they get no list of their own.
    """
    for el in top.iter():  # every element (lxml's filter by a list of names was three times slower)
        tag = el.tag
        if tag.__class__ is not str:
            continue
        if tag[0] == "{":
            tag = tag[tag.index("}") + 1:]
        if first.setdefault(tag, el) is not el:
            if (same := more.get(tag)) is None:
                more[tag] = [el]
            else:
                same.append(el)


class _Reader:
    """Reads one NITF document (``where`` is its path, for warnings).

    The heads' elements are looked up in ``first`` directly rather than through a method (a call per
    field was a tenth of the read); :meth:`all` gives every element of a name.
    """

    __slots__ = ("nitf", "where", "warnings", "times", "content", "first", "more")

    def __init__(self, nitf: etree._Element, where: str, zone: str | None) -> None:
        self.nitf, self.where = nitf, where
        self.warnings: list[IngestWarning] = []
        self.times = TimeReader(zone, self.warnings)
        self.first: dict[str, etree._Element] = {}
        self.more: dict[str, list[etree._Element]] = {}
        head, body = _two_children(nitf, "head", "body")
        if head is not None:
            _index(self.first, self.more, head)
        self.content = None
        if body is not None:
            body_head, self.content = _two_children(body, "body.head", "body.content")
            if body_head is not None:
                _index(self.first, self.more, body_head)

    def all(self, name: str) -> list[etree._Element]:
        el = self.first.get(name)
        return [] if el is None else [el, *self.more[name]] if name in self.more else [el]

    def warn(self, code: str, path: str, message: str) -> None:
        self.warnings.append(IngestWarning(code, f"{self.where}/{path}", message))

    def read(self) -> Item:
        nitf, get, times = self.nitf, self.first.get, self.times
        extra: dict[str, Any] = {}
        uri = version = issued = released = None
        if (el := get("doc-id")) is not None:
            uri = (el.get("id-string") or "").strip() or None
        if uri is None:
            self.warn("uri_derived", "head/docdata/doc-id", "no doc-id@id-string; the hub derives a stable uri "
                      "from the date and headline")
        if (el := get("du-key")) is not None and (version := (el.get("version") or "").strip() or None) is not None \
                and not version.isdigit():
            self.warn("value_invalid", "head/docdata/du-key@version", f"{version[:20]!r} is not a whole number; "
                      "ignored")
            version = None
        if (el := get("date.issue")) is not None and (raw := el.get("norm")) is not None:
            issued = times.read(raw, "nitf/head/docdata/date.issue@norm")
        if issued is None and (el := get("pubdata")) is not None and (raw := el.get("date.publication")) is not None:
            issued = times.read(raw, "nitf/head/pubdata@date.publication")
        if (el := get("date.release")) is not None and (raw := el.get("norm")) is not None:
            released = times.read(raw, "nitf/head/docdata/date.release@norm")
        if (el := get("date.expire")) is not None and (raw := el.get("norm")) is not None \
                and (expires := times.read(raw, "nitf/head/docdata/date.expire@norm")) is not None:
            extra["expires"] = expires.isoformat()
        pubstatus = "usable"
        if (el := get("docdata")) is not None and (status_raw := (el.get("management-status") or "").strip()):
            if (pubstatus := _STATUS.get(status_raw.lower())) is None:  # type: ignore[assignment]
                self.warn("code_unknown", "head/docdata@management-status", f"{status_raw!r} is not a NITF status "
                          "(usable, embargoed, withheld, canceled); read as usable")
                pubstatus = "usable"
        headline = _text(get("hl1"))
        title = _text(get("title"))
        if headline is None and title:
            headline = title
        elif title and title != headline:
            extra["title"] = title
        if "hl2" in self.first and (more := [{"role": "subheadline", "value": t} for el in self.all("hl2")
                                             if (t := _text(el)) and t != headline]):
            extra["headlines"] = more
        markup = body_html(None, content=self.content, in_place=True)  # the tree is this reader's alone
        if not headline and not (markup and _HAS_TEXT.search(f">{markup}")):
            raise NitfError("nitf: the document has no headline (body/body.head/hedline/hl1 or head/title) and no "
                            "text in body/body.content; send at least one of them", field="nitf/body")
        if "distributor" in self.first and (sources := [{"name": name, "role": "distributor"}
                                                        for el in self.all("distributor") if (name := _text(el))]):
            extra["infoSources"] = sources
        if (el := get("ed-msg")) is not None and (note := (el.get("info") or "").strip()):
            extra["edNote"] = note
        byline = get("byline")
        if byline is not None:
            byline = _text(byline, ("byttl",)) or _text(byline)
        subjects = self.all("tobject.subject")
        keywords = self.all("keyword")
        holder = get("doc.copyright")
        rights = get("doc.rights")
        return Item(
            uri=uri, type="text", version=version, firstcreated=issued, versioncreated=issued, pubstatus=pubstatus,
            embargoed=released if released is not None and issued is not None and released > issued else None,
            language=(nitf.get("baselang") or "").strip() or nitf.get(_XML_LANG),
            headline=headline, body_html=markup, description=_text(get("abstract")),
            byline=byline, located=self.located(),
            subjects=_subjects(subjects, keywords) if subjects or keywords else subjects,
            genres=[{"name": value, "literal": value} for el in self.all("tobject.property")
                    if (value := _attr(el, "tobject.property.type"))] if "tobject.property" in self.first else [],
            urgency=self.urgency() if "urgency" in self.first else None,
            copyrightholder=(holder is not None and (holder.get("holder") or "").strip())
            or _text(get("rights.owner")),
            usageterms=(rights.get("limitations") or "").strip() or None if rights is not None else None,
            extra=extra, warnings=self.warnings)

    def located(self) -> str | None:
        get = self.first.get
        dateline = get("dateline")
        if dateline is not None:
            location = _child(dateline, "location")
            for el in (_child(location, "city"), location):
                if place := _text(el, ("state", "country", "region")):
                    return place
            if text := _text(dateline, ("story.date",)):
                return text
        return _attr(get("evloc"), "city")

    def urgency(self) -> int | None:
        # docdata's, else the one the Canadian Press puts in head
        el = self.first.get("urgency")
        if el is None:
            return None
        if "urgency" in self.more:
            el = next((u for u in self.all("urgency") if _local(u.getparent()) == "docdata"), el)
        if (raw := _attr(el, "ed-urg")) is None:
            return None
        if raw.isdecimal() and 1 <= (value := int(raw)) <= 9:  # isdigit would let "²" through to int()
            return value
        self.warn("value_invalid", "head/docdata/urgency@ed-urg", f"{raw[:20]!r} is not a whole number from 1 "
                  "(most urgent) to 9; left out")
        return None


def _subjects(tobject: list[etree._Element], keywords: list[etree._Element]) -> list[dict[str, Any]]:
    """``tobject.subject`` as IPTC Subject Codes (or the agency's own codes as literals), then the keywords."""
    out: list[dict[str, Any]] = []
    for el in tobject:
        attributes = dict(el.items())  # one call instead of five ``get``s, each dearer than the whole lot
        get = attributes.get
        refnum = (get("tobject.subject.refnum") or "").strip()
        if not refnum:
            continue
        name = ((get("tobject.subject.detail") or "").strip() or (get("tobject.subject.matter") or "").strip()
                or (get("tobject.subject.type") or "").strip())
        ipr = ((get("tobject.subject.ipr") or "").strip() or "IPTC").upper()
        subject: dict[str, Any] = {"name": name} if name else {}
        if ipr == "IPTC" and len(refnum) == 8 and refnum.isdecimal():  # _SUBJECT_REFNUM without the regex call
            subject["uri"] = SUBJECT_CODES + refnum
        else:
            subject["literal"] = f"{ipr.lower()}:{refnum}"
        subject["rel"] = "about"
        out.append(subject)
    for el in keywords:
        if keyword := _attr(el, "key") or _text(el):
            out.append({"name": keyword, "literal": keyword, "rel": "keyword"})
    return out


def _check_root(root: etree._Element, name: str, format: str) -> None:
    if root.tag != name and _local(root) != name:
        raise NitfError(f"the XML root is <{_local(root)}>, not <{name}>", field=f"/{_local(root)}", kind="unknown",
                        format=format)


def parse_nitf(data: bytes, zone: str | None = None) -> list[Item]:
    """The item of an NITF document; ``zone`` (IANA name, default UTC) is the zone of times that name none."""
    root = parse_xml(data, format=FORMAT_NAME)
    _check_root(root, "nitf", FORMAT_NAME)
    return [_Reader(root, "nitf", zone).read()]
