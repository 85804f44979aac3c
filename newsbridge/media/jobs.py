"""Jobs: background work kept in the database, like the delivery outbox (``delivery/outbox.py``).

A job is a ``kind`` (which handler runs it) and a JSON ``payload``. Workers claim due jobs in
short write transactions (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never
take the same job; ``BEGIN IMMEDIATE`` on SQLite, one writer at a time) and hold them under a
lease they renew while the work goes on. A worker that dies (SIGKILL, a restart) stops
renewing; once its lease has expired another worker takes the job over. A stale worker that
comes back cannot overwrite the new owner's result: every update names the owner and attempt.

State machine (one table, tested over): queued -> running -> done | queued (a retry, after a
capped back-off) | failed (the input is refused: retrying cannot help) | dead (the last
attempt failed). running -> running is a takeover of an expired lease. done, failed and dead
jobs can be queued again (``enqueue`` with the same key, or :func:`requeue`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import jobs
from newsbridge.errors import Conflict, NotFound

LEASE = timedelta(minutes=2)  # renewed every third of it while a job runs
MAX_ATTEMPTS = 5
BACKOFF_BASE = 10.0  # seconds before the first retry; then x4 each time: 10 s, 40 s, 160 s, 640 s...
BACKOFF_CAP = 3600.0  # ...never more than an hour
ERROR_CHARS = 2000


class State(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"


TRANSITIONS: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset({State.RUNNING}),
    State.RUNNING: frozenset({State.DONE, State.QUEUED, State.FAILED, State.DEAD, State.RUNNING}),
    State.DONE: frozenset({State.QUEUED}),  # made again (enqueued with the same key)
    State.FAILED: frozenset({State.QUEUED}),  # requeued by an operator
    State.DEAD: frozenset({State.QUEUED}),
}


def check_transition(current: State, target: State) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a {current.value} job cannot become {target.value}", field="state")


@dataclass(frozen=True)
class Job:
    """A claimed job, as its worker sees it."""

    id: int
    kind: str
    key: str | None
    payload: dict[str, Any]
    attempts: int  # including this one
    max_attempts: int
    worker: str


@dataclass(frozen=True)
class JobStatus:
    """A job as stored (for status pages, tests and operators)."""

    id: int
    kind: str
    key: str | None
    state: State
    attempts: int
    next_attempt_at: datetime
    lease_owner: str | None
    lease_until: datetime | None
    last_error: str | None
    result: dict[str, Any] | None


def backoff(attempts: int, rng: random.Random = random.Random()) -> float:
    """Seconds to wait after ``attempts`` failed attempts: growing fourfold, capped, with 10 % jitter
    so jobs that failed together (a store that was down) do not all return at once."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 4 ** (attempts - 1)) * rng.uniform(0.9, 1.1)


def enqueue(conn: Connection, kind: str, payload: dict[str, Any], now: datetime, *, key: str | None = None,
            max_attempts: int = MAX_ATTEMPTS) -> int:
    """Queue a job; returns its id. With a ``key``, a job of that key that is queued or running is
    left as it is (its id returned), and a finished one is queued again with the new payload."""
    if key is not None:
        row = conn.execute(sa.select(jobs.c.id, jobs.c.state).where(jobs.c.key == key)).first()
        if row is not None:
            state = State(row.state)
            if state in (State.QUEUED, State.RUNNING):
                return row.id
            check_transition(state, State.QUEUED)
            conn.execute(jobs.update().where(jobs.c.id == row.id).values(
                kind=kind, payload=payload, state=State.QUEUED.value, attempts=0, max_attempts=max_attempts,
                next_attempt_at=now, lease_owner=None, lease_until=None, last_error=None, result=None,
                finished_at=None))
            return row.id
    inserted = conn.execute(jobs.insert().values(
        kind=kind, key=key, payload=payload, state=State.QUEUED.value, attempts=0, max_attempts=max_attempts,
        next_attempt_at=now, created_at=now))
    return int(inserted.inserted_primary_key[0])


