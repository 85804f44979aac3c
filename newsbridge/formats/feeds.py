"""Syndication feeds: RSS 0.9x/1.0/2.0, Atom 1.0 and JSON Feed 1.0/1.1 in, JSON Feed 1.1 out.

RSS and Atom are XML, read by feedparser from bytes (never a URL or file name), relative
URIs unresolved and HTML unsanitized (the hub sanitizes with nh3 later). As for all XML at
the hub (``xml_safety``), a DOCTYPE that declares entities or names an external DTD is
refused, and so is XML that is not well-formed, naming line and column; a wrong declared
character encoding is tolerated. JSON Feed (https://jsonfeed.org/version/1.1) is an object
with ``version`` ``https://jsonfeed.org/version/1[.1]``, ``title`` and ``items`` of ``id``,
``url``, ``title``, ``content_html``/``content_text``, ``summary``, ``date_published``/
``date_modified`` (RFC 3339), ``authors`` (1.0: ``author``), ``tags``, ``language``, ``attachments``.

Each entry becomes one :class:`Item`. ``uri`` is the entry's id (RSS ``guid``, Atom and JSON
Feed ``id``), else its link: both survive edits. Without either, ``uri`` is None and ingest
derives a stable one from date and headline, per sending organization (as for plain-text
wires); an entry with no id, link, title or date is refused. ``version`` is None: a changed
entry becomes the next version when the hub stores it. A link that is not the uri is kept
as ``altIds`` role ``link``. Content is the body (HTML or text by its type); the summary is
the body when there is no content, else the description. Categories and tags become
subjects ``{"name", "literal"}``, or ``{"name", "uri"}`` for IPTC Media Topics
(``medtop:20000763``, the concept URI, or a code under the Media Topic scheme). Enclosures,
Media RSS and attachments become renditions. The language is the entry's (``xml:lang``,
``dc:language``), else the feed's (``<language>``), else ``default_language``.
"""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
from feedparser.exceptions import ThingsNobodyCaresAboutButMe, UndeclaredNamespace

from newsbridge.formats.errors import FormatError, Kind
from newsbridge.formats.item import Item
from newsbridge.formats.json_safety import load_json
from newsbridge.formats.xml_safety import check_doctype, parse_xml

FORMAT_RSS = "rss"
FORMAT_ATOM = "atom"
FORMAT_JSONFEED = "jsonfeed"
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
MEDIATOPIC_PREFIX = "http://cv.iptc.org/newscodes/mediatopic/"
ATOM_NS = "http://www.w3.org/2005/Atom"
HTML_TYPES = ("text/html", "application/xhtml+xml")

_SNIFF_BYTES = 4096
# possessive: a prolog read one way is never re-read another (that backtracking is exponential)
_XML_ROOT = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*+>)*+<([A-Za-z_][\w.:-]*)([^>]*)",
                       re.S)
_JSONFEED_MARK = re.compile(rb'"version"\s*:\s*"https?:(?:\\?/){2}(?:www\.)?jsonfeed\.org\\?/version\\?/1')
_MEDTOP_TERM = re.compile(r"(?:medtop:|https?://cv\.iptc\.org/newscodes/mediatopic/)(\d{8})", re.I)
_MEDTOP_SCHEME = re.compile(r"(?:medtop:?|https?://cv\.iptc\.org/newscodes/mediatopic/?)", re.I)
_MARKUP = re.compile(r"<[A-Za-z/!]|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]\w*);")
# an unclosed comment or tag runs to the end: never scanning on from every "<" keeps these linear
_TAG = re.compile(r"<!--.*?(?:-->|\Z)|<[^>]*(?:>|\Z)", re.S)
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|h[1-6]|blockquote|tr|td)\b[^>]*(?:>|\Z)", re.I)


class FeedError(FormatError):
    """A feed that cannot be read; ``field`` is a line (XML) or a JSON path (JSON Feed).

    ``format`` defaults to ``jsonfeed``, whose reader raises most of these.
    """

    def __init__(self, kind: Kind, message: str, *, field: str | None = None, format: str = FORMAT_JSONFEED) -> None:
        super().__init__(message, field=field, format=format, kind=kind)


