"""The outbox (newsbridge.delivery.outbox): states, retry schedule, and sequence/claim/record/replay
on real SQLite and PostgreSQL, with the clock passed in (``now``) so time is the test's to move."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest
import sqlalchemy as sa
from receivers import Exchange, sign_agreement
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.engine import writing
from newsbridge.db.tables import deliveries, items
from newsbridge.delivery.endpoints import Endpoint, set_enabled
from newsbridge.delivery.outbox import (DISABLE_AFTER, LEASE, RETRY_SCHEDULE, SEQUENCER_LOCK, TRANSITIONS, Claim,
                                        Outcome, State,
                                        check_transition, claim, next_delay, record, record_delivered, replay,
                                        sequence)
from newsbridge.errors import Conflict

T0 = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)  # every item is published then; `now` is counted from it
OK, GONE, BROKEN = Outcome(200, None), Outcome(410, "HTTP 410: gone"), Outcome(503, "HTTP 503: busy")
ALL = set(State)


# -- the table -------------------------------------------------------------------------------

EXPECTED = {  # written out again on purpose: a change to the table must be a decision, seen here
    State.PENDING: {State.IN_FLIGHT, State.FAILED},
    State.IN_FLIGHT: {State.DELIVERED, State.RETRYING, State.DEAD, State.FAILED, State.IN_FLIGHT},
    State.RETRYING: {State.IN_FLIGHT, State.FAILED},
    State.DELIVERED: {State.PENDING},
    State.DEAD: {State.PENDING},
    State.FAILED: {State.PENDING},
}


def test_transitions_table_is_the_documented_machine() -> None:
    assert set(TRANSITIONS) == ALL
    assert {s: set(t) for s, t in TRANSITIONS.items()} == EXPECTED
    finished = {State.DELIVERED, State.DEAD, State.FAILED}
    assert all(TRANSITIONS[s] == {State.PENDING} for s in finished)  # only a replay leaves an end state


@pytest.mark.parametrize(("current", "target"), list(product(State, State)), ids=lambda s: s.value)
def test_check_transition_follows_the_table(current: State, target: State) -> None:
    if target in EXPECTED[current]:
        check_transition(current, target)
    else:
        with pytest.raises(Conflict):
            check_transition(current, target)


@pytest.mark.parametrize("attempts", range(1, len(RETRY_SCHEDULE) + 1))
def test_next_delay_is_the_schedule_with_ten_percent_jitter(attempts: int) -> None:
    base = RETRY_SCHEDULE[attempts - 1]  # after the first failed try, the schedule's first delay (immediately)
    delays = [next_delay(attempts, random.Random(seed)) for seed in range(300)]
    assert all(d is not None and base * 0.9 <= d <= base * 1.1 for d in delays)
    if base:  # jitter really spreads retries (a thundering herd after an outage is what it prevents)
        assert max(delays) - min(delays) > base * 0.15  # type: ignore[operator]


@pytest.mark.parametrize("attempts", [len(RETRY_SCHEDULE) + 1, len(RETRY_SCHEDULE) + 2, 100])
def test_no_delay_after_the_last_attempt(attempts: int) -> None:
    assert next_delay(attempts) is None


# -- the database ----------------------------------------------------------------------------


class Hub(Exchange):
    """The exchange with the outbox's steps, each in its own transaction as the worker runs them."""

    def ready(self, *uris: str) -> Endpoint:
        """An endpoint of the recipient, and a pending message to it for each of ``uris`` (sequenced at T0)."""
        endpoint, _ = self.endpoint()
        for uri in uris:
            self.publish(uri)
        self.sequence(T0)
        return endpoint

    def sequence(self, now: datetime, limit: int = 2000) -> list[tuple[int, str, int]]:
        with writing(self.engine) as conn:
            return sequence(conn, now, limit)

    def claim(self, worker: str, now: datetime, limit: int = 200, per_endpoint: int | None = 8) -> list[Claim]:
        with writing(self.engine) as conn:
            return claim(conn, worker, now, limit, per_endpoint=per_endpoint)

    def record(self, claimed: Claim, outcome: Outcome, now: datetime) -> State:
        with writing(self.engine) as conn:
            return record(conn, claimed, outcome, now)

    def states(self) -> dict[int, str]:
        return {i: r.state for i, r in self.messages().items()}

    def uri_of(self, claimed: Claim) -> str:
        with self.engine.connect() as conn:
            uri, version = conn.execute(sa.select(items.c.uri, deliveries.c.version).join(items).where(
                deliveries.c.id == claimed.delivery_id)).one()
        return f"{uri} v{version}"


