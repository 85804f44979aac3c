"""Pull feeds: the JSON changes feed (cursor), Atom per recipient (token), and feed tokens.

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
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from feedgen.feed import FeedGenerator
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization, get_organization_by_id
from newsbridge.db.tables import api_keys, deliveries, feed_tokens
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow
from newsbridge.items.queries import Delivered, ItemRecord, ItemVersion, Received, delivered_after, delivered_to
from newsbridge.formats.feeds import to_jsonfeed
from newsbridge.formats.markup import clean_html_fields, is_html, safe_html
from newsbridge.formats.ninjs import item_from_ninjs
from newsbridge.items.render import NOTICE_KEYS, Format, hub_fields, render

MAX_PAGE = 500
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
    head = orjson.dumps({"event": entry.event, "cursor": encode_cursor(entry.position),
                         "creditLine": entry.received.credit_line,
                         "item": hub_fields(entry.record, entry.version, entry.received)})
    if document == b"{}":
        return head
    return b"".join((head[:-2], b",", document[1:], b"}"))


def page_bytes(entries: list[Entry], cursor: str, fmt: Format = "ninjs3") -> bytes:
    """A changes-feed page, ``{"items": [...], "cursor": ...}``, as UTF-8 JSON."""
    return b"".join((b'{"items":[', b",".join(entry_bytes(e, fmt) for e in entries), b'],"cursor":',
                     orjson.dumps(cursor), b"}"))


def notice(item: dict[str, Any]) -> dict[str, Any]:
    """What stays of a withdrawn item: who, which, that it was withdrawn; no content."""
    keep = ("id", "source", "hub", "received", "uri", "type", "version", "versionCreated", "versioncreated",
            "headlines")
    return {**{k: v for k, v in item.items() if k in keep}, "withdrawn": True}


def create_feed_token(conn: Connection, org: Organization, label: str = "", api_key_id: str | None = None) -> str:
    """An unguessable token for an Atom feed URL (shown once, stored hashed). Minted with an API
    key (``api_key_id``), it lives no longer than that key; minted on the desk, until revoked."""
    raw = "nbf_" + secrets.token_urlsafe(24)
    conn.execute(feed_tokens.insert().values(id=new_id(), organization_id=org.id, label=label,
                                             token_hash=hashlib.sha256(raw.encode()).hexdigest(), created_at=utcnow(),
                                             api_key_id=api_key_id))
    return raw


def revoke_feed_token(conn: Connection, org: Organization, token_id: str) -> None:
    done = conn.execute(feed_tokens.update().where(feed_tokens.c.id == token_id, feed_tokens.c.organization_id == org.id,
                                                   feed_tokens.c.revoked_at.is_(None)).values(revoked_at=utcnow()))
    if done.rowcount == 0:
        raise NotFound(f"no feed token {token_id!r}", field="id")


def _revoked_at() -> sa.ColumnElement[Any]:
    """When a token stopped working: revoked itself, or with the key that minted it (needs the outer
    join to api_keys; a token is never used past its key's revocation, even if the two disagree)."""
    return sa.func.coalesce(feed_tokens.c.revoked_at, api_keys.c.revoked_at)


def _with_key(query: sa.Select) -> sa.Select:
    return query.select_from(feed_tokens.outerjoin(api_keys, api_keys.c.id == feed_tokens.c.api_key_id))


def list_feed_tokens(conn: Connection, org: Organization) -> list[dict[str, Any]]:
    """The organization's tokens (never the tokens themselves), with the key that minted each, if any."""
    rows = conn.execute(_with_key(sa.select(feed_tokens.c.id, feed_tokens.c.label, feed_tokens.c.created_at,
                                            feed_tokens.c.api_key_id, _revoked_at().label("revoked_at")))
                        .where(feed_tokens.c.organization_id == org.id).order_by(feed_tokens.c.created_at))
    return [{"id": r.id, "label": r.label, "created_at": r.created_at.isoformat(),
             "api_key": f"nb_{r.api_key_id}" if r.api_key_id else None,
             "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None} for r in rows]


def token_owner(conn: Connection, raw: str) -> Organization:
    """The organization whose feed the token opens; NotFound for an unknown token, one revoked, or
    one minted with a key since revoked (all alike)."""
    row = conn.execute(_with_key(sa.select(feed_tokens.c.organization_id)).where(
        feed_tokens.c.token_hash == hashlib.sha256(raw.encode()).hexdigest(), _revoked_at().is_(None))
    ).first()
    if row is None:
        raise NotFound("no such feed", field="token")
    return get_organization_by_id(conn, row.organization_id)


def atom(entries: list[Entry], org: Organization, self_url: str, first_url: str, next_url: str | None,
         updated: datetime | None, item_url: str = "/api/v1/items/") -> bytes:
    """An Atom (RFC 4287) page, newest first, with RFC 5005 paging links."""
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
        doc = entry.version.document
        headline = next((h.get("value") for h in doc.get("headlines", []) if h.get("value")), None) or entry.record.uri
        item = feed.add_entry()
        item.id(f"urn:newsbridge:item:{entry.record.id}:{entry.version.version}")
        item.title(("[withdrawn] " if entry.withdrawn or entry.event == "item.withdrawn" else "") + headline)
        item.updated(entry.received.available_from)
        item.published(entry.received.available_from)
        item.author(name=entry.record.source.name)
        item.rights(f"{entry.received.credit_line}. {entry.received.usage_terms}".strip())
        item.category(term=entry.event)
        item.link(href=f"{item_url}{entry.record.id}", rel="alternate", type="application/json")
        if entry.withdrawn or entry.event == "item.withdrawn":
            item.summary("Withdrawn by the source: do not publish it, and take down any republication.")
        else:
            # sanitized again on the way out: a feed reader shows it as HTML, whatever was stored
            html = safe_html(next((b.get("value") for b in doc.get("bodies", [])
                                   if isinstance(b, dict) and is_html(b.get("contentType"))), None))
            if html:
                item.content(html, type="html")
    return feed.atom_str(pretty=True)


def jsonfeed(entries: list[Entry], org: Organization, feed_url: str, next_url: str | None) -> bytes:
    """A JSON Feed 1.1 page of what the recipient received, newest first (withdrawn: a notice)."""
    items = []
    for entry in entries:
        item = item_from_ninjs(clean_html_fields(render_ninjs3_notice(entry), lambda markup, _path: safe_html(markup)))
        items.append(replace(item, uri=f"urn:newsbridge:item:{entry.record.id}:{entry.version.version}",
                             body_html=safe_html(item.body_html) or None))  # content_html: sanitized again
    body = json.loads(to_jsonfeed(items, title=f"Newsbridge: received by {org.name}", feed_url=feed_url))
    if next_url:
        body["next_url"] = next_url
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def render_ninjs3_notice(entry: Entry) -> dict[str, Any]:
    """The entry's ninjs 3.x document, reduced to a notice when the item has been withdrawn."""
    doc = dict(entry.version.document)
    if entry.withdrawn or entry.event == "item.withdrawn":
        doc = {k: v for k, v in doc.items() if k in NOTICE_KEYS}
    return doc
