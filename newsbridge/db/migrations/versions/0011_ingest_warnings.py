"""item_versions.ingest_warnings: what a reader assumed to accept the version; sources.strict

Revision ID: 0011
Revises: 0010

Readers accept what agencies really send (a time without a zone, an item class in an agency's
own scheme, an empty urgency) and say what they assumed: those warnings are kept with the
version they belong to (none: NULL, so existing versions need no rewrite). A polled source can
be made strict: a document that would need a warning is refused instead (existing sources stay
lenient).
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ingest_warnings", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                                      nullable=True))
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("strict", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("strict")
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.drop_column("ingest_warnings")
