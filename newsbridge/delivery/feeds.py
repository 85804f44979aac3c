"""Pull feeds: the JSON changes feed (cursor), Atom, RSS 2.0 and JSON Feed per recipient (token), and feed tokens.

Both read deliveries by feed position (see outbox.py), so a reader following the cursor
sees every delivery exactly once. A withdrawn item keeps only its withdrawal notice: once
the newest version a recipient got is canceled, earlier entries of that item show no content.
"""

from __future__ import annotations

import base64
import json
import binascii
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from feedgen.feed import FeedGenerator
from lxml import etree
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts import audit
from newsbridge.accounts.organizations import Organization, get_organization_by_id
from newsbridge.accounts.suspension import refuse_if_suspended
from newsbridge.config import Settings
from newsbridge.db.tables import api_keys, deliveries, feed_tokens
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow
from newsbridge.items.queries import Delivered, ItemRecord, ItemVersion, Received, delivered_after, delivered_to
from newsbridge.formats.feeds import to_jsonfeed
from newsbridge.formats.markup import clean_html_fields, is_html, safe_html
from newsbridge.formats.newsml_g2_package import NEWSITEM_TYPE, NEWSMESSAGE_TYPE, carries_package
from newsbridge.formats.ninjs import item_from_ninjs
from newsbridge.items.render import (DAY_ONLY_FIRST_CREATED, FORMATS, NEWSML_FORMATS, NOTICE_KEYS, Format, hub_fields,
                                     render)
from newsbridge.media.links import media_versions

MAX_PAGE = 500
# what a feed token's item links serve: the JSON formats of items/render.py, and NewsML-G2 (with profiles)
TOKEN_FORMATS = FORMATS + tuple(NEWSML_FORMATS)
MEDIA_TYPES = {"newsml-g2": NEWSITEM_TYPE, "newsml-g2-superdesk": NEWSITEM_TYPE}
MAX_POSITION = 2**62  # positions are BIGINT; anything larger was never handed out


