"""Full-text search over item versions, with one query language on both databases.

The index covers the *stems* of each version's headline and text (``item_versions.search_stems``,
written by the store with search/stemming.py: Snowball for English and Russian, light Kazakh and
Persian stemmers), so "Казахстана" finds "Казахстан" and "کتاب‌ها" finds "کتاب". The databases
index that column (migration 0026, replacing 0007's index over the plain words):

* SQLite: the FTS5 table ``item_versions_search`` (external content: ``item_versions``),
  ``unicode61`` tokenizer (Latin accents ignored), kept by triggers;
* PostgreSQL: a GIN index on ``to_tsvector('simple', search_stems)``.

A query (search/query.py) is words and quoted phrases. A version matches when it holds every
word, each as a stored stem starting with one of the word's stems, and every phrase, its stems
next to each other in order.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from newsbridge.db.tables import item_versions
from newsbridge.search.query import Query, parse

# The indexed expression, written exactly as the PostgreSQL index (migration 0026) declares it,
# so that the planner uses the index.
PG_DOCUMENT = "to_tsvector('simple'::regconfig, COALESCE(item_versions.search_stems, ''))"
SQLITE_TABLE = "item_versions_search"


def _sqlite_form(form: str) -> str:
    # A Persian compound's stems ("راه آهن") are a phrase of their own; the last part a prefix.
    return " + ".join(f'"{part}"' for part in form.split()) + "*"


def sqlite_expression(query: Query) -> str:
    groups = ["(" + " OR ".join(_sqlite_form(form) for form in forms) + ")" for forms in query.terms]
    groups += [" + ".join(f'"{stem}"*' for stem in phrase) for phrase in query.phrases]
    return " AND ".join(groups)


def _pg_form(form: str) -> str:
    return " <-> ".join(f"'{part}':*" for part in form.split())


def pg_expression(query: Query) -> str:
    groups = ["(" + " | ".join(_pg_form(form) for form in forms) + ")" for forms in query.terms]
    groups += ["(" + " <-> ".join(f"'{stem}':*" for stem in phrase) + ")" for phrase in query.phrases]
    return " & ".join(groups)


def pg_match(query: Query) -> sa.ColumnElement[bool]:
    document: Any = sa.literal_column(PG_DOCUMENT)
    return document.op("@@")(sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), pg_expression(query)))


def matching_versions(dialect: str, text: str | Query) -> sa.Select | None:
    """The (item id, version) of every version that holds every word and phrase of ``text`` (a
    query as typed, or parsed), from the index alone; None when the query has no words. Readers
    intersect it with what a viewer received."""
    query = text if isinstance(text, Query) else parse(text)
    if not query:
        return None
    if dialect == "postgresql":
        return sa.select(item_versions.c.item_id, item_versions.c.version).where(pg_match(query))
    hits = sa.select(sa.literal_column("rowid")).select_from(sa.table(SQLITE_TABLE)).where(
        sa.literal_column(SQLITE_TABLE).op("MATCH")(sqlite_expression(query)))
    return sa.select(item_versions.c.item_id, item_versions.c.version).where(item_versions.c.id.in_(hits))