def claim(conn: Connection, worker: str, now: datetime, kinds: list[str] | tuple[str, ...], limit: int = 1,
          lease: timedelta = LEASE) -> list[Job]:
    """Take up to ``limit`` due jobs of ``kinds`` for ``worker``: queued ones whose time has come, and
    running ones whose lease expired (their worker died). Oldest due first."""
    if not kinds or limit < 1:
        return []
    due = sa.or_(sa.and_(jobs.c.state == State.QUEUED.value, jobs.c.next_attempt_at <= now),
                 sa.and_(jobs.c.state == State.RUNNING.value, jobs.c.lease_until < now))
    query = (sa.select(jobs.c.id, jobs.c.kind, jobs.c.key, jobs.c.payload, jobs.c.attempts, jobs.c.max_attempts,
                       jobs.c.state)
             .where(due, jobs.c.kind.in_(list(kinds))).order_by(jobs.c.next_attempt_at, jobs.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = conn.execute(query).all()
    for row in rows:
        check_transition(State(row.state), State.RUNNING)
    if not rows:
        return []
    conn.execute(jobs.update().where(jobs.c.id.in_([r.id for r in rows])).values(
        state=State.RUNNING.value, attempts=jobs.c.attempts + 1, lease_owner=worker, lease_until=now + lease))
    return [Job(r.id, r.kind, r.key, r.payload, r.attempts + 1, r.max_attempts, worker) for r in rows]


def any_due(conn: Connection, now: datetime, kinds: list[str] | tuple[str, ...]) -> bool:
    """Whether :func:`claim` would find something: a read, so idle workers take no write lock."""
    due = sa.or_(sa.and_(jobs.c.state == State.QUEUED.value, jobs.c.next_attempt_at <= now),
                 sa.and_(jobs.c.state == State.RUNNING.value, jobs.c.lease_until < now))
    return bool(kinds) and conn.execute(sa.select(jobs.c.id).where(due, jobs.c.kind.in_(list(kinds)))
                                        .limit(1)).first() is not None


def _mine(job: Job) -> sa.ColumnElement[bool]:
    """The job is still this worker's, in this attempt (not taken over after a lost lease)."""
    return sa.and_(jobs.c.id == job.id, jobs.c.state == State.RUNNING.value, jobs.c.lease_owner == job.worker,
                   jobs.c.attempts == job.attempts)


def renew(conn: Connection, job: Job, now: datetime, lease: timedelta = LEASE) -> bool:
    """Extend the lease of a job still running; False when it was taken over (stop working on it)."""
    return conn.execute(jobs.update().where(_mine(job)).values(lease_until=now + lease)).rowcount == 1


def finish(conn: Connection, job: Job, now: datetime, result: dict[str, Any] | None = None) -> State | None:
    """Record success; None when the job is no longer this worker's (its result is dropped)."""
    check_transition(State.RUNNING, State.DONE)
    done = conn.execute(jobs.update().where(_mine(job)).values(
        state=State.DONE.value, result=result, lease_owner=None, lease_until=None, last_error=None, finished_at=now))
    return State.DONE if done.rowcount == 1 else None


def fail(conn: Connection, job: Job, error: str, now: datetime, *, permanent: bool = False,
         rng: random.Random = random.Random()) -> State | None:
    """Record a failed attempt: ``failed`` when ``permanent`` (the input is refused), ``dead`` after
    the last attempt, else queued again after :func:`backoff`. None when the job is no longer ours."""
    values: dict[str, Any] = {"last_error": error[:ERROR_CHARS], "lease_owner": None, "lease_until": None}
    if permanent:
        state = State.FAILED
    elif job.attempts >= job.max_attempts:
        state = State.DEAD
    else:
        state = State.QUEUED
        values["next_attempt_at"] = now + timedelta(seconds=backoff(job.attempts, rng))
    if state is not State.QUEUED:
        values["finished_at"] = now
    check_transition(State.RUNNING, state)
    done = conn.execute(jobs.update().where(_mine(job)).values(state=state.value, **values))
    return state if done.rowcount == 1 else None


def requeue(conn: Connection, job_id: int, now: datetime) -> None:
    """Run a failed or dead job again from its first attempt."""
    found = job_status(conn, job_id)
    check_transition(found.state, State.QUEUED)
    conn.execute(jobs.update().where(jobs.c.id == job_id).values(
        state=State.QUEUED.value, attempts=0, next_attempt_at=now, last_error=None, finished_at=None))


def job_status(conn: Connection, job_id: int) -> JobStatus:
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound(f"no job {job_id}", field="job")
    return JobStatus(row.id, row.kind, row.key, State(row.state), row.attempts, row.next_attempt_at,
                     row.lease_owner, row.lease_until, row.last_error, row.result)
