"""IPTC NewsML 1.x (AFP, ANA) in: every ``NewsItem`` of the envelope is one item.

ProviderId, DateId and NewsItemId → uri, RevisionId → version, FirstCreated / ThisRevisionCreated,
Status, Urgency (or the envelope's Priority), NewsLines (HeadLine, SubHeadLine → description,
ByLine, DateLine, SlugLine, CopyrightLine), Language, SubjectCode / TopicSet subjects, and the
text ContentItem's DataContent (NITF, XHTML or HTML markup, or an HTML string) → the body.
:func:`~newsbridge.formats.nitf.sniff` recognizes the root; errors are :class:`NitfError` with the
``newsml1`` format.
"""

from __future__ import annotations

import html
import re
from typing import Any

from lxml import etree

from newsbridge.formats.item import PUBSTATUSES, IngestWarning, Item
from newsbridge.formats.nitf import (
    _STATUS,
    _SUBJECT_REFNUM,
    NEWSML1_FORMAT_NAME,
    SUBJECT_CODES,
    NitfError,
    _attr,
    _check_root,
    _find,
    _local,
    _namespace,
    _path,
    _text,
    body_html,
)
from newsbridge.formats.times import TimeReader
from newsbridge.formats.xml_safety import inner_markup, parse_xml


def _all(el: etree._Element | None, path: str) -> list[etree._Element]:
    return [] if el is None else el.findall(_path(path, _namespace(el)))


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
    urgency = int(urgency_raw) if urgency_raw and urgency_raw.isdecimal() and 1 <= int(urgency_raw) <= 9 else None
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
