"""The outbox: each available delivery gets a feed position, then one message per endpoint.

Delivery state machine (one table, tested over): pending -> in_flight -> delivered |
retrying -> (in_flight again) ... -> dead after the last retry; failed when the endpoint
answered 410 Gone or was disabled. dead, failed and delivered messages can be replayed.

Feed positions: deliveries become visible in a recipient's feed only when a *sequencer*
gives them a position. Only one sequencer runs at a time (a PostgreSQL advisory lock; on
SQLite the write lock), and it numbers past the highest position in the same transaction
that it commits, so a reader paging by position never sees a gap filled in later: no gaps,
no repeats, even when item versions commit out of order.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import deliveries, endpoints, item_media, items, media, organizations, outbox
from newsbridge.errors import Conflict
from newsbridge.ids import new_id

SEQUENCER_LOCK = 724_001
# Seconds to wait after each failed attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
RETRY_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
DISABLE_AFTER = timedelta(days=5)
LEASE = timedelta(seconds=60)


class State(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    DEAD = "dead"
    FAILED = "failed"


TRANSITIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.IN_FLIGHT, State.FAILED}),
    State.IN_FLIGHT: frozenset({State.DELIVERED, State.RETRYING, State.DEAD, State.FAILED, State.IN_FLIGHT}),
    State.RETRYING: frozenset({State.IN_FLIGHT, State.FAILED}),
    State.DELIVERED: frozenset({State.PENDING}),  # replay
    State.DEAD: frozenset({State.PENDING}),  # replay
    State.FAILED: frozenset({State.PENDING}),  # replay
}


def check_transition(current: State, target: State) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a {current.value} message cannot become {target.value}", field="state")


@dataclass(frozen=True)
class Claim:
    outbox_id: int
    endpoint_id: str
    delivery_id: int | None
    event: str
    message_id: str
    attempts: int  # including this one
    worker: str
    project_event_id: int | None = None  # a joint project's event (delivery_id is None then)


@dataclass(frozen=True)
class Outcome:
    status: int | None  # HTTP status, None when no answer
    error: str | None


def next_delay(attempts: int, rng: random.Random = random.Random()) -> float | None:
    """Seconds before the next try after ``attempts`` failed tries (the first retry is immediate);
    None once every retry of the schedule was used (1 try + 10 retries)."""
    if attempts > len(RETRY_SCHEDULE):
        return None
    return RETRY_SCHEDULE[attempts - 1] * rng.uniform(0.9, 1.1)


PROCESSING = ("uploaded", "probed")  # media whose derivatives (and GPS check) are not made yet


def _media_processing() -> sa.ColumnElement[bool]:
    """The delivery's item carries hub media still being processed (item_media: by source and uri)."""
    return sa.exists(
        sa.select(item_media.c.media_id)
        .join(media, media.c.id == item_media.c.media_id)
        .join(items, sa.and_(items.c.organization_id == item_media.c.organization_id,
                             items.c.uri == item_media.c.item_uri))
        .where(items.c.id == deliveries.c.item_id, media.c.status.in_(PROCESSING)))


