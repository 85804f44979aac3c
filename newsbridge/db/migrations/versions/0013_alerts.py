"""alerts: each member's read and dismissed alerts, alert settings and saved searches

Revision ID: 0013
Revises: 0012

Alerts themselves are computed from the hub's state (pickups, deliveries, agreements,
commitments, endpoints, sources: newsbridge/alerts/feed.py); only what a member did with one
(read, dismissed), what they want to be alerted about, and the desk searches they saved are kept.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_marks",
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column("dismissed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_alert_marks_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", "key", name=op.f("pk_alert_marks")),
    )
    op.create_table(
        "alert_settings",
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("kinds", Document, nullable=False),
        sa.Column("partners", Document, nullable=False),
        sa.Column("topics", Document, nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("last_digest_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_alert_settings_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_alert_settings")),
    )
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("query", Document, nullable=False),
        sa.Column("alerts", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_saved_searches_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index(op.f("ix_saved_searches_member_id"), "saved_searches", ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_searches_member_id"), table_name="saved_searches")
    op.drop_table("saved_searches")
    op.drop_table("alert_settings")
    op.drop_table("alert_marks")
