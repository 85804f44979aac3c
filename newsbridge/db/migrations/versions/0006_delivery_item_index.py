"""deliveries: index by item, recipient and position (withdrawal state and per-item history)

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_item_id_recipient_id_position", "deliveries",
                    ["item_id", "recipient_id", "position"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveries_item_id_recipient_id_position", table_name="deliveries")
