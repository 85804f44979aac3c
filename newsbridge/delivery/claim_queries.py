"""The statements of ``outbox.claim``: the walk of the whole queue in due order, and the walk of each endpoint
with room when the endpoints that have none hold a backlog (issue 17).

The queue's walk (:data:`QUEUE_WALK`) reads ``ix_outbox_due`` in due order and stops at the batch, passing over
the messages of endpoints with no room left (budget full, failing, paused, suspended). A partner slow or down for
hours gathers a backlog due before the healthy partners' new messages, and every claim passed over all of it: on
PostgreSQL, whose index scan tests the endpoint on the row, 40 ms with 20,000 waiting, growing with it
(bench/slow_claim.py). The endpoints' walk (:data:`ENDPOINT_WALKS`, :data:`ENDPOINT_WALK`) reads each endpoint
with room by ``ix_outbox_endpoint_due`` (endpoint, then due order; migration 0061), at most its room from each,
and keeps the batch's first in due order: the same messages the queue's walk takes
(tests/delivery/test_claim_by_endpoint.py), without reading the held backlog at all, for a few microseconds an
endpoint with room. The claim walks the endpoints on PostgreSQL whenever some endpoint has no room; on SQLite
when :data:`HELD_BACKLOG` counts at least ``WALK_PAST`` of their messages due (there the queue's walk passes over
them in the index for well under a microsecond each, and each endpoint walked is a statement of its own).
PostgreSQL is not asked to count them: in both forms tried (the list of endpoints at once, and a lateral count
each) its estimates led it to read all of them (a scan of the table; another index and a sort) where the count
was to stop at ``WALK_PAST``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from newsbridge.db.outbox_tables import (OUTBOX_AFTER_FINISHED, UNFINISHED_STATES, media_updates,
                                        not_finished_predicate)
from newsbridge.db.tables import OUTBOX_UNFINISHED, endpoints, outbox
from newsbridge.retries import State

WALK_PAST = 1_000  # held messages due from which a claim walks the endpoints with room instead of the queue


def _now() -> sa.BindParameter:
    return sa.bindparam("now", type_=outbox.c.next_attempt_at.type)


def _due(unfinished: str = OUTBOX_UNFINISHED) -> sa.ColumnElement[bool]:
    """Unfinished (word for word the predicate of the index walked), its time reached, not in flight under a live
    lease."""
    return sa.and_(sa.text(unfinished), outbox.c.next_attempt_at <= _now(),
                   sa.or_(outbox.c.state != State.IN_FLIGHT.value, outbox.c.lease_until < _now()))


def _earlier_unfinished() -> sa.Exists:
    """An earlier version of the message's item for its endpoint is still on its way (partners get versions in
    order).

    Not a plain NOT EXISTS: PostgreSQL turns that into an anti-join, and with statistics from before a burst (the
    queue looked empty) it scanned the whole index for every candidate (2,000,000 rows for a claim of 200 with
    10,000 queued: 2 s). OFFSET 0 is PostgreSQL's fence against that (simplify_EXISTS_query keeps it): a search
    per candidate, and the predicate's form (not_finished_predicate) leaves it no index to search but one by the
    candidate's own item."""
    earlier = outbox.alias("earlier")
    return sa.exists(
        sa.select(earlier.c.id)
        .where(earlier.c.endpoint_id == outbox.c.endpoint_id, earlier.c.item_id == outbox.c.item_id,
               earlier.c.version < outbox.c.version,
               sa.text(not_finished_predicate("earlier")))  # ix_outbox_unfinished_item's, not ix_outbox_due's
        .offset(sa.literal_column("0")))


def _columns() -> list[sa.ColumnElement]:
    # a media update (delivery/media_updates.py) renders the delivery it follows up
    follows = (sa.select(media_updates.c.delivery_id).where(media_updates.c.id == outbox.c.media_update_id)
               .scalar_subquery())
    return [outbox.c.id, outbox.c.endpoint_id, sa.func.coalesce(outbox.c.delivery_id, follows).label("delivery_id"),
            outbox.c.event, outbox.c.message_id, outbox.c.attempts, outbox.c.project_event_id]


def _queue_walk() -> sa.Select:
    """The walk of the whole queue in due order (bind parameters ``now``, ``held`` and ``wanted``), built once:
    building it for every claim cost more than running it (bench/fanout.py).

    Its plan must walk ``ix_outbox_due`` in due order and stop at ``wanted``, whatever the statistics say, and
    PostgreSQL walks it only while it expects plenty of the queue to pass the other conditions; where it expected
    few, it read the whole queue, tested every message and sorted it: 122 ms a claim of 200 with 30,000 queued
    and analyzed, against 6 ms now (bench/claim_plans.py, docs/benchmarks.md). So no condition here has an
    estimate far below what it lets through: the endpoints that cannot take a message now are a list read
    beforehand (``outbox._EndpointRoom``), not a join on ``endpoints`` estimated as if one endpoint in a hundred
    passed; and the ordering guard is a ``NOT EXISTS`` behind ``OFFSET 0``, which PostgreSQL keeps a subplan
    (estimated to pass half the rows), where ``(scalar subquery) IS NULL`` was estimated at 0.5 %.
    """
    return (sa.select(*_columns())
            # the endpoints left out of this claim (an empty list leaves none out)
            .where(_due(), ~_earlier_unfinished(), outbox.c.endpoint_id.not_in(sa.bindparam("held", expanding=True)))
            .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(sa.bindparam("wanted"))
            # SQLite without statistics read every due message by the index on state and sorted them; a slow
            # partner's backlog then cost each claim a look-up per message (86 ms with 20,000 waiting). The
            # walk of ix_outbox_due passes over them in the index, which names their endpoint: 10 ms
            .with_hint(outbox, "INDEXED BY ix_outbox_due", dialect_name="sqlite"))


