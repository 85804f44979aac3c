"""stories: embeddings and MinHash signatures per item version, LSH bands, stories and near-duplicates

Revision ID: 0031
Revises: 0030

The story worker (stories/worker.py) writes one ``story_vectors`` row per item version it has
looked at (its mark that the version is done), the version's LSH band keys, the item's story and
its near-duplicate links. Vectors live in a plain column, searched exactly within the time window
(this Python's sqlite3 cannot load extensions, so no sqlite-vec).
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_vectors",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("content_key", sa.String(length=64), nullable=True),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("minhash", sa.LargeBinary(), nullable=True),
        sa.Column("entities", Document, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_story_vectors_item_id_items")),
        sa.ForeignKeyConstraint(["version_id"], ["item_versions.id"],
                                name=op.f("fk_story_vectors_version_id_item_versions")),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_story_vectors")),
    )
    op.create_index("ix_story_vectors_item_id", "story_vectors", ["item_id"], unique=False)
    op.create_index("ix_story_vectors_content_key", "story_vectors", ["content_key"], unique=False)
    op.create_index("ix_story_vectors_published_at", "story_vectors", ["published_at"], unique=False)
    op.create_table(
        "story_bands",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("band_key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["story_vectors.version_id"],
                                name=op.f("fk_story_bands_version_id_story_vectors")),
        sa.PrimaryKeyConstraint("version_id", "band_key", name=op.f("pk_story_bands")),
    )
    op.create_index("ix_story_bands_band_key", "story_bands", ["band_key"], unique=False)
    op.create_table(
        "stories",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    op.create_table(
        "story_members",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("story_id", sa.String(length=32), nullable=False),
        sa.Column("matched_item_id", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("signals", Document, nullable=True),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_story_members_item_id_items")),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name=op.f("fk_story_members_story_id_stories")),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_story_members")),
    )
    op.create_index("ix_story_members_story_id", "story_members", ["story_id"], unique=False)
    op.create_table(
        "near_duplicates",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("duplicate_of", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('exact', 'near')", name=op.f("ck_near_duplicates_kind")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_near_duplicates_item_id_items")),
        sa.ForeignKeyConstraint(["duplicate_of"], ["items.id"], name=op.f("fk_near_duplicates_duplicate_of_items")),
        sa.PrimaryKeyConstraint("item_id", "duplicate_of", name=op.f("pk_near_duplicates")),
    )
    op.create_index("ix_near_duplicates_duplicate_of", "near_duplicates", ["duplicate_of"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_near_duplicates_duplicate_of", table_name="near_duplicates")
    op.drop_table("near_duplicates")
    op.drop_index("ix_story_members_story_id", table_name="story_members")
    op.drop_table("story_members")
    op.drop_table("stories")
    op.drop_index("ix_story_bands_band_key", table_name="story_bands")
    op.drop_table("story_bands")
    op.drop_index("ix_story_vectors_published_at", table_name="story_vectors")
    op.drop_index("ix_story_vectors_content_key", table_name="story_vectors")
    op.drop_index("ix_story_vectors_item_id", table_name="story_vectors")
    op.drop_table("story_vectors")
