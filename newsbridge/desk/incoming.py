"""The incoming desk: what partners delivered, filtered, searched, with read and pickup state.

Every filter and the search run in the database over the whole received history (the search
through the full-text index, see items/search.py), so an old story is as findable as today's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member
from newsbridge.accounts.organizations import Organization
from newsbridge.db.planning import plan_each_time
from newsbridge.db.tables import (COUNTED_PICKUP, deliveries, item_reads, item_versions, items, organizations, pickups,
                                  version_topics)
from newsbridge.ids import utcnow
from newsbridge.items.inbox_counts import inbox_total, unread_by_source
from newsbridge.items.queries import InboxCursor, ItemRecord, Received, inbox_page, viewer_ids
from newsbridge.desk.matches import SearchFilters
from newsbridge.desk.search import count_matches, counted, hits, page as search_page, plan as search_plan
from newsbridge.items.withdrawal import notice_only
from newsbridge.search.query import Query, parse
from newsbridge.vocab.mediatopics import subject_qcode, vocabulary

STATUSES = ("new", "read", "picked", "withdrawn")
SNIPPET_CHARS = 220


def first_paragraph(document: dict[str, Any], limit: int = SNIPPET_CHARS) -> str:
    """The first non-empty paragraph of a ninjs document's plain text, at most ``limit`` characters
    (cut at a word, with an ellipsis); the headline repeated as the first line is skipped."""
    text = next((b.get("value") or "" for b in document.get("bodies", [])
                 if isinstance(b, dict) and b.get("contentType") == "text/plain"), "")
    headline = next((h.get("value") for h in document.get("headlines", []) if h.get("value")), None)
    paragraph = next((p.strip() for p in text.split("\n") if p.strip() and p.strip() != headline), "")
    if len(paragraph) <= limit:
        return paragraph
    cut = paragraph[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:—-")
    return cut + "…"


@dataclass(frozen=True)
class Filters:
    partner: str | None = None  # source slug
    topic: str | None = None  # Media Topic qcode (covers narrower topics)
    language: str | None = None
    status: str | None = None  # new | read | picked | withdrawn
    q: str | None = None  # words that must all appear in the headline or text
    since: date | None = None  # arrived on or after this day (in the member's zone)
    until: date | None = None  # arrived on or before this day (in the member's zone)

    def any(self) -> bool:
        return any((self.partner, self.topic, self.language, self.status, self.q, self.since, self.until))


# One state per row, by precedence: a withdrawal outranks everything (loudest when we picked the
# item up: a republication must come down), a correction of an item already read outranks "new",
# and "new" outranks "picked up" and "read".
STATES = ("withdrawn_picked", "withdrawn", "updated", "new", "picked", "read")


@dataclass(frozen=True)
class Row:
    record: ItemRecord
    received: Received
    headline: str
    language: str | None
    topics: list[tuple[str, str]]  # (qcode, label)
    read: bool  # the member read the version they see now
    picked: bool
    withdrawn: bool
    read_version: int | None = None  # the newest version the member read, if any

    @property
    def snippet(self) -> str:
        """The first paragraph of the text, cut at a word near :data:`SNIPPET_CHARS` (none for a
        withdrawn item: its notice carries no text)."""
        return first_paragraph(self.record.latest.document)

    @property
    def updated(self) -> bool:
        """Read before, and a newer version (a correction) arrived since."""
        return self.read_version is not None and not self.read

    @property
    def state(self) -> str:
        if self.withdrawn:
            return "withdrawn_picked" if self.picked else "withdrawn"
        if self.updated:
            return "updated"
        if not self.read:
            return "new"
        return "picked" if self.picked else "read"


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int  # entries matching the filters (see total_is_lower_bound)
    next_cursor: InboxCursor | None  # none: the last page
    # a broad search's total counts the newest desk.search.COUNTED index hits only ("1,000+"), as the API's;
    # without a search, the newest items/inbox_counts.COUNTED_ENTRIES entries ("1,000+")
    total_is_lower_bound: bool = False


def _read_version(member: Member, item_id: sa.ColumnElement[Any], version: sa.ColumnElement[Any]) \
        -> sa.ColumnElement[bool]:
    """The member read this version of the item or a later one."""
    return _read_by(member.id, item_id, version)


def _read_by(member_id: str, item_id: sa.ColumnElement[Any], version: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.exists().where(item_reads.c.member_id == member_id, item_reads.c.item_id == item_id,
                             sa.func.coalesce(item_reads.c.version, 0) >= version)


def _picked_by(org: Organization) -> sa.Select:
    return sa.select(pickups.c.item_id).where(pickups.c.organization_id == org.id, COUNTED_PICKUP)  # not dismissed


def _day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def conditions(conn: Connection, org: Organization, member: Member, filters: Filters,
               zone: tzinfo = ZoneInfo("UTC")) -> list[sa.ColumnElement[bool]]:
    """The filters but search as conditions on the version the member sees (see items.queries.inbox)."""
    where: list[sa.ColumnElement[bool]] = []
    if filters.partner:
        where.append(organizations.c.slug == filters.partner)
    if filters.language:
        where.append(sa.or_(item_versions.c.language == filters.language,
                            item_versions.c.language.like(filters.language + "-%")))
    if filters.topic:
        where.append(sa.exists().where(version_topics.c.item_id == items.c.id,
                                       version_topics.c.version == item_versions.c.version,
                                       version_topics.c.qcode == filters.topic))
    seen_read = _read_version(member, items.c.id, item_versions.c.version)
    status = {"new": sa.not_(seen_read), "read": seen_read,
              "picked": items.c.id.in_(_picked_by(org)),
              "withdrawn": notice_only(viewer_ids(org), utcnow(), owner=org.id)}
    if filters.status in status:
        where.append(status[filters.status])
    if filters.since:
        where.append(deliveries.c.available_from >= _day_start(filters.since, zone))
    if filters.until:
        where.append(deliveries.c.available_from < _day_start(filters.until + timedelta(days=1), zone))
    return where


def _search_filters(filters: Filters, zone: tzinfo) -> SearchFilters:
    """The filters but status and search as the search's (their dates as the times the days start)."""
    return SearchFilters(partner=filters.partner, language=filters.language, topic=filters.topic,
                         since=_day_start(filters.since, zone) if filters.since else None,
                         until=_day_start(filters.until + timedelta(days=1), zone) if filters.until else None)


