"""What a search counts and shows of the viewer's inbox: the visible matches, as sets, and the
facet counts over them (desk/search.py runs them).

Access control is applied inside these statements, never after them: a match is a delivery to
the viewer or its holding that is available now, at the newest version that reached it; an item
the viewer may not see is never counted. Facets count distinct items per partner (source),
language, topic and type; each facet is counted with every other filter applied but not its own,
so that choosing a partner still shows how many matches the other partners have; all four come
from one statement over one match set.

A search's statements are built once per viewer and shape of filters (:func:`shape`) and kept:
building them with SQLAlchemy cost more than running them (a word in 3 of 20,000 items: ~85 % of
6 ms, docs/benchmarks.md). What differs from one search to the next is a parameter: the time
(``search_now``), the dates (``search_since``, ``search_until``), the index hits (``hit_list``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.planning import unindexed
from newsbridge.db.tables import deliveries, item_versions, items, organizations, version_topics
from newsbridge.desk.hits import listed, listed_versions
from newsbridge.items.inbox_counts import COUNTED_ENTRIES, newest_entries
from newsbridge.items.queries import viewer_values
from newsbridge.vocab.mediatopics import vocabulary

FACETS = ("partner", "language", "topic", "type")
FACET_VALUES = 20  # the most frequent values of a facet; the rest are left out
_TIME = deliveries.c.available_from.type
NOW = sa.bindparam("search_now", type_=_TIME)  # a kept statement's time: given each time it runs
_SINCE = sa.bindparam("search_since", type_=_TIME)
_UNTIL = sa.bindparam("search_until", type_=_TIME)
_GIVEN = datetime(1970, 1, 1, tzinfo=timezone.utc)  # in a shape: the date is given (its value is a parameter)


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
class FacetValue:
    value: str
    label: str
    count: int


def shape(filters: SearchFilters) -> SearchFilters:
    """``filters`` as a kept statement is built for: without the words (the index hits are a
    parameter) and with the dates only saying whether they are given (parameters too)."""
    return replace(filters, q=None, since=_GIVEN if filters.since else None, until=_GIVEN if filters.until else None)


def parameters(filters: SearchFilters, now: datetime) -> dict[str, Any]:
    """The values a kept statement of ``filters``' shape runs with (the hits aside)."""
    found: dict[str, Any] = {"search_now": now}
    if filters.since:
        found["search_since"] = filters.since
    if filters.until:
        found["search_until"] = filters.until
    return found


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


def _other_conditions(filters: SearchFilters, parameters: bool = False) -> list[sa.ColumnElement[bool]]:
    """The dates of ``filters`` as conditions on ``deliveries``; with ``parameters``, on the
    parameters ``search_since`` and ``search_until`` (a kept statement: :func:`shape`)."""
    where = []
    if filters.since:
        where.append(deliveries.c.available_from >= (_SINCE if parameters else filters.since))
    if filters.until:
        where.append(deliveries.c.available_from < (_UNTIL if parameters else filters.until))
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
                    where: list[sa.ColumnElement[bool]], dialect: str = "sqlite", window: bool = False) -> sa.Select:
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
    (:func:`_visible_matches_pg`). ``window``: ``among`` is not a search's hits but the newest
    entries (no query: the inbox lists withdrawn items, their notice, and so counts them)."""
    ids = viewer_values(viewer)
    received = sa.and_(deliveries.c.recipient_id.in_(ids), deliveries.c.available_from <= now)
    newest = sa.select(deliveries.c.item_id, sa.func.max(deliveries.c.version).label("version"))
    if among is not None and dialect == "postgresql" and not window:
        return _visible_matches_pg(ids, now, among, where)
    if among is None:
        newest = newest.where(received)
    else:
        # the matched items' deliveries looked up by item, not among every delivery the viewer ever had
        newest = newest.where(unindexed(deliveries.c.recipient_id).in_(ids), deliveries.c.available_from <= now)
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
    withdrawn = [] if among is None or window else [items.c.pubstatus != "canceled",
                                                    deliveries.c.event != "item.withdrawn"]
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


def _visible_matches_pg(ids: Sequence[Any], now: Any, among: sa.Select,
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


@lru_cache(maxsize=256)
def facets_statement(viewer: Organization, filters: SearchFilters, dialect: str, hits: bool,
                     facets: tuple[str, ...], newest: int = COUNTED_ENTRIES) -> sa.CompoundSelect:
    """The facet counts' statement (with the ``total``) over the viewer's visible matches, kept
    per viewer and :func:`shape` of filters; with ``hits``, among the versions of the parameter
    ``hit_list`` (the index hits counted: a JSON array on SQLite, an array on PostgreSQL), else
    among the versions of the viewer's ``newest`` deliveries (items/inbox_counts.py: all it
    received cost seconds at 1,000,000 items). Runs with :func:`parameters`."""
    where = _other_conditions(filters, parameters=True)
    if not hits:
        entries = newest_entries(viewer, NOW, newest)
        received = (sa.select(deliveries.c.item_id, deliveries.c.version)
                    .where(deliveries.c.id.in_(sa.select(entries.c.id))))
        matched = visible_matches(viewer, NOW, received, where, dialect, window=True)
    elif dialect == "postgresql":
        described = (sa.select(item_versions.c.item_id, item_versions.c.version, item_versions.c.language,
                               item_versions.c.type).where(listed("postgresql", None)))
        matched = _visible_matches_pg(list(viewer_values(viewer)), NOW, described, where, described=True)
    else:
        matched = visible_matches(viewer, NOW, listed_versions(dialect, None), where, dialect)
    return _facet_statement(matched.cte("matched").prefix_with("MATERIALIZED"), filters, facets)


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

