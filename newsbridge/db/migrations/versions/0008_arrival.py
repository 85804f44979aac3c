"""deliveries: arrival time in the recipient's inbox, indexed by recipient (the desk's newest page from the index)

Revision ID: 0008
Revises: 0007

``arrives_at`` is when a delivery enters the recipient's inbox: when it was routed or when it
became available (embargo, delay), whichever is later. Both are fixed when the row is written,
so it is computed then; rows written before are filled here.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild on SQLite, which a large deliveries table would feel);
    # nullable in the schema, always written by routing.
    op.add_column("deliveries", sa.Column("arrives_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE deliveries SET arrives_at = CASE WHEN created_at > available_from THEN created_at "
               "ELSE available_from END")
    op.create_index("ix_deliveries_recipient_id_arrives_at_id", "deliveries", ["recipient_id", "arrives_at", "id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveries_recipient_id_arrives_at_id", table_name="deliveries")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("arrives_at")
