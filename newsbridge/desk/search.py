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
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import deliveries, item_versions, items, organizations, version_topics
from newsbridge.ids import utcnow
from newsbridge.items.queries import InboxCursor, ItemRecord, Received, inbox_count, inbox_page, viewer_ids
from newsbridge.desk.hits import hit_list, listed, listed_versions
from newsbridge.items.search import version_holds
from newsbridge.items.withdrawal import notice_only
from newsbridge.search.query import Query, parse
from newsbridge.search.snippets import direction, highlight, snippet
from newsbridge.vocab.mediatopics import vocabulary

FACETS = ("partner", "language", "topic", "type")
FACET_VALUES = 20  # the most frequent values of a facet; the rest are left out
COUNTED = 1000  # index hits a total and the facets are counted over, at most ("1,000+")
BROAD = 2000  # index hits from which a page walks the inbox instead of reading the hits first


@dataclass(frozen=True)
class SearchFilters:
    q: str | None = None
    partner: str | None = None  # source slug
    language: str | None = None  # a language and its regional forms ("en" covers "en-GB")
    topic: str | None = None  # Media Topic qcode (covers narrower topics)
    type: str | None = None  # text, picture, video, audio, graphic, composite
    since: datetime | None = None  # available to the viewer at or after
    until: datetime | None = None  # available to the viewer before


@dataclass(frozen=True)
class Hit:
    record: ItemRecord
    received: Received
    headline: Markup  # escaped, matches in <mark>
    snippet: Markup  # about 220 characters of the text around the first match
    direction: str  # ltr | rtl: how the headline and snippet are shown


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int
    next_cursor: InboxCursor | None
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    total_is_lower_bound: bool = False  # more matched: the total and facets count the newest COUNTED hits
    counted_over: int | None = None  # then how many index hits were counted (COUNTED, or fewer: hit_list)


def _facet_conditions(filters: SearchFilters, columns: Any) -> dict[str, sa.ColumnElement[bool]]:
    """Each facet filter as a condition on ``columns`` (item_versions/organizations or the match set)."""
    found: dict[str, sa.ColumnElement[bool]] = {}
    if filters.partner:
        found["partner"] = columns.slug == filters.partner
    if filters.language:
        found["language"] = sa.or_(columns.language == filters.language,
                                   columns.language.like(filters.language + "-%"))
    if filters.topic:
        found["topic"] = sa.exists().where(version_topics.c.item_id == columns.item_id,
                                           version_topics.c.version == columns.version,
                                           version_topics.c.qcode == filters.topic)
    if filters.type:
        found["type"] = columns.type == filters.type
    return found