@pytest.fixture
def hub(engine: Engine, settings: Settings, make_partner) -> Hub:  # type: ignore[no-untyped-def]
    return Hub.between(engine, settings, make_partner("source").org, make_partner("recipient").org, firstcreated=T0)


def assert_moves(before: dict[int, str], after: dict[int, str]) -> None:
    """No message changed state in a way the TRANSITIONS table does not allow (snapshots from hub.states())."""
    for message, state in after.items():
        if message in before and state != before[message]:
            assert State(state) in TRANSITIONS[State(before[message])], (message, before[message], state)


def test_positions_strictly_increase_without_gaps(hub: Hub, make_partner) -> None:  # type: ignore[no-untyped-def]
    other = make_partner("other").org
    sign_agreement(hub.engine, hub.source, [other])
    for n in range(5):
        hub.publish(f"urn:a:{n}")
    batches = [hub.sequence(T0, limit=3) for _ in range(4)]
    assert [[p for *_, p in batch] for batch in batches] == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]
    assert hub.sequence(T0) == []
    hub.publish("urn:a:late")
    assert [p for *_, p in hub.sequence(T0)] == [11, 12]
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(deliveries.c.id, deliveries.c.position).order_by(deliveries.c.id)).all()
    assert [p for _, p in rows] == list(range(1, 13))  # in the order they were routed


def test_embargoed_delivery_is_sequenced_exactly_when_available(hub: Hub) -> None:
    lifted = T0 + timedelta(hours=1)
    hub.endpoint()
    hub.publish("urn:embargoed", embargoed=lifted)
    hub.publish("urn:free")
    assert [p for *_, p in hub.sequence(lifted - timedelta(microseconds=1))] == [1]  # only the free item
    assert len(hub.messages()) == 1
    assert [p for *_, p in hub.sequence(lifted)] == [2]
    late = list(hub.messages().values())[-1]
    assert (late.state, late.next_attempt_at, late.created_at) == ("pending", lifted, lifted)


def test_a_worker_does_not_wait_while_another_process_sequences(hub: Hub) -> None:
    """PostgreSQL: a worker finding the sequencer busy goes on to claim; the holder sequences for both."""
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no other sequencer to wait for")
    hub.endpoint()
    hub.publish("urn:queued")
    with hub.engine.connect() as other, other.begin():
        other.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK})
        with writing(hub.engine) as conn:
            assert sequence(conn, T0, wait=False) == []  # at once, not after the other's transaction
    assert [p for *_, p in hub.sequence(T0)] == [1]  # the lock free again: sequenced as usual
    assert len(hub.messages()) == 1


def test_one_message_per_enabled_subscribed_endpoint(hub: Hub, make_partner) -> None:  # type: ignore[no-untyped-def]
    everything, _ = hub.endpoint()
    updates_only, _ = hub.endpoint(events=["item.updated"])
    turned_off, _ = hub.endpoint()
    with writing(hub.engine) as conn:
        set_enabled(conn, hub.recipient, turned_off.id, False)
    outlet = make_partner("recipient-desk", parent="recipient").org
    desk, _ = hub.endpoint(org=outlet)
    stranger, _ = hub.endpoint(org=make_partner("stranger").org)
    hub.publish("urn:v", 1)
    hub.publish("urn:v", 2)
    hub.sequence(T0)
    got = sorted((m.endpoint_id, m.event) for m in hub.messages().values())
    assert got == sorted([(everything.id, "item.published"), (everything.id, "item.updated"),
                          (updates_only.id, "item.updated"), (desk.id, "item.published"), (desk.id, "item.updated")])
    assert stranger.id not in {e for e, _ in got}
    assert len({m.message_id for m in hub.messages().values()}) == 5


