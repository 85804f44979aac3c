"""pickups: the evidence of a detected pickup (its score, method and signals)

Revision ID: 0037
Revises: 0036

The story worker records a *detected* pickup when a partner's own item republishes an item
delivered to it (stories/pickups.py): ``score`` is its confidence (0-1) and ``evidence`` says
how it was found (``method``: ``same_text`` or ``translation``, and the signals that fired).
Declared pickups keep both empty.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pickups") as batch:
        batch.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("evidence", Document, nullable=True))
    op.create_index("ix_pickups_evidence_item_id", "pickups", ["evidence_item_id"])


def downgrade() -> None:
    op.drop_index("ix_pickups_evidence_item_id", table_name="pickups")
    with op.batch_alter_table("pickups") as batch:
        batch.drop_column("evidence")
        batch.drop_column("score")