def _other_conditions(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    where = []
    if filters.since:
        where.append(deliveries.c.available_from >= filters.since)
    if filters.until:
        where.append(deliveries.c.available_from < filters.until)
    return where


class _Columns:
    """The columns facet filters name, on the tables of an inbox query."""

    slug = organizations.c.slug
    language = item_versions.c.language
    item_id = item_versions.c.item_id
    version = item_versions.c.version
    type = item_versions.c.type


def _materialized(among: sa.Select) -> sa.CTE:
    return among.cte("hits").prefix_with("MATERIALIZED")


def visible_matches(viewer: Organization, now: datetime, among: sa.Select | None,
                    where: list[sa.ColumnElement[bool]], dialect: str = "sqlite") -> sa.Select:
    """The items the viewer may see of which it received a version in ``among`` (all it received:
    none), each at the newest version that reached it, as sets, not row by row.

    The same rule as the inbox (items.queries._inbox_page): deliveries to the viewer or its
    holding, available now; the version shown is the newest such; with a query, a withdrawn item
    (withdrawn at the source, or its newest delivery a withdrawal) is left out. The inbox tests each delivery
    with correlated lookups ("superseded?", "withdrawn?"), about 1 ms a match on SQLite, which is
    right for a page of 20 and ruinous for facets over thousands of matches (1.4 s at 5,000 items,
    bench/search.py); here they are one grouped pass over the matched items' deliveries, from
    the full-text hits worked out once.
    ``where`` holds conditions on ``deliveries`` (the newest delivery: its arrival dates).
    On PostgreSQL (``dialect``) with ``among``, the same rows are read with fewer lookups
    (:func:`_visible_matches_pg`)."""
    ids = viewer_ids(viewer)
    received = sa.and_(deliveries.c.recipient_id.in_(ids), deliveries.c.available_from <= now)
    newest = sa.select(deliveries.c.item_id, sa.func.max(deliveries.c.version).label("version"))
    if among is not None and dialect == "postgresql":
        return _visible_matches_pg(ids, now, among, where)
    if among is None:
        newest = newest.where(received)
    else:
        # the matched items' deliveries looked up by item: the recipient test is wrapped so that
        # SQLite does not read every delivery the viewer ever had instead (100,000 at 100,000 items)
        newest = newest.where(sa.func.coalesce(deliveries.c.recipient_id, "").in_(ids), deliveries.c.available_from <= now)
        # materialized: left inside the statement, SQLite runs the full-text query again for every
        # delivery it tests (7 s instead of 70 ms for 1,600 matches at 5,000 items)
        hits = _materialized(among)
        hit = deliveries.alias("hit")
        matched_items = (sa.select(hit.c.item_id)
                         .join(hits, sa.and_(hits.c.item_id == hit.c.item_id, hits.c.version == hit.c.version))
                         .where(hit.c.recipient_id.in_(ids), hit.c.available_from <= now))
        newest = newest.where(deliveries.c.item_id.in_(matched_items))
    seen = newest.group_by(deliveries.c.item_id).subquery("seen")
    # search hits leave withdrawn items out (the index still holds their words); without a query
    # the inbox lists them (its notice), and so counts them
    withdrawn = [] if among is None else [items.c.pubstatus != "canceled", deliveries.c.event != "item.withdrawn"]
    return (sa.select(seen.c.item_id, seen.c.version, organizations.c.slug, organizations.c.name,
                      item_versions.c.language, item_versions.c.type, deliveries.c.id.label("delivery_id"))
            .select_from(seen)
            .join(deliveries, sa.and_(deliveries.c.item_id == seen.c.item_id, deliveries.c.version == seen.c.version,
                                      received))
            .join(items, items.c.id == seen.c.item_id)
            .join(item_versions, sa.and_(item_versions.c.item_id == seen.c.item_id,
                                         item_versions.c.version == seen.c.version))
            .join(organizations, organizations.c.id == items.c.organization_id)
            .where(*withdrawn, *where))


def _visible_matches_pg(ids: list[str], now: Any, among: sa.Select,
                        where: list[sa.ColumnElement[bool]], described: bool = False) -> sa.Select:
    """:func:`visible_matches` over ``among`` on PostgreSQL, the same rows: each matched item's
    deliveries to the viewer (or its holding) available now are read once, by item, and tell both
    whether one of them is a hit ("got") and which version is the newest; the newest's delivery is
    then joined by its id. The general form looked each hit item's deliveries up three times by
    item id (a text key: ~1.5 µs a lookup here), 8 lookups a hit in all: 13 ms of the server's CPU
    for the 1,000 counted hits of a broad word at 1,000,000 items (docs/benchmarks.md).
    ``described``: ``among`` also has the versions' ``language`` and ``type``, and ``where`` names
    no ``item_versions`` column; the newest version's are then taken from its hit row, looked up
    only when the newest version is not a hit."""
    hits = _materialized(among)
    own = deliveries.alias("own")
    hit = sa.select(*hits.c).subquery("hit")
    newest = sa.func.max(own.c.version).over(partition_by=own.c.item_id)
    got = sa.func.bool_or(hit.c.item_id.is_not(None)).over(partition_by=own.c.item_id)
    described_columns = [hit.c.item_id.is_not(None).label("is_hit"), hit.c.language, hit.c.type] if described else []
    received = (sa.select(own.c.id, own.c.version, newest.label("newest"), got.label("got"), *described_columns)
                .select_from(own.outerjoin(hit, sa.and_(hit.c.item_id == own.c.item_id, hit.c.version == own.c.version)))
                .where(own.c.item_id.in_(sa.select(hits.c.item_id)), own.c.recipient_id.in_(ids),
                       own.c.available_from <= now)
                .subquery("received"))
    seen = (sa.select(received.c.id, *(received.c[n] for n in ("is_hit", "language", "type") if described))
            .where(received.c.got, received.c.version == received.c.newest).subquery("seen"))
    query = (sa.select(deliveries.c.item_id, deliveries.c.version, organizations.c.slug, organizations.c.name)
             .select_from(seen)
             .join(deliveries, deliveries.c.id == seen.c.id)
             .join(items, items.c.id == deliveries.c.item_id)
             .join(organizations, organizations.c.id == items.c.organization_id)
             .where(items.c.pubstatus != "canceled", deliveries.c.event != "item.withdrawn", *where))
    if not described:
        return (query.join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                                   item_versions.c.version == deliveries.c.version))
                .add_columns(item_versions.c.language, item_versions.c.type, deliveries.c.id.label("delivery_id")))
    def stored(column: str) -> Any:  # the newest version is not a hit: looked up
        return sa.case((seen.c.is_hit, seen.c[column]), else_=sa.select(item_versions.c[column]).where(
            item_versions.c.item_id == deliveries.c.item_id, item_versions.c.version == deliveries.c.version)
            .scalar_subquery())
    return query.add_columns(stored("language").label("language"), stored("type").label("type"),
                             deliveries.c.id.label("delivery_id"))


