"""human_translations: an editor's correction of a machine translation, shareable with the item's source

Revision ID: 0045
Revises: 0044

``human_translations`` holds one organization's corrected translation of one item version into one
language (``edited_from``: the engine whose machine translation it started from, if any). From then
on the organization's members see it instead of the machine translation of that version; a new
version starts fresh. ``shared_at`` set: the item's source sees it too (translation/corrections.py).
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "human_translations",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("source_language", sa.String(length=35), nullable=True),
        sa.Column("edited_from", sa.String(length=64), nullable=True),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited_by", sa.String(length=300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("shared_at", UTCDateTime(), nullable=True),
        sa.Column("shared_by", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_human_translations_item_id_items")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_human_translations_organization_id_organizations")),
        sa.PrimaryKeyConstraint("item_id", "version", "language", "organization_id",
                                name=op.f("pk_human_translations")),
    )


def downgrade() -> None:
    op.drop_table("human_translations")
