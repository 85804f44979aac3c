"""search_vector: PostgreSQL keeps each version's tsvector instead of computing it for every test

Revision ID: 0046
Revises: 0045

On PostgreSQL the full-text index was a GIN index on the expression
``to_tsvector('simple', search_stems)`` (migration 0026): the index finds the hits, but anything
else that tests or ranks a row (reading a broad query's hits, ``ts_rank``, a newest-first walk)
computed the row's ``tsvector`` again, ~30 µs each, and a broad query at 100,000 items took
0.8-1.1 s. ``item_versions.search_vector`` now stores it: a generated column (PostgreSQL 12+),
computed by the database from ``search_stems`` (the stems the store writes with
search/stemming.py, so the same stems on both databases) whenever a row is written; adding it
fills it for every stored version. The GIN index ``ix_item_versions_search`` is rebuilt over the
column under the same name. SQLite is unchanged: its FTS5 table holds the tokens already.
"""

from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None

DOCUMENT = "to_tsvector('simple'::regconfig, COALESCE(search_stems, ''))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_item_versions_search")
    op.execute(f"ALTER TABLE item_versions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED")
    op.execute("CREATE INDEX ix_item_versions_search ON item_versions USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_item_versions_search")
    op.execute("ALTER TABLE item_versions DROP COLUMN search_vector")
    op.execute(f"CREATE INDEX ix_item_versions_search ON item_versions USING gin ({DOCUMENT})")
