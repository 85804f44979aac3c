"""endpoints.format and feed_tokens.format: the output profile a receiver reads (Superdesk's ninjs 1.x...)

Revision ID: 0015
Revises: 0014

A webhook endpoint is sent ``ninjs3``, ``ninjs2`` or ``ninjs1-superdesk`` (Superdesk's NINJS
parser); a feed token's entries link each item in its ``format`` (those three, ``newsml-g2`` or
``newsml-g2-superdesk``). Existing endpoints keep what their ``ninjs_version`` said; existing
tokens get ``ninjs3``.
"""

from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("endpoints", sa.Column("format", sa.String(length=20), nullable=False, server_default="ninjs3"))
    op.execute("UPDATE endpoints SET format = 'ninjs2' WHERE ninjs_version = '2'")
    op.add_column("feed_tokens", sa.Column("format", sa.String(length=20), nullable=False, server_default="ninjs3"))


def downgrade() -> None:
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.drop_column("format")
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.drop_column("format")
