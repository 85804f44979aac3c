"""endpoint_pause: a partner's Retry-After pauses its whole endpoint, not only the message it answered

Revision ID: 0053
Revises: 0052

``endpoints.paused_until``: after a 429 or 503 with ``Retry-After``, no message goes to the endpoint before
this (delivery/outbox.py: the claim leaves it out, the next 2xx clears it). Before, only the answered
message waited, and the endpoint's other messages kept coming, one probe after another.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("endpoints", sa.Column("paused_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints") as batch:
        batch.drop_column("paused_until")
