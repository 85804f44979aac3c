"""outbox_endpoint_due: each endpoint's unfinished messages in due order

Revision ID: 0061
Revises: 0060

The claim walks the whole queue in due order (``ix_outbox_due``) and passes over the messages of endpoints with
no room left. A partner slow or down for hours gathers a backlog due before everyone's new messages, and every
claim passed over all of it: 40 ms on PostgreSQL with 20,000 waiting, growing with it. When that backlog is
large the claim now walks each endpoint with room by this index instead, and never reads the backlog (issue 17,
delivery/claim_queries.py, bench/slow_claim.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0061"
down_revision = "0060"
branch_labels = None
depends_on = None

# outbox_tables.OUTBOX_AFTER_FINISHED when this was written: the unfinished messages, said in words from which
# PostgreSQL cannot prove ix_outbox_due's predicate and that no index on the state serves, so that the endpoints'
# walk reads this index and no other
UNFINISHED = "coalesce(state, '') > 'failed'"


def upgrade() -> None:
    op.create_index("ix_outbox_endpoint_due", "outbox", ["endpoint_id", "next_attempt_at", "id"], unique=False,
                    sqlite_where=sa.text(UNFINISHED), postgresql_where=sa.text(UNFINISHED))


def downgrade() -> None:
    op.drop_index("ix_outbox_endpoint_due", table_name="outbox")
