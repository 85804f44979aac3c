"""Search over what an organization received: the stemmed index, filters, facets and snippets.

One service for ``GET /api/v1/search`` and the desk's search box (desk/incoming.py asks the same
index with the same query language, items/search.py). Access control is applied inside the
queries, never after them: a hit, a total and every facet count come from the viewer's inbox
(items.queries: deliveries to the viewer or its holding that are available, so embargoed and
delayed versions are not there, and withdrawn items are found by no search). An item the viewer
may not see is therefore never counted.

Facets count distinct items per partner (source), language, topic and type. Each facet is
counted with every other filter applied but not its own, so that choosing a partner still shows
how many matches the other partners have; all four come from one statement over one match set.

Broad queries cost what they show, not what they match (as search engines do: rank and limit
early, count up to a cap). A query whose words are in more than :data:`COUNTED` versions has its
total and facets counted over the :data:`COUNTED` newest of those versions (the index's order,
before access is checked, so an item the viewer may not see is still never counted): the total is
then a lower bound (``total_is_lower_bound``, "1,000+"). A query in :data:`BROAD` versions or more
reads its page by walking the viewer's inbox newest arrival first and testing each entry against
the index hits, read once (SQLite; an older version by FTS5 for its rowid alone), or against the
entry's stored tsvector (PostgreSQL), stopping at the page's end; a narrower one reads its hits
first. On PostgreSQL a query held by many of the newest versions is counted over those
(desk/hits.py, :func:`~newsbridge.desk.hits.hit_list`): GIN reads every hit of a broad word before the first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.planning import plan_each_time, unindexed
from newsbridge.db.tables import deliveries, item_versions
from newsbridge.desk.hits import hit_list, hit_list_value, listed_versions
from newsbridge.desk.matches import (FACETS, NOW, FacetValue, SearchFilters, _Columns, _facet_conditions, _materialized,
                                     _other_conditions, _read_facets, count_facets, facets_statement, parameters,
                                     shape, visible_matches)
from newsbridge.ids import utcnow
from newsbridge.items import inbox_counts
from newsbridge.items.inbox_counts import inbox_total, more_entries
from newsbridge.items.queries import (MAX_LIMIT, InboxCursor, ItemRecord, Received, inbox_rows_query, page_of,
                                      read_inbox_ids, read_inbox_rows, viewer_ids, viewer_values)
from newsbridge.items.search import version_holds
from newsbridge.items.withdrawal import notice_only
from newsbridge.search.query import Query, parse
from newsbridge.search.snippets import direction, highlight, snippet

COUNTED = 1000  # index hits a total and the facets are counted over, at most ("1,000+")
BROAD = 2000  # index hits from which a page walks the inbox instead of reading the hits first


@dataclass(frozen=True)
class Hit:
    record: ItemRecord
    received: Received
    headline: Markup  # escaped, matches in <mark>
    snippet: Markup  # about 220 characters of the text around the first match
    direction: str  # ltr | rtl: how the headline and snippet are shown


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int
    next_cursor: InboxCursor | None
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    total_is_lower_bound: bool = False  # more matched: the total and facets count the newest COUNTED hits
    counted_over: int | None = None  # then how many index hits were counted (COUNTED, or fewer: hit_list)


def facet_counts(conn: Connection, viewer: Organization, filters: SearchFilters,
                 among: sa.Select | None, only_total: bool = False,
                 among_ids: Sequence[int] | None = None) -> dict[str, list[FacetValue]]:
    """Distinct visible items per value of each facet (desk/matches.py), most first, and the
    ``total``, among the (item id, version) pairs ``among`` (none: all the viewer received).
    ``among_ids``: the ids of the versions ``among`` lists (:func:`listed_versions`), when known;
    the statement is then one kept per viewer and shape of filters, as it is with no ``among``."""
    facets = () if only_total else FACETS
    if among_ids is not None or among is None:
        return _kept_counts(conn, viewer, filters, among_ids, facets)
    matched = (visible_matches(viewer, utcnow(), among, _other_conditions(filters), conn.dialect.name)
               .cte("matched").prefix_with("MATERIALIZED"))  # worked out once, not once per facet
    return count_facets(conn, matched, filters, facets)


def _kept_counts(conn: Connection, viewer: Organization, filters: SearchFilters, among_ids: Sequence[int] | None,
                 facets: tuple[str, ...]) -> dict[str, list[FacetValue]]:
    """:func:`facet_counts` by the kept statement (:func:`~newsbridge.desk.matches.facets_statement`)."""
    dialect = conn.dialect.name
    statement = facets_statement(viewer, shape(filters), dialect, among_ids is not None, facets,
                                 inbox_counts.COUNTED_ENTRIES)
    values = parameters(filters, utcnow())
    if among_ids is not None:
        values["hit_list"] = hit_list_value(dialect, list(among_ids))
    return _read_facets(conn.execute(statement, values), facets)


def _total(counts: dict[str, list[FacetValue]]) -> int:
    [total] = counts.pop("total")
    return total.count


def _text(record: ItemRecord) -> str:
    document = record.latest.document
    return next((b.get("value") or "" for b in document.get("bodies", [])
                 if isinstance(b, dict) and b.get("contentType") == "text/plain"), "")


def _hit(record: ItemRecord, how: Received, query: Query) -> Hit:
    document = record.latest.document
    language = document.get("language")
    headline = next((h.get("value") for h in document.get("headlines", []) if h.get("value")), record.uri)
    text = "" if record.latest.notice_only else _text(record)
    if text.startswith(headline):
        text = text[len(headline):]
    return Hit(record, how, highlight(headline, query, language), snippet(text, query, language),
               direction(language))


def count_matches(conn: Connection, viewer: Organization, counted: sa.Select,
                  where: Sequence[sa.ColumnElement[bool]]) -> int:
    """How many items the viewer may see among ``counted`` (a :class:`Plan`'s) meet ``where``
    (conditions on the inbox's tables): the desk's total, as sets (:func:`visible_matches`), not
    by walking the inbox (its count tested every entry the viewer ever received: seconds at
    1,000,000 items)."""
    # materialized, as for the facets: flattened into the count, SQLite grouped every delivery (1.2 s)
    matched = (visible_matches(viewer, utcnow(), counted, list(where), conn.dialect.name)
               .cte("matched").prefix_with("MATERIALIZED"))
    return int(conn.execute(sa.select(sa.func.count(sa.distinct(matched.c.item_id)))).scalar_one())


def received_match(dialect: str, viewer: Organization, now: datetime, query: Query,
                   recent: Sequence[int] = ()) -> sa.ColumnElement[bool]:
    """A condition on an inbox row (``deliveries``, ``items``): the viewer received, and may see, a
    version of the item that holds ``query`` (the inbox's rule for search, items.queries._among),
    and the item is not withdrawn. Tested row by row as the inbox is walked newest first, each
    received version against the index by itself (items.search.version_holds: on SQLite FTS5 asked
    about that rowid, on PostgreSQL the row's stored tsvector): a broad query's page then costs
    about its own size, whatever the history (at 1,000,000 items, working every hit out first cost
    ~390 ms on SQLite). ``recent`` (SQLite): the ids of the newest versions holding the query, all
    of them down to the oldest listed; a walked version that recent is looked up among them, not
    asked of FTS5 (a phrase's page of 20 cost 26 ms of FTS5 row tests at 1,000,000 items).
    On PostgreSQL the condition is built once per viewer and query (:func:`_received_match_pg`)."""
    if dialect == "postgresql":
        return _received_match_pg(tuple(viewer_ids(viewer)), viewer.id, query)
    return _received_match(dialect, viewer_values(viewer), viewer.id, now, query, _recent(recent))


def _now() -> datetime:
    return utcnow()  # looked up when called: a test's clock is this module's


@lru_cache(maxsize=256)
def _received_match_pg(ids: tuple[str, ...], owner: str, query: Query) -> sa.ColumnElement[bool]:
    """:func:`received_match` on PostgreSQL, kept: building it cost ~1 ms of the client's CPU a
    search (a tenth of it). The time is a parameter read when the statement runs."""
    now = sa.bindparam("search_now", callable_=_now, type_=deliveries.c.available_from.type)
    return _received_match("postgresql", [sa.literal(i, sa.String) for i in ids], owner, now, query, None)


_RECENT = (sa.bindparam("recent_oldest", type_=sa.Integer), sa.bindparam("recent_hits", type_=sa.Text))


def _recent(ids: Sequence[int]) -> tuple[Any, Any] | None:
    """:func:`_received_match`'s ``recent`` of the hits ``ids`` (values)."""
    return (min(ids), sa.bindparam("recent_hits", json.dumps(list(ids)), type_=sa.Text)) if ids else None


def _received_match(dialect: str, ids: Sequence[Any], owner: str, now: Any, query: Query,
                    recent: tuple[Any, Any] | None) -> sa.ColumnElement[bool]:
    """``recent`` (SQLite): the oldest of the listed hits and their ids as a JSON array, values
    or parameters (:data:`_RECENT`: a kept statement)."""
    hit, version = deliveries.alias("hit"), item_versions.alias("hit_version")
    received = hit.join(version, sa.and_(version.c.item_id == hit.c.item_id, version.c.version == hit.c.version))
    holds = version_holds(dialect, query, version)
    if recent is not None and dialect == "sqlite":
        oldest, listed_ids = recent
        values = sa.func.json_each(listed_ids).table_valued("value")
        holds = sa.case((version.c.id >= oldest, version.c.id.in_(sa.select(values.c.value))), else_=holds)
    # the item's deliveries looked up by item (unindexed recipient)
    found_one = (sa.select(sa.literal(1)).select_from(received)
                 .where(hit.c.item_id == deliveries.c.item_id,
                        unindexed(hit.c.recipient_id).in_(ids), hit.c.available_from <= now, holds))
    # PostgreSQL turns an EXISTS into a join over every hit, planned from its guess of few matches;
    # a scalar subquery with LIMIT 1 stays a test of each row, so the inbox is walked newest first
    matched = found_one.limit(1).scalar_subquery().is_not(None)
    return sa.and_(matched, sa.not_(notice_only(ids, now, owner=owner)))


@dataclass(frozen=True)
class Plan:
    """How a page and a total are read for a query (:func:`plan`): ``where`` (conditions the page
    adds: a broad query's walk test), ``chosen`` or ``among`` (a selective query's page among
    these deliveries, SQLite, or versions, PostgreSQL), ``counted`` (the versions a total and
    facets are counted over) and ``capped`` (the total is then a lower bound, over ``counted_over``
    index hits)."""

    where: list[sa.ColumnElement[bool]]
    chosen: sa.Select | None
    among: sa.Select | None
    counted: sa.Select
    capped: bool
    counted_over: int | None
    counted_ids: Sequence[int] | None = None  # the versions ``counted`` lists (facet_counts' among_ids)


@dataclass(frozen=True)
class Hits:
    """What the index holds of a query (:func:`hits`): the ids of the versions, newest first on
    SQLite, up to what tells both thresholds, and whether the query is dense (PostgreSQL)."""

    ids: list[int]
    dense: bool

    @property
    def walked(self) -> bool:  # the page walks the inbox (a broad query)
        return self.dense or len(self.ids) >= BROAD

    @property
    def capped(self) -> bool:  # the total and facets are counted over COUNTED hits, a lower bound
        return self.dense or len(self.ids) > COUNTED

    @property
    def counted_ids(self) -> list[int]:
        return self.ids[:COUNTED]


def hits(conn: Connection, query: Query) -> Hits:
    """The index hits of a query (words or phrases), listed once (:func:`hit_list`)."""
    plan_each_time(conn)
    return Hits(*hit_list(conn, query, max(BROAD, COUNTED + 1)))  # enough to tell both thresholds


def plan(conn: Connection, viewer: Organization, query: Query) -> Plan | None:
    """The reading of a query (words or phrases) over what ``viewer`` received (desk/incoming.py);
    None when no version holds it (nothing to walk, count or check: the walk read the whole inbox).
    A query in :data:`BROAD` versions or more, or dense on PostgreSQL, walks the inbox; a narrower
    one reads its hits first (see :func:`_page_statement`, which :func:`search` keeps)."""
    dialect = conn.dialect.name
    found = hits(conn, query)
    if not found.ids:
        return None
    ids, counted_ids = found.ids, found.counted_ids
    counted = listed_versions(dialect, counted_ids)
    counted_over = len(counted_ids) if found.capped else None
    if found.walked:
        return Plan([received_match(dialect, viewer, utcnow(), query, ids)], None, None, counted, found.capped,
                    len(counted_ids), counted_ids)
    if dialect == "sqlite":
        chosen = visible_matches(viewer, utcnow(), listed_versions(dialect, ids), []).subquery("found")
        return Plan([], sa.select(chosen.c.delivery_id), None, counted, found.capped, counted_over, counted_ids)
    among = sa.select(_materialized(listed_versions(dialect, ids)))
    return Plan([], None, among, counted, found.capped, counted_over, counted_ids)


_BEFORE = (sa.bindparam("before_at", type_=deliveries.c.arrives_at.type), sa.bindparam("before_id", type_=sa.Integer))


@lru_cache(maxsize=256)
def _page_statement(viewer: Organization, filters: SearchFilters, dialect: str, reading: str,
                    query: Query | None, paged: bool, limit: int, ids_only: bool = False) -> sa.Select:
    """A search's page (``limit`` + 1 rows, to tell whether there is more), kept per viewer,
    :func:`shape` of filters, ``reading`` of the query, the query itself when it is walked (the
    others read its hits from a parameter) and whether it continues from a cursor (``paged``);
    runs with :func:`_page_parameters`.

    ``reading``: "inbox" (no query), "walk" (a broad query: the inbox is walked newest first,
    each entry tested against the hits, :func:`received_match`) or "hits" (a narrower query,
    its hits read first: on SQLite the page is among the visible matches' deliveries, looked up by
    id (with the inbox's order SQLite walked the inbox down to the 20th: 24 ms for a word in one
    item of 2,000 at 1,000,000 items; 0.7 s when the matches are old); on PostgreSQL among the hit
    versions). ``ids_only``: the entries' delivery and item ids alone (:func:`page_ids`)."""
    where = [*_other_conditions(filters, parameters=True), *_facet_conditions(filters, _Columns).values()]
    chosen = among = None
    if reading == "walk":
        assert query is not None
        where.append(_received_match(dialect, viewer_values(viewer), viewer.id, NOW, query,
                                     _RECENT if dialect == "sqlite" else None))
    elif reading == "hits" and dialect == "sqlite":
        found = visible_matches(viewer, NOW, listed_versions(dialect, None), []).subquery("found")
        chosen = sa.select(found.c.delivery_id)
    elif reading == "hits":
        among = sa.select(_materialized(listed_versions(dialect, None)))
    narrow = not (filters.partner or filters.language or filters.topic or filters.type)  # none names a version
    return inbox_rows_query(viewer, NOW, before=_BEFORE if paged else None, limit=limit + 1, where=where,
                            among=among, chosen=chosen, narrow=narrow, ids_only=ids_only)


def _page_parameters(dialect: str, filters: SearchFilters, found: Hits | None, before: InboxCursor | None,
                     now: datetime) -> dict[str, Any]:
    values = parameters(filters, now)
    if before is not None:
        values["before_at"], values["before_id"] = before
    if found is not None and found.walked:
        if dialect == "sqlite":
            values["recent_oldest"], values["recent_hits"] = min(found.ids), json.dumps(found.ids)
    elif found is not None:
        values["hit_list"] = hit_list_value(dialect, found.ids)
    return values


def page(conn: Connection, viewer: Organization, filters: SearchFilters, query: Query, found: Hits | None,
         limit: int, before: InboxCursor | None = None) -> tuple[list[tuple[ItemRecord, Received]], InboxCursor | None]:
    """:func:`search`'s page: the ``limit`` newest arrivals matching ``filters`` (``query``, its
    :func:`hits` ``found``; none: no words) from ``before``, and the next page's cursor."""
    dialect = conn.dialect.name
    reading = "inbox" if found is None else "walk" if found.walked else "hits"
    statement = _page_statement(viewer, shape(filters), dialect, reading, query if reading == "walk" else None,
                                before is not None, limit)
    return page_of(read_inbox_rows(conn, statement, _page_parameters(dialect, filters, found, before, utcnow())),
                   limit)


def page_ids(conn: Connection, viewer: Organization, filters: SearchFilters, query: Query, found: Hits,
             limit: int) -> list[tuple[int, str]]:
    """The (delivery id, item id) of the first :func:`page`'s entries, without reading their items:
    a ranking that keeps a few of them reads those alone (desk/cross_lingual.py)."""
    dialect = conn.dialect.name
    reading = "walk" if found.walked else "hits"
    statement = _page_statement(viewer, shape(filters), dialect, reading, query if reading == "walk" else None,
                                False, limit, ids_only=True)
    return read_inbox_ids(conn, statement, _page_parameters(dialect, filters, found, None, utcnow()))[:limit]


def counted(conn: Connection, viewer: Organization, filters: SearchFilters, found: Hits | None) -> tuple[int, bool]:
    """How many items match ``filters`` (its query's :func:`hits` ``found``; none: no words), and
    whether that is a lower bound: a query's over its counted hits (the kept facet statement's
    total), without words over the newest entries that meet the filters (items/inbox_counts.py)."""
    if found is not None:
        return _total(_kept_counts(conn, viewer, filters, found.counted_ids, ())), found.capped
    return inbox_total(conn, viewer, where=[*_other_conditions(filters),
                                            *_facet_conditions(filters, _Columns).values()])


def search(conn: Connection, viewer: Organization, filters: SearchFilters, *, limit: int = 20,
           before: InboxCursor | None = None, facets: bool = True) -> Results:
    """A page of received items matching ``filters``, newest arrival first, from the cursor
    ``before``; how many match (up to a cap: see the module's note); and the facet counts (when
    ``facets``). Its statements are kept per viewer and shape of filters (desk/matches.py)."""
    query = parse(filters.q)
    found = hits(conn, query) if query else None
    if found is not None and not found.ids:
        return Results([], 0, None, {facet: [] for facet in FACETS} if facets else {})
    limit = max(1, min(limit, MAX_LIMIT))
    entries, next_cursor = page(conn, viewer, filters, query, found, limit, before)
    counts: dict[str, list[FacetValue]] = {}
    if facets:  # the total comes from the same match set as the facets: one pass over it
        counts = _kept_counts(conn, viewer, filters, None if found is None else found.counted_ids, FACETS)
        total = _total(counts)  # without a query, over the newest entries (items/inbox_counts.py)
        capped = found.capped if found is not None else more_entries(conn, viewer)
    else:
        total, capped = counted(conn, viewer, filters, found)
    return Results([_hit(record, how, query) for record, how in entries], total, next_cursor,
                   counts, capped,
                   (len(found.counted_ids) if found.capped else None) if found else None)
