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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.suspension import suspended_clause
from newsbridge.db.bulk import bound, insert_rows, update_rows
from newsbridge.db.rollup_tables import mark_items_changed
from newsbridge.db.planning import plan_each_time
from newsbridge.db.tables import deliveries, endpoints, item_media, items, media, organizations, outbox
from newsbridge.delivery.claim_queries import (ENABLED_ENDPOINTS, ENDPOINT_WALK, ENDPOINT_WALKS, HELD_BACKLOG,
                                               LOCK_CHOSEN, QUEUE_WALK, QUEUE_WALK_FOR_UPDATE, WALK_PAST, still_due)
from newsbridge.ids import new_id
from newsbridge.retries import (DISABLE_AFTER, RETRY_SCHEDULE, TRANSITIONS, State,  # noqa: F401  (named here too)
                                check_transition, next_delay)

SEQUENCER_LOCK = 724_001
LEASE = timedelta(seconds=60)
MAX_RETRY_AFTER = timedelta(hours=6)  # a partner's Retry-After is honoured up to this
PER_ENDPOINT = 8  # messages of one endpoint on their way at once (NEWSBRIDGE_WEBHOOK_ENDPOINT_IN_FLIGHT)
MESSAGE_COLUMNS = ("endpoint_id", "delivery_id", "event", "item_id", "version", "message_id", "state", "attempts",
                   "next_attempt_at", "created_at")
CLAIM_PASSES = 4  # looks for due messages per claim, each past the endpoints whose budget the last one filled


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
    retry_after: float | None = None  # seconds the endpoint asked for (429, 503 with Retry-After)

    @property
    def ok(self) -> bool:
        """The endpoint answered 2xx: delivered."""
        return self.status is not None and 200 <= self.status < 300


PROCESSING = ("uploaded", "probed")  # media whose derivatives (and GPS check) are not made yet


def _media_processing() -> sa.ColumnElement[bool]:
    """The delivery's item carries hub media still being processed (item_media: by source and uri)."""
    return sa.exists(
        sa.select(item_media.c.media_id)
        .join(media, media.c.id == item_media.c.media_id)
        .join(items, sa.and_(items.c.organization_id == item_media.c.organization_id,
                             items.c.uri == item_media.c.item_uri))
        .where(items.c.id == deliveries.c.item_id, media.c.status.in_(PROCESSING)))


def _items_processing() -> sa.Select[tuple[str]]:
    """The items that carry hub media still being processed: one lookup of ``ix_media_status`` for the whole
    sequencing, where :func:`_media_processing` asked it again for each of the deliveries (100 per item to 100
    partners: 20 µs a delivery, the most of the sequencer's reading; bench/fanout.py)."""
    return (sa.select(items.c.id)
            .join(item_media, sa.and_(items.c.organization_id == item_media.c.organization_id,
                                      items.c.uri == item_media.c.item_uri))
            .join(media, media.c.id == item_media.c.media_id)
            .where(media.c.status.in_(PROCESSING)))


def sequence(conn: Connection, now: datetime, limit: int = 2000,
             media_wait: timedelta | None = None, wait: bool = True) -> list[tuple[int, str, int]]:
    """Give feed positions to deliveries that became available, and queue their webhook messages.

    ``media_wait`` (NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS, given by the worker): a new or corrected
    item that carries media still being processed waits up to that long after it became
    available, so partners receive it with its previews and proxy (and, without GPS rights, its
    GPS-free original) rather than before them. A withdrawal never waits, nor a version a newer
    one has followed (versions reach a partner in order).
    ``wait=False`` (the workers): when another process is sequencing on PostgreSQL, return at once
    with nothing instead of waiting for it; what it sequences is announced as usual.
    Returns (delivery id, recipient id, position) for what was sequenced now.
    """
    if conn.dialect.name == "postgresql":
        if not wait:
            if not conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK}).scalar():
                return []
        else:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK})
    query, values = (_DUE, {}) if not media_wait else (_DUE_OR_MEDIA_READY, {"waited": now - media_wait})
    due = conn.execute(query, {"now": now, "limit": limit, **values}).all()
    if not due:
        return []
    start = conn.execute(_LAST_POSITION).scalar_one()
    sequenced = [(row.id, row.recipient_id, start + n) for n, row in enumerate(due, start=1)]
    update_rows(conn, deliveries, "position", "id", [(p, d) for d, _, p in sequenced])
    _queue_messages(conn, [(row.id, row.recipient_id, row.event, row.item_id, row.version) for row in due], now)
    return sequenced