@dataclass(frozen=True)
class Entry:
    position: int
    event: str
    record: ItemRecord
    version: ItemVersion
    received: Received
    withdrawn: bool  # the item has since been withdrawn for this recipient


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"p{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if raw[0] != "p" or not raw[1:].isdigit() or int(raw[1:]) > MAX_POSITION:
            raise ValueError
        return int(raw[1:])
    except (ValueError, IndexError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one the hub gave out; start again without a cursor", field="cursor") \
            from None


def _entry(d: Delivered) -> Entry:
    return Entry(d.position or 0, d.event, d.record, d.record.latest, d.received, d.withdrawn)


def _entries(conn: Connection, viewer: Organization, where: list[Any], order: Any, limit: int) -> list[Entry]:
    return [_entry(d) for d in delivered_to(conn, viewer, where, order, max(1, min(limit, MAX_PAGE)))]


def changes(conn: Connection, viewer: Organization, after: int, limit: int = 100) -> list[Entry]:
    """Deliveries to the viewer after feed position ``after``, oldest first."""
    return [_entry(d) for d in delivered_after(conn, viewer, after, max(1, min(limit, MAX_PAGE)))]


def newest(conn: Connection, viewer: Organization, before: int | None, limit: int = 50) -> list[Entry]:
    """Deliveries to the viewer before ``before`` (or the newest), newest first (Atom pages)."""
    where = [deliveries.c.position.is_not(None)]
    if before is not None:
        where.append(deliveries.c.position < before)
    return _entries(conn, viewer, where, deliveries.c.position.desc(), limit)


def with_entry_media(conn: Connection, engine: Engine, settings: Settings, viewer: Organization,
                     entries: list[Entry]) -> list[Entry]:
    """The entries with their hub media as renditions signed for ``viewer`` (the feed's reader: the
    key's or the feed token's organization), as the media rules of each delivery's agreement offer
    them (media/links.py). Entries without media are left as they are (and keep their fast path)."""
    versions = media_versions(conn, engine, settings, viewer,
                              [(e.record, e.version, e.received.agreement_id) for e in entries])
    return [e if v is e.version else replace(e, version=v) for e, v in zip(entries, versions)]


def media_groups(entry: Entry) -> list[tuple[str, list[dict[str, Any]]]]:
    """The renditions with a web address an entry carries, by what they show: the item itself first
    (titled by its headline), then each association (by its headline, name or uri); none once withdrawn."""
    if _withdrawn(entry):
        return []
    doc = entry.version.document
    groups = [(_headline(entry), doc.get("renditions"))]
    for n, association in enumerate(doc.get("associations") or [], start=1):
        if isinstance(association, dict):
            title = next((h.get("value") for h in association.get("headlines") or []
                          if isinstance(h, dict) and h.get("value")), None)
            groups.append((str(title or association.get("name") or association.get("uri") or f"association {n}"),
                           association.get("renditions")))
    return [(title, found) for title, entries in groups
            if (found := [r for r in entries or [] if isinstance(r, dict)
                          and str(r.get("href", "")).startswith(("https://", "http://"))])]


def media_renditions(entry: Entry) -> list[dict[str, Any]]:
    """Every rendition of :func:`media_groups`, in order (Atom enclosures, Media RSS)."""
    return [r for _, found in media_groups(entry) for r in found]


_PRIMARY = ("original", "original-nogps", "proxy", "preview")


def primary_rendition(entry: Entry) -> dict[str, Any] | None:
    """The one rendition RSS's single enclosure names: the original when offered, else the proxy or
    preview, else the first."""
    found = media_renditions(entry)
    ranked = sorted(found, key=lambda r: _PRIMARY.index(r["name"]) if r.get("name") in _PRIMARY else len(_PRIMARY))
    return ranked[0] if ranked else None


def document_type(entry: Entry, fmt: str) -> str:
    """The media type of an entry's item in a feed token's format ``fmt``: JSON; NewsML-G2's newsItem; or,
    for a text whose media the reader is offered, the newsMessage that carries its package (what
    items/render.render_newsml serves at the link; the Superdesk profile stays a single newsItem)."""
    if fmt == "newsml-g2" and not _withdrawn(entry) and entry.version.pubstatus != "canceled" \
            and carries_package(entry.version.document):
        return NEWSMESSAGE_TYPE
    return MEDIA_TYPES.get(fmt, "application/json")


def latest_position(conn: Connection) -> int:
    """The newest feed position on the hub (a live stream starts after it)."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(deliveries.c.position), 0))).scalar_one())


def entry_json(entry: Entry, fmt: Format = "ninjs3") -> dict[str, Any]:
    """A feed entry: event, cursor, credit line, and the item (only a notice once withdrawn)."""
    item = render(entry.record, entry.version, fmt, entry.received)
    if entry.withdrawn and entry.event != "item.withdrawn":
        item = notice(item)
    return {"event": entry.event, "cursor": encode_cursor(entry.position), "creditLine": entry.received.credit_line,
            "item": item}


def entry_bytes(entry: Entry, fmt: Format = "ninjs3") -> bytes:
    """:func:`entry_json` encoded as UTF-8 JSON. A ninjs 3.x entry with content is assembled around
    the stored document's JSON text, which is never decoded and encoded again (the hot path of
    feeds and streams); the same object either way (a test checks)."""
    if fmt != "ninjs3" or entry.withdrawn or entry.version.pubstatus == "canceled":
        return orjson.dumps(entry_json(entry, fmt))
    document = entry.version.document_json().strip().encode()
    if DAY_ONLY_FIRST_CREATED.search(document):  # a plain-text wire's day: written as a date-time by render
        return orjson.dumps(entry_json(entry, fmt))
    head = orjson.dumps({"event": entry.event, "cursor": encode_cursor(entry.position),
                         "creditLine": entry.received.credit_line,
                         "item": hub_fields(entry.record, entry.version, entry.received)})
    if document == b"{}":
        return head
    return b"".join((head[:-2], b",", document[1:], b"}"))


def page_bytes(entries: list[Entry], cursor: str, fmt: Format = "ninjs3",
               encode: Callable[[Entry, Format], bytes] = entry_bytes) -> bytes:
    """A changes-feed page, ``{"items": [...], "cursor": ...}``, as UTF-8 JSON; ``encode`` writes an entry
    (:func:`entry_bytes`, or a shared read's copy of it: delivery/live.py)."""
    return b"".join((b'{"items":[', b",".join(encode(e, fmt) for e in entries), b'],"cursor":',
                     orjson.dumps(cursor), b"}"))


def notice(item: dict[str, Any]) -> dict[str, Any]:
    """What stays of a withdrawn item: who, which, that it was withdrawn (``hub.withdrawn``: the hub's
    fields, so the rest stays valid ninjs); no content."""
    keep = ("id", "source", "hub", "received", "uri", "type", "version", "versionCreated", "versioncreated",
            "headlines", "language", "newsbridge", "guid", "headline")
    kept = {k: v for k, v in item.items() if k in keep}
    if "newsbridge" in kept:  # Superdesk's ninjs 1.x: the hub's fields are under "newsbridge"
        return {**kept, "pubstatus": "canceled", "newsbridge": {**kept["newsbridge"], "hub": {
            **kept["newsbridge"]["hub"], "withdrawn": True}}}
    return {**kept, "hub": {**kept["hub"], "withdrawn": True}}


def create_feed_token(conn: Connection, org: Organization, label: str = "", api_key_id: str | None = None,
                      fmt: str = "ninjs3", *, actor: str = "hub", address: str | None = None) -> str:
    """An unguessable token for the feed URLs (shown once, stored hashed). Minted with an API
    key (``api_key_id``), it lives no longer than that key; minted on the desk, until revoked.
    ``fmt`` (:data:`TOKEN_FORMATS`) is the format each entry's item link serves."""
    if fmt not in TOKEN_FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(TOKEN_FORMATS)}", field="format")
    raw, token_id = "nbf_" + secrets.token_urlsafe(24), new_id()
    conn.execute(feed_tokens.insert().values(id=token_id, organization_id=org.id, label=label,
                                             token_hash=hashlib.sha256(raw.encode()).hexdigest(), created_at=utcnow(),
                                             api_key_id=api_key_id, format=fmt))
    audit.record(conn, "feed_token.created", organization_id=org.id, actor=actor, target=token_id, address=address,
                 detail={"label": label, "format": fmt})
    return raw


