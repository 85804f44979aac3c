"""pace targets on agreements, measured roadmap commitments

Revision ID: 0019
Revises: 0018

``agreements.targets``: the pace targets the parties agreed (balance, topic coverage, same-day
share, pickup rate, volume not falling); NULL keeps the defaults of docs/metrics.md. They change
only through an amendment, which every party signs again.

``commitments.indicator``: what the hub measures for a commitment (items per period, a topic
every month, a pickup rate, joint-project deliverables); NULL for a commitment followed by hand.
``commitments.measure``: the last measurement (state, value, target, evidence) and
``measured_at`` when the worker took it.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreements") as batch:
        batch.add_column(sa.Column("targets", Document, nullable=True))
    with op.batch_alter_table("commitments") as batch:
        batch.add_column(sa.Column("indicator", Document, nullable=True))
        batch.add_column(sa.Column("measure", Document, nullable=True))
        batch.add_column(sa.Column("measured_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("commitments") as batch:
        batch.drop_column("measured_at")
        batch.drop_column("measure")
        batch.drop_column("indicator")
    with op.batch_alter_table("agreements") as batch:
        batch.drop_column("targets")