def test_two_workers_never_get_the_same_message(hub: Hub) -> None:
    hub.ready(*(f"urn:c:{n}" for n in range(7)))
    before = hub.states()
    first, second, third = hub.claim("w1", T0, 4), hub.claim("w2", T0, 4), hub.claim("w3", T0, 4)
    assert (len(first), len(second), third) == (4, 3, [])
    assert {c.outbox_id for c in first}.isdisjoint(c.outbox_id for c in second)
    assert {c.attempts for c in first + second} == {1}
    rows = hub.messages()
    assert all(rows[c.outbox_id].claimed_by == c.worker and rows[c.outbox_id].lease_until == T0 + LEASE
               for c in first + second)
    assert_moves(before, hub.states())


def test_expired_lease_is_taken_over(hub: Hub) -> None:
    hub.ready("urn:lease")
    [crashed] = hub.claim("crashed", T0)
    assert hub.claim("other", T0 + LEASE) == []  # the lease runs to its last instant
    [taken] = hub.claim("other", T0 + LEASE + timedelta(microseconds=1))
    assert (taken.outbox_id, taken.message_id, taken.attempts) == (crashed.outbox_id, crashed.message_id, 2)
    before = hub.states()
    hub.record(crashed, OK, T0 + LEASE * 2)  # the first worker woke up late: its word no longer counts
    assert hub.messages()[taken.outbox_id].claimed_by == "other"
    assert hub.record(taken, OK, T0 + LEASE * 2) == State.DELIVERED
    assert hub.states()[taken.outbox_id] == "delivered"
    assert_moves(before, hub.states())


def test_versions_of_an_item_go_out_in_order_per_endpoint(hub: Hub) -> None:
    (slow, _), (quick, _) = hub.endpoint(), hub.endpoint()
    for version in (1, 2, 3):
        hub.publish("urn:story", version)
    hub.publish("urn:other")
    hub.sequence(T0)

    def taken(now: datetime) -> list[tuple[str, str]]:
        claims = hub.claim("w", now)
        for c in claims:
            if c.endpoint_id == quick.id or "other" in hub.uri_of(c):
                hub.record(c, OK, now)
        return sorted(("slow" if c.endpoint_id == slow.id else "quick", hub.uri_of(c)) for c in claims)

    batch = hub.claim("w", T0)
    assert sorted(hub.uri_of(c) for c in batch) == ["urn:other v1"] * 2 + ["urn:story v1"] * 2
    for c in batch:
        hub.record(c, BROKEN if c.endpoint_id == slow.id and "story" in hub.uri_of(c) else OK, T0)
    # the first retry is immediate: slow's v1 goes again at once, beside quick's v2; it fails again
    again = hub.claim("w", T0)
    assert sorted(("slow" if c.endpoint_id == slow.id else "quick", hub.uri_of(c)) for c in again) \
        == [("quick", "urn:story v2"), ("slow", "urn:story v1")]
    for c in again:
        hub.record(c, BROKEN if c.endpoint_id == slow.id else OK, T0)
    retry_at = next(m.next_attempt_at for m in hub.messages().values() if m.state == "retrying")
    assert retry_at > T0
    # quick got v2, so its v3 goes; slow's v2 waits behind its retrying v1
    assert taken(retry_at - timedelta(microseconds=1)) == [("quick", "urn:story v3")]
    assert taken(retry_at) == [("slow", "urn:story v1")]
    assert taken(retry_at) == []  # v2 also waits while v1 is in flight ...
    after_lease = retry_at + LEASE + timedelta(microseconds=1)
    [retaken] = hub.claim("w", after_lease)  # ... and when v1's lease expires, only v1 is taken over
    assert (hub.uri_of(retaken), retaken.attempts) == ("urn:story v1", 4)
    hub.record(retaken, OK, after_lease)
    [v2] = hub.claim("w", after_lease)
    assert hub.uri_of(v2) == "urn:story v2"
    hub.record(v2, OK, after_lease)
    [v3] = hub.claim("w", after_lease)
    assert hub.uri_of(v3) == "urn:story v3"