def _due_query(media_wait: bool) -> sa.Select:
    """:func:`sequence`'s SELECT, built once (bind parameters ``now``, ``limit`` and with ``media_wait``,
    ``waited``: now less the wait)."""
    now = sa.bindparam("now", type_=deliveries.c.available_from.type)
    ready = [deliveries.c.position.is_(None), deliveries.c.available_from <= now]
    if media_wait:
        later = deliveries.alias("later")
        superseded = sa.exists(sa.select(later.c.id).where(  # a newer version goes out: this one goes first
            later.c.item_id == deliveries.c.item_id, later.c.recipient_id == deliveries.c.recipient_id,
            later.c.version > deliveries.c.version, later.c.available_from <= now))
        waited = sa.bindparam("waited", type_=deliveries.c.available_from.type)
        ready.append(sa.or_(deliveries.c.event == "item.withdrawn", deliveries.c.available_from <= waited,
                            deliveries.c.item_id.not_in(_items_processing()), superseded))
    return (sa.select(deliveries.c.id, deliveries.c.recipient_id, deliveries.c.event, deliveries.c.item_id,
                      deliveries.c.version)
            .where(*ready).order_by(deliveries.c.available_from, deliveries.c.id).limit(sa.bindparam("limit")))


_DUE = _due_query(media_wait=False)
_DUE_OR_MEDIA_READY = _due_query(media_wait=True)
_LAST_POSITION = sa.select(sa.func.coalesce(sa.func.max(deliveries.c.position), 0))


def _queue_messages(conn: Connection, due: Sequence[tuple[int, str, str, str, int]], now: datetime) -> None:
    """One outbox message per delivery and subscribed, enabled endpoint of the recipient or its outlets.

    Each message carries its delivery's item and version, for :func:`claim`'s ordering guard."""
    recipients = {r for _, r, *_ in due}
    outlets = organizations.alias("outlet")
    rows = conn.execute(
        sa.select(endpoints.c.id, endpoints.c.events, endpoints.c.organization_id, outlets.c.parent_id)
        .join(outlets, outlets.c.id == endpoints.c.organization_id)
        .where(endpoints.c.enabled.is_(True),
               sa.or_(endpoints.c.organization_id.in_(recipients), outlets.c.parent_id.in_(recipients)))).all()
    serving: dict[str, list[sa.Row]] = {}  # recipient -> its endpoints and its outlets' endpoints
    for endpoint in rows:
        for owner in {endpoint.organization_id, endpoint.parent_id} & recipients:
            serving.setdefault(owner, []).append(endpoint)
    stamp, pending = bound(conn, outbox.c.created_at, now), State.PENDING.value  # the same in every row
    messages = [(endpoint.id, delivery_id, event, item_id, version, f"msg_{new_id()}", pending, 0, stamp, stamp)
                for delivery_id, recipient, event, item_id, version in due
                for endpoint in serving.get(recipient, ()) if event in endpoint.events]
    insert_rows(conn, outbox, MESSAGE_COLUMNS, messages)  # thousands of rows: no per-row SQLAlchemy work


def claim(conn: Connection, worker: str, now: datetime, limit: int = 200, lease: timedelta = LEASE,
          per_endpoint: int | None = PER_ENDPOINT) -> list[Claim]:
    """Take due messages for sending (several workers: SKIP LOCKED; crashed workers' leases expire).

    A message waits while an earlier version of the same item for the same endpoint is still
    on its way, so partners receive versions in order.

    Due: pending or retrying with ``next_attempt_at`` reached, or in flight with its lease expired.
    An in-flight message was claimed when it was due, so its ``next_attempt_at`` has been reached
    too, and both cases read "unfinished, ``next_attempt_at <= now``, and not in flight under a live
    lease": PostgreSQL walks ``ix_outbox_due`` (unfinished messages only) in due order and stops
    at ``limit``. The ordering guard reads the item and version each message carries (copied from
    its delivery when queued): one probe of ``ix_outbox_unfinished_item``, no join. Checking it
    through the deliveries table instead cost 11-13 s a claim with 10,000 messages queued on
    PostgreSQL (docs/benchmarks.md, "Webhook fan-out against nginx").

    Each endpoint has a budget of its own: at most ``per_endpoint`` of its messages on their way at once
    (under a live lease, whichever worker holds them), and ONE while it is failing (``failing_since``
    set: a probe, until it answers 2xx), none while it asked to wait (``paused_until``, from a 429 or 503
    with ``Retry-After``: the whole endpoint waits, not only the message answered). A slow, silent or
    broken partner then holds a few of a worker's sends, never all of them, and the healthy partners'
    messages are not queued behind its timeouts
    (docs/reliability.md, "slow partners"). Two workers claiming at the same instant may each take an
    endpoint's last room: the bound is per claim, so at most ``per_endpoint`` × workers. ``None``: no budget.

    When some endpoints have no room (on SQLite: when they hold ``WALK_PAST`` messages due or more, a partner slow
    or down for hours), the claim walks each endpoint with room apart instead of the whole queue, so that it never
    reads their backlog: the same messages, taken in the same order (delivery/claim_queries.py).
    """
    # planned for the outbox as it is now, at every claim: psycopg prepares a statement run 5 times on a
    # connection, and PostgreSQL may then keep one generic plan for it, made when the outbox was all but empty.
    # The one kept in bench/slow_partner.py (auto_explain) probed the ordering guard through the index by
    # endpoint then state, reading every message the endpoint ever had for each candidate: 85 ms for a claim
    # whose first look met 200 of a slow partner's backlog (issue 17). That index now names the item second
    # (migration 0055), so no plan's guard reads more than the item's own messages; this keeps the walk too
    plan_each_time(conn)
    room = _EndpointRoom(conn, now, per_endpoint)
    if _walks_endpoints(conn, room.held(), now):
        taken = [r for r in _walk_endpoints(conn, room, now, limit) if room.take(r.endpoint_id)]
        _take(conn, taken, worker, now + lease)
    else:
        taken = _walk_queue(conn, room, now, limit, worker, now + lease)
    return [Claim(r.id, r.endpoint_id, r.delivery_id, r.event, r.message_id, r.attempts + 1, worker,
                  r.project_event_id) for r in taken]


