"""Reading items back, with the one access rule every reader goes through.

An organization sees an item when it is the item's source, or when a delivery of it to the organization
(or to the holding it belongs to) exists and is available (embargo and delay passed). A recipient sees the
newest version delivered to it, never a later one. Anything else is answered exactly like an id that does
not exist: 404, so ids reveal nothing.

Once an item is withdrawn, a recipient sees only the withdrawal notice of *every* version:
``items.withdrawal.notice_only`` decides, in the query that reads the version, and the version's
``document`` is then the notice, so no channel that reads through here can show withdrawn content. The
source keeps seeing its own content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.planning import plan_each_time, unindexed
from newsbridge.db.project_tables import projects
from newsbridge.db.tables import agreements, deliveries, item_versions, items, organizations
from newsbridge.errors import NotFound
from newsbridge.ids import utcnow
from newsbridge.items.records import ItemRecord, ItemVersion, Received, SourceRef
from newsbridge.items.withdrawal import notice_only

MAX_LIMIT = 500


_SOURCE = (organizations.c.slug, organizations.c.name, organizations.c.credit_name)
_VERSION = (item_versions.c.version, item_versions.c.pubstatus, item_versions.c.language_source,
            item_versions.c.language_confidence, item_versions.c.received_at, item_versions.c.document)


def viewer_ids(viewer: Organization) -> tuple[str, ...]:
    """The organizations whose deliveries the viewer reads: itself and its holding."""
    return (viewer.id, viewer.parent_id) if viewer.parent_id else (viewer.id,)


def viewer_values(viewer: Organization) -> tuple[sa.BindParameter[str], ...]:
    """:func:`viewer_ids` for ``IN``, one bound value each: a list of plain values is an expanding
    parameter, which SQLAlchemy writes into the SQL again on every run (~50 µs a statement, a
    fifth of a rare word's search). The SQL the database gets is the same."""
    return tuple(sa.literal(organization_id, sa.String) for organization_id in viewer_ids(viewer))


def _record(row: sa.Row) -> ItemRecord:
    """The item record of a row whose first columns are the items columns, _SOURCE, _VERSION and
    :func:`notice_only` (every query here starts so; positional: this runs for every row of every feed page)."""
    (item_id, uri, org_id, created_at, updated_at, slug, name, credit_name, version, pubstatus, language_source,
     language_confidence, received_at, document, hidden) = row[:15]
    return ItemRecord(item_id, uri, SourceRef(org_id, slug, name, credit_name),
                      ItemVersion(item_id, version, pubstatus, language_source, language_confidence, received_at,
                                  document, bool(hidden)), created_at, updated_at)


def _available(viewer: Organization, now: datetime, *, by_item: bool = False) -> sa.ColumnElement[bool]:
    """``by_item``: the item's deliveries looked up by item (:func:`unindexed`), not among the viewer's."""
    recipient = unindexed(deliveries.c.recipient_id) if by_item else deliveries.c.recipient_id
    return sa.and_(recipient.in_(viewer_values(viewer)), deliveries.c.available_from <= now)


def _notice_for(viewer: Organization, now: datetime) -> sa.ColumnElement[bool]:
    return notice_only(viewer_values(viewer), now, owner=viewer.id)


def _hidden(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """:func:`notice_only` as the column that follows _VERSION in a row (see _record)."""
    return condition.label("notice_only")


def _seen_version(viewer: Organization, now: datetime) -> sa.ColumnElement[Any]:
    """The version of each item row the viewer sees: the newest for the source, else the newest delivered."""
    delivered = (sa.select(sa.func.max(deliveries.c.version))
                 .where(deliveries.c.item_id == items.c.id, _available(viewer, now, by_item=True)).scalar_subquery())
    return sa.case((items.c.organization_id == viewer.id, items.c.latest_version), else_=delivered)


def _query(viewer: Organization, now: datetime, *, own: bool = False) -> sa.Select:
    """``own``: the viewer's own items, each its newest version (by _seen_version's CASE: all read, 57 ms a page)."""
    version = items.c.latest_version if own else _seen_version(viewer, now)
    query = (sa.select(items.c.id, items.c.uri, items.c.organization_id, items.c.created_at, items.c.updated_at,
                       *_SOURCE, *_VERSION, _hidden(_notice_for(viewer, now)))
             .join(organizations, organizations.c.id == items.c.organization_id)
             .join(item_versions, sa.and_(item_versions.c.item_id == items.c.id, item_versions.c.version == version)))
    return query.where(items.c.organization_id == viewer.id) if own else query


def get_item(conn: Connection, viewer: Organization, item_id: str, now: datetime | None = None) -> ItemRecord:
    """The newest version of an item the viewer may see; NotFound otherwise."""
    row = conn.execute(_query(viewer, now or utcnow()).where(items.c.id == item_id)).first()
    if row is None:
        raise NotFound(f"no item {item_id!r}", field="id")
    return _record(row)


def get_items(conn: Connection, viewer: Organization, item_ids: Sequence[str], now: datetime) -> dict[str, ItemRecord]:
    """:func:`get_item` of each of these items in one statement; those the viewer may not see are left out."""
    rows = conn.execute(_query(viewer, now).where(items.c.id.in_(list(item_ids)))) if item_ids else []
    return {row[0]: _record(row) for row in rows}


def list_versions(conn: Connection, viewer: Organization, item_id: str) -> list[ItemVersion]:
    """Every version of a visible item the viewer may see, oldest first (of a withdrawn item, a
    recipient gets the notice of each)."""
    now = utcnow()
    record = get_item(conn, viewer, item_id, now)
    query = (sa.select(item_versions.c.item_id, *_VERSION, _hidden(_notice_for(viewer, now)))
             .join(items, items.c.id == item_versions.c.item_id).where(item_versions.c.item_id == item_id))
    if record.source.id != viewer.id:
        seen = sa.select(deliveries.c.version).where(deliveries.c.item_id == item_id,
                                                     _available(viewer, now, by_item=True))
        query = query.where(item_versions.c.version.in_(seen))
    return [ItemVersion(*row[:-1], bool(row[-1])) for row in conn.execute(query.order_by(item_versions.c.version))]


def _own_matching(among: sa.Select) -> sa.ColumnElement[bool]:
    """Own items whose newest version is among the (item id, version) pairs ``among`` (search hits)."""
    return sa.tuple_(items.c.id, items.c.latest_version).in_(among)


def list_own_items(conn: Connection, viewer: Organization, *, since: datetime | None = None, limit: int = 50,
                   before: tuple[datetime, str] | None = None, among: sa.Select | None = None) -> list[ItemRecord]:
    """The organization's own items changed after ``since``, newest change first; ``before`` (the
    (updated_at, id) of the last item of a page) continues from there; ``among`` (search hits,
    items.search.matching_versions) keeps the items whose newest version matches."""
    query = _query(viewer, utcnow(), own=True)
    if among is not None:
        query = query.where(_own_matching(among))
    if since is not None:
        query = query.where(items.c.updated_at > since)
    if before is not None:
        query = query.where(sa.or_(items.c.updated_at < before[0],
                                   sa.and_(items.c.updated_at == before[0], items.c.id < before[1])))
    query = query.order_by(items.c.updated_at.desc(), items.c.id.desc()).limit(max(1, min(limit, MAX_LIMIT)))
    return [_record(row) for row in conn.execute(query)]


def count_own_items(conn: Connection, viewer: Organization, among: sa.Select | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(items).where(items.c.organization_id == viewer.id)
    if among is not None:
        query = query.where(_own_matching(among))
    return int(conn.execute(query).scalar_one())


_RECEIVED = (deliveries.c.agreement_id, agreements.c.title.label("agreement_title"), deliveries.c.reason,
             deliveries.c.credit_line, deliveries.c.usage_terms, deliveries.c.available_from,
             deliveries.c.project_id, projects.c.title.label("project_title"))
_TERMS = len(_RECEIVED)


def _terms_joins(query: sa.Select) -> sa.Select:
    """``query`` (which has deliveries) joined to the agreement and joint project of each delivery: outer
    joins, a co-producer's delivery may have no agreement (projects/publication.py)."""
    return (query.outerjoin(agreements, agreements.c.id == deliveries.c.agreement_id)
            .outerjoin(projects, projects.c.id == deliveries.c.project_id))


def _received_query(viewer: Organization, now: datetime, item_id: str) -> sa.Select:
    """The item with the delivery of its newest version the viewer may see (of its deliveries only: SQLite
    grouped every delivery of the viewer's first, 38 ms an item at 100,000; bench/generic_plans.py --auto-only)."""
    newest = (sa.select(deliveries.c.item_id, sa.func.max(deliveries.c.version).label("version"))
              .where(deliveries.c.item_id == item_id, _available(viewer, now, by_item=True))
              .group_by(deliveries.c.item_id).subquery())
    return _terms_joins(
        sa.select(items.c.id, items.c.uri, items.c.organization_id, items.c.created_at, items.c.updated_at,
                  *_SOURCE, *_VERSION, *_RECEIVED)
        .join(newest, newest.c.item_id == items.c.id)
        .join(item_versions, sa.and_(item_versions.c.item_id == items.c.id,
                                     item_versions.c.version == newest.c.version))
        .join(deliveries, sa.and_(deliveries.c.item_id == items.c.id, deliveries.c.version == newest.c.version,
                                  deliveries.c.recipient_id.in_(viewer_ids(viewer))))
        .join(organizations, organizations.c.id == items.c.organization_id).where(items.c.id == item_id))


def _received(row: sa.Row) -> Received:
    """The delivery terms of a row that ends with the columns of _RECEIVED."""
    return Received(*row[-_TERMS:])


def _delivery_joins(query: sa.Select, agreement: bool = True) -> sa.Select:
    """``query`` (which has deliveries) joined to each delivery's item, version, source, agreement and project."""
    query = (query.join(items, items.c.id == deliveries.c.item_id)
             .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                          item_versions.c.version == deliveries.c.version))
             .join(organizations, organizations.c.id == items.c.organization_id))
    return _terms_joins(query) if agreement else query


def _among(viewer: Organization, now: datetime, among: sa.Select) -> sa.ColumnElement[bool]:
    """Items of which the viewer received, and may see, one of the (item id, version) pairs ``among``."""
    hit = deliveries.alias("hit")
    return deliveries.c.item_id.in_(sa.select(hit.c.item_id).where(
        hit.c.recipient_id.in_(viewer_values(viewer)), hit.c.available_from <= now,
        sa.tuple_(hit.c.item_id, hit.c.version).in_(among)))


def _inbox_page(viewer: Organization, now: datetime, among: sa.Select | None, by_id: bool = False,
                narrow: bool = False, joined: bool = True) -> sa.Select:
    """The deliveries of the newest version of each item the viewer may see, newest arrival first.

    ``arrives_at`` is when a delivery entered the inbox (routed or available, whichever came
    later: a correction of an old item, or a backdated item, is new to the inbox even if its
    dates are old). Read backwards along the index on (recipient, arrival, id), skipping
    deliveries a newer available version superseded, a page costs about its own size however
    long the history is. Search hits (``among``) leave out withdrawn items: the index holds words
    the viewer may no longer read (the desk's "withdrawn" filter still lists them). ``narrow``:
    the deliveries are joined to their items only, not to the versions and sources (conditions
    that name neither: PostgreSQL then plans a selective search's page in a third of the time).
    Not ``joined``: to nothing (no ``among``, conditions on the deliveries alone: a count)."""
    ids = viewer_values(viewer)
    newer = deliveries.alias("newer")
    # looked up by item (unindexed: not along all the recipient's deliveries for every row)
    superseded = sa.exists().where(newer.c.item_id == deliveries.c.item_id, unindexed(newer.c.recipient_id).in_(ids),
                                   newer.c.version > deliveries.c.version, newer.c.available_from <= now)
    # by_id: the deliveries are looked up by id (inbox_page's ``chosen``), not along the whole inbox
    recipient = unindexed(deliveries.c.recipient_id) if by_id else deliveries.c.recipient_id
    query = sa.select(deliveries.c.id.label("delivery_id"), deliveries.c.arrives_at).select_from(deliveries)
    if not joined:
        assert among is None, "a search's hits are matched on the items"
    elif narrow:
        query = query.join(items, items.c.id == deliveries.c.item_id)
    else:
        query = _delivery_joins(query, agreement=False)
    query = query.where(recipient.in_(ids), deliveries.c.arrives_at <= now, ~superseded)
    if among is None:
        return query
    return query.where(_among(viewer, now, among), sa.not_(_notice_for(viewer, now)))


def inbox(conn: Connection, viewer: Organization, *, since: datetime | None = None, limit: int = 50,
          where: Sequence[sa.ColumnElement[bool]] = (), among: sa.Select | None = None) \
        -> list[tuple[ItemRecord, Received]]:
    """What the viewer received (available now), newest arrival first, with credit line and usage terms;
    ``since`` keeps what arrived in the inbox after that time (so polling with it misses nothing);
    ``where`` narrows further (conditions on the items, item_versions, deliveries and organizations
    rows of the version the viewer sees); ``among`` (item id, version pairs: search hits) narrows first.
    Planned for its parameters each time: a generic plan of the page took 3.4 x (bench/generic_plans.py)."""
    plan_each_time(conn)
    return [(record, how) for record, how, _ in _inbox_rows(conn, viewer, since=since, before=None,
                                                            limit=max(1, min(limit, MAX_LIMIT)), where=where,
                                                            among=among)]


InboxCursor = tuple[datetime, int]  # (arrival time, delivery id) of the last entry of a page


def inbox_page(conn: Connection, viewer: Organization, *, before: InboxCursor | None = None, limit: int = 100,
               where: Sequence[sa.ColumnElement[bool]] = (), among: sa.Select | None = None,
               chosen: Sequence[int] | sa.Select | None = None) \
        -> tuple[list[tuple[ItemRecord, Received]], InboxCursor | None]:
    """One page of :func:`inbox` read backwards from ``before`` (a cursor this function returned;
    none: the newest), and the cursor of the next page (none: this was the last). A cursor, not an
    offset: page 50 costs what page 1 costs, and arrivals meanwhile shift nothing. ``chosen``: the
    page is among these deliveries (ids, or a select of them: a search's few hits), looked up by id,
    not by walking the inbox."""
    return page_of(_inbox_rows(conn, viewer, since=None, before=before, limit=limit + 1, where=where, among=among,
                               chosen=chosen), limit)


def inbox_rows_query(viewer: Organization, now: Any, *, since: Any = None, before: tuple[Any, Any] | None = None,
                     limit: int, where: Sequence[sa.ColumnElement[bool]] = (), among: sa.Select | None = None,
                     chosen: Sequence[int] | sa.Select | None = None, narrow: bool = False,
                     ids_only: bool = False) -> sa.Select:
    """The statement of a page of :func:`inbox` (see :func:`inbox_page`), ``limit`` rows at most:
    two steps, the page chosen among narrow rows, then the documents of that page only. ``now``,
    ``since`` and ``before`` may be values or bound parameters (desk/search.py builds a search's
    statement once and runs it with its values: :func:`read_inbox_rows`); ``narrow``: ``where``
    names no version or source (see :func:`_inbox_page`). ``ids_only``: the first step alone, each
    entry's delivery and item ids (:func:`read_inbox_ids`)."""
    page = _inbox_page(viewer, now, among, by_id=chosen is not None, narrow=narrow).where(*where)
    if ids_only:
        page = page.add_columns(deliveries.c.item_id)
    if chosen is not None:
        page = page.where(deliveries.c.id.in_(chosen))
    if since is not None:
        page = page.where(deliveries.c.arrives_at > since)
    if before is not None:
        page = page.where(sa.or_(deliveries.c.arrives_at < before[0],
                                 sa.and_(deliveries.c.arrives_at == before[0], deliveries.c.id < before[1])))
    page = (page.order_by(deliveries.c.arrives_at.desc(), deliveries.c.id.desc())
            .limit(max(1, min(limit, MAX_LIMIT + 1))).subquery())
    if ids_only:
        return (sa.select(page.c.delivery_id, page.c.item_id)
                .order_by(page.c.arrives_at.desc(), page.c.delivery_id.desc()))
    query = _delivery_joins(sa.select(items.c.id, items.c.uri, items.c.organization_id, items.c.created_at,
                                      items.c.updated_at, *_SOURCE, *_VERSION, _hidden(_notice_for(viewer, now)), *_RECEIVED,
                                      page.c.arrives_at.label("page_arrives_at"), page.c.delivery_id.label("page_id"))
                            .select_from(page).join(deliveries, deliveries.c.id == page.c.delivery_id))
    return query.order_by(page.c.arrives_at.desc(), page.c.delivery_id.desc())


def read_inbox_rows(conn: Connection, query: sa.Select, params: dict[str, Any] | None = None) \
        -> list[tuple[ItemRecord, Received, InboxCursor]]:
    """The entries of :func:`inbox_rows_query`'s statement, each item once, with each entry's cursor."""
    seen: set[str] = set()
    found = []
    for row in conn.execute(query, params or {}):
        if row.id not in seen:
            seen.add(row.id)
            found.append((_record(row), Received(*row[-_TERMS - 2:-2]), (row.page_arrives_at, row.page_id)))
    return found


def read_inbox_ids(conn: Connection, query: sa.Select, params: dict[str, Any] | None = None) \
        -> list[tuple[int, str]]:
    """The (delivery id, item id) of the entries of :func:`inbox_rows_query`'s statement made with
    ``ids_only``, each item once (as :func:`read_inbox_rows` reads them)."""
    seen: set[str] = set()
    found = []
    for delivery_id, item_id in conn.execute(query, params or {}):
        if item_id not in seen:
            seen.add(item_id)
            found.append((delivery_id, item_id))
    return found


def page_of(rows: list[tuple[ItemRecord, Received, InboxCursor]], limit: int) \
        -> tuple[list[tuple[ItemRecord, Received]], InboxCursor | None]:
    """The first ``limit`` of ``limit + 1`` rows read, and the cursor of the next page (none: the last)."""
    more = len(rows) > limit
    return [(record, how) for record, how, _ in rows[:limit]], (rows[limit - 1][2] if more else None)


def _inbox_rows(conn: Connection, viewer: Organization, *, since: datetime | None, before: InboxCursor | None,
                limit: int, where: Sequence[sa.ColumnElement[bool]], among: sa.Select | None,
                chosen: Sequence[int] | sa.Select | None = None) -> list[tuple[ItemRecord, Received, InboxCursor]]:
    return read_inbox_rows(conn, inbox_rows_query(viewer, utcnow(), since=since, before=before, limit=limit,
                                                  where=where, among=among, chosen=chosen))


def received(conn: Connection, viewer: Organization, item_id: str) -> Received | None:
    """How the viewer received this item, or None (its own item, or not received)."""
    return _received(row) if (row := conn.execute(_received_query(viewer, utcnow(), item_id)).first()) else None


# The stored document as JSON text: feeds and webhooks pass it on without decoding and re-encoding it.
_VERSION_TEXT = (*_VERSION[:-1], sa.cast(item_versions.c.document, sa.Text).label("document"))


def _delivered_query(hidden: sa.ColumnElement[bool]) -> sa.Select:
    """Deliveries with their item, version (``hidden``: see :func:`notice_only`) and terms."""
    return _delivery_joins(
        sa.select(items.c.id, items.c.uri, items.c.organization_id, items.c.created_at, items.c.updated_at,
                  *_SOURCE, *_VERSION_TEXT, _hidden(hidden), deliveries.c.id.label("delivery_id"), deliveries.c.position,
                  deliveries.c.event, *_RECEIVED)
        .select_from(deliveries))


@dataclass(frozen=True)
class Delivered:
    """One delivery with everything needed to show or send it."""

    delivery_id: int
    position: int | None
    event: str
    record: ItemRecord
    received: Received
    withdrawn: bool = False  # the item is withdrawn for the viewer: the entry is a notice (see notice_only)


def delivered_items(conn: Connection, delivery_ids: list[int]) -> dict[int, tuple[ItemRecord, ItemVersion, Received]]:
    """The item version, source and delivery terms of each delivery (for the delivery worker;
    the delivery itself is the recipient's entitlement). A message sent, retried or replayed after
    the item was withdrawn for its recipient carries the notice only.

    A claimed batch is a few item versions fanned out to many recipients: each version (its ~4 KB
    document, source and dates) is read once, and each delivery reads only its terms and whether
    its recipient sees the notice only; deliveries of one version and the same notice state share
    one record (bench/fanout.py: one full row per delivery was most of loading a batch)."""
    if not delivery_ids:
        return {}
    terms = conn.execute(_DELIVERED_TERMS, {"ids": list(delivery_ids), "now": utcnow()}).all()
    if not terms:
        return {}
    versions = {(row[0], row[8]): row for row in conn.execute(_DELIVERED_VERSIONS, {
        "items": sorted({row.item_id for row in terms}), "versions": sorted({row.version for row in terms})})}
    records: dict[tuple[str, int, bool], ItemRecord] = {}
    found = {}
    for row in terms:
        key = (row.item_id, row.version, bool(row.notice_only))
        record = records.get(key)
        if record is None:
            record = records[key] = _record((*versions[key[:2]], key[2]))
        found[row.delivery_id] = (record, record.latest, Received(*row[-_TERMS:]))
    return found


_IDS = sa.bindparam("ids", expanding=True)
# built once (the worker runs them for every claimed batch): each delivery's terms and notice state, then
# each item version once (_record's columns but the notice state)
_DELIVERED_TERMS = _terms_joins(
    sa.select(deliveries.c.id.label("delivery_id"), deliveries.c.item_id, deliveries.c.version,
              _hidden(notice_only([deliveries.c.recipient_id], sa.bindparam("now"))), *_RECEIVED)
    .select_from(deliveries).join(items, items.c.id == deliveries.c.item_id)
    .where(deliveries.c.id.in_(_IDS)))
_DELIVERED_VERSIONS = (
    sa.select(items.c.id, items.c.uri, items.c.organization_id, items.c.created_at, items.c.updated_at,
              *_SOURCE, *_VERSION_TEXT)
    .join(organizations, organizations.c.id == items.c.organization_id)
    .join(item_versions, item_versions.c.item_id == items.c.id)
    .where(items.c.id.in_(sa.bindparam("items", expanding=True)),
           item_versions.c.version.in_(sa.bindparam("versions", expanding=True))))


def _delivered(rows: Any) -> list[Delivered]:
    found = []
    for row in rows:
        record = _record(row)
        found.append(Delivered(row.delivery_id, row.position, row.event, record, _received(row),
                               record.latest.notice_only))
    return found


def delivered_to(conn: Connection, viewer: Organization, where: list[Any], order: Any, limit: int) -> list[Delivered]:
    """A page of the viewer's deliveries (filters and order on the deliveries table) with each
    item's withdrawal state, in one query."""
    ids = viewer_ids(viewer)
    query = (_delivered_query(notice_only(ids, utcnow()))
             .where(deliveries.c.recipient_id.in_(ids), *where).order_by(order).limit(limit))
    return _delivered(conn.execute(query))


_VIEWERS = sa.bindparam("viewers", expanding=True)
# The changes feed's page, built once (it is the hub's busiest read): deliveries to the viewers
# after a feed position, in feed order.
_DELIVERED_AFTER = (_delivered_query(notice_only(_VIEWERS, sa.bindparam("now")))
                    .where(deliveries.c.recipient_id.in_(_VIEWERS), deliveries.c.position > sa.bindparam("after"))
                    .order_by(deliveries.c.position).limit(sa.bindparam("limit")))


def delivered_after(conn: Connection, viewer: Organization, after: int, limit: int) -> list[Delivered]:
    """The viewer's deliveries after feed position ``after``, in feed order (the changes feed)."""
    return _delivered(conn.execute(_DELIVERED_AFTER, {"viewers": list(viewer_ids(viewer)), "after": after,
                                                      "limit": limit, "now": utcnow()}))