def test_410_fails_the_message_and_disables_the_endpoint(hub: Hub) -> None:
    (gone, _), (fine, _) = hub.endpoint(), hub.endpoint()
    for n in range(3):
        hub.publish(f"urn:g:{n}")
    hub.sequence(T0)
    taken = {c.endpoint_id: c for c in hub.claim("w", T0, limit=2)}  # the first item, to both
    before = hub.states()
    assert hub.record(taken[gone.id], GONE, T0) == State.FAILED
    assert hub.record(taken[fine.id], OK, T0) == State.DELIVERED
    after = hub.messages()
    assert_moves(before, hub.states())
    assert {m.state for m in after.values() if m.endpoint_id == gone.id} == {"failed"}
    assert [m.state for m in after.values() if m.endpoint_id == fine.id] == ["delivered", "pending", "pending"]
    assert all("410" in m.last_error for m in after.values() if m.endpoint_id == gone.id)
    health = hub.endpoint_now(gone)
    assert (health.enabled, "410" in (health.disabled_reason or "")) == (False, True)
    hub.publish("urn:g:new")
    hub.sequence(T0)
    assert {m.endpoint_id for m in hub.messages().values() if m.id not in after} == {fine.id}


def test_dead_after_the_last_retry(hub: Hub) -> None:
    hub.ready("urn:dead")
    now, history = T0, []
    for attempt in range(1, len(RETRY_SCHEDULE) + 2):  # one try and ten retries
        [message] = hub.messages().values()
        if attempt > 1 and message.next_attempt_at > now:  # nothing is taken before it is due
            assert hub.claim("w", message.next_attempt_at - timedelta(microseconds=1)) == []
        now = max(now, message.next_attempt_at)
        [taken] = hub.claim("w", now)
        assert taken.attempts == attempt
        before = hub.states()
        history.append(hub.record(taken, BROKEN, now))
        assert_moves(before, hub.states())
    assert history == [State.RETRYING] * len(RETRY_SCHEDULE) + [State.DEAD]
    assert hub.claim("w", now + timedelta(days=30)) == []
    [message] = hub.messages().values()
    assert (message.attempts, message.last_status) == (len(RETRY_SCHEDULE) + 1, 503)


def test_first_retry_is_immediate(hub: Hub) -> None:
    hub.ready("urn:retry")
    [taken] = hub.claim("w", T0)
    assert hub.record(taken, BROKEN, T0) == State.RETRYING
    assert hub.messages()[taken.outbox_id].next_attempt_at == T0
    assert [c.outbox_id for c in hub.claim("w", T0)] == [taken.outbox_id]


def test_failing_for_more_than_five_days_disables(hub: Hub) -> None:
    flaky = hub.ready(*(f"urn:f:{n}" for n in range(3)))
    [first] = hub.claim("w", T0, limit=1)
    hub.record(first, BROKEN, T0)
    assert hub.endpoint_now(flaky).failing_since == T0
    limit = T0 + DISABLE_AFTER
    [again] = hub.claim("w", limit, limit=1)
    hub.record(again, BROKEN, limit)
    assert hub.endpoint_now(flaky).enabled  # exactly five days: not yet
    [last] = hub.claim("w", limit + timedelta(seconds=1), limit=1)
    hub.record(last, BROKEN, limit + timedelta(seconds=1))
    health = hub.endpoint_now(flaky)
    assert not health.enabled and "failing since 2025-06-02 09:00" in (health.disabled_reason or "")
    others = [m for m in hub.messages().values() if m.id != last.outbox_id]
    assert [m.state for m in others] == ["failed", "failed"]


def test_a_success_resets_the_failure_clock(hub: Hub) -> None:
    flaky = hub.ready("urn:r:1", "urn:r:2")
    one, two = hub.claim("w", T0)
    hub.record(one, BROKEN, T0)
    hub.record(two, OK, T0 + timedelta(days=1))
    assert hub.endpoint_now(flaky).failing_since is None
    [again] = hub.claim("w", T0 + timedelta(days=6))
    hub.record(again, BROKEN, T0 + timedelta(days=6))
    assert hub.endpoint_now(flaky).enabled


def test_the_message_that_trips_the_five_day_breaker_is_not_sent_again(hub: Hub) -> None:
    hub.ready("urn:b")
    [taken] = hub.claim("w", T0)
    hub.record(taken, BROKEN, T0)
    late = T0 + DISABLE_AFTER + timedelta(seconds=1)
    [again] = hub.claim("w", late)
    hub.record(again, BROKEN, late)
    assert hub.messages()[taken.outbox_id].state == "failed"
    assert hub.claim("w", late + timedelta(days=2)) == []