def facet_counts(conn: Connection, viewer: Organization, filters: SearchFilters,
                 among: sa.Select | None, only_total: bool = False,
                 among_ids: Sequence[int] | None = None) -> dict[str, list[FacetValue]]:
    """Distinct visible items per value of each facet (see the module's note), most first.
    ``among_ids``: the ids of the versions ``among`` lists (:func:`listed_versions`), when known;
    PostgreSQL then runs a statement built once per viewer and filters (:func:`_facets_pg`)."""
    facets = () if only_total else FACETS
    if among_ids is not None and conn.dialect.name == "postgresql":
        statement = _facets_pg(tuple(viewer_ids(viewer)), replace(filters, q=None), facets)
        return _read_facets(conn.execute(statement, {"hit_list": list(among_ids)}), facets)
    matched = (visible_matches(viewer, utcnow(), among, _other_conditions(filters), conn.dialect.name)
               .cte("matched").prefix_with("MATERIALIZED"))  # worked out once, not once per facet
    return count_facets(conn, matched, filters, facets)


@lru_cache(maxsize=256)
def _facets_pg(ids: tuple[str, ...], filters: SearchFilters, facets: tuple[str, ...]) -> sa.CompoundSelect:
    """:func:`facet_counts`' statement on PostgreSQL over the versions of the parameter ``hit_list``,
    kept: building it cost ~2 ms of the client's CPU a search. The time is a parameter read when
    the statement runs."""
    now = sa.bindparam("search_now", callable_=_now, type_=deliveries.c.available_from.type)
    described = (sa.select(item_versions.c.item_id, item_versions.c.version, item_versions.c.language,
                           item_versions.c.type).where(listed("postgresql", [])))
    matched = (_visible_matches_pg(list(ids), now, described, _other_conditions(filters), described=True)
               .cte("matched").prefix_with("MATERIALIZED"))
    return _facet_statement(matched, filters, facets)


def count_facets(conn: Connection, matched: sa.CTE, filters: SearchFilters,
                 facets: tuple[str, ...] = FACETS) -> dict[str, list[FacetValue]]:
    """The facet counts (and ``total``) over a match set with the columns of :func:`visible_matches`
    (bench/search.py also counts over other match sets, to compare)."""
    return _read_facets(conn.execute(_facet_statement(matched, filters, facets)), facets)


def _facet_statement(matched: sa.CTE, filters: SearchFilters, facets: tuple[str, ...]) -> sa.CompoundSelect:
    conditions = _facet_conditions(filters, matched.c)
    branches = []
    for facet in facets:
        others = [condition for name, condition in conditions.items() if name != facet]
        counted = sa.func.count(sa.distinct(matched.c.item_id)).label("n")
        if facet == "topic":
            query = (sa.select(sa.literal("topic").label("facet"), version_topics.c.qcode.label("value"),
                               sa.literal("").label("label"), counted)
                     # matched's side as an expression: SQLite then reads the matches and looks their topics
                     # up, where it scanned every topic row and probed the matches (~300 ms at 1,000,000 items)
                     .select_from(matched.join(version_topics, sa.and_(
                         version_topics.c.item_id == matched.c.item_id.concat(""),
                         version_topics.c.version == matched.c.version)))
                     .group_by(version_topics.c.qcode))
        else:
            value = {"partner": matched.c.slug, "language": sa.func.coalesce(matched.c.language, ""),
                     "type": matched.c.type}[facet]
            label = sa.func.max(matched.c.name) if facet == "partner" else sa.literal("")
            query = (sa.select(sa.literal(facet).label("facet"), value.label("value"), label.label("label"), counted)
                     .select_from(matched).group_by(value))
        branches.append(query.where(*others))
    every = list(conditions.values())
    branches.append(sa.select(sa.literal("total").label("facet"), sa.literal("").label("value"),
                              sa.literal("").label("label"), sa.func.count(sa.distinct(matched.c.item_id)).label("n"))
                    .select_from(matched).where(*every))
    return sa.union_all(*branches)


def _read_facets(rows: Any, facets: tuple[str, ...]) -> dict[str, list[FacetValue]]:
    found: dict[str, list[FacetValue]] = {facet: [] for facet in (*facets, "total")}
    labels = vocabulary()
    for facet, value, label, count in rows:
        if facet == "topic":
            label = labels[value].label if value in labels else value
        found[facet].append(FacetValue(value, label or value, int(count)))
    return {facet: sorted(values, key=lambda v: (-v.count, v.value))[:FACET_VALUES] for facet, values in found.items()}


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
    return _received_match(dialect, viewer_ids(viewer), viewer.id, now, query, recent)


def _now() -> datetime:
    return utcnow()  # looked up when called: a test's clock is this module's


