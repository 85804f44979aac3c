"""The index hits a search reads (desk/search.py): which versions hold a query, read once per
search and passed on as one list of ids.

On SQLite FTS5 gives the newest hits first and stops. On PostgreSQL a GIN index answers a word by
a bitmap of every version holding it before its first row (120-310 ms for a word in a third of
1,000,000 versions, however few are read), so a query is first tested on the newest
:data:`PG_WINDOW` versions' stored tsvectors; held by :data:`PG_DENSE` of them it is *dense* and
counted over those (docs/search.md, "Broad queries").
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.engine import Connection

from newsbridge.db.tables import item_versions
from newsbridge.items.search import PG_DOCUMENT, SQLITE_TABLE, pg_match, sqlite_expression
from newsbridge.search.query import Query

PG_WINDOW = 4000  # PostgreSQL: the newest versions whose hits a query lists first (hit_list)
PG_DENSE = 100  # ... and how many of them make the query dense (2.5 %: a page of 20 walks ~800 entries)


@lru_cache(maxsize=512)
def hit_ids(dialect: str, query: Query, newest: int | None = None) -> sa.Select:
    """The ids (``item_versions.id``) of the versions that hold ``query``, from the index alone;
    with ``newest``, only that many: on SQLite the newest stored (FTS5 reads them in that order and
    stops), on PostgreSQL the first the index yields (its bitmap's order, oldest first). Kept per
    query: building it cost as much as a rare word's search runs (~0.25 ms)."""
    if dialect == "postgresql":
        column: Any = item_versions.c.id
        found = sa.select(column.label("id")).where(pg_match(query))
    else:
        column = sa.literal_column("rowid")
        found = (sa.select(column.label("id")).select_from(sa.table(SQLITE_TABLE))
                 .where(sa.literal_column(SQLITE_TABLE).op("MATCH")(sqlite_expression(query))))
    if newest is None:
        return found
    if dialect == "postgresql":  # in the index's order: newest first would test every row's tsvector
        # (0.85 s for a phrase in 4,400 of 100,000 versions). Fenced (a materialized CTE, read lazily
        # up to the limit): with the LIMIT beside it, PostgreSQL's guess for a prefix (2 % of the
        # versions, whatever the word) made a sequential scan look cheaper than the index, and it
        # read all 1,000,000 versions for a word in 167 (0.97 s); planned for all its rows, the
        # index is chosen, and the CTE stops at the limit.
        fenced = found.cte("index_hits").prefix_with("MATERIALIZED")
        return sa.select(fenced.c.id).limit(newest)
    return found.order_by(column.desc()).limit(newest)


def count_hits(conn: Connection, query: Query, up_to: int) -> int:
    """How many versions hold ``query``, counted up to ``up_to`` (the index stops there)."""
    found = hit_ids(conn.dialect.name, query).limit(up_to).subquery()
    return int(conn.execute(sa.select(sa.func.count()).select_from(found)).scalar_one())


@lru_cache(maxsize=512)
def _pg_window(query: Query, size: int) -> sa.Select:
    """:func:`hit_list`'s one statement on PostgreSQL, kept per query: how many of the newest
    ``size`` versions there are (fewer in a small hub), and which of them hold ``query``, newest
    first (an array: one row, not a row a hit)."""
    window = (sa.select(item_versions.c.id, sa.literal_column(PG_DOCUMENT).label("search_vector"))
              .order_by(item_versions.c.id.desc()).limit(size).subquery("newest_versions"))
    tested_ids = (sa.func.array_agg(aggregate_order_by(window.c.id, window.c.id.desc()))
                  .filter(pg_match(query, "newest_versions")))
    return sa.select(sa.func.count(), tested_ids).select_from(window)


def hit_list(conn: Connection, query: Query, up_to: int) -> tuple[list[int], bool]:
    """The ids of up to ``up_to`` versions holding ``query``, read once (a search counts, walks and
    counts facets with them: the index asked once, not three times), and whether the query is
    *dense* among the newest versions (PostgreSQL only; see below).

    SQLite: the newest (FTS5 reads them newest first and stops). PostgreSQL: first the hits among
    the newest :data:`PG_WINDOW` versions, each tested by its stored tsvector (a few ms); when
    they are :data:`PG_DENSE` or more, those (newest first), and the query is dense: GIN answers a
    broad word or phrase by a bitmap of every hit (120-310 ms at 1,000,000 versions, however few
    are read). Else the first ``up_to`` the GIN index yields (its order), for a rare word a few ms.
    Either way a known list of ids: PostgreSQL guessed 20,000 rows for any prefix and joined every
    delivery of the hub by hash (0.5 s for 167 hits at 1,000,000)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        seen, found = conn.execute(_pg_window(query, PG_WINDOW)).one()
        tested = list(found or [])[:up_to]
        if seen < PG_WINDOW:
            return tested, False  # every version was tested: these are the hits, newest first
        if len(tested) >= PG_DENSE:
            return tested, True
    return list(conn.execute(hit_ids(dialect, query, newest=up_to)).scalars().all()), False


def hit_list_value(dialect: str, ids: list[int]) -> Any:
    """The parameter ``hit_list`` of ``ids``: a JSON array on SQLite, an array on PostgreSQL."""
    return list(ids) if dialect == "postgresql" else json.dumps(ids)


def listed(dialect: str, ids: list[int] | None) -> sa.ColumnElement[bool]:
    """``item_versions.id`` is one of ``ids`` (one parameter, ``hit_list``, instead of thousands;
    None: the parameter is given when the statement runs, :func:`hit_list_value`)."""
    given = {} if ids is None else {"value": hit_list_value(dialect, ids)}
    if dialect == "postgresql":
        return item_versions.c.id == sa.any_(sa.bindparam("hit_list", type_=ARRAY(sa.Integer), **given))
    values = sa.func.json_each(sa.bindparam("hit_list", type_=sa.Text, **given)).table_valued("value")
    return item_versions.c.id.in_(sa.select(values.c.value))


def listed_ids(dialect: str, name: str) -> sa.Select:
    """The integers of the parameter ``name`` (:func:`hit_list_value`'s form), as a select."""
    if dialect == "postgresql":
        return sa.select(sa.func.unnest(sa.bindparam(name, type_=ARRAY(sa.Integer))))
    values = sa.func.json_each(sa.bindparam(name, type_=sa.Text)).table_valued("value")
    return sa.select(values.c.value)


def listed_versions(dialect: str, ids: list[int] | None) -> sa.Select:
    """(item id, version) of the versions ``ids`` (None: the parameter ``hit_list``)."""
    return sa.select(item_versions.c.item_id, item_versions.c.version).where(listed(dialect, ids))
