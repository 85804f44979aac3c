"""search_stems: the full-text index over each version's stems (per language) instead of its words

Revision ID: 0026
Revises: 0025

``item_versions.search_stems`` holds the stems of a version's headline and text
(newsbridge/search/stemming.py: Snowball for English and Russian, light Kazakh and Persian
stemmers), written by the store; this migration fills it for the versions stored before. The
index of migration 0007 is rebuilt over it under the same names: on SQLite the FTS5 table
``item_versions_search`` (external content, kept by triggers), on PostgreSQL the GIN index
``ix_item_versions_search`` on ``to_tsvector('simple', search_stems)``.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.search.stemming import index_text

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

ZWNJ = "\u200c"
BATCH = 2000
PG_INDEX = ("CREATE INDEX ix_item_versions_search ON item_versions USING gin "
            "(to_tsvector('simple'::regconfig, COALESCE(search_stems, '')))")
SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE item_versions_search USING fts5(search_stems, content='item_versions', "
    f"content_rowid='id', tokenize=\"unicode61 remove_diacritics 2 separators '{ZWNJ}'\")",
    "CREATE TRIGGER item_versions_search_insert AFTER INSERT ON item_versions BEGIN "
    "INSERT INTO item_versions_search(rowid, search_stems) VALUES (new.id, new.search_stems); END",
    "CREATE TRIGGER item_versions_search_delete AFTER DELETE ON item_versions BEGIN "
    "INSERT INTO item_versions_search(item_versions_search, rowid, search_stems) "
    "VALUES ('delete', old.id, old.search_stems); END",
    "CREATE TRIGGER item_versions_search_update AFTER UPDATE OF search_stems ON item_versions BEGIN "
    "INSERT INTO item_versions_search(item_versions_search, rowid, search_stems) "
    "VALUES ('delete', old.id, old.search_stems); "
    "INSERT INTO item_versions_search(rowid, search_stems) VALUES (new.id, new.search_stems); END",
    "INSERT INTO item_versions_search(item_versions_search) VALUES ('rebuild')",
]
# Migration 0007's index, for the downgrade.
OLD_PG_INDEX = ("CREATE INDEX ix_item_versions_search ON item_versions USING gin "
                "(to_tsvector('simple'::regconfig, replace(COALESCE(headline, '') || ' ' || COALESCE(body_text, ''), "
                f"'{ZWNJ}', ' ')))")
OLD_SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE item_versions_search USING fts5(headline, body_text, content='item_versions', "
    f"content_rowid='id', tokenize=\"unicode61 remove_diacritics 2 separators '{ZWNJ}'\")",
    "CREATE TRIGGER item_versions_search_insert AFTER INSERT ON item_versions BEGIN "
    "INSERT INTO item_versions_search(rowid, headline, body_text) VALUES (new.id, new.headline, new.body_text); END",
    "CREATE TRIGGER item_versions_search_delete AFTER DELETE ON item_versions BEGIN "
    "INSERT INTO item_versions_search(item_versions_search, rowid, headline, body_text) "
    "VALUES ('delete', old.id, old.headline, old.body_text); END",
    "CREATE TRIGGER item_versions_search_update AFTER UPDATE OF headline, body_text ON item_versions BEGIN "
    "INSERT INTO item_versions_search(item_versions_search, rowid, headline, body_text) "
    "VALUES ('delete', old.id, old.headline, old.body_text); "
    "INSERT INTO item_versions_search(rowid, headline, body_text) VALUES (new.id, new.headline, new.body_text); END",
    "INSERT INTO item_versions_search(item_versions_search) VALUES ('rebuild')",
]


def _drop_index(sqlite: bool) -> None:
    if sqlite:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS item_versions_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS item_versions_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_item_versions_search")


def _fill_stems() -> None:
    """Stem every stored version, a batch at a time in id order."""
    versions = sa.table("item_versions", sa.column("id", sa.Integer), sa.column("language", sa.String),
                        sa.column("headline", sa.Text), sa.column("body_text", sa.Text),
                        sa.column("search_stems", sa.Text))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.select(versions.c.id, versions.c.language, versions.c.headline, versions.c.body_text)
                            .where(versions.c.id > last).order_by(versions.c.id).limit(BATCH)).all()
        if not rows:
            return
        conn.execute(versions.update().where(versions.c.id == sa.bindparam("row_id"))
                     .values(search_stems=sa.bindparam("stems")),
                     [{"row_id": row.id, "stems": index_text(row.language, row.headline, row.body_text)}
                      for row in rows])
        last = rows[-1].id


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_index(sqlite)
    op.add_column("item_versions", sa.Column("search_stems", sa.Text(), nullable=True))
    _fill_stems()
    for statement in SQLITE_INDEX if sqlite else [PG_INDEX]:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_index(sqlite)
    with op.batch_alter_table("item_versions") as batch:
        batch.drop_column("search_stems")
    for statement in OLD_SQLITE_INDEX if sqlite else [OLD_PG_INDEX]:
        op.execute(statement)
