"""The outbox: one row per webhook message (``delivery/outbox.py``), kept out of ``db/tables.py`` (at its size
limit) on its one ``metadata``; ``tables.py`` imports this module at its end, so ``from newsbridge.db.tables
import outbox`` still works."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import media, metadata
from newsbridge.db.types import Document, UTCDateTime

# the outbox's partial indexes hold the messages still on their way; queries repeat this text word for word
# (SQLite uses a partial index only when the query's WHERE contains the index's own terms)
UNFINISHED_STATES = ("pending", "in_flight", "retrying")
FINISHED_STATES = ("delivered", "dead", "failed")  # the rest of the CHECK constraint's states


def _listed(states: tuple[str, ...]) -> str:
    return ", ".join(repr(state) for state in states)


OUTBOX_UNFINISHED = f"state IN ({_listed(UNFINISHED_STATES)})"  # ix_outbox_due's predicate, and the claim's words


def not_finished_predicate(table: str | None = None) -> str:
    """``ix_outbox_unfinished_item``'s predicate (migration 0058), on ``table``'s (an alias's) ``state`` when named:
    the same messages as ``OUTBOX_UNFINISHED`` under the CHECK constraint, in words PostgreSQL cannot prove
    ``ix_outbox_due``'s predicate from. The claim's ordering guard says it this way, so its only plans are probes
    of the candidate's own item: given the other form, and statistics taken while the queue was empty (autovacuum
    on a drained outbox), the planner costed a walk of the whole queue the same as the probe and chose it for
    every candidate (tests/delivery/test_claim_plan.py). ``NOT IN`` is no index condition either, so no index by
    state can serve the guard."""
    column = f"{table}.state" if table else "state"
    return f"{column} NOT IN ({_listed(FINISHED_STATES)})"


OUTBOX_NOT_FINISHED = not_finished_predicate()  # "state NOT IN ('delivered', 'dead', 'failed')"

# ``ix_outbox_endpoint_due``'s predicate (migration 0061), a third way to say "unfinished": the unfinished states
# sort after every finished one, in any collation (tests/delivery/test_claim_by_endpoint.py), and the state is
# wrapped in ``coalesce`` (as db/planning.unindexed does), which no index on the state serves. The endpoints' walk
# (delivery/claim_queries.py) says it this way and no other, so that neither ``ix_outbox_due`` (whose predicate
# PostgreSQL cannot prove from it) nor ``ix_outbox_state_next_attempt_at`` can read the queue for it: with
# statistics from a drained outbox, PostgreSQL walked the one, then the other, for each endpoint.
OUTBOX_AFTER_FINISHED = f"coalesce(state, '') > '{max(FINISHED_STATES)}'"


def _unique_where_filled(name: str, *columns: str) -> sa.Index:
    """Unique among the rows that fill the first column; no entry at all for the rows that leave it NULL."""
    where = sa.text(f"{columns[0]} IS NOT NULL")
    return sa.Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where)


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
    # a media update (migration 0044): the message re-sends media_updates.delivery_id's version with the
    # renditions made after it went out; delivery_id stays NULL (one message per delivery and endpoint)
    sa.Column("media_update_id", sa.Integer, nullable=True),
    sa.UniqueConstraint("delivery_id", "endpoint_id"),
    # unique among the messages that fill the column, and no entry for the rest (nearly every message is an
    # item's, which fills none of them): migration 0057
    _unique_where_filled("ux_outbox_agreement_event", "agreement_event_id", "endpoint_id"),
    _unique_where_filled("ux_outbox_project_event", "project_event_id", "endpoint_id"),
    sa.Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
    # by endpoint, then item (migration 0055): an endpoint's messages by state, and no plan of the claim's ordering
    # guard can read an endpoint's whole history through it (it led with endpoint_id, then state, before)
    sa.Index("ix_outbox_endpoint_item", "endpoint_id", "item_id", "state"),
    # unfinished messages only (OUTBOX_UNFINISHED): the claim walks the first in due order
    # and stops at its batch; the second answers the ordering guard with one probe. The first names the
    # endpoint too (migration 0060): the walk passes over a full endpoint's backlog in the index alone
    sa.Index("ix_outbox_due", "next_attempt_at", "id", "endpoint_id", sqlite_where=sa.text(OUTBOX_UNFINISHED),
             postgresql_where=sa.text(OUTBOX_UNFINISHED)),
    # each endpoint's unfinished messages in due order (migration 0061): with a large backlog of endpoints that
    # have no room, the claim walks the endpoints with room one by one (delivery/claim_queries.py)
    sa.Index("ix_outbox_endpoint_due", "endpoint_id", "next_attempt_at", "id",
             sqlite_where=sa.text(OUTBOX_AFTER_FINISHED), postgresql_where=sa.text(OUTBOX_AFTER_FINISHED)),
    sa.Index("ix_outbox_unfinished_item", "endpoint_id", "item_id", "version",
             sqlite_where=sa.text(OUTBOX_NOT_FINISHED), postgresql_where=sa.text(OUTBOX_NOT_FINISHED)),
    _unique_where_filled("ix_outbox_media_update_id", "media_update_id"),
    sa.CheckConstraint("state IN ('pending', 'in_flight', 'delivered', 'retrying', 'dead', 'failed')", name="state"),
)

# A webhook message delivered while the item's media was still being processed (after
# NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS): ``sent`` lists the renditions it offered. Once no media of the item is
# processing, delivery/media_updates.py sends the endpoint the same version again (``item.updated``) if it is
# now offered renditions it was not sent, and records what it decided; one row per delivery and endpoint, so
# nothing is sent twice (migration 0044).
MEDIA_UPDATE_STATES = ("waiting", "queued", "nothing_new", "superseded", "not_subscribed", "expired")
media_updates = sa.Table(
    "media_updates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), nullable=False),
    sa.Column("endpoint_id", sa.String(32), sa.ForeignKey("endpoints.id"), nullable=False),
    sa.Column("sent", Document, nullable=False),  # rendition ids the delivered message offered
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("delivery_id", "endpoint_id"),
    sa.Index("ix_media_updates_waiting", "created_at", sqlite_where=sa.text("state = 'waiting'"),
             postgresql_where=sa.text("state = 'waiting'")),
    sa.CheckConstraint("state IN ('waiting', 'queued', 'nothing_new', 'superseded', 'not_subscribed', 'expired')",
                       name="state"),
)

# A delivery that entered its recipient's feed while its item's media was still being processed; once the
# media is done, delivery/media_updates.py moves it to a new feed position (``moved_from``: the old one), so
# feed readers get it again with its previews (migration 0051).
LATE_PREVIEW_STATES = ("waiting", "moved", "superseded", "expired")
late_previews = sa.Table(
    "late_previews",
    metadata,
    sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), primary_key=True, autoincrement=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("moved_from", sa.BigInteger, nullable=True),
    sa.Index("ix_late_previews_waiting", "created_at", sqlite_where=sa.text("state = 'waiting'"),
             postgresql_where=sa.text("state = 'waiting'")),
    sa.CheckConstraint("state IN ('waiting', 'moved', 'superseded', 'expired')", name="state"),
)
sa.Index("ix_media_status", media.c.status)  # the media being processed (uploaded, probed): late_previews
