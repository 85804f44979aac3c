"""outbox_endpoint_item: the outbox's index by endpoint names the item next, not the state

Revision ID: 0055
Revises: 0054

The claim's ordering guard ("an earlier version of this item is unfinished for this endpoint",
delivery/outbox.py) is one probe per candidate message, meant for ``ix_outbox_unfinished_item``
(endpoint_id, item_id, version). ``ix_outbox_endpoint_id_state`` (endpoint_id, state) also led with
``endpoint_id``, and where the planner's costs came out equal (an outbox all but empty, or a plan kept
from then) PostgreSQL probed it with ``endpoint_id`` alone and read every message the endpoint ever
had, for each candidate: 85 ms for a claim of 200 beside a slow partner's backlog (issue 17,
bench/slow_partner.py with auto_explain; tests/delivery/test_claim_plan.py). Its replacement
(endpoint_id, item_id, state) serves what it served (an endpoint's messages by state: counts, disable,
replay) and, whichever index the planner picks, bounds the guard to the candidate's own item.
"""

from alembic import op

revision = "0055"
down_revision = "0054"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_endpoint_item", "outbox", ["endpoint_id", "item_id", "state"], unique=False)
    op.drop_index("ix_outbox_endpoint_id_state", table_name="outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_endpoint_id_state", "outbox", ["endpoint_id", "state"], unique=False)
    op.drop_index("ix_outbox_endpoint_item", table_name="outbox")