def incoming(conn: Connection, org: Organization, member: Member, filters: Filters, limit: int = 100,
             zone: tzinfo = ZoneInfo("UTC"), before: InboxCursor | None = None) -> Page:
    """A page of received items matching ``filters``, newest arrival first, from the cursor ``before``,
    with how many match in all."""
    # On PostgreSQL each statement is planned for its own parameters, as the search API's are: the page's kept
    # statement, prepared by psycopg from its 5th run on a connection, got a generic plan from about its 10th,
    # and the first page of a desk at 20,000 items went from 27 to 870-1,140 ms (bench/desk_page.py)
    plan_each_time(conn)
    # Search: items of which the member's organization received a version holding every word, read
    # and counted as GET /api/v1/search reads them (a broad query walks the inbox, its total counted
    # over the newest COUNTED index hits at most)
    query = parse(filters.q)
    if filters.status is None:  # the search API's kept statements (desk/search.py): the same page and total
        return _page(conn, org, member, *_kept_reading(conn, org, _search_filters(filters, zone), query, limit,
                                                       before))
    where = conditions(conn, org, member, filters, zone)
    found = search_plan(conn, org, query) if query else None
    if query and found is None:
        return Page([], 0, None)
    entries, next_cursor = inbox_page(conn, org, before=before, limit=limit,
                                      where=[*where, *(found.where if found else [])],
                                      among=found.among if found else None, chosen=found.chosen if found else None)
    if found:
        total, capped = count_matches(conn, org, found.counted, where), found.capped
    else:  # counted over the newest entries at most (items/inbox_counts.py): "1,000+"
        total, capped = inbox_total(conn, org, where=where)
    return _page(conn, org, member, entries, next_cursor, total, capped)


def _kept_reading(conn: Connection, org: Organization, filters: SearchFilters, query: Query, limit: int,
                  before: InboxCursor | None) \
        -> tuple[list[tuple[ItemRecord, Received]], InboxCursor | None, int, bool]:
    """The entries, next cursor, total and whether it is a lower bound, as the search API reads
    them without facets (desk/search.py: its page and :func:`~newsbridge.desk.search.counted`)."""
    found = hits(conn, query) if query else None
    if found is not None and not found.ids:
        return [], None, 0, False
    entries, next_cursor = search_page(conn, org, filters, query, found, limit, before)
    return (entries, next_cursor, *counted(conn, org, filters, found))


def _page(conn: Connection, org: Organization, member: Member, entries: list[tuple[ItemRecord, Received]],
          next_cursor: InboxCursor | None, total: int, capped: bool) -> Page:
    """The desk's rows of ``entries``: each with its headline, topics and the member's read and picked state."""
    ids = [record.id for record, _ in entries]
    read = dict(conn.execute(sa.select(item_reads.c.item_id, sa.func.coalesce(item_reads.c.version, 0))
                             .where(item_reads.c.member_id == member.id, item_reads.c.item_id.in_(ids))).all())
    picked = set(conn.execute(_picked_by(org).where(pickups.c.item_id.in_(ids))).scalars())
    labels = vocabulary()
    rows = []
    for record, how in entries:
        doc: dict[str, Any] = record.latest.document
        headline = next((h.get("value") for h in doc.get("headlines", []) if h.get("value")), record.uri)
        topics = [(q, labels[q].label) for q in (subject_qcode(s) for s in doc.get("subjects", [])) if q in labels]
        read_version = read.get(record.id)
        rows.append(Row(record, how, headline, doc.get("language"), topics,
                        read_version is not None and read_version >= record.latest.version, record.id in picked,
                        record.latest.pubstatus == "canceled" or record.latest.notice_only, read_version))
    return Page(rows, total, next_cursor, capped)


def unread_by_partner(conn: Connection, org: Organization, member: Member) -> tuple[list[tuple[str, str, int]], bool]:
    """(slug, name, count) of received items the member has not read in the version they see now,
    per source, among the newest entries (the desk's "new" filter lists them), and whether there
    were more entries (the counts are then lower bounds: items/inbox_counts.py)."""
    return unread_by_source(conn, org, member.id, _read_by)