def _walks_endpoints(conn: Connection, held: list[str], now: datetime) -> bool:
    """Whether this claim walks the endpoints with room rather than the queue (delivery/claim_queries.py): on
    PostgreSQL whenever some endpoint has none, on SQLite from ``WALK_PAST`` of their messages due."""
    if not held or conn.dialect.name == "postgresql":
        return bool(held)
    return conn.execute(HELD_BACKLOG, {"held": held, "now": now}).scalar_one() >= WALK_PAST


def _walk_queue(conn: Connection, room: _EndpointRoom, now: datetime, limit: int, worker: str,
                lease_until: datetime) -> list[sa.Row]:
    """Take the first due messages of the whole queue, in due order, past the endpoints with no room."""
    query = QUEUE_WALK_FOR_UPDATE if conn.dialect.name == "postgresql" else QUEUE_WALK
    taken: list[sa.Row] = []
    for _pass in range(CLAIM_PASSES):  # a pass whose rows were all some full endpoints' looks past them
        wanted = limit - len(taken)
        rows = conn.execute(query, {"now": now, "held": room.held(), "wanted": wanted}).all()
        chosen = [r for r in rows if room.take(r.endpoint_id)]
        _take(conn, chosen, worker, lease_until)
        taken.extend(chosen)
        if len(rows) < wanted or len(chosen) == len(rows) or room.unlimited:
            break  # nothing more is due, or nothing was left out for a full endpoint
    return taken


def _walk_endpoints(conn: Connection, room: _EndpointRoom, now: datetime, wanted: int) -> list[sa.Row]:
    """The first ``wanted`` due messages, in due order, of the endpoints with room, each walked apart for at most
    its room (delivery/claim_queries.py): the endpoints with none, and their backlog, are not read."""
    rooms = room.open(conn, wanted)
    if not rooms:
        return []
    if conn.dialect.name != "postgresql":
        found = [row for endpoint_id, left in rooms.items()
                 for row in conn.execute(ENDPOINT_WALK, {"endpoint_id": endpoint_id, "room": left, "now": now})]
        return sorted(found, key=lambda row: (row.next_attempt_at, row.id))[:wanted]
    found = conn.execute(ENDPOINT_WALKS, {"endpoint_ids": list(rooms), "rooms": list(rooms.values()),
                                          "wanted": wanted, "now": now}).all()
    if not found:
        return []
    order = {row.id: n for n, row in enumerate(found)}  # locked apart: only those this claim takes
    locked = [row for row in conn.execute(LOCK_CHOSEN, {"ids": list(order)}) if still_due(row, now)]
    return sorted(locked, key=lambda row: order[row.id])


def _take(conn: Connection, rows: list[sa.Row], worker: str, lease_until: datetime) -> None:
    if rows:
        conn.execute(_TAKE, {"ids": [r.id for r in rows], "lease_until": lease_until, "worker": worker})