def sniff_feed(data: bytes) -> str | None:
    """``rss``, ``atom`` or ``jsonfeed`` when ``data`` looks like that feed, else None (cheap: no parsing)."""
    head = data[:_SNIFF_BYTES]
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff")  # XML may be UTF-16 (with a BOM); JSON is UTF-8
    text = head.decode("utf-16" if utf16 else "utf-8", "ignore").lstrip("\ufeff")
    if text.lstrip().startswith("{"):
        return FORMAT_JSONFEED if _JSONFEED_MARK.search(data) else None
    root = _XML_ROOT.match(text)
    if root is None:
        return None
    prefix, _, local = root.group(1).rpartition(":")
    if local in ("rss", "RDF"):
        return FORMAT_RSS
    xmlns = re.search(r"\bxmlns" + (":" + re.escape(prefix) if prefix else "") + r"\s*=\s*[\"']([^\"']*)",
                      root.group(2))
    return FORMAT_ATOM if local == "feed" and xmlns and xmlns.group(1).strip() == ATOM_NS else None


def parse_feed(data: bytes, *, default_language: str | None = None) -> list[Item]:
    """Every entry of an RSS, Atom or JSON Feed document as an Item, in document order.

    ``default_language`` applies to entries whose language neither the entry nor the feed
    declares. Raises :class:`FeedError`: ``malformed`` for bytes that are not such a feed
    (with the line for XML), ``invalid`` for an entry or field with a wrong value.
    """
    kind = sniff_feed(data)
    if kind is None:
        raise FeedError("malformed", "this is not an RSS, Atom or JSON Feed document: RSS has an <rss> or <rdf:RDF> "
                        f"root, Atom a <feed> root in the {ATOM_NS} namespace, JSON Feed a \"version\" of "
                        f"{JSONFEED_VERSION}", field="body", format="")
    if kind == FORMAT_JSONFEED:
        return _parse_jsonfeed(data, _language(default_language))
    return _parse_xml(data, kind, _language(default_language))


def _parse_xml(data: bytes, kind: str, default_language: str | None) -> list[Item]:
    check_doctype(data, format=kind)  # the hub's rule for all XML: no entity declarations, no external DTD
    try:  # a file-like object: given bytes, feedparser would first try them as a file name
        parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False, sanitize_html=False)
    except UndeclaredNamespace as exc:
        parsed = {"bozo": True, "bozo_exception": exc, "entries": []}
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), ThingsNobodyCaresAboutButMe):
        # feedparser parses a rewritten copy (its line numbers are off): the bytes as sent decide, and
        # when they are well-formed after all, feedparser's lenient second reading stands.
        try:
            parse_xml(data, format=kind)
        except FormatError as exc:
            if not (exc.field or "").startswith("line"):
                raise
            raise FeedError("malformed", f"the {'RSS' if kind == FORMAT_RSS else 'Atom'} feed is {exc.message}; "
                            "escape & and < in text as &amp; and &lt;, and close every element", field=exc.field,
                            format=kind) from None
    feed = parsed.get("feed", {})
    language = _language(feed.get("language")) or default_language
    authors = _names(feed.get("authors")) if kind == FORMAT_ATOM else []  # Atom entries inherit the feed's
    return [_item_from_entry(entry, index, kind, language, authors) for index, entry in enumerate(parsed["entries"])]


def _item_from_entry(entry: dict[str, Any], index: int, kind: str, feed_language: str | None,
                     feed_authors: list[str]) -> Item:
    contents = entry.get("content") or []
    summary_is_html = (entry.get("summary_detail") or {}).get("type", "text/html") in HTML_TYPES
    bodies = _bodies(next((c["value"] for c in contents if c.get("type") in HTML_TYPES and c.get("value")), None),
                     next((c["value"] for c in contents if c.get("type") == "text/plain" and c.get("value")), None),
                     (entry.get("summary") or "").strip() or None, summary_is_html)
    title = entry.get("title")
    headline = _plain(title) if title and (entry.get("title_detail") or {}).get("type") in HTML_TYPES else title
    link = next((lk["href"] for lk in entry.get("links", []) if lk.get("rel", "alternate") == "alternate"
                 and lk.get("href")), None)
    details = [entry.get("title_detail"), entry.get("summary_detail"), *contents]
    language = _language(entry.get("language")) or next(
        (found for d in details if d and (found := _language(d.get("language")))), None)
    renditions: list[dict[str, Any]] = []
    for enclosure in entry.get("enclosures", []):
        _add_rendition(renditions, "enclosure", enclosure.get("href"), contentType=enclosure.get("type"),
                       sizeInBytes=_number(enclosure.get("length")))
    for media in entry.get("media_content", []):
        _add_rendition(renditions, "media", media.get("url"), contentType=media.get("type"),
                       width=_number(media.get("width")), height=_number(media.get("height")),
                       sizeInBytes=_number(media.get("filesize") or media.get("fileSize")),
                       duration=_number(media.get("duration"), whole=False))
    for thumbnail in entry.get("media_thumbnail", []):
        _add_rendition(renditions, "thumbnail", thumbnail.get("url"), width=_number(thumbnail.get("width")),
                       height=_number(thumbnail.get("height")))
    return _item(
        where=(f"entries[{index}]", f"entry #{index + 1}", kind), uri=(entry.get("id") or "").strip(), link=link,
        headline=headline, bodies=bodies, published=_entry_time(entry, "published"),
        updated=_entry_time(entry, "updated"), language=language or feed_language,
        authors=_names(entry.get("authors")) or feed_authors, renditions=renditions,
        subjects=[_subject(t.get("term") or "", t.get("scheme"), t.get("label")) for t in entry.get("tags") or []],
    )


