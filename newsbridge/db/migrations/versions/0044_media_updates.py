"""media_updates: renditions made after a webhook went out reach its endpoint

Revision ID: 0044
Revises: 0043

A webhook message delivered while the item's media was still being processed (the delivery waited
NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS, then went with what was ready) is recorded in ``media_updates`` with
the renditions it offered; once the derivatives exist, the delivery worker queues one more message for
that endpoint (``outbox.media_update_id``, no ``delivery_id``: the outbox keeps one message per delivery
and endpoint) carrying the same version with its renditions (delivery/media_updates.py).
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

WAITING = "state = 'waiting'"


def upgrade() -> None:
    op.create_table(
        "media_updates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("sent", Document, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('waiting', 'queued', 'nothing_new', 'superseded', 'not_subscribed', "
                           "'expired')", name=op.f("ck_media_updates_state")),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name=op.f("fk_media_updates_delivery_id_deliveries")),
        sa.ForeignKeyConstraint(["endpoint_id"], ["endpoints.id"],
                                name=op.f("fk_media_updates_endpoint_id_endpoints")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_updates")),
        sa.UniqueConstraint("delivery_id", "endpoint_id", name=op.f("uq_media_updates_delivery_id_endpoint_id")),
    )
    op.create_index("ix_media_updates_waiting", "media_updates", ["created_at"], unique=False,
                    sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
    op.add_column("outbox", sa.Column("media_update_id", sa.Integer(), nullable=True))
    op.create_index("ix_outbox_media_update_id", "outbox", ["media_update_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_outbox_media_update_id", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("media_update_id")
    op.drop_index("ix_media_updates_waiting", table_name="media_updates")
    op.drop_table("media_updates")
