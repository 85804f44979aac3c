"""joint publication to every co-producer, and its corrections

Revision ID: 0025
Revises: 0024

* ``deliveries.agreement_id`` may be NULL and ``deliveries.project_id`` names the joint project: a
  co-producer of a project made without an agreement receives the published items for being a
  participant (projects/publication.py), under no agreement.
* ``project_publications.revision`` (the draft revision each language's item was made from) and
  ``corrected_at`` (when a correction last gave the item a new version). Rows written before are
  given the newest revision of their draft, which is the one published (drafts closed then).

On SQLite, dropping a NOT NULL constraint would otherwise rebuild ``deliveries`` (a copy of the
largest table, and a DROP that the webhook outbox's foreign keys refuse inside a transaction);
the schema text is edited in place instead, the procedure SQLite documents for removing a NOT
NULL constraint (https://www.sqlite.org/lang_altertable.html, "making other kinds of changes").
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_STRICT = "agreement_id VARCHAR(32) NOT NULL,"
_LOOSE = "agreement_id VARCHAR(32),"


def _sqlite_schema_text(old: str, new: str) -> None:
    conn = op.get_bind()
    text = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'").scalar()
    if old not in text:
        raise RuntimeError(f"deliveries is not as migration 0025 expects (no {old!r}): {text}")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'deliveries'",
                         (text.replace(old, new, 1),))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_schema_text(_STRICT, _LOOSE)
        # a plain ADD COLUMN (no rebuild); SQLite takes a foreign key on an added column defaulting to NULL
        op.execute("ALTER TABLE deliveries ADD COLUMN project_id VARCHAR(32) "
                   "CONSTRAINT fk_deliveries_project_id_projects REFERENCES projects (id)")
    else:
        op.alter_column("deliveries", "agreement_id", existing_type=sa.String(length=32), nullable=True)
        op.add_column("deliveries", sa.Column("project_id", sa.String(length=32), nullable=True))
        op.create_foreign_key(op.f("fk_deliveries_project_id_projects"), "deliveries", "projects", ["project_id"],
                              ["id"])
    op.add_column("project_publications", sa.Column("revision", sa.Integer(), nullable=True))
    op.add_column("project_publications", sa.Column("corrected_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE project_publications SET revision = (SELECT max(r.number) FROM draft_revisions r "
               "WHERE r.deliverable_id = project_publications.deliverable_id "
               "AND r.language = project_publications.language)")


def downgrade() -> None:
    # Deliveries under no agreement cannot be kept under the old schema: they (and their webhook
    # messages) go; the co-producers keep nothing they could not have had before.
    op.execute("DELETE FROM outbox WHERE delivery_id IN (SELECT id FROM deliveries WHERE agreement_id IS NULL)")
    op.execute("DELETE FROM deliveries WHERE agreement_id IS NULL")
    with op.batch_alter_table("project_publications", schema=None) as batch_op:
        batch_op.drop_column("corrected_at")
        batch_op.drop_column("revision")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops no column a foreign key names: the table is rebuilt (the outbox's foreign keys
        # refuse that while messages exist; a downgrade of a hub with history needs them sent and purged)
        with op.batch_alter_table("deliveries", schema=None) as batch_op:
            batch_op.drop_constraint("fk_deliveries_project_id_projects", type_="foreignkey")
            batch_op.drop_column("project_id")
        _sqlite_schema_text(_LOOSE, _STRICT)
    else:
        op.drop_constraint(op.f("fk_deliveries_project_id_projects"), "deliveries", type_="foreignkey")
        op.drop_column("deliveries", "project_id")
        op.alter_column("deliveries", "agreement_id", existing_type=sa.String(length=32), nullable=False)