def _entry_time(entry: dict[str, Any], key: str) -> datetime | None:
    """The raw date keeps the sender's UTC offset; feedparser's parsed tuple (UTC) is the fallback."""
    raw = (dict.get(entry, key) or "").strip()  # dict.get: no deprecated "published" for a missing "updated"
    for parse in (parsedate_to_datetime, datetime.fromisoformat):
        try:
            value = parse(raw)
        except (TypeError, ValueError, IndexError):
            continue
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # RFC 822 "-0000": UTC
    parsed = dict.get(entry, f"{key}_parsed")
    return datetime(*parsed[:6], tzinfo=timezone.utc) if parsed else None


def _parse_jsonfeed(data: bytes, default_language: str | None) -> list[Item]:
    try:
        doc = load_json(data.decode("utf-8-sig"), format=FORMAT_JSONFEED, what="the JSON Feed", error=FeedError,
                        line_field=True)
    except UnicodeDecodeError as exc:
        raise FeedError("malformed", f"the JSON Feed is not valid UTF-8 (byte {exc.start}); send it UTF-8 encoded",
                        field="body") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
            ("https://jsonfeed.org/version/1", "http://jsonfeed.org/version/1")):
        raise FeedError("malformed", f"a JSON Feed is an object whose \"version\" is {JSONFEED_VERSION}",
                        field="$.version")
    if not isinstance(doc.get("items"), list):
        raise FeedError("invalid", "\"items\" must be an array of items (it may be empty)", field="$.items")
    language = _language(_string(doc, "language", "$")) or default_language
    authors = _json_authors(doc, "$")  # items without authors of their own inherit the feed's
    return [_item_from_jsonfeed(entry, f"$.items[{i}]", language, authors) for i, entry in enumerate(doc["items"])]


def _item_from_jsonfeed(entry: Any, path: str, feed_language: str | None, feed_authors: list[str]) -> Item:
    if not isinstance(entry, dict):
        raise FeedError("invalid", f"{path} must be an object", field=path)
    if isinstance(entry.get("id"), (int, float)) and not isinstance(entry["id"], bool):
        entry = {**entry, "id": str(entry["id"])}  # the spec tells readers to coerce a numeric id to a string
    tags = entry.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise FeedError("invalid", f"{path}.tags must be an array of strings", field=f"{path}.tags")
    subjects = [_subject(t) for t in tags]
    extension = entry.get("_newsbridge")
    if isinstance(extension, dict) and isinstance(extension.get("subjects"), list):  # what tags cannot say
        subjects = [{k: v for k, v in s.items() if k in ("name", "uri", "literal") and isinstance(v, str)}
                    for s in extension["subjects"] if isinstance(s, dict)]
    renditions: list[dict[str, Any]] = []
    _add_rendition(renditions, "image", _string(entry, "image", path))
    attachments = entry.get("attachments") or []
    for n, attachment in enumerate(attachments if isinstance(attachments, list) else [None]):
        where = f"{path}.attachments[{n}]"
        if not isinstance(attachment, dict) or not _string(attachment, "url", where):
            raise FeedError("invalid", f"{where} must be an object with a \"url\" and a \"mime_type\"", field=where)
        _add_rendition(renditions, "attachment", _string(attachment, "url", where),
                       contentType=_string(attachment, "mime_type", where), title=_string(attachment, "title", where),
                       sizeInBytes=_number(attachment.get("size_in_bytes")),
                       duration=_number(attachment.get("duration_in_seconds"), whole=False))
    return _item(
        where=(f"{path}.id", path, FORMAT_JSONFEED), uri=_string(entry, "id", path), link=_string(entry, "url", path),
        headline=_string(entry, "title", path), published=_rfc3339(entry, "date_published", path),
        bodies=_bodies(_string(entry, "content_html", path), _string(entry, "content_text", path),
                       _string(entry, "summary", path), False),
        updated=_rfc3339(entry, "date_modified", path), authors=_json_authors(entry, path) or feed_authors,
        language=_language(_string(entry, "language", path)) or feed_language, subjects=subjects,
        renditions=renditions,
    )


