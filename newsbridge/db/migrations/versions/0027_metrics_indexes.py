"""metrics at scale: covering read indexes on the rollup

Revision ID: 0027
Revises: 0026

``ix_metrics_days_read``, ``ix_metrics_delays_read``, ``ix_metrics_keys_read``: the metrics page
sums a window of one agreement's days in one zone, both directions, in SQL (metrics/sums.py). The
primary keys put the direction before the day, so such a read walked every day the agreement ever
had and fetched each row from the table; these indexes put the day first after the zone and hold
every column read, so the read is one index range.

``ix_deliveries_agreement_id_arrives_at`` on PostgreSQL carries the delivery id (``INCLUDE``): the
live ``failed`` figure checks an agreement's deliveries of the window against the outbox's few
rows that gave up, and without the id in the index PostgreSQL read the whole deliveries table for
it (a second per page at 5 million deliveries). SQLite's index already holds the rowid.
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

READ_ORDER = ["agreement_id", "zone", "day", "source_id", "recipient_id"]
DAY_COLUMNS = ["items", "withdrawn", "same_day", "picked_up", "deliveries", "corrections", "pickups_declared",
               "pickups_detected"]


def upgrade() -> None:
    op.create_index("ix_metrics_days_read", "metrics_days", READ_ORDER + DAY_COLUMNS)
    op.create_index("ix_metrics_delays_read", "metrics_delays", READ_ORDER + ["bucket", "n"])
    op.create_index("ix_metrics_keys_read", "metrics_keys", READ_ORDER + ["dimension", "key", "n"])
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_deliveries_agreement_id_arrives_at", table_name="deliveries")
        op.create_index("ix_deliveries_agreement_id_arrives_at", "deliveries", ["agreement_id", "arrives_at"],
                        postgresql_include=["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_deliveries_agreement_id_arrives_at", table_name="deliveries")
        op.create_index("ix_deliveries_agreement_id_arrives_at", "deliveries", ["agreement_id", "arrives_at"])
    op.drop_index("ix_metrics_keys_read", table_name="metrics_keys")
    op.drop_index("ix_metrics_delays_read", table_name="metrics_delays")
    op.drop_index("ix_metrics_days_read", table_name="metrics_days")
