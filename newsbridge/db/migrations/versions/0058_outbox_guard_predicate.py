"""outbox_guard_predicate: the ordering guard's index says "not finished", not "unfinished"

Revision ID: 0058
Revises: 0057

``ix_outbox_unfinished_item`` (endpoint_id, item_id, version) and ``ix_outbox_due`` (next_attempt_at, id)
both held the messages ``state IN ('pending', 'in_flight', 'retrying')``, and the claim's ordering guard
repeated that predicate, so PostgreSQL could serve the guard from either. With statistics taken while the
queue was empty (autovacuum analyzes a drained outbox, the usual state of a hub with a history, and then
waits for a tenth of the table to change), both indexes looked one row long and the planner walked
``ix_outbox_due``, the whole queue, for every candidate (issue 17; tests/delivery/test_claim_plan.py).
The guard's index now holds ``state NOT IN ('delivered', 'dead', 'failed')``: the same messages under the
outbox's CHECK constraint, in a form from which PostgreSQL cannot prove ``ix_outbox_due``'s predicate.
"""

from alembic import op
import sqlalchemy as sa

revision = "0058"
down_revision = "0057"
branch_labels = None
depends_on = None

UNFINISHED = "state IN ('pending', 'in_flight', 'retrying')"
NOT_FINISHED = "state NOT IN ('delivered', 'dead', 'failed')"


def _guard_index(predicate: str) -> None:
    op.drop_index("ix_outbox_unfinished_item", table_name="outbox")
    op.create_index("ix_outbox_unfinished_item", "outbox", ["endpoint_id", "item_id", "version"], unique=False,
                    sqlite_where=sa.text(predicate), postgresql_where=sa.text(predicate))


def upgrade() -> None:
    _guard_index(NOT_FINISHED)


def downgrade() -> None:
    _guard_index(UNFINISHED)
