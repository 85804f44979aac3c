"""outbox_partial_uniques: the outbox's unique indexes on columns most messages leave empty hold only the
messages that fill them

Revision ID: 0057
Revises: 0056

(agreement_event_id, endpoint_id), (project_event_id, endpoint_id) and (media_update_id) are unique among
the messages that name an agreement event, a project event or a media update; an item's message, nearly
every message, names none of them. A unique index on a nullable column still holds an entry for every row
whose value is NULL, so each message cost three index entries nobody reads: on every insert, and on
PostgreSQL on every claim and record too (an update that changes ``state``, which other indexes hold, writes
a new entry into every index of the table, partial ones only when their condition holds). Partial indexes
(``WHERE column IS NOT NULL``) keep the same rule for the rows that fill the column and drop the rest:
NULLs never conflicted anyway. Issue 17: PostgreSQL spent as much CPU a message as the delivery workers
(bench/fanout.py --phases scale). SQLite rebuilds the table (its unique constraints live in its CREATE TABLE).
"""

from alembic import op
import sqlalchemy as sa

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None

PARTIAL = (("ux_outbox_agreement_event", ["agreement_event_id", "endpoint_id"], "agreement_event_id"),
           ("ux_outbox_project_event", ["project_event_id", "endpoint_id"], "project_event_id"),
           ("ix_outbox_media_update_id", ["media_update_id"], "media_update_id"))


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:  # SQLite: the table is rebuilt with its other indexes
        batch.drop_constraint("uq_outbox_agreement_event_id_endpoint_id", type_="unique")
        batch.drop_constraint("uq_outbox_project_event_id_endpoint_id", type_="unique")
    op.drop_index("ix_outbox_media_update_id", table_name="outbox")
    for name, columns, column in PARTIAL:
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "outbox", columns, unique=True, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, _columns, _column in PARTIAL:
        op.drop_index(name, table_name="outbox")
    op.create_index("ix_outbox_media_update_id", "outbox", ["media_update_id"], unique=True)
    with op.batch_alter_table("outbox") as batch:
        for _name, columns, _column in PARTIAL[:2]:
            batch.create_unique_constraint(f"uq_outbox_{columns[0]}_endpoint_id", columns)
