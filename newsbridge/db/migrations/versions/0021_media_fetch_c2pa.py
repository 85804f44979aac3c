"""sources.fetch_media, media_fetches; media.c2pa (C2PA credentials, media/provenance.py), media.origin_url

Revision ID: 0021
Revises: 0019 (0020 was not needed: media rules live in the terms document)

A polled source can be set to fetch the media its items name by URL: the hub downloads them
(through the SSRF guard), keeps its own copy and rewrites the renditions to it (existing sources
keep links only). A fetched media file remembers where it came from (``origin_url``), so the same
URL is fetched once per organization. ``c2pa`` keeps what the hub read and validated of a file's
C2PA content credentials (NULL: the file carries none, or it was not read yet).
``media_fetches`` is the hand-over from ingest to the media worker: one row per remote rendition
URL of an item from such a source (pending -> queued as a job -> fetched | failed).
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fetch_media", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("c2pa", Document, nullable=True))
        batch_op.add_column(sa.Column("origin_url", sa.String(length=2000), nullable=True))
        batch_op.create_index("ix_media_organization_id_origin_url", ["organization_id", "origin_url"], unique=False)
    op.create_table(
        "media_fetches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("item_uri", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'queued', 'fetched', 'failed')", name=op.f("ck_media_fetches_state")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_media_fetches_organization_id_organizations")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_media_fetches_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_fetches")),
        sa.UniqueConstraint("organization_id", "item_uri", "url",
                            name=op.f("uq_media_fetches_organization_id_item_uri_url")),
    )
    op.create_index("ix_media_fetches_state", "media_fetches", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_media_fetches_state", table_name="media_fetches")
    op.drop_table("media_fetches")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index("ix_media_organization_id_origin_url")
        batch_op.drop_column("origin_url")
        batch_op.drop_column("c2pa")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("fetch_media")
