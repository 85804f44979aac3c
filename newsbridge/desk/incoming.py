"""The incoming desk: what partners delivered, filtered, searched, with read and pickup state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member
from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import item_reads, pickups
from newsbridge.ingest.text import normalize_persian
from newsbridge.items.queries import ItemRecord, Received, inbox
from newsbridge.vocab.mediatopics import item_topics, subject_qcode, vocabulary

WINDOW = 500


@dataclass(frozen=True)
class Filters:
    partner: str | None = None  # source slug
    topic: str | None = None  # Media Topic qcode (covers narrower topics)
    language: str | None = None
    status: str | None = None  # new | read | picked | withdrawn
    q: str | None = None


@dataclass(frozen=True)
class Row:
    record: ItemRecord
    received: Received
    headline: str
    language: str | None
    topics: list[tuple[str, str]]  # (qcode, label)
    read: bool
    picked: bool
    withdrawn: bool


def _text(doc: dict[str, Any]) -> str:
    parts = [h.get("value", "") for h in doc.get("headlines", [])]
    parts += [b.get("value", "") for b in doc.get("bodies", []) if b.get("contentType") == "text/plain"]
    return normalize_persian(" ".join(parts)).casefold()


def incoming(conn: Connection, org: Organization, member: Member, filters: Filters, limit: int = 100) -> list[Row]:
    """Received items, newest first, narrowed by ``filters``; search matches headline and text."""
    entries = inbox(conn, org, limit=WINDOW)
    ids = [record.id for record, _ in entries]
    read = set(conn.execute(sa.select(item_reads.c.item_id).where(item_reads.c.member_id == member.id,
                                                                  item_reads.c.item_id.in_(ids))).scalars())
    picked = set(conn.execute(sa.select(pickups.c.item_id).where(pickups.c.organization_id == org.id,
                                                                 pickups.c.item_id.in_(ids))).scalars())
    words = normalize_persian(filters.q or "").casefold().split()
    labels = vocabulary()
    rows = []
    for record, how in entries:
        doc = record.latest.document
        subjects = doc.get("subjects", [])
        language = doc.get("language")
        row = Row(record, how, next((h.get("value") for h in doc.get("headlines", []) if h.get("value")), record.uri),
                  language, [(q, labels[q].label) for q in (subject_qcode(s) for s in subjects) if q in labels],
                  record.id in read, record.id in picked, record.latest.pubstatus == "canceled")
        if filters.partner and record.source.slug != filters.partner:
            continue
        if filters.language and (language or "").split("-")[0] != filters.language:
            continue
        if filters.topic and filters.topic not in item_topics(subjects):
            continue
        if filters.status and not {"new": not row.read, "read": row.read, "picked": row.picked,
                                   "withdrawn": row.withdrawn}.get(filters.status, True):
            continue
        if words and not all(w in _text(doc) for w in words):
            continue
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows


def unread_by_partner(rows: list[Row]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        if not row.read:
            counts[row.record.source.slug] = counts.get(row.record.source.slug, 0) + 1
    return counts


def newest_arrival(rows: list[Row]) -> datetime | None:
    return max((r.received.available_from for r in rows), default=None)