_TAKE = (outbox.update().where(outbox.c.id.in_(sa.bindparam("ids", expanding=True)))
         .values(state=State.IN_FLIGHT.value, lease_until=sa.bindparam("lease_until", type_=outbox.c.lease_until.type),
                 claimed_by=sa.bindparam("worker"), attempts=outbox.c.attempts + 1))


class _EndpointRoom:
    """How many more messages each endpoint may have on their way (:func:`claim`'s per-endpoint budget), and
    the endpoints that may have none now: turned off, paused by the partner (``Retry-After``) or of a
    suspended organization (their messages are held, not dropped)."""

    def __init__(self, conn: Connection, now: datetime, per_endpoint: int | None) -> None:
        self.unlimited = per_endpoint is None
        self.per_endpoint = per_endpoint or 0
        self.used: dict[str, int] = {}
        self.failing: set[str] = set()
        self._full: set[str] = set()
        self._closed = set(conn.execute(_CLOSED, {"now": now}).scalars())
        if self.unlimited:
            return
        self.used = {endpoint_id: count for endpoint_id, count in conn.execute(_IN_FLIGHT, {"now": now})}
        self.failing = set(conn.execute(_FAILING).scalars())
        self._full = {e for e in self.used.keys() | self.failing if self._left(e) <= 0}

    def _left(self, endpoint_id: str) -> int:
        return (1 if endpoint_id in self.failing else self.per_endpoint) - self.used.get(endpoint_id, 0)

    def held(self) -> list[str]:
        """The endpoints this claim leaves out: closed now, or their budget full."""
        return sorted(self._closed | self._full)

    def open(self, conn: Connection, wanted: int) -> dict[str, int]:
        """The enabled endpoints this claim may take messages for, each with how many (at most ``wanted``)."""
        held = set(self.held())
        return {endpoint_id: wanted if self.unlimited else min(self._left(endpoint_id), wanted)
                for endpoint_id in conn.execute(ENABLED_ENDPOINTS).scalars() if endpoint_id not in held}

    def take(self, endpoint_id: str) -> bool:
        if self.unlimited:
            return True
        if self._left(endpoint_id) <= 0:
            self._full.add(endpoint_id)
            return False
        self.used[endpoint_id] = self.used.get(endpoint_id, 0) + 1
        return True


_IN_FLIGHT = (sa.select(outbox.c.endpoint_id, sa.func.count())  # each endpoint's messages under a live lease
              .where(outbox.c.state == State.IN_FLIGHT.value,
                     outbox.c.lease_until >= sa.bindparam("now", type_=outbox.c.lease_until.type))
              .group_by(outbox.c.endpoint_id))
_FAILING = sa.select(endpoints.c.id).where(endpoints.c.failing_since.is_not(None), endpoints.c.enabled.is_(True))
_CLOSED = sa.select(endpoints.c.id).where(sa.or_(
    endpoints.c.enabled.is_not(True),
    endpoints.c.paused_until > sa.bindparam("now", type_=endpoints.c.paused_until.type),  # the partner asked to wait
    suspended_clause(endpoints.c.organization_id)))  # held while the hub operator suspends it


def record(conn: Connection, claimed: Claim, result: Outcome, now: datetime) -> State:
    """Store the result of one attempt and move the message (and maybe its endpoint) on."""
    values: dict[str, object] = {"last_status": result.status, "last_error": result.error, "lease_until": None,
                                 "claimed_by": None}
    if result.ok:
        state = State.DELIVERED
        values["delivered_at"] = now
        conn.execute(endpoints.update().where(endpoints.c.id == claimed.endpoint_id)
                     .values(failing_since=None, paused_until=None))
    elif result.status == 410:
        state = State.FAILED
        disable(conn, claimed.endpoint_id, "the endpoint answered 410 Gone", now)
    else:
        delay = next_delay(claimed.attempts)
        if delay is not None and result.retry_after is not None:  # the partner said when: not before, for
            asked = min(result.retry_after, MAX_RETRY_AFTER.total_seconds())  # this message or any other
            delay = max(delay, asked)
            conn.execute(endpoints.update().where(endpoints.c.id == claimed.endpoint_id)
                         .values(paused_until=now + timedelta(seconds=asked)))
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
    this = outbox.c.id == claimed.outbox_id
    done = conn.execute(outbox.update().where(this, outbox.c.claimed_by == claimed.worker)
                        .values(state=state.value, **values))
    if state in GAVE_UP and done.rowcount:
        _mark_gave_up(conn, this, now)
    return state