def sequence(conn: Connection, now: datetime, limit: int = 2000,
             media_wait: timedelta | None = None) -> list[tuple[int, str, int]]:
    """Give feed positions to deliveries that became available, and queue their webhook messages.

    ``media_wait`` (NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS, given by the worker): a new or corrected
    item that carries media still being processed waits up to that long after it became
    available, so partners receive it with its previews and proxy (and, without GPS rights, its
    GPS-free original) rather than before them. A withdrawal never waits, nor a version a newer
    one has followed (versions reach a partner in order).
    Returns (delivery id, recipient id, position) for what was sequenced now.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK})
    ready = [deliveries.c.position.is_(None), deliveries.c.available_from <= now]
    if media_wait:
        later = deliveries.alias("later")
        superseded = sa.exists(sa.select(later.c.id).where(  # a newer version goes out: this one goes first
            later.c.item_id == deliveries.c.item_id, later.c.recipient_id == deliveries.c.recipient_id,
            later.c.version > deliveries.c.version, later.c.available_from <= now))
        ready.append(sa.or_(deliveries.c.event == "item.withdrawn", deliveries.c.available_from <= now - media_wait,
                            superseded, ~_media_processing()))
    due = conn.execute(sa.select(deliveries.c.id, deliveries.c.recipient_id, deliveries.c.event)
                       .where(*ready).order_by(deliveries.c.available_from, deliveries.c.id).limit(limit)).all()
    if not due:
        return []
    start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(deliveries.c.position), 0))).scalar_one()
    sequenced = [(row.id, row.recipient_id, start + n) for n, row in enumerate(due, start=1)]
    conn.execute(deliveries.update().where(deliveries.c.id == sa.bindparam("delivery_id"))
                 .values(position=sa.bindparam("new_position")),
                 [{"delivery_id": d, "new_position": p} for d, _, p in sequenced])
    _queue_messages(conn, [(row.id, row.recipient_id, row.event) for row in due], now)
    return sequenced


def _queue_messages(conn: Connection, due: Sequence[tuple[int, str, str]], now: datetime) -> None:
    """One outbox message per delivery and subscribed, enabled endpoint of the recipient or its outlets."""
    recipients = {r for _, r, _ in due}
    outlets = organizations.alias("outlet")
    rows = conn.execute(
        sa.select(endpoints.c.id, endpoints.c.events, endpoints.c.organization_id, outlets.c.parent_id)
        .join(outlets, outlets.c.id == endpoints.c.organization_id)
        .where(endpoints.c.enabled.is_(True),
               sa.or_(endpoints.c.organization_id.in_(recipients), outlets.c.parent_id.in_(recipients)))).all()
    messages = []
    for delivery_id, recipient, event in due:
        for endpoint in rows:
            if recipient in (endpoint.organization_id, endpoint.parent_id) and event in endpoint.events:
                messages.append({"endpoint_id": endpoint.id, "delivery_id": delivery_id, "event": event,
                                 "message_id": f"msg_{new_id()}", "state": State.PENDING.value, "attempts": 0,
                                 "next_attempt_at": now, "created_at": now})
    if messages:
        conn.execute(outbox.insert(), messages)


def claim(conn: Connection, worker: str, now: datetime, limit: int = 200) -> list[Claim]:
    """Take due messages for sending (several workers: SKIP LOCKED; crashed workers' leases expire).

    A message waits while an earlier version of the same item for the same endpoint is still
    on its way, so partners receive versions in order.
    """
    earlier = outbox.alias("earlier")
    earlier_delivery, this_delivery = deliveries.alias("earlier_delivery"), deliveries.alias("this_delivery")
    blocked = sa.exists(
        sa.select(earlier.c.id)
        .join(earlier_delivery, earlier_delivery.c.id == earlier.c.delivery_id)
        .join(this_delivery, this_delivery.c.id == outbox.c.delivery_id)
        .where(earlier.c.endpoint_id == outbox.c.endpoint_id,
               earlier_delivery.c.item_id == this_delivery.c.item_id,
               earlier_delivery.c.version < this_delivery.c.version,
               earlier.c.state.in_([State.PENDING.value, State.IN_FLIGHT.value, State.RETRYING.value])))
    due = sa.or_(
        sa.and_(outbox.c.state.in_([State.PENDING.value, State.RETRYING.value]), outbox.c.next_attempt_at <= now),
        sa.and_(outbox.c.state == State.IN_FLIGHT.value, outbox.c.lease_until < now),
    )
    enabled = sa.exists(sa.select(endpoints.c.id).where(endpoints.c.id == outbox.c.endpoint_id,
                                                        endpoints.c.enabled.is_(True)))
    query = (sa.select(outbox.c.id, outbox.c.endpoint_id, outbox.c.delivery_id, outbox.c.event, outbox.c.message_id,
                       outbox.c.attempts, outbox.c.project_event_id)
             .where(due, enabled, ~blocked).order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=outbox)
    rows = conn.execute(query).all()
    if not rows:
        return []
    conn.execute(outbox.update().where(outbox.c.id.in_([r.id for r in rows])).values(
        state=State.IN_FLIGHT.value, lease_until=now + LEASE, claimed_by=worker, attempts=outbox.c.attempts + 1))
    return [Claim(r.id, r.endpoint_id, r.delivery_id, r.event, r.message_id, r.attempts + 1, worker,
                  r.project_event_id) for r in rows]


def record(conn: Connection, claimed: Claim, result: Outcome, now: datetime) -> State:
    """Store the result of one attempt and move the message (and maybe its endpoint) on."""
    values: dict[str, object] = {"last_status": result.status, "last_error": result.error, "lease_until": None,
                                 "claimed_by": None}
    if result.status is not None and 200 <= result.status < 300:
        state = State.DELIVERED
        values["delivered_at"] = now
        conn.execute(endpoints.update().where(endpoints.c.id == claimed.endpoint_id).values(failing_since=None))
    elif result.status == 410:
        state = State.FAILED
        disable(conn, claimed.endpoint_id, "the endpoint answered 410 Gone", now)
    else:
        delay = next_delay(claimed.attempts)
        state = State.DEAD if delay is None else State.RETRYING
        if delay is not None:
            values["next_attempt_at"] = now + timedelta(seconds=delay)
        endpoint = conn.execute(sa.select(endpoints.c.failing_since, endpoints.c.enabled)
                                .where(endpoints.c.id == claimed.endpoint_id)).one()
        if endpoint.failing_since is None:
            conn.execute(endpoints.update().where(endpoints.c.id == claimed.endpoint_id).values(failing_since=now))
        elif now - endpoint.failing_since > DISABLE_AFTER:
            disable(conn, claimed.endpoint_id,
                    f"failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC: {result.error}", now)
            state = State.FAILED
        if not endpoint.enabled:
            state = State.FAILED  # turned off (or gone) while this message was on its way
    check_transition(State.IN_FLIGHT, state)
    conn.execute(outbox.update().where(outbox.c.id == claimed.outbox_id, outbox.c.claimed_by == claimed.worker)
                 .values(state=state.value, **values))
    return state


def disable(conn: Connection, endpoint_id: str, reason: str, now: datetime) -> None:
    """Stop an endpoint: its waiting messages fail (and can be replayed once it works again)."""
    conn.execute(endpoints.update().where(endpoints.c.id == endpoint_id).values(enabled=False, disabled_reason=reason))
    conn.execute(outbox.update().where(outbox.c.endpoint_id == endpoint_id,
                                       outbox.c.state.in_([State.PENDING.value, State.RETRYING.value]))
                 .values(state=State.FAILED.value, last_error=reason))


def replay(conn: Connection, endpoint_id: str, now: datetime, *, message_id: str | None = None,
           since: datetime | None = None) -> int:
    """Send dead, failed (and, for one message, delivered) messages again; returns how many."""
    states = [State.DEAD.value, State.FAILED.value] + ([State.DELIVERED.value] if message_id else [])
    where = [outbox.c.endpoint_id == endpoint_id, outbox.c.state.in_(states)]
    if message_id is not None:
        where.append(outbox.c.message_id == message_id)
    if since is not None:
        where.append(outbox.c.created_at >= since)
    done = conn.execute(outbox.update().where(*where).values(
        state=State.PENDING.value, attempts=0, next_attempt_at=now, last_error=None))
    return done.rowcount