def test_an_endpoint_turned_off_gets_no_more_messages(hub: Hub) -> None:
    off = hub.ready("urn:off")
    with writing(hub.engine) as conn:
        set_enabled(conn, hub.recipient, off.id, False)
    assert hub.claim("w", T0) == []


def test_message_in_flight_when_the_endpoint_went_away_is_not_retried(hub: Hub) -> None:
    hub.ready("urn:x:1", "urn:x:2")
    one, two = hub.claim("w", T0)  # sent concurrently, as the worker does
    hub.record(one, GONE, T0)
    hub.record(two, BROKEN, T0)
    assert hub.claim("w", T0 + timedelta(hours=1)) == []


def test_replay_one_message_and_all_since_a_time(hub: Hub) -> None:
    (gone, _), (other, _) = hub.endpoint(), hub.endpoint()
    for n, minute in enumerate((0, 10, 20)):
        hub.publish(f"urn:p:{n}")
        hub.sequence(T0 + timedelta(minutes=minute))  # messages created at T0, +10 min, +20 min
    taken = {c.endpoint_id: c for c in hub.claim("w", T0 + timedelta(hours=1), limit=2)}
    hub.record(taken[other.id], OK, T0 + timedelta(hours=1))
    hub.record(taken[gone.id], GONE, T0 + timedelta(hours=1))  # all three of `gone` fail
    before, rows = hub.states(), hub.messages()
    now = T0 + timedelta(hours=2)
    with writing(hub.engine) as conn:
        assert replay(conn, gone.id, now, since=T0 + timedelta(minutes=10)) == 2
        assert replay(conn, gone.id, now, message_id=rows[taken[other.id].outbox_id].message_id) == 0  # not its own
        assert replay(conn, other.id, now, message_id=taken[other.id].message_id) == 1  # delivered: one by one only
        assert replay(conn, other.id, now) == 0
        assert replay(conn, gone.id, now) == 1  # the rest
    after = hub.messages()
    assert_moves(before, hub.states())
    replayed = [m for m in after.values() if m.state == "pending" and m.endpoint_id == gone.id]
    assert len(replayed) == 3
    assert all((m.attempts, m.next_attempt_at, m.last_error) == (0, now, None) for m in replayed)
    assert all(after[i].message_id == rows[i].message_id for i in after)  # the webhook-id stays
    assert after[taken[other.id].outbox_id].state == "pending"  # the delivered one, replayed
    assert [m.state for m in after.values() if m.endpoint_id == other.id] == ["pending"] * 3


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_claims_on_postgresql_take_each_message_once(hub: Hub) -> None:
    hub.ready(*(f"urn:pg:{n}" for n in range(40)))
    # A holds its claim transaction open while B claims: SKIP LOCKED must let B pass A's rows at once.
    # (one endpoint: without its budget, test_endpoint_budget.py's subject, all 40 may go)
    holding, b_done = threading.Event(), threading.Event()
    got: dict[str, list[int]] = {}
    b_passed_while_a_held: list[bool] = []

    def worker_a() -> None:
        with writing(hub.engine) as conn:
            got["a"] = [c.outbox_id for c in claim(conn, "a", T0, 15, per_endpoint=None)]
            holding.set()
            b_passed_while_a_held.append(b_done.wait(10))

    def worker_b() -> None:
        assert holding.wait(10)
        with writing(hub.engine) as conn:
            got["b"] = [c.outbox_id for c in claim(conn, "b", T0, 100, per_endpoint=None)]
        b_done.set()

    threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert b_passed_while_a_held == [True]  # B did not wait for A's locks
    assert (len(got["a"]), len(got["b"])) == (15, 25)
    assert set(got["a"]).isdisjoint(got["b"])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_free_running_workers_on_postgresql_claim_every_message_once(hub: Hub) -> None:
    hub.ready(*(f"urn:free:{n}" for n in range(60)))
    start, claimed, lock = threading.Barrier(4), [], threading.Lock()

    def work(name: str) -> None:
        start.wait()
        while batch := hub.claim(name, T0, limit=3, per_endpoint=None):  # never answered: no budget would last
            with lock:
                claimed.extend(c.outbox_id for c in batch)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(claimed) == sorted(hub.messages())  # each exactly once