def lock_endpoints(conn: Connection, results: Sequence[tuple[Claim, Outcome]]) -> None:
    """On PostgreSQL, lock the endpoint rows that recording ``results`` will update, in id order, before any
    update: recording marks endpoints failing (one by one) and healthy again (in bulk), and two workers or a
    worker's rounds recording at once in different orders deadlocked (bench/slow_partner.py found it). An
    endpoint answering 2xx is only locked when it is marked failing now (clearing is then needed)."""
    if conn.dialect.name != "postgresql" or not results:
        return
    failed = {c.endpoint_id for c, o in results if not o.ok}
    answered = {c.endpoint_id for c, o in results if o.ok} - failed
    which = sa.or_(endpoints.c.id.in_(sorted(failed)),
                   sa.and_(endpoints.c.id.in_(sorted(answered)), endpoints.c.failing_since.is_not(None)))
    conn.execute(sa.select(endpoints.c.id).where(which).order_by(endpoints.c.id).with_for_update())


def record_delivered(conn: Connection, delivered: Sequence[tuple[Claim, Outcome]], now: datetime) -> None:
    """:func:`record` for a batch of 2xx answers, in two statements instead of two per message: the
    messages become delivered (those still held by their claim), their endpoints stop failing."""
    if not delivered:
        return
    check_transition(State.IN_FLIGHT, State.DELIVERED)
    assert all(o.ok for _c, o in delivered), "only 2xx answers"
    # one UPDATE ... WHERE id IN (...) per holder and answer (a batch is one worker's, nearly all 200 or
    # 204): an executemany of one parameter set per message cost more than the statement it ran
    groups: dict[tuple[str, int | None], list[int]] = {}
    for c, o in delivered:
        groups.setdefault((c.worker, o.status), []).append(c.outbox_id)
    for (holder, answer), rows in groups.items():
        conn.execute(_DELIVERED, {"ids": rows, "holder": holder, "answer": answer, "now": now})
    conn.execute(_HEALTHY, {"ids": sorted({c.endpoint_id for c, _o in delivered})})


# record_delivered's statements, built once
_DELIVERED = (outbox.update().where(outbox.c.id.in_(sa.bindparam("ids", expanding=True)),
                                    outbox.c.claimed_by == sa.bindparam("holder"))
              .values(state=State.DELIVERED.value, last_status=sa.bindparam("answer"), last_error=None,
                      lease_until=None, claimed_by=None, delivered_at=sa.bindparam("now", type_=outbox.c.delivered_at.type)))
_HEALTHY = (endpoints.update().where(endpoints.c.id.in_(sa.bindparam("ids", expanding=True)),
                                     endpoints.c.failing_since.is_not(None))
            .values(failing_since=None, paused_until=None))


def disable(conn: Connection, endpoint_id: str, reason: str, now: datetime) -> None:
    """Stop an endpoint: its waiting messages fail (and can be replayed once it works again)."""
    conn.execute(endpoints.update().where(endpoints.c.id == endpoint_id).values(enabled=False, disabled_reason=reason))
    waiting = sa.and_(outbox.c.endpoint_id == endpoint_id,
                      outbox.c.state.in_([State.PENDING.value, State.RETRYING.value]))
    _mark_gave_up(conn, waiting, now)
    conn.execute(outbox.update().where(waiting).values(state=State.FAILED.value, last_error=reason))


def replay(conn: Connection, endpoint_id: str, now: datetime, *, message_id: str | None = None,
           since: datetime | None = None) -> int:
    """Send dead, failed (and, for one message, delivered) messages again; returns how many."""
    states = [State.DEAD.value, State.FAILED.value] + ([State.DELIVERED.value] if message_id else [])
    where = [outbox.c.endpoint_id == endpoint_id, outbox.c.state.in_(states)]
    if message_id is not None:
        where.append(outbox.c.message_id == message_id)
    if since is not None:
        where.append(outbox.c.created_at >= since)
    _mark_gave_up(conn, sa.and_(*where, outbox.c.state != State.DELIVERED.value), now)
    done = conn.execute(outbox.update().where(*where).values(
        state=State.PENDING.value, attempts=0, next_attempt_at=now, last_error=None))
    return done.rowcount


GAVE_UP = (State.DEAD, State.FAILED)


def _mark_gave_up(conn: Connection, which: sa.ColumnElement[bool], now: datetime) -> None:
    """The agreement metrics count the deliveries whose message gave up (metrics/rollups.py): mark
    the items of the messages ``which`` selects whenever they start or stop giving up."""
    items_of = (sa.select(deliveries.c.item_id).distinct()
                .join(outbox, outbox.c.delivery_id == deliveries.c.id)
                .where(which, deliveries.c.agreement_id.is_not(None)))
    mark_items_changed(conn, conn.execute(items_of).scalars().all(), now)