# One endpoint's messages in due order: ix_outbox_endpoint_due's columns. The endpoints' walk states "unfinished"
# only as that index's predicate says it (OUTBOX_AFTER_FINISHED), which neither ix_outbox_due nor the index on the
# state can serve: PostgreSQL, whose estimates spread each endpoint's messages evenly over the queue (and with
# statistics from a drained outbox saw no queue at all), walked one or the other, the whole queue, for each
# endpoint when it could. SQLite is told the index (INDEXED BY).
_ENDPOINT_DUE_ORDER = (outbox.c.endpoint_id, outbox.c.next_attempt_at, outbox.c.id)


def _held_backlog() -> sa.Select:
    """SQLite: how many messages of the endpoints ``held`` are due, counted up to :data:`WALK_PAST` (bind
    parameters ``held`` and ``now``) by ``ix_outbox_endpoint_due``, so never more than that many entries read."""
    return sa.select(sa.func.count()).select_from(
        sa.select(outbox.c.id)
        .where(outbox.c.endpoint_id.in_(sa.bindparam("held", expanding=True)), sa.text(OUTBOX_AFTER_FINISHED),
               outbox.c.next_attempt_at <= _now())
        .limit(WALK_PAST).with_hint(outbox, "INDEXED BY ix_outbox_endpoint_due", dialect_name="sqlite").subquery())


def _endpoint_walk(endpoint: sa.ColumnElement[bool], room: sa.ColumnElement) -> sa.Select:
    """One endpoint's first ``room`` messages due, in due order, by ``ix_outbox_endpoint_due``."""
    return (sa.select(*_columns(), outbox.c.next_attempt_at)
            .where(endpoint, _due(OUTBOX_AFTER_FINISHED), ~_earlier_unfinished())
            .order_by(*_ENDPOINT_DUE_ORDER).limit(room)
            .with_hint(outbox, "INDEXED BY ix_outbox_endpoint_due", dialect_name="sqlite"))


def _endpoint_walks() -> sa.Select:
    """PostgreSQL: every endpoint of ``endpoint_ids`` walked in one statement (a lateral walk each, at most the
    endpoint's entry of ``rooms``), the first ``wanted`` of all in due order (bind parameters ``endpoint_ids``,
    ``rooms``, ``wanted``, ``now``)."""
    walked = (sa.func.unnest(sa.bindparam("endpoint_ids", type_=postgresql.ARRAY(sa.String)),
                             sa.bindparam("rooms", type_=postgresql.ARRAY(sa.Integer)))
              .table_valued("endpoint_id", "room").render_derived(name="walked"))
    walk = _endpoint_walk(outbox.c.endpoint_id == walked.c.endpoint_id, walked.c.room).lateral("walk")
    return (sa.select(walk).select_from(walked).join(walk, sa.true())
            .order_by(walk.c.next_attempt_at, walk.c.id).limit(sa.bindparam("wanted")))


def _lock_chosen() -> sa.Select:
    """PostgreSQL: the messages ``ids`` locked for this claim, but those another worker's claim holds locked (bind
    parameter ``ids``), with what says whether each is still due (:func:`still_due`). Only the ids are asked in
    SQL, so the primary key is the one index to read: with the due conditions here too and no statistics yet,
    PostgreSQL walked ``ix_outbox_due``, the whole queue, to find 20 messages (the test of this module)."""
    return (sa.select(*_columns(), outbox.c.state, outbox.c.next_attempt_at, outbox.c.lease_until)
            .where(outbox.c.id.in_(sa.bindparam("ids", expanding=True)))
            .with_for_update(skip_locked=True, of=outbox))


def still_due(row: sa.Row, now: datetime) -> bool:
    """:func:`_due` of a row of :data:`LOCK_CHOSEN` (another worker may have taken it since it was walked)."""
    return row.state in UNFINISHED_STATES and row.next_attempt_at <= now and (
        row.state != State.IN_FLIGHT.value or row.lease_until is not None and row.lease_until < now)


QUEUE_WALK = _queue_walk()
QUEUE_WALK_FOR_UPDATE = QUEUE_WALK.with_for_update(skip_locked=True, of=outbox)  # several workers on PostgreSQL
HELD_BACKLOG = _held_backlog()  # SQLite
ENDPOINT_WALK = _endpoint_walk(outbox.c.endpoint_id == sa.bindparam("endpoint_id"),  # SQLite: an endpoint a run
                               sa.bindparam("room"))
ENDPOINT_WALKS = _endpoint_walks()
LOCK_CHOSEN = _lock_chosen()
ENABLED_ENDPOINTS = sa.select(endpoints.c.id).where(endpoints.c.enabled.is_(True))
