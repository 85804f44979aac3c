"""Full-text search over item versions, with one query language on both databases.

The index covers each version's headline and plain text and is kept at store time by the
database itself (migration 0007):

* SQLite: the FTS5 table ``item_versions_search`` (external content: ``item_versions``),
  ``unicode61`` tokenizer, case and Latin accents ignored, filled by triggers;
* PostgreSQL: a GIN index on ``to_tsvector('simple', headline || ' ' || body_text)``.

A query is a list of words; a version matches when it holds every word, each as the start of a
word ("Казахстан" finds "Казахстана", "coop" finds "cooperation"). A zero-width non-joiner
separates words on both sides (Persian compounds), and Arabic and Persian forms of ye and kaf
find each other.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import sqlalchemy as sa

from newsbridge.db.tables import item_versions

MAX_WORDS = 16
MAX_WORD = 64
ZWNJ = "\u200c"
_WORD = re.compile(r"[^\W_]+")
_TO_PERSIAN = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})
_TO_ARABIC = str.maketrans({"\u06cc": "\u064a", "\u06a9": "\u0643"})

# The indexed expression, written exactly as the PostgreSQL index (migration 0007) declares it,
# so that the planner uses the index.
PG_DOCUMENT = ("to_tsvector('simple'::regconfig, replace(COALESCE(item_versions.headline, '') || ' ' || "
               f"COALESCE(item_versions.body_text, ''), '{ZWNJ}', ' '))")
SQLITE_TABLE = "item_versions_search"


def words(query: str) -> list[list[str]]:
    """The words of a query, each with its spellings (Arabic and Persian letter forms)."""
    text = unicodedata.normalize("NFC", query).casefold()
    found: list[list[str]] = []
    for word in _WORD.findall(text)[:MAX_WORDS]:
        word = word[:MAX_WORD]
        forms = list(dict.fromkeys([word, word.translate(_TO_PERSIAN), word.translate(_TO_ARABIC)]))
        if forms not in found:
            found.append(forms)
    return found


def _sqlite_expression(query: list[list[str]]) -> str:
    return " AND ".join("(" + " OR ".join(f'"{form}"*' for form in forms) + ")" for forms in query)


def _pg_expression(query: list[list[str]]) -> str:
    return " & ".join("(" + " | ".join(f"'{form}':*" for form in forms) + ")" for forms in query)


def _pg_match(found: list[list[str]]) -> sa.ColumnElement[bool]:
    document: Any = sa.literal_column(PG_DOCUMENT)
    return document.op("@@")(sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), _pg_expression(found)))


def matching_versions(dialect: str, query: str) -> sa.Select | None:
    """The (item id, version) of every version that holds every word of ``query``, from the index
    alone; None when the query has no words. Readers intersect it with what a viewer received."""
    found = words(query)
    if not found:
        return None
    if dialect == "postgresql":
        return sa.select(item_versions.c.item_id, item_versions.c.version).where(_pg_match(found))
    hits = sa.select(sa.literal_column("rowid")).select_from(sa.table(SQLITE_TABLE)).where(
        sa.literal_column(SQLITE_TABLE).op("MATCH")(_sqlite_expression(found)))
    return sa.select(item_versions.c.item_id, item_versions.c.version).where(item_versions.c.id.in_(hits))
