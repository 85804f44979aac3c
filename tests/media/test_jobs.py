"""Jobs on SQLite and PostgreSQL: claimed once, leased, taken over after a crash, retried, dead, failed."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.errors import Conflict, MediaUnreadable
from newsbridge.ids import utcnow
from newsbridge.media.jobs import (BACKOFF_BASE, BACKOFF_CAP, LEASE, TRANSITIONS, Job, State, backoff,
                                  check_transition, claim, enqueue, fail, finish, job_status, renew, requeue)
from newsbridge.media.worker import JobWorker

KIND = "test.echo"


def _enqueue(engine: Engine, n: int = 1, **options: object) -> list[int]:
    with writing(engine) as conn:
        return [enqueue(conn, KIND, {"n": i}, utcnow(), **options) for i in range(n)]  # type: ignore[arg-type]


def _claim(engine: Engine, worker: str, now=None, limit: int = 1, lease: timedelta = LEASE) -> list[Job]:
    with writing(engine) as conn:
        return claim(conn, worker, now or utcnow(), [KIND], limit, lease)


def _status(engine: Engine, job_id: int):
    with reading(engine) as conn:
        return job_status(conn, job_id)


@pytest.mark.parametrize("current", list(State))
@pytest.mark.parametrize("target", list(State))
def test_transition_table(current: State, target: State) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(Conflict):
            check_transition(current, target)


def test_every_state_is_reachable_and_no_state_is_a_trap() -> None:
    reachable = {State.QUEUED} | {t for targets in TRANSITIONS.values() for t in targets}
    assert reachable == set(State)
    assert all(TRANSITIONS[s] for s in State)  # finished jobs can be queued again


def test_claim_takes_due_jobs_once_in_order(engine: Engine) -> None:
    ids = _enqueue(engine, 3)
    with writing(engine) as conn:
        later = enqueue(conn, KIND, {"n": 9}, utcnow() + timedelta(hours=1))  # not due yet
        enqueue(conn, "other.kind", {}, utcnow())
    first = _claim(engine, "w1", limit=2)
    assert [j.id for j in first] == ids[:2] and all(j.attempts == 1 and j.worker == "w1" for j in first)
    assert [j.id for j in _claim(engine, "w2", limit=5)] == ids[2:]
    assert _claim(engine, "w3", limit=5) == []
    status = _status(engine, ids[0])
    assert (status.state, status.lease_owner, status.attempts) == (State.RUNNING, "w1", 1)
    assert _status(engine, later).state is State.QUEUED


def test_concurrent_workers_never_share_a_job(engine: Engine) -> None:
    ids = set(_enqueue(engine, 20))
    taken: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while claimed := _claim(engine, name, limit=1):
            with lock:
                taken.extend(j.id for j in claimed)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(ids)  # each exactly once


def test_skip_locked_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time (BEGIN IMMEDIATE): there is nothing to skip")
    ids = _enqueue(engine, 2)
    with writing(engine) as first:
        held = claim(first, "w1", utcnow(), [KIND], 1)  # its transaction stays open, the row locked
        other = _claim(engine, "w2", limit=2)  # not blocked: skips the locked row
    assert [j.id for j in held] == ids[:1] and [j.id for j in other] == ids[1:]


def test_an_expired_lease_is_taken_over_and_the_old_worker_cannot_overwrite(engine: Engine) -> None:
    [job_id] = _enqueue(engine)
    now = utcnow()
    [crashed] = _claim(engine, "w1", now)
    assert _claim(engine, "w2", now + LEASE - timedelta(seconds=1)) == []  # still leased
    [taken] = _claim(engine, "w2", now + LEASE + timedelta(seconds=1))
    assert (taken.id, taken.attempts, taken.worker) == (job_id, 2, "w2")
    with writing(engine) as conn:
        assert finish(conn, crashed, utcnow(), {"by": "w1"}) is None  # came back too late: dropped
        assert renew(conn, crashed, utcnow()) is False
        assert finish(conn, taken, utcnow(), {"by": "w2"}) is State.DONE
    status = _status(engine, job_id)
    assert (status.state, status.result, status.lease_owner) == (State.DONE, {"by": "w2"}, None)


def test_renewing_keeps_the_job(engine: Engine) -> None:
    _enqueue(engine)
    now = utcnow()
    [job] = _claim(engine, "w1", now)
    with writing(engine) as conn:
        assert renew(conn, job, now + LEASE - timedelta(seconds=1))
    assert _claim(engine, "w2", now + LEASE + timedelta(seconds=1)) == []


def test_failure_retries_after_a_growing_capped_back_off(engine: Engine) -> None:
    [job_id] = _enqueue(engine)
    now = utcnow()
    [job] = _claim(engine, "w1", now)
    with writing(engine) as conn:
        assert fail(conn, job, "ffmpeg crashed", now, rng=random.Random(1)) is State.QUEUED
    status = _status(engine, job_id)
    waited = (status.next_attempt_at - now).total_seconds()
    assert BACKOFF_BASE * 0.9 <= waited <= BACKOFF_BASE * 1.1
    assert (status.last_error, status.lease_owner) == ("ffmpeg crashed", None)
    assert _claim(engine, "w1", now + timedelta(seconds=waited - 1)) == []
    [again] = _claim(engine, "w1", now + timedelta(seconds=waited + 1))
    assert again.attempts == 2
    assert [round(backoff(n, random.Random(0)) / backoff(1, random.Random(0))) for n in (1, 2, 3)] == [1, 4, 16]
    assert max(backoff(n) for n in range(1, 30)) <= BACKOFF_CAP * 1.1


def test_dead_after_the_last_attempt(engine: Engine) -> None:
    [job_id] = _enqueue(engine, max_attempts=3)
    now = utcnow()
    states = []
    for attempt in range(1, 4):
        now += timedelta(hours=2)  # past any back-off
        [job] = _claim(engine, "w1", now)
        assert job.attempts == attempt
        with writing(engine) as conn:
            states.append(fail(conn, job, f"error {attempt}", now))
    assert states == [State.QUEUED, State.QUEUED, State.DEAD]
    assert _claim(engine, "w1", now + timedelta(days=1)) == []
    status = _status(engine, job_id)
    assert (status.state, status.attempts, status.last_error) == (State.DEAD, 3, "error 3")
    with writing(engine) as conn:
        requeue(conn, job_id, now)
    assert _claim(engine, "w1", now)[0].attempts == 1


def test_a_refused_input_fails_at_once(engine: Engine) -> None:
    [job_id] = _enqueue(engine)
    [job] = _claim(engine, "w1")
    with writing(engine) as conn:
        assert fail(conn, job, "media_too_large: 200 megapixels", utcnow(), permanent=True) is State.FAILED
        with pytest.raises(Conflict):
            requeue(conn, _enqueue_done(conn), utcnow())
    assert _status(engine, job_id).state is State.FAILED


def _enqueue_done(conn) -> int:  # type: ignore[no-untyped-def]
    """A queued job: requeue() refuses what is not finished."""
    return enqueue(conn, KIND, {}, utcnow())


def test_one_live_job_per_key(engine: Engine) -> None:
    [first] = _enqueue(engine, key="media:1")
    assert _enqueue(engine, key="media:1") == [first]  # queued already: the same job
    [job] = _claim(engine, "w1")
    assert _enqueue(engine, key="media:1") == [first]  # running: still the same
    with writing(engine) as conn:
        finish(conn, job, utcnow(), {})
    assert _enqueue(engine, key="media:1") == [first]  # done: queued again
    assert _status(engine, first).state is State.QUEUED and _status(engine, first).attempts == 0


def test_worker_records_results_and_failures(engine: Engine) -> None:
    def handler(job: Job) -> dict:
        if job.payload["n"] == 1:
            raise MediaUnreadable("the file is empty (0 bytes)")
        if job.payload["n"] == 2:
            raise OSError("disk full")
        return {"doubled": job.payload["n"] * 2}

    ids = _enqueue(engine, 3)
    worker = JobWorker(engine, {KIND: handler}, name="w1", at_once=3)
    assert worker.run_once_sync() == [State.DONE, State.FAILED, State.QUEUED]
    done, refused, retried = (_status(engine, i) for i in ids)
    assert done.result == {"doubled": 0}
    assert refused.last_error == "media_unreadable: the file is empty (0 bytes)"
    assert retried.last_error == "OSError: disk full" and retried.next_attempt_at > utcnow()


def test_heartbeat_keeps_a_long_job_leased(engine: Engine) -> None:
    [job_id] = _enqueue(engine)
    lease = timedelta(seconds=0.6)
    started, seen = threading.Event(), []

    def slow(job: Job) -> dict:
        started.set()
        time.sleep(1.5)  # longer than two leases: only renewals keep it
        return {}

    worker = JobWorker(engine, {KIND: slow}, name="w1", lease=lease)
    runner = threading.Thread(target=lambda: seen.extend(worker.run_once_sync()))
    runner.start()
    started.wait(5)
    time.sleep(0.9)
    assert _claim(engine, "w2", lease=lease) == []  # past the first lease, still renewed
    runner.join()
    assert seen == [State.DONE] and _status(engine, job_id).attempts == 1


def test_a_job_survives_a_worker_killed_mid_way(engine: Engine) -> None:
    [job_id] = _enqueue(engine)
    lease = timedelta(seconds=0.3)
    _claim(engine, "killed", lease=lease)  # claimed, then the process died: no finish, no renewal
    restarted = JobWorker(engine, {KIND: lambda job: {"ok": True}}, name="restarted", lease=lease)
    assert restarted.run_once_sync() == []  # the dead worker's lease still runs
    time.sleep(0.4)
    assert restarted.run_once_sync() == [State.DONE]
    status = _status(engine, job_id)
    assert (status.state, status.attempts, status.result) == (State.DONE, 2, {"ok": True})


@pytest.mark.anyio
async def test_the_async_worker_runs_jobs_off_the_event_loop(engine: Engine) -> None:
    loop_thread = threading.get_ident()
    ran_in = []

    def handler(job: Job) -> dict:
        ran_in.append(threading.get_ident())
        return {}

    [job_id] = _enqueue(engine)
    stop = asyncio.Event()
    task = asyncio.create_task(JobWorker(engine, {KIND: handler}).run(stop, idle=0.05))
    for _ in range(100):
        if _status(engine, job_id).state is State.DONE:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert _status(engine, job_id).state is State.DONE
    assert ran_in and ran_in[0] != loop_thread
