"""media push: partners' own S3 buckets (media_push_targets) and the pushes of originals to them

Revision ID: 0024
Revises: 0023

A partner can have the hub push the originals of the media it receives into its own S3 bucket
(``newsbridge/media/push*.py``). ``media_push_targets`` keeps the bucket (endpoint, bucket, prefix,
region, access key, the secret sealed with the hub's key) and how far the worker has looked at
deliveries (``scanned_position``); ``media_pushes`` is one item's media pushed to one target, with
attempts, back-off and the last error like a webhook message in ``outbox``.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_push_targets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("endpoint_url", sa.String(length=2000), nullable=False),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("prefix", sa.String(length=500), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("access_key", sa.String(length=200), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("scanned_position", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_media_push_targets_organization_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_push_targets")),
    )
    op.create_index("ix_media_push_targets_organization_id", "media_push_targets", ["organization_id"], unique=False)
    op.create_table(
        "media_pushes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target_id", sa.String(length=32), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("object_key", sa.String(length=1200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("rendition", sa.String(length=32), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("pushed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'in_flight', 'delivered', 'retrying', 'dead', 'failed')",
                           name=op.f("ck_media_pushes_state")),
        sa.ForeignKeyConstraint(["target_id"], ["media_push_targets.id"],
                                name=op.f("fk_media_pushes_target_id_media_push_targets")),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], name=op.f("fk_media_pushes_delivery_id_deliveries")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_media_pushes_item_id_items")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_media_pushes_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_pushes")),
        sa.UniqueConstraint("target_id", "item_id", "media_id",
                            name=op.f("uq_media_pushes_target_id_item_id_media_id")),
    )
    op.create_index("ix_media_pushes_state_next_attempt_at", "media_pushes", ["state", "next_attempt_at"],
                    unique=False)
    op.create_index("ix_media_pushes_target_id_id", "media_pushes", ["target_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_media_pushes_target_id_id", table_name="media_pushes")
    op.drop_index("ix_media_pushes_state_next_attempt_at", table_name="media_pushes")
    op.drop_table("media_pushes")
    op.drop_index("ix_media_push_targets_organization_id", table_name="media_push_targets")
    op.drop_table("media_push_targets")
