"""translation: each organization's glossary and the machine translations made for it

Revision ID: 0038
Revises: 0037

``glossary_terms`` holds an organization's names and terms with their form per language;
``item_translations`` caches a machine translation per item version, target language and
organization (whose glossary shaped it), with the engine's name.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "glossary_terms",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("forms", Document, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_glossary_terms_organization_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_terms")),
    )
    op.create_index("ix_glossary_terms_organization_id", "glossary_terms", ["organization_id"], unique=False)
    op.create_table(
        "item_translations",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("source_language", sa.String(length=35), nullable=True),
        sa.Column("backend", sa.String(length=64), nullable=False),
        sa.Column("glossary_key", sa.String(length=64), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_item_translations_item_id_items")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_item_translations_organization_id_organizations")),
        sa.PrimaryKeyConstraint("item_id", "version", "language", "organization_id",
                                name=op.f("pk_item_translations")),
    )


def downgrade() -> None:
    op.drop_table("item_translations")
    op.drop_index("ix_glossary_terms_organization_id", table_name="glossary_terms")
    op.drop_table("glossary_terms")
