"""The outbox: one row per webhook message (``delivery/outbox.py``), kept out of ``db/tables.py`` (at its size
limit) on its one ``metadata``; ``tables.py`` imports this module at its end, so ``from newsbridge.db.tables
import outbox`` still works."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import UTCDateTime

# the outbox's partial indexes hold the messages still on their way; queries repeat this text word for word
# (SQLite uses a partial index only when the query's WHERE contains the index's own terms)
OUTBOX_UNFINISHED = "state IN ('pending', 'in_flight', 'retrying')"

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("endpoint_id", sa.String(32), sa.ForeignKey("endpoints.id"), nullable=False),
    sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), nullable=True),
    sa.Column("agreement_event_id", sa.Integer, sa.ForeignKey("agreement_events.id"), nullable=True),
    sa.Column("project_event_id", sa.Integer, sa.ForeignKey("project_events.id"), nullable=True),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("message_id", sa.String(40), nullable=False, unique=True),  # webhook-id, stable across retries
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # the delivery's item and version, copied when the message is queued (migration 0042): the claim's
    # "an earlier version is unfinished" guard probes ix_outbox_unfinished_item without joining deliveries
    sa.Column("item_id", sa.String(32), nullable=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.UniqueConstraint("delivery_id", "endpoint_id"),
    sa.UniqueConstraint("agreement_event_id", "endpoint_id"),
    sa.UniqueConstraint("project_event_id", "endpoint_id"),
    sa.Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
    sa.Index("ix_outbox_endpoint_id_state", "endpoint_id", "state"),
    # unfinished messages only (OUTBOX_UNFINISHED): the claim walks the first in due order
    # and stops at its batch; the second answers the ordering guard with one probe
    sa.Index("ix_outbox_due", "next_attempt_at", "id", sqlite_where=sa.text(OUTBOX_UNFINISHED),
             postgresql_where=sa.text(OUTBOX_UNFINISHED)),
    sa.Index("ix_outbox_unfinished_item", "endpoint_id", "item_id", "version",
             sqlite_where=sa.text(OUTBOX_UNFINISHED), postgresql_where=sa.text(OUTBOX_UNFINISHED)),
    sa.CheckConstraint("state IN ('pending', 'in_flight', 'delivered', 'retrying', 'dead', 'failed')", name="state"),
)
