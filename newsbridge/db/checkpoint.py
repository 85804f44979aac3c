"""SQLite's WAL checkpoints, off the writers' path.

In WAL mode a commit appends pages to ``hub.db-wal``; a checkpoint copies them back into ``hub.db`` so the
WAL can start over. Left to SQLite, the checkpoint runs inside whichever connection commits past
``wal_autocheckpoint`` pages (1,000 by default), and that commit waits for it: in a burst of webhook
deliveries, ~2.3 ms a checkpoint and 8 % of the delivery worker's time (bench/fanout.py, 200 items × 100
partners), while the worker's event loop waited on the commit.

A :class:`Checkpointer` is a thread of the process that writes (``newsbridge serve``, ``newsbridge worker``)
running ``PRAGMA wal_checkpoint(PASSIVE)`` on a connection of its own every ``CHECKPOINT_SECONDS``. PASSIVE
never takes the write lock and never waits: it copies what no reader still needs, beside the writers, and the
next writer starts the WAL over once everything was copied. SQLite steps outside Python's lock, so the copying
does not hold up the event loop either. The connections' own threshold is raised, not switched off
(``db/engine.py``, ``WAL_AUTOCHECKPOINT_PAGES``): if no checkpointer runs (a CLI command, a test) or it stopped,
a commit past that many pages still checkpoints, so the WAL cannot grow without bound.

On PostgreSQL, and for an in-memory SQLite database, there is nothing to do: :func:`checkpointing` yields None.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from newsbridge.telemetry import SQLITE_CHECKPOINTS, SQLITE_WAL_PAGES

log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 0.25  # between passive checkpoints: a burst writes ~1,000 WAL pages a second (bench/fanout.py)


@dataclass(frozen=True)
class Checkpoint:
    """What one ``wal_checkpoint(PASSIVE)`` reported: whether another checkpoint was running (``busy``), the
    pages in the WAL and how many of them are now copied into the database file."""

    busy: bool
    wal_pages: int
    copied_pages: int

    @property
    def complete(self) -> bool:
        """Everything in the WAL is in the database file: the next writer starts the WAL over."""
        return not self.busy and self.wal_pages == self.copied_pages

    @property
    def outcome(self) -> str:
        """As ``/metrics`` counts it: ``complete``, ``partial`` (a reader still needed some pages) or ``busy``."""
        return "busy" if self.busy else "complete" if self.complete else "partial"


class Checkpointer:
    """A thread that checkpoints ``engine``'s SQLite database every ``every`` seconds until :meth:`stop`."""

    def __init__(self, engine: Engine, every: float = CHECKPOINT_SECONDS) -> None:
        self.engine = engine
        self.every = every
        self.runs = 0  # checkpoints done (also counted, by outcome, in ``/metrics``)
        self.last: Checkpoint | None = None
        self._done = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: Any = None  # a pooled DBAPI connection, this thread's alone
        self._failing = False  # the last checkpoint failed (logged once, not every round)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._connection = self.engine.raw_connection()
        self._thread = threading.Thread(target=self._run, name="newsbridge-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (after the checkpoint it may be running) and give its connection back."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def checkpoint(self) -> Checkpoint:
        """One passive checkpoint now, on the checkpointer's connection (started or not)."""
        connection = self._connection if self._connection is not None else self.engine.raw_connection()
        try:
            # the connection runs in autocommit (engine.py): no transaction of its own holds the WAL
            busy, wal_pages, copied = connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            if connection is not self._connection:
                connection.close()
        done = Checkpoint(bool(busy), wal_pages, copied)
        SQLITE_CHECKPOINTS.labels(done.outcome).inc()
        SQLITE_WAL_PAGES.labels("in_wal").set(max(wal_pages, 0))
        SQLITE_WAL_PAGES.labels("not_copied").set(max(wal_pages - copied, 0))
        with self._done:
            self.runs += 1
            self.last = done
            self._done.notify_all()
        return done

    def wait_for_run(self, after: int, timeout: float) -> bool:
        """Wait until more than ``after`` checkpoints were done; False when ``timeout`` seconds passed first."""
        with self._done:
            return self._done.wait_for(lambda: self.runs > after, timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.checkpoint()
                self._failing = False
            except Exception:  # the connections' own threshold still bounds the WAL meanwhile
                SQLITE_CHECKPOINTS.labels("failed").inc()
                if not self._failing:
                    log.exception("SQLite checkpoint failed; commits past the connections' threshold checkpoint")
                self._failing = True
            self._stop.wait(self.every)


# one checkpointer per engine in a process, however many of its parts ask for one (the app and its worker)
_ACTIVE: dict[int, tuple[Checkpointer, int]] = {}
_ACTIVE_LOCK = threading.Lock()


def needs_checkpointer(engine: Engine) -> bool:
    """Whether ``engine`` is a SQLite database in a file (WAL mode)."""
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def active_checkpointer(engine: Engine) -> Checkpointer | None:
    """The checkpointer running for ``engine`` in this process, if any."""
    with _ACTIVE_LOCK:
        held = _ACTIVE.get(id(engine))
    return held[0] if held is not None else None


@contextmanager
def checkpointing(engine: Engine, every: float = CHECKPOINT_SECONDS) -> Iterator[Checkpointer | None]:
    """Run ``engine``'s checkpointer for the duration of the block: started by the first block of the process
    that asks for it, stopped when the last one ends. None (and no thread) on PostgreSQL or in memory."""
    if not needs_checkpointer(engine):
        yield None
        return
    with _ACTIVE_LOCK:
        held = _ACTIVE.get(id(engine))
        checkpointer = held[0] if held is not None else Checkpointer(engine, every)
        _ACTIVE[id(engine)] = (checkpointer, (held[1] if held is not None else 0) + 1)
        if held is None:
            checkpointer.start()
    try:
        yield checkpointer
    finally:
        with _ACTIVE_LOCK:
            _checkpointer, users = _ACTIVE[id(engine)]
            if users > 1:
                _ACTIVE[id(engine)] = (checkpointer, users - 1)
            else:
                del _ACTIVE[id(engine)]
                checkpointer.stop()
