"""Wake-ups for readers waiting on new deliveries (long-poll feed, live stream).

In one process the worker calls :meth:`FeedSignal.notify`; across processes on PostgreSQL
the sequencer sends ``NOTIFY newsbridge_feed`` and :func:`listen` turns it into the same
call. Waiters also wake on a timeout, so a reader on SQLite with a separate worker process
still sees new items within a second.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import psycopg
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
CHANNEL = "newsbridge_feed"


class FeedSignal:
    """A thread-safe "something new" broadcast to asyncio waiters. ``generation`` counts the
    notifications: a read started at generation ``g`` saw everything notified up to ``g``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.generation = 0

    def notify(self) -> None:
        with self._lock:
            self.generation += 1
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop has closed
                pass

    async def wait(self, timeout: float, since: int | None = None) -> bool:
        """True when notified, False on timeout. With ``since`` (a ``generation`` read earlier), True at once
        when something was notified after that read: a notification that came before the wait is not lost."""
        event = asyncio.Event()
        with self._lock:
            if since is not None and self.generation != since:
                return True
            self._waiters.append((asyncio.get_running_loop(), event))
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False


async def listen(engine: Engine, signal: FeedSignal, stop: asyncio.Event) -> None:
    """Relay PostgreSQL notifications from sequencers in other processes to local waiters."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while not stop.is_set():
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                async for _ in conn.notifies():
                    signal.notify()
                    if stop.is_set():
                        return
        except (psycopg.Error, OSError) as exc:
            log.warning("feed listener reconnecting", extra={"error": str(exc)})
            try:
                await asyncio.wait_for(stop.wait(), 2.0)
            except asyncio.TimeoutError:
                pass