def revoke_feed_token(conn: Connection, org: Organization, token_id: str, *, actor: str = "hub",
                      address: str | None = None) -> None:
    done = conn.execute(feed_tokens.update().where(feed_tokens.c.id == token_id, feed_tokens.c.organization_id == org.id,
                                                   feed_tokens.c.revoked_at.is_(None)).values(revoked_at=utcnow()))
    if done.rowcount == 0:
        raise NotFound(f"no feed token {token_id!r}", field="id")
    audit.record(conn, "feed_token.revoked", organization_id=org.id, actor=actor, target=token_id, address=address)


def _revoked_at() -> sa.ColumnElement[Any]:
    """When a token stopped working: revoked itself, or with the key that minted it (needs the outer
    join to api_keys; a token is never used past its key's revocation, even if the two disagree)."""
    return sa.func.coalesce(feed_tokens.c.revoked_at, api_keys.c.revoked_at)


def _with_key(query: sa.Select) -> sa.Select:
    return query.select_from(feed_tokens.outerjoin(api_keys, api_keys.c.id == feed_tokens.c.api_key_id))


def list_feed_tokens(conn: Connection, org: Organization) -> list[dict[str, Any]]:
    """The organization's tokens (never the tokens themselves), with the key that minted each, if any."""
    rows = conn.execute(_with_key(sa.select(feed_tokens.c.id, feed_tokens.c.label, feed_tokens.c.format,
                                            feed_tokens.c.created_at,
                                            feed_tokens.c.api_key_id, _revoked_at().label("revoked_at")))
                        .where(feed_tokens.c.organization_id == org.id).order_by(feed_tokens.c.created_at))
    return [{"id": r.id, "label": r.label, "format": r.format, "created_at": r.created_at.isoformat(),
             "api_key": f"nb_{r.api_key_id}" if r.api_key_id else None,
             "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None} for r in rows]


def token_owner(conn: Connection, raw: str) -> Organization:
    """The organization whose feed the token opens; NotFound for an unknown token, one revoked, or
    one minted with a key since revoked (all alike)."""
    return open_feed(conn, raw)[0]


def open_feed(conn: Connection, raw: str) -> tuple[Organization, str]:
    """The organization whose feed the token opens and the token's item format (see :func:`token_owner`)."""
    row = conn.execute(_with_key(sa.select(feed_tokens.c.organization_id, feed_tokens.c.format)).where(
        feed_tokens.c.token_hash == hashlib.sha256(raw.encode()).hexdigest(), _revoked_at().is_(None))
    ).first()
    if row is None:
        raise NotFound("no such feed", field="token")
    org = get_organization_by_id(conn, row.organization_id)
    refuse_if_suspended(conn, org)  # the feed stops while the hub operator suspends the organization
    return org, row.format


def _headline(entry: Entry) -> str:
    doc = entry.version.document
    return next((h.get("value") for h in doc.get("headlines", []) if h.get("value")), None) or entry.record.uri


def _withdrawn(entry: Entry) -> bool:
    return entry.withdrawn or entry.event == "item.withdrawn"


def _html_body(entry: Entry) -> str | None:
    """The entry's HTML body, sanitized again on the way out (a feed reader shows it as HTML)."""
    return safe_html(next((b.get("value") for b in entry.version.document.get("bodies", [])
                           if isinstance(b, dict) and is_html(b.get("contentType"))), None)) or None


def changed_at(entry: Entry) -> datetime:
    """When what the entry says last changed: a withdrawal, when the item was withdrawn (its newest change);
    a correction, when its version was made (the source's ``versionCreated``, else when the hub got it);
    a first publication, when it reached the recipient."""
    if _withdrawn(entry):
        return max(entry.record.updated_at, entry.received.available_from)
    if entry.event == "item.updated":
        created = entry.version.document.get("versionCreated")
        try:
            return datetime.fromisoformat(created) if isinstance(created, str) else entry.version.received_at
        except ValueError:
            return entry.version.received_at
    return entry.received.available_from


WITHDRAWN_SUMMARY = "Withdrawn by the source: do not publish it, and take down any republication."
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ATOM = "http://www.w3.org/2005/Atom"


def atom(entries: list[Entry], org: Organization, self_url: str, first_url: str, next_url: str | None,
         updated: datetime | None, item_url: str = "/api/v1/items/", document: tuple[str, str] | None = None) -> bytes:
    """An Atom (RFC 4287) page, newest first, with RFC 5005 paging links. Each entry says its language
    (``xml:lang``) and, for a correction or a withdrawal, the time of that change as ``updated``.
    ``document`` (a feed token's URL prefix of its items and its format) adds each entry's item link,
    with the media type :func:`document_type` gives."""
    feed = FeedGenerator()
    feed.id(f"urn:newsbridge:feed:{org.id}")
    feed.title(f"Newsbridge: received by {org.name}")
    feed.subtitle("Items partners delivered under exchange agreements")
    feed.link(href=self_url, rel="self")
    feed.link(href=first_url, rel="first")
    if next_url:
        feed.link(href=next_url, rel="next")
    feed.updated(updated or utcnow())
    feed.generator("Newsbridge")
    for entry in reversed(entries):  # feedgen prepends: add oldest first to list newest first
        item = feed.add_entry()
        item.id(f"urn:newsbridge:item:{entry.record.id}:{entry.version.version}")
        item.title(("[withdrawn] " if _withdrawn(entry) else "") + _headline(entry))
        item.updated(changed_at(entry))
        item.published(entry.received.available_from)
        item.author(name=entry.record.source.name)
        item.rights(f"{entry.received.credit_line}. {entry.received.usage_terms}".strip())
        item.category(term=entry.event)
        item.link(href=f"{item_url}{entry.record.id}", rel="alternate", type="application/json")
        if _withdrawn(entry):
            item.summary(WITHDRAWN_SUMMARY)
        elif html := _html_body(entry):
            item.content(html, type="html")
    root = etree.fromstring(feed.atom_str(pretty=True))
    # feedgen has no per-entry language, and (1.0) drops an entry link's rel and type: both set here,
    # entry by entry in the order written (newest first)
    for element, entry in zip(root.iterfind(f"{{{_ATOM}}}entry"), entries):
        if language := entry.version.document.get("language"):
            element.set(_XML_LANG, language)
        for link in element.iterfind(f"{{{_ATOM}}}link"):  # feedgen's only link: the item's API address
            link.attrib.update({"rel": "alternate", "type": "application/json"})
        if document:  # the item in the token's format, opened by the token itself (no API key)
            etree.SubElement(element, f"{{{_ATOM}}}link", href=f"{document[0]}{entry.record.id}", rel="related",
                             type=document_type(entry, document[1]))
        for rendition in media_renditions(entry):  # RFC 4287 4.2.7.2: the media, signed for the reader
            attributes = {"href": rendition["href"], "rel": "enclosure",
                          "type": rendition.get("contentType") or "application/octet-stream"}
            if rendition.get("sizeInBytes"):
                attributes["length"] = str(rendition["sizeInBytes"])
            if rendition.get("name"):
                attributes["title"] = rendition["name"]
            etree.SubElement(element, f"{{{_ATOM}}}link", attributes)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def rss(entries: list[Entry], org: Organization, self_url: str, home_url: str, item_url: str,
        document: tuple[str, str] | None = None) -> bytes:
    """An RSS 2.0 page, newest first, for partners whose systems read only RSS: per delivery a ``guid``
    (not a permalink: the item and version), ``link`` to the item on the desk, ``pubDate`` (the change
    time, as Atom's ``updated``), the HTML body as ``description`` (a withdrawal: the notice), the event
    as ``category``; the source as ``dc:creator`` (RSS's ``author`` must be an e-mail address), credit
    line and usage terms as ``dc:rights``, the language as ``dc:language``; its media (signed for the
    reader) as Media RSS ``media:content`` and, RSS having one enclosure per item, the original (else
    the proxy or preview) as ``enclosure``; an item without media has the item in the token's format
    there."""
    feed = FeedGenerator()
    feed.load_extension("dc")
    feed.load_extension("media")
    feed.title(f"Newsbridge: received by {org.name}")
    feed.description("Items partners delivered under exchange agreements")
    feed.link(href=home_url, rel="alternate")
    feed.link(href=self_url, rel="self")
    feed.generator("Newsbridge")
    feed.lastBuildDate(entries[0].received.available_from if entries else utcnow())
    for entry in reversed(entries):
        item = feed.add_entry()
        item.guid(f"urn:newsbridge:item:{entry.record.id}:{entry.version.version}", permalink=False)
        item.title(("[withdrawn] " if _withdrawn(entry) else "") + _headline(entry))
        item.link(href=f"{item_url}{entry.record.id}")
        item.pubDate(changed_at(entry))
        item.category(term=entry.event)
        item.dc.dc_creator(entry.record.source.name)
        item.dc.dc_rights(f"{entry.received.credit_line}. {entry.received.usage_terms}".strip())
        if language := entry.version.document.get("language"):
            item.dc.dc_language(language)
        item.description(WITHDRAWN_SUMMARY if _withdrawn(entry) else (_html_body(entry) or _headline(entry)))
        for rendition in media_renditions(entry):  # every rendition in Media RSS, the enclosure's first
            item.media.content(_media_rss(rendition, rendition is primary_rendition(entry)), group=None)
        # RSS has one enclosure per item: the media when the item carries some, else the item's document
        if media := primary_rendition(entry):
            item.enclosure(url=media["href"], length=str(media.get("sizeInBytes") or 0),
                           type=media.get("contentType") or "application/octet-stream")
        elif document:
            item.enclosure(url=f"{document[0]}{entry.record.id}", length="0", type=document_type(entry, document[1]))
    return feed.rss_str(pretty=True)


def jsonfeed(entries: list[Entry], org: Organization, feed_url: str, next_url: str | None,
             home_url: str | None = None, item_url: str | None = None) -> bytes:
    """A JSON Feed 1.1 page of what the recipient received, newest first (withdrawn: a notice). An item's
    ``id`` is the same for every version (JSON Feed: it SHOULD NOT change), the version is in the
    ``_newsbridge`` extension; ``url`` is the item's page on the desk (``item_url`` + id)."""
    items = []
    for entry in entries:
        item = item_from_ninjs(clean_html_fields(render_ninjs3_notice(entry), lambda markup, _path: safe_html(markup)))
        items.append(replace(item, uri=f"urn:newsbridge:item:{entry.record.id}",
                             body_html=safe_html(item.body_html) or None))  # content_html: sanitized again
    body = json.loads(to_jsonfeed(items, title=f"Newsbridge: received by {org.name}", feed_url=feed_url,
                                  home_page_url=home_url))
    for out, entry in zip(body["items"], entries):
        if item_url:
            out["url"] = f"{item_url}{entry.record.id}"
        extension = out.setdefault("_newsbridge", {})
        extension.pop("version", None)  # the source's version string: the hub's number below is the one
        extension.update({"version": entry.version.version, "event": entry.event})
        if _withdrawn(entry):
            extension["withdrawn"] = True
        # JSON Feed: attachments with the same title are representations of one thing (one media)
        attachments = [_attachment(r, title) for title, found in media_groups(entry) for r in found]
        if attachments:
            out["attachments"] = attachments
    if next_url:
        body["next_url"] = next_url
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _media_rss(rendition: dict[str, Any], default: bool) -> dict[str, str]:
    """A Media RSS ``media:content`` of a rendition (every value as text, as feedgen writes it)."""
    kind = str(rendition.get("contentType") or "").split("/")[0]
    out = {"url": rendition["href"], "type": rendition.get("contentType") or "application/octet-stream",
           "medium": kind if kind in ("image", "video", "audio") else "document",
           "isDefault": "true" if default else "false"}
    for key, name in (("sizeInBytes", "fileSize"), ("width", "width"), ("height", "height")):
        if rendition.get(key):
            out[name] = str(rendition[key])
    if rendition.get("duration"):
        out["duration"] = str(round(rendition["duration"]))
    return out


def _attachment(rendition: dict[str, Any], title: str) -> dict[str, Any]:
    """A JSON Feed 1.1 attachment of a rendition; ``title`` names what it shows, shared by the
    renditions of one media (the spec's alternate representations); the rendition's own name
    (original, proxy...) in the ``_newsbridge`` extension."""
    out: dict[str, Any] = {"url": rendition["href"],
                           "mime_type": rendition.get("contentType") or "application/octet-stream", "title": title}
    if rendition.get("name"):
        out["_newsbridge"] = {"rendition": rendition["name"]}
    if rendition.get("sizeInBytes"):
        out["size_in_bytes"] = rendition["sizeInBytes"]
    if rendition.get("duration"):
        out["duration_in_seconds"] = rendition["duration"]
    return out


def render_ninjs3_notice(entry: Entry) -> dict[str, Any]:
    """The entry's ninjs 3.x document, reduced to a notice when the item has been withdrawn."""
    doc = dict(entry.version.document)
    if entry.withdrawn or entry.event == "item.withdrawn":
        doc = {k: v for k, v in doc.items() if k in NOTICE_KEYS}
    return doc
