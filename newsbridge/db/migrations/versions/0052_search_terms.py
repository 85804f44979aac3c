"""search_terms: SQLite keeps the list of the words its full-text index holds, so that a query's
prefixes are read as the words they stand for

Revision ID: 0052
Revises: 0051

A query word matches every stored stem that starts with one of its stems (items/search.py:
``coop`` finds "cooperation"). FTS5 answers a prefix (``"cooper"*``) by merging the postings of
every word with that prefix into one list before it returns a single row: a word in a third of
1,000,000 versions cost ~40 ms of CPU per use, even for "the newest 20" or "does row 42 hold
it?", where the same words asked as exact words are read lazily, newest first, and stop (0.03 ms).
``item_versions_search_terms`` holds each distinct word of ``search_stems`` once (the words, split
at spaces and line ends as search/stemming.py writes them), kept by triggers on
``item_versions`` like the index itself, so a prefix is looked up there (a range of the primary
key) and asked as those words (``"cooper" OR "cooperative"``). Words are never removed (a word
no version holds any more matches nothing). PostgreSQL is unchanged: its GIN index reads a
prefix's entries in one range, the same work as the words one by one.
"""

from alembic import op

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None

TABLE = "item_versions_search_terms"
# The words of a version's stems as a JSON array (stems are runs of letters and digits: no quote,
# backslash or control character; json_valid guards against anything else written there).
_ARRAY = ("'[\"' || replace(replace(replace(replace(replace({stems}, '\\', ' '), '\"', ' '), char(9), ' '), "
          "char(10), ' '), ' ', '\",\"') || '\"]'")
_WORDS = ("INSERT OR IGNORE INTO " + TABLE + "(term) SELECT DISTINCT value FROM json_each("
          "CASE WHEN json_valid({array}) THEN {array} ELSE '[]' END) WHERE value <> ''")


def words_of(stems: str) -> str:
    """The statement that adds the words of ``stems`` (an SQL expression) to the table."""
    array = _ARRAY.format(stems=stems)
    return _WORDS.format(array=array)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE TABLE {TABLE} (term TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID")
    op.execute(f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON item_versions WHEN new.search_stems IS NOT NULL "
               f"BEGIN {words_of('new.search_stems')}; END")
    op.execute(f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF search_stems ON item_versions "
               f"WHEN new.search_stems IS NOT NULL BEGIN {words_of('new.search_stems')}; END")
    # The versions stored before: one pass (a minute or two at 1,000,000 versions).
    op.execute(words_of("iv.search_stems").replace("json_each(", "item_versions AS iv, json_each(", 1)
               + " AND iv.search_stems IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_insert")
    op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_update")
    op.execute(f"DROP TABLE IF EXISTS {TABLE}")
