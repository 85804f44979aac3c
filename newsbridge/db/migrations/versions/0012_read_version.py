"""item_reads.version: which version of an item a member read (a correction returns it to unread)

Revision ID: 0012
Revises: 0011

A read was recorded once per item, so a correction or a withdrawal of an item already opened
arrived silently. The version read is kept now: an item whose version the member sees is newer
than the one they read shows as "Updated" and counts as unread again. Reads recorded before
are taken as reads of the item's newest version then (nobody is shown old news as updated).
"""

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN; nullable in the schema, always written by desk.pickups.mark_read.
    op.add_column("item_reads", sa.Column("version", sa.Integer(), nullable=True))
    op.execute("UPDATE item_reads SET version = (SELECT latest_version FROM items WHERE items.id = item_reads.item_id)")


def downgrade() -> None:
    with op.batch_alter_table("item_reads", schema=None) as batch_op:
        batch_op.drop_column("version")
