"""late_previews: a feed entry sent before its previews existed is shown again once they do

Revision ID: 0051
Revises: 0046

A delivery that entered a recipient's feed while its item's media was still being processed (it waited
NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS, then went with what was ready) is recorded in ``late_previews``; once no
media of the item is processing, delivery/media_updates.py gives the delivery a new feed position, so changes
feed, live stream and Atom/RSS/JSON Feed readers that already read it get it again, with its previews, and
readers that had not reached it yet get it once. ``ix_media_status`` finds the media being processed.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0051"
down_revision = "0046"
branch_labels = None
depends_on = None

WAITING = "state = 'waiting'"


def upgrade() -> None:
    op.create_table(
        "late_previews",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("moved_from", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("state IN ('waiting', 'moved', 'superseded', 'expired')",
                           name=op.f("ck_late_previews_state")),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name=op.f("fk_late_previews_delivery_id_deliveries")),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_late_previews")),
    )
    op.create_index("ix_late_previews_waiting", "late_previews", ["created_at"], unique=False,
                    sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
    op.create_index("ix_media_status", "media", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_media_status", table_name="media")
    op.drop_index("ix_late_previews_waiting", table_name="late_previews")
    op.drop_table("late_previews")