def test_a_correction_never_overtakes_an_embargoed_earlier_version(hub: Hub) -> None:
    hub.endpoint()
    lifted = T0 + timedelta(hours=1)
    hub.publish("urn:exclusive", 1, embargoed=lifted)
    hub.publish("urn:exclusive", 2)  # a correction whose sender did not repeat the embargo
    hub.sequence(T0 + timedelta(minutes=1))
    hub.sequence(lifted)
    with hub.engine.connect() as conn:
        order = conn.execute(sa.select(deliveries.c.version).where(deliveries.c.recipient_id == hub.recipient.id)
                             .order_by(deliveries.c.position)).scalars().all()
    assert order == [1, 2]


def test_delivered_in_bulk_is_what_recording_one_by_one_gives(hub: Hub) -> None:
    endpoint = hub.ready("urn:bulk:1", "urn:bulk:2", "urn:bulk:3", "urn:bulk:4")
    first, *rest = hub.claim("w", T0)
    hub.record(first, BROKEN, T0)  # the endpoint is failing now ...
    assert hub.endpoint_now(endpoint).failing_since == T0
    # ... and retried at once (the first retry is immediate; no budget: a failing endpoint's probe is one message,
    # and its three others are still on their way here: tests/delivery/test_endpoint_budget.py)
    [first] = hub.claim("w", T0 + timedelta(seconds=1), per_endpoint=None)
    at = T0 + timedelta(minutes=1)
    with writing(hub.engine) as conn:
        record_delivered(conn, [(c, Outcome(200 + n, None)) for n, c in enumerate([first, *rest])], at)
    rows = hub.messages()
    assert [(r.state, r.last_status, r.last_error, r.claimed_by, r.lease_until) for r in rows.values()] == [
        ("delivered", 200 + n, None, None, None) for n in range(4)]
    assert {r.delivered_at.replace(tzinfo=timezone.utc) if r.delivered_at.tzinfo is None else r.delivered_at
            for r in rows.values()} == {at}
    assert hub.endpoint_now(endpoint).failing_since is None  # a success resets the failure clock


def test_delivered_in_bulk_leaves_a_message_another_worker_took_over_alone(hub: Hub) -> None:
    hub.ready("urn:bulk:late")
    [crashed] = hub.claim("crashed", T0)
    [taken] = hub.claim("other", T0 + LEASE + timedelta(microseconds=1))
    with writing(hub.engine) as conn:
        record_delivered(conn, [(crashed, OK)], T0 + LEASE * 2)  # the first worker's word no longer counts
    row = hub.messages()[taken.outbox_id]
    assert (row.state, row.claimed_by) == ("in_flight", "other")


def test_only_2xx_answers_are_recorded_in_bulk(hub: Hub) -> None:
    hub.ready("urn:bulk:gone")
    [claimed] = hub.claim("w", T0)
    with pytest.raises(AssertionError), writing(hub.engine) as conn:
        record_delivered(conn, [(claimed, GONE)], T0)


def test_a_replayed_old_version_goes_before_the_newer_one_queued(hub: Hub) -> None:
    hub.ready("urn:replayed")
    now = T0
    for _ in range(len(RETRY_SCHEDULE) + 1):  # v1 gives up: dead
        [message] = hub.messages().values()
        now = max(now, message.next_attempt_at)
        [v1] = hub.claim("w", now)
        hub.record(v1, BROKEN, now)
    assert hub.messages()[v1.outbox_id].state == "dead"
    hub.publish("urn:replayed", 2)
    hub.sequence(now)  # v2 is queued behind a finished v1
    with writing(hub.engine) as conn:
        assert replay(conn, v1.endpoint_id, now, message_id=v1.message_id) == 1
    [first] = hub.claim("w", now)  # the replayed v1 is unfinished again: v2 waits for it
    assert hub.uri_of(first) == "urn:replayed v1"
    assert hub.claim("w", now) == []
    hub.record(first, OK, now)
    [second] = hub.claim("w", now)
    assert hub.uri_of(second) == "urn:replayed v2"
