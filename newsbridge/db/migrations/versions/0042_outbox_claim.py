"""outbox: each message carries its delivery's item and version; partial indexes of unfinished messages

Revision ID: 0042
Revises: 0041

The claim's ordering guard ("an earlier version of the same item is still unfinished for this
endpoint") joined ``deliveries`` twice per candidate message: with 10,000 messages queued on
PostgreSQL one claim took 11-13 s. ``outbox.item_id`` and ``outbox.version`` are copied from the
delivery when a message is queued (backfilled here for the messages already there; messages of
joint projects' events have no delivery and keep NULL), so the guard is one probe of
``ix_outbox_unfinished_item``; ``ix_outbox_due`` gives the claim its due order to walk with LIMIT.
Both hold unfinished messages only, so they stay as small as the queue.
"""

from alembic import op
import sqlalchemy as sa

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

UNFINISHED = "state IN ('pending', 'in_flight', 'retrying')"  # tables.OUTBOX_UNFINISHED when this was written


def upgrade() -> None:
    op.add_column("outbox", sa.Column("item_id", sa.String(length=32), nullable=True))
    op.add_column("outbox", sa.Column("version", sa.Integer(), nullable=True))
    op.execute("UPDATE outbox SET"
               " item_id = (SELECT deliveries.item_id FROM deliveries WHERE deliveries.id = outbox.delivery_id),"
               " version = (SELECT deliveries.version FROM deliveries WHERE deliveries.id = outbox.delivery_id)"
               " WHERE delivery_id IS NOT NULL")
    op.create_index("ix_outbox_due", "outbox", ["next_attempt_at", "id"], unique=False,
                    sqlite_where=sa.text(UNFINISHED), postgresql_where=sa.text(UNFINISHED))
    op.create_index("ix_outbox_unfinished_item", "outbox", ["endpoint_id", "item_id", "version"], unique=False,
                    sqlite_where=sa.text(UNFINISHED), postgresql_where=sa.text(UNFINISHED))


def downgrade() -> None:
    op.drop_index("ix_outbox_unfinished_item", table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("item_id")