@lru_cache(maxsize=256)
def _received_match_pg(ids: tuple[str, ...], owner: str, query: Query) -> sa.ColumnElement[bool]:
    """:func:`received_match` on PostgreSQL, kept: building it cost ~1 ms of the client's CPU a
    search (a tenth of it). The time is a parameter read when the statement runs."""
    now = sa.bindparam("search_now", callable_=_now, type_=deliveries.c.available_from.type)
    return _received_match("postgresql", list(ids), owner, now, query, ())


def _received_match(dialect: str, ids: list[str], owner: str, now: Any, query: Query,
                    recent: Sequence[int]) -> sa.ColumnElement[bool]:
    hit, version = deliveries.alias("hit"), item_versions.alias("hit_version")
    received = hit.join(version, sa.and_(version.c.item_id == hit.c.item_id, version.c.version == hit.c.version))
    holds = version_holds(dialect, query, version)
    if recent and dialect == "sqlite":
        values = sa.func.json_each(sa.bindparam("recent_hits", json.dumps(list(recent)), type_=sa.Text)
                                   ).table_valued("value")
        holds = sa.case((version.c.id >= min(recent), version.c.id.in_(sa.select(values.c.value))), else_=holds)
    # The recipient test is wrapped so that SQLite looks the item's deliveries up by item.
    found_one = (sa.select(sa.literal(1)).select_from(received)
                 .where(hit.c.item_id == deliveries.c.item_id,
                        sa.func.coalesce(hit.c.recipient_id, "").in_(ids), hit.c.available_from <= now, holds))
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


def plan(conn: Connection, viewer: Organization, query: Query) -> Plan | None:
    """The reading of a query (words or phrases) over what ``viewer`` received; None when no
    version holds it (nothing to walk, count or check: the walk read the whole inbox). The hits are
    listed once (:func:`hit_list`); a query in :data:`BROAD` versions or more, or dense on
    PostgreSQL, walks the inbox; a narrower one reads its hits first."""
    dialect = conn.dialect.name
    if dialect == "postgresql":  # statements of milliseconds: compiling them (JIT) cost ~60 ms each;
        # and planned for their parameters each time: psycopg prepares a statement run 5 times, and
        # PostgreSQL may then keep a generic plan, blind to the query and its ids (the page's: 160 ms)
        conn.exec_driver_sql("SELECT set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)")
    ids, dense = hit_list(conn, query, max(BROAD, COUNTED + 1))  # enough to tell both thresholds
    if not ids:
        return None
    capped = dense or len(ids) > COUNTED
    counted = listed_versions(dialect, ids[:COUNTED])
    if dense or len(ids) >= BROAD:
        return Plan([received_match(dialect, viewer, utcnow(), query, ids)], None, None, counted, capped,
                    len(ids[:COUNTED]), ids[:COUNTED])
    if dialect == "sqlite":  # the page among the visible matches' deliveries, looked up by id: with
        # the inbox's order SQLite walked the inbox down to the 20th (24 ms for a word in one item of
        # 2,000 at 1,000,000 items; 0.7 s when the matches are old)
        found = visible_matches(viewer, utcnow(), listed_versions(dialect, ids), []).subquery("found")
        return Plan([], sa.select(found.c.delivery_id), None, counted, capped, len(ids[:COUNTED]) if capped else None,
                    ids[:COUNTED])
    among = sa.select(_materialized(listed_versions(dialect, ids)))
    return Plan([], None, among, counted, capped, len(ids[:COUNTED]) if capped else None, ids[:COUNTED])


def search(conn: Connection, viewer: Organization, filters: SearchFilters, *, limit: int = 20,
           before: InboxCursor | None = None, facets: bool = True) -> Results:
    """A page of received items matching ``filters``, newest arrival first, from the cursor
    ``before``; how many match (up to a cap: see the module's note); and the facet counts (when
    ``facets``)."""
    query = parse(filters.q)
    where = [*_other_conditions(filters), *_facet_conditions(filters, _Columns).values()]
    found = plan(conn, viewer, query) if query else None
    if query and found is None:
        return Results([], 0, None, {facet: [] for facet in FACETS} if facets else {})
    entries, next_cursor = inbox_page(conn, viewer, before=before, limit=limit,
                                      where=[*where, *(found.where if found else [])],
                                      among=found.among if found else None, chosen=found.chosen if found else None)
    if facets:  # the total comes from the same match set as the facets: one pass over it
        counts = facet_counts(conn, viewer, filters, found.counted if found else None,
                              among_ids=found.counted_ids if found else None)
        total = _total(counts)
    elif found:
        counts, total = {}, _total(facet_counts(conn, viewer, filters, found.counted, only_total=True,
                                                among_ids=found.counted_ids))
    else:
        counts, total = {}, inbox_count(conn, viewer, where=where)
    return Results([_hit(record, how, query) for record, how in entries], total, next_cursor, counts,
                   bool(found and found.capped), found.counted_over if found else None)
