"""media: media files, their renditions, the items that carry them, tus uploads, hub-made secrets

Revision ID: 0016
Revises: 0015

A media row is a file an organization uploaded (kept in the blob store by SHA-256); its
renditions each name a blob; item_media links the organization's items (by uri) to media;
uploads are tus uploads being assembled; hub_secrets keeps the media URL signing key the hub
generates when the operator sets none.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("codecs", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('uploaded', 'probed', 'ready', 'rejected')", name=op.f("ck_media_status")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_media_organization_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    op.create_index("ix_media_organization_id_sha256", "media", ["organization_id", "sha256"], unique=False)
    op.create_table(
        "renditions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_renditions_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renditions")),
        sa.UniqueConstraint("media_id", "name", name=op.f("uq_renditions_media_id_name")),
    )
    op.create_index(op.f("ix_renditions_sha256"), "renditions", ["sha256"], unique=False)
    op.create_table(
        "item_media",
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("item_uri", sa.String(length=1000), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_item_media_media_id_media")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_item_media_organization_id_organizations")),
        sa.PrimaryKeyConstraint("organization_id", "item_uri", "media_id", name=op.f("pk_item_media")),
    )
    op.create_index(op.f("ix_item_media_media_id"), "item_media", ["media_id"], unique=False)
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("meta", Document, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("media_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_uploads_media_id_media")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_uploads_organization_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    op.create_index(op.f("ix_uploads_organization_id"), "uploads", ["organization_id"], unique=False)
    op.create_index(op.f("ix_uploads_expires_at"), "uploads", ["expires_at"], unique=False)
    op.create_table(
        "hub_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_hub_secrets")),
    )


def downgrade() -> None:
    op.drop_table("hub_secrets")
    op.drop_index(op.f("ix_uploads_expires_at"), table_name="uploads")
    op.drop_index(op.f("ix_uploads_organization_id"), table_name="uploads")
    op.drop_table("uploads")
    op.drop_index(op.f("ix_item_media_media_id"), table_name="item_media")
    op.drop_table("item_media")
    op.drop_index(op.f("ix_renditions_sha256"), table_name="renditions")
    op.drop_table("renditions")
    op.drop_index("ix_media_organization_id_sha256", table_name="media")
    op.drop_table("media")