def _string(doc: dict[str, Any], key: str, path: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise FeedError("invalid", f"{path}.{key} must be a string, not {type(value).__name__}", field=f"{path}.{key}")
    if value is None or key in ("content_html", "content_text"):
        return value  # content is kept as sent
    return value.strip() or None


def _rfc3339(doc: dict[str, Any], key: str, path: str) -> datetime | None:
    raw = _string(doc, key, path)
    try:
        value = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        value = datetime.min
    if raw and (value is None or value.tzinfo is None):
        raise FeedError("invalid", f"{path}.{key} {raw!r} is not an RFC 3339 date-time like "
                        "2026-11-23T09:30:00+05:00 (with its UTC offset)", field=f"{path}.{key}")
    return value


def _json_authors(doc: dict[str, Any], path: str) -> list[str]:
    authors = doc.get("authors", [doc["author"]] if isinstance(doc.get("author"), dict) else [])  # 1.0: "author"
    if not isinstance(authors, list):
        raise FeedError("invalid", f"{path}.authors must be an array of objects with a \"name\"",
                        field=f"{path}.authors")
    return _names(a for a in authors if isinstance(a, dict))


def to_jsonfeed(items: list[Item], *, title: str, home_page_url: str | None = None,
                feed_url: str | None = None) -> bytes:
    """The items as a JSON Feed 1.1 document (UTF-8), in the order given.

    ``id`` is the uri (required), ``url`` the ``link`` alternate id or an http(s) uri. An item
    without bodies gets its description (or headline) as ``content_text``, since JSON Feed
    requires content; a day-only date is midnight UTC. The ``_newsbridge`` extension carries
    the subjects in full (tags only name them), pubstatus, urgency and version.
    """
    languages = {item.language for item in items}
    feed: dict[str, Any] = {"version": JSONFEED_VERSION, "title": title, "home_page_url": home_page_url,
                            "feed_url": feed_url, "language": languages.pop() if len(languages) == 1 else None}
    feed = {k: v for k, v in feed.items() if v is not None}
    feed["items"] = [_jsonfeed_item(item, index) for index, item in enumerate(items)]
    return json.dumps(feed, ensure_ascii=False, indent=2).encode("utf-8")


def _jsonfeed_item(item: Item, index: int) -> dict[str, Any]:
    if not item.uri:
        raise FeedError("invalid", f"item {index} has no uri; a JSON Feed item needs one as its id",
                        field=f"$.items[{index}].id")
    link = next((a.get("value") for a in item.extra.get("altIds", []) if a.get("role") == "link"), None)
    first = item.firstcreated
    if isinstance(first, date) and not isinstance(first, datetime):
        first = datetime(first.year, first.month, first.day, tzinfo=timezone.utc)
    out: dict[str, Any] = {
        "id": item.uri, "url": link or (item.uri if item.uri.startswith(("http://", "https://")) else None),
        "title": item.headline, "content_html": item.body_html,
        "content_text": item.body_text or (None if item.body_html else item.description or item.headline or ""),
        "summary": item.description, "date_published": first.isoformat() if first else None,
        "date_modified": item.versioncreated.isoformat() if item.versioncreated else None,
        "language": item.language, "authors": [{"name": item.byline}] if item.byline else None,
        "tags": list(dict.fromkeys(n for s in item.subjects if (n := s.get("name") or s.get("literal")))) or None,
        "attachments": [{"url": r["href"], "mime_type": r.get("contentType") or "application/octet-stream",
                         **{key: r[name] for name, key in (("title", "title"), ("sizeInBytes", "size_in_bytes"),
                                                           ("duration", "duration_in_seconds")) if r.get(name)}}
                        for r in item.renditions if r.get("href")] or None,
        "_newsbridge": {k: v for k, v in (("version", item.version), ("pubstatus", item.pubstatus),
                                          ("urgency", item.urgency), ("subjects", item.subjects or None)) if v},
    }
    return {k: v for k, v in out.items() if v is not None}


def _item(*, where: tuple[str, str, str], uri: str | None, link: str | None, headline: str | None,
          bodies: tuple[str | None, str | None, str | None], published: datetime | None, updated: datetime | None,
          language: str | None, authors: list[str], subjects: list[dict[str, str]],
          renditions: list[dict[str, Any]]) -> Item:
    field, name, kind = where
    headline = (headline or "").strip() or None
    if not (uri or link or headline or published or updated):
        raise FeedError("invalid", f"{name} has no id, link, title or date, so nothing identifies it; give every "
                        "entry an id (RSS guid, Atom id, JSON Feed id)", field=field, format=kind)
    uri = uri or link
    unique: list[dict[str, str]] = []
    for subject in subjects:
        if subject.get("name") and subject not in unique:
            unique.append(subject)
    return Item(uri=uri, firstcreated=published, versioncreated=updated or published, language=language,
                headline=headline, body_html=bodies[0], body_text=bodies[1], description=bodies[2],
                byline=", ".join(authors) or None, subjects=unique, renditions=renditions,
                extra={"altIds": [{"role": "link", "value": link}]} if link and link != uri else {})


def _bodies(body_html: str | None, body_text: str | None, summary: str | None,
            summary_is_html: bool) -> tuple[str | None, str | None, str | None]:
    """(HTML body, text body, description): the summary is the body only when there is no content."""
    if body_html is None and body_text is None:
        if summary and summary_is_html and _MARKUP.search(summary):
            return summary, None, None
        return None, summary, None  # RSS says "HTML" of every description; markup-free ones are text
    if summary and summary.strip() not in ((body_html or "").strip(), (body_text or "").strip()):
        return body_html, body_text, _plain(summary) if summary_is_html else summary
    return body_html, body_text, None


def _plain(markup: str) -> str:
    """HTML as one line of text (for titles and summaries)."""
    return " ".join(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", markup))).split())


def _language(value: Any) -> str | None:
    """A BCP 47 tag in its usual case (``en-us`` -> ``en-US``), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    first, *rest = value.strip().replace("_", "-").split("-")
    return "-".join([first.lower()] + [p.upper() if len(p) == 2 else p.title() if len(p) == 4 else p.lower()
                                        for p in rest])


def _names(people: Any) -> list[str]:
    return list(dict.fromkeys(n.strip() for p in people or [] if isinstance(n := p.get("name"), str) and n.strip()))


def _subject(term: str, scheme: str | None = None, label: str | None = None) -> dict[str, str]:
    term, name = term.strip(), (label or "").strip() or term.strip()
    medtop = _MEDTOP_TERM.fullmatch(term)
    if medtop is None and scheme and _MEDTOP_SCHEME.fullmatch(scheme.strip()) and re.fullmatch(r"\d{8}", term):
        return {"name": name, "uri": MEDIATOPIC_PREFIX + term}
    return {"name": name, "uri": MEDIATOPIC_PREFIX + medtop.group(1)} if medtop else {"name": name, "literal": term}


def _number(value: Any, *, whole: bool = True) -> int | float | None:
    """A positive count (pixels, bytes) or duration, from a number or an attribute string."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not 0 < number < float("inf"):  # also NaN
        return None
    return int(number) if whole or number.is_integer() else number


def _add_rendition(renditions: list[dict[str, Any]], kind: str, href: str | None, **fields: Any) -> None:
    """One rendition per URL: a second mention (an enclosure also in Media RSS) only fills gaps."""
    if not href:
        return
    found = {k: v for k, v in fields.items() if v not in (None, "")}
    for rendition in renditions:
        if rendition["href"] == href:
            rendition.update({k: v for k, v in found.items() if k not in rendition})
            return
    same = sum(1 for r in renditions if r["name"].split("_")[0] == kind)
    renditions.append({"name": kind if not same else f"{kind}_{same + 1}", "href": href, **found})
