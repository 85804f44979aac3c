"""organizations' grants of support access to the hub operator

Revision ID: 0039
Revises: 0038
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_grants",
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.String(length=320), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_support_grants_organization_id_organizations")),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_support_grants")),
    )


def downgrade() -> None:
    op.drop_table("support_grants")
