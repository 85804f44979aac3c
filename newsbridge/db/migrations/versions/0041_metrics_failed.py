"""metrics: deliveries whose webhook gave up kept in the rollup

Revision ID: 0041
Revises: 0040

``metrics_days.failed``: the deliveries arriving that day whose webhook gave up (dead or failed).
It was counted live on every page, the largest single query of an 18-month page on SQLite; the
outbox now marks the item (``metrics_marks``) when a message gives up or is replayed, and the
rollup worker re-rolls its days. ``ix_metrics_days_read`` holds the new column.

The rollup already built has 0 there: the items of every message that gave up are marked, so
the worker re-rolls their days, and until it has, readers count those days from the raw rows.
"""

from alembic import op
import sqlalchemy as sa

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

READ_ORDER = ["agreement_id", "zone", "day", "source_id", "recipient_id"]
DAY_COLUMNS = ["items", "withdrawn", "same_day", "picked_up", "deliveries", "corrections", "pickups_declared",
               "pickups_detected"]


def upgrade() -> None:
    op.drop_index("ix_metrics_days_read", table_name="metrics_days")
    op.add_column("metrics_days", sa.Column("failed", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_metrics_days_read", "metrics_days", READ_ORDER + DAY_COLUMNS + ["failed"])
    op.execute("INSERT INTO metrics_marks (item_id, at) SELECT DISTINCT deliveries.item_id, CURRENT_TIMESTAMP "
               "FROM outbox JOIN deliveries ON deliveries.id = outbox.delivery_id "
               "WHERE outbox.state IN ('dead', 'failed') AND deliveries.agreement_id IS NOT NULL "
               "AND EXISTS (SELECT 1 FROM metrics_built WHERE metrics_built.agreement_id = deliveries.agreement_id)")


def downgrade() -> None:
    op.drop_index("ix_metrics_days_read", table_name="metrics_days")
    with op.batch_alter_table("metrics_days") as batch:
        batch.drop_column("failed")
    op.create_index("ix_metrics_days_read", "metrics_days", READ_ORDER + DAY_COLUMNS)
