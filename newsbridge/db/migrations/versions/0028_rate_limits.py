"""rate limits: a counter per bucket (API key and action, or client address) and minute

Revision ID: 0028
Revises: 0027

Publishing, media uploads and other writes are limited per API key and per client address
(accounts/rate_limits.py). The counters are in the database, so several hub processes share them.
"""

from alembic import op
import sqlalchemy as sa

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "minute", name=op.f("pk_rate_counters")),
    )
    op.create_index("ix_rate_counters_minute", "rate_counters", ["minute"])


def downgrade() -> None:
    op.drop_index("ix_rate_counters_minute", table_name="rate_counters")
    op.drop_table("rate_counters")
