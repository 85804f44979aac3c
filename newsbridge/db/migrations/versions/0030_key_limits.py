"""API keys: an optional expiry, an IP allow-list and the last time the key was used

Revision ID: 0030
Revises: 0029

Admins create and revoke their organization's keys through ``/api/v1/keys`` (api/keys.py); a key may
expire and may be limited to some addresses; ``last_used_at`` is written at most once a minute.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("allowed_ips", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("last_used_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("allowed_ips")
        batch.drop_column("expires_at")
