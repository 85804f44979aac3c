"""The job worker: claims jobs, runs their handlers off the event loop, records what happened.

Runs inside ``newsbridge serve`` (an asyncio task beside the delivery worker) and in
``newsbridge worker``. Handlers are plain functions ``(job) -> result dict`` registered by
kind; each runs in a thread of its own (the heavy part, ffmpeg, in a subprocess), so the event
loop keeps answering requests. While a handler runs, a heartbeat renews the job's lease; if
the lease was lost (the job taken over after this worker stalled), the result is dropped.

Beside jobs, the worker runs periodic chores (``periodic``: seconds and a function), each in a
thread when its time comes: the media worker sweeps expired uploads this way, so an abandoned
upload goes even when nobody creates a new one.

A handler that raises a :class:`NewsbridgeError` with a 4xx status (the file is refused) ends
the job ``failed`` at once: retrying cannot make a bomb safe. Anything else is retried with
back-off until the job is ``dead``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.errors import NewsbridgeError
from newsbridge.ids import new_id, utcnow
from newsbridge.media.jobs import LEASE, Job, State, any_due, claim, fail, finish, renew

log = logging.getLogger(__name__)
Handler = Callable[[Job], dict[str, Any] | None]
Chore = tuple[float, Callable[[], Any]]  # every so many seconds, this function (in a thread)


class JobWorker:
    """Runs jobs of the kinds in ``handlers``, ``at_once`` at a time."""

    def __init__(self, engine: Engine, handlers: Mapping[str, Handler], *, name: str | None = None,
                 at_once: int = 1, lease: timedelta = LEASE, periodic: Sequence[Chore] = ()) -> None:
        self.engine = engine
        self.periodic = list(periodic)
        self._next_chore = [0.0] * len(self.periodic)  # monotonic times; 0: at the first round
        self.handlers = dict(handlers)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"
        self.at_once = max(1, at_once)
        self.lease = lease

    def claim(self) -> list[Job]:
        with reading(self.engine) as conn:
            if not any_due(conn, utcnow(), tuple(self.handlers)):
                return []  # idle: no write transaction (on SQLite, no turn at the write lock)
        with writing(self.engine) as conn:
            return claim(conn, self.name, utcnow(), tuple(self.handlers), self.at_once, self.lease)

    def execute(self, job: Job) -> State | None:
        """Run one claimed job to its recorded end (blocking: call it in a thread)."""
        stop = threading.Event()
        heartbeat = threading.Thread(target=self._heartbeat, args=(job, stop), daemon=True,
                                     name=f"job-{job.id}-lease")
        heartbeat.start()
        try:
            result = self.handlers[job.kind](job)
        except NewsbridgeError as exc:
            outcome: tuple[str, Any, bool] = ("fail", f"{exc.code}: {exc.message}", exc.status < 500)
        except Exception as exc:  # any bug or outage: retried, and the reason kept on the job
            log.exception("media job failed", extra={"job": job.id, "kind": job.kind})
            outcome = ("fail", f"{type(exc).__name__}: {exc}", False)
        else:
            outcome = ("done", result, False)
        finally:
            stop.set()
            heartbeat.join()
        with writing(self.engine) as conn:
            if outcome[0] == "done":
                state = finish(conn, job, utcnow(), outcome[1])
            else:
                state = fail(conn, job, outcome[1], utcnow(), permanent=outcome[2])
        if state is None:
            log.warning("media job was taken over; result dropped", extra={"job": job.id, "worker": self.name})
        return state

    def _heartbeat(self, job: Job, stop: threading.Event) -> None:
        while not stop.wait(self.lease.total_seconds() / 3):
            with writing(self.engine) as conn:
                if not renew(conn, job, utcnow(), self.lease):
                    return  # taken over: the handler's result will be dropped when it ends

    def run_once_sync(self) -> list[State | None]:
        """Claim and run one batch in this thread (tests, and what the async loop does in threads)."""
        return [self.execute(job) for job in self.claim()]

    async def run_once(self) -> int:
        """One round: claim a batch, run each job in a thread of its own; returns how many ran."""
        claimed = await asyncio.to_thread(self.claim)
        if claimed:
            await asyncio.gather(*(asyncio.to_thread(self.execute, job) for job in claimed))
        return len(claimed)

    async def run_chores(self) -> int:
        """Run the periodic chores whose time has come; returns how many ran. A failing chore is
        logged and tried again at its next time."""
        ran = 0
        for index, (every, chore) in enumerate(self.periodic):
            if time.monotonic() < self._next_chore[index]:
                continue
            self._next_chore[index] = time.monotonic() + every
            try:
                await asyncio.to_thread(chore)
            except Exception:
                log.exception("periodic media chore failed", extra={"chore": getattr(chore, "__name__", "?")})
            ran += 1
        return ran

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Work until ``stop`` is set; wait ``idle`` seconds when nothing was due."""
        if not self.handlers and not self.periodic:
            return
        log.info("media job worker started", extra={"worker": self.name, "kinds": sorted(self.handlers)})
        while not stop.is_set():
            try:
                await self.run_chores()
                ran = await self.run_once()
            except Exception:  # a bad round (database restarting) must not stop the worker for good
                log.exception("media job round failed")
                ran = 0
            if not ran:
                try:
                    await asyncio.wait_for(stop.wait(), idle)
                except asyncio.TimeoutError:
                    pass
        log.info("media job worker stopped", extra={"worker": self.name})
