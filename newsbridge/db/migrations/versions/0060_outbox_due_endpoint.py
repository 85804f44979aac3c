"""outbox_due_endpoint: the claim's due index names each message's endpoint

Revision ID: 0060
Revises: 0059

The claim walks ``ix_outbox_due`` (unfinished messages in due order) and passes over the messages of
endpoints with no room left (a slow or failing partner's backlog, due before the healthy partners' new
messages). Without ``endpoint_id`` in the index each of them cost a look-up of its row: a claim of the
healthy partners' 20 messages took 72 ms on SQLite with 20,000 of one slow partner's messages waiting,
and grew with them; with it (and the claim walking this index on SQLite), 10 ms (issue 17,
bench/slow_claim.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0060"
down_revision = "0059"
branch_labels = None
depends_on = None

UNFINISHED = "state IN ('pending', 'in_flight', 'retrying')"  # tables.OUTBOX_UNFINISHED when this was written


def _due(columns: list[str]) -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.create_index("ix_outbox_due", "outbox", columns, unique=False,
                    sqlite_where=sa.text(UNFINISHED), postgresql_where=sa.text(UNFINISHED))


def upgrade() -> None:
    _due(["next_attempt_at", "id", "endpoint_id"])


def downgrade() -> None:
    _due(["next_attempt_at", "id"])
