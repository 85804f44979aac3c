"""search: full-text index over item versions, Media Topics per version (desk filters over the whole history)

Revision ID: 0007
Revises: 0006

SQLite gets an FTS5 table kept by triggers; PostgreSQL a GIN index on the text-search vector
(newsbridge/items/search.py queries both). Existing versions are indexed here.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document
from newsbridge.vocab.mediatopics import item_topics

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ZWNJ = "\u200c"
PG_INDEX = ("CREATE INDEX ix_item_versions_search ON item_versions USING gin "
            "(to_tsvector('simple'::regconfig, replace(COALESCE(headline, '') || ' ' || COALESCE(body_text, ''), "
            f"'{ZWNJ}', ' ')))")
SQLITE_INDEX = [
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


def _backfill_topics() -> None:
    versions = sa.table("item_versions", sa.column("item_id", sa.String), sa.column("version", sa.Integer),
                        sa.column("document", Document))
    topics = sa.table("version_topics", sa.column("item_id", sa.String), sa.column("version", sa.Integer),
                      sa.column("qcode", sa.String))
    conn = op.get_bind()
    rows = []
    for row in conn.execute(sa.select(versions.c.item_id, versions.c.version, versions.c.document)):
        rows += [{"item_id": row.item_id, "version": row.version, "qcode": qcode}
                 for qcode in sorted(item_topics((row.document or {}).get("subjects", [])))]
        if len(rows) >= 5000:
            conn.execute(topics.insert(), rows)
            rows = []
    if rows:
        conn.execute(topics.insert(), rows)


def upgrade() -> None:
    op.create_table(
        "version_topics",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("qcode", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["item_id", "version"], ["item_versions.item_id", "item_versions.version"],
                                name=op.f("fk_version_topics_item_id_item_versions")),
        sa.PrimaryKeyConstraint("item_id", "version", "qcode", name=op.f("pk_version_topics")),
    )
    op.create_index("ix_version_topics_qcode_item_id", "version_topics", ["qcode", "item_id"], unique=False)
    _backfill_topics()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_INDEX)
    else:
        for statement in SQLITE_INDEX:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_item_versions_search")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER item_versions_search_{trigger}")
        op.execute("DROP TABLE item_versions_search")
    op.drop_index("ix_version_topics_qcode_item_id", table_name="version_topics")
    op.drop_table("version_topics")
