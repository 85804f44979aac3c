"""Shared reads for the waiting readers of one process: long-polling feed requests and live streams.

Every stored item wakes every waiting reader of the process at once. Read one by one, 200 readers
at 50 items/s asked the database 10,000 times a second on SQLite's single reader thread: the queue
grew until a stream lagged 170 s and publishing (starved of the interpreter by that thread) took
27 s (bench/load.py, 2026-12-05). But the readers of one organization that wait at the same feed
position ask the same question: here the first one asks the database and the others, arriving while
it reads, await its answer. An API key's "still active?" check is shared the same way, and a
reader asks it at most every :data:`KEY_RECHECK` seconds.

A reader woken by a new item must not take an answer read before that item was committed: each
read remembers the :class:`~newsbridge.delivery.signals.FeedSignal` generation it started at, and
a reader joins only a read that started at or after the generation that woke it.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from newsbridge.accounts.api_keys import key_active
from newsbridge.accounts.organizations import Organization
from newsbridge.config import Settings
from newsbridge.db.engine import read, reading
from newsbridge.delivery.feeds import Entry, changes, entry_bytes, with_entry_media
from newsbridge.items.render import Format

# A waiting reader's key is asked again this often: a revoked key ends a stream, or a waiting
# feed request, within about this long.
KEY_RECHECK = 2.0


@dataclass
class Batch:
    """Entries one read found for one organization, with each entry's bytes encoded once for all
    the readers that share them."""

    entries: list[Entry]
    _encoded: dict[tuple[int, str], bytes] = field(default_factory=dict)
    _events: dict[str, bytes] = field(default_factory=dict)

    def encoded(self, entry: Entry, fmt: Format) -> bytes:
        key = (entry.position, fmt)
        if key not in self._encoded:
            self._encoded[key] = entry_bytes(entry, fmt)
        return self._encoded[key]

    def events(self, fmt: Format) -> bytes:
        """Every entry as a server-sent event whose id is its feed position, in one chunk written once
        for every stream that shares the read: a stream sends it in one write, not one per entry (each
        write passes the whole middleware stack on the event loop)."""
        if fmt not in self._events:
            self._events[fmt] = b"".join(b"id: %d\nevent: %s\ndata: %s\n\n" % (
                entry.position, entry.event.encode(), self.encoded(entry, fmt)) for entry in self.entries)
        return self._events[fmt]


@dataclass
class _Pending:
    generation: int
    task: asyncio.Task[Batch]


class LiveReads:
    """The reads in flight for one engine, per event loop (a future belongs to its loop)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._changes: dict[tuple[Any, ...], _Pending] = {}
        self._keys: dict[tuple[Any, ...], tuple[float, asyncio.Task[bool]]] = {}

    async def changes(self, settings: Settings, viewer: Organization, after: int, limit: int,
                      generation: int) -> Batch:
        """The viewer's deliveries after ``after``, from a read that started at ``generation`` (the
        signal's, read by the caller just before) or later: one already in flight, or a new one."""
        key = (asyncio.get_running_loop(), id(settings), viewer.id, after, limit)
        pending = self._changes.get(key)
        if pending is None or pending.generation < generation:
            task = asyncio.ensure_future(read(self._engine, _changes, self._engine, settings, viewer, after, limit))
            pending = self._changes[key] = _Pending(generation, task)
            task.add_done_callback(lambda done: self._forget(self._changes, key, done))
        return await asyncio.shield(pending.task)  # one reader leaving does not cancel the others' read

    async def key_active(self, key_id: str) -> bool:
        """Whether the API key still works, asked of the database at most every KEY_RECHECK seconds
        (shared by every reader holding that key)."""
        key = (asyncio.get_running_loop(), key_id)
        now = time.monotonic()
        known = self._keys.get(key)
        if known is None or now - known[0] >= KEY_RECHECK:
            if len(self._keys) > 10_000:  # keys seen long ago: keep the table small
                self._keys = {k: v for k, v in self._keys.items() if now - v[0] < KEY_RECHECK}
            known = self._keys[key] = (now, asyncio.ensure_future(read(self._engine, _key_active, self._engine,
                                                                       key_id)))
        return await asyncio.shield(known[1])

    @staticmethod
    def _forget(table: dict[tuple[Any, ...], _Pending], key: tuple[Any, ...], done: asyncio.Task[Batch]) -> None:
        if (pending := table.get(key)) is not None and pending.task is done:
            del table[key]


_LIVE: weakref.WeakKeyDictionary[Engine, LiveReads] = weakref.WeakKeyDictionary()


def live_reads(engine: Engine) -> LiveReads:
    """The shared reads of ``engine`` in this process."""
    found = _LIVE.get(engine)
    if found is None:
        found = _LIVE.setdefault(engine, LiveReads(engine))
    return found


def _changes(engine: Engine, settings: Settings, viewer: Organization, after: int, limit: int) -> Batch:
    with reading(engine) as conn:
        return Batch(with_entry_media(conn, engine, settings, viewer, changes(conn, viewer, after, limit)))


def _key_active(engine: Engine, key_id: str) -> bool:
    with reading(engine) as conn:
        return key_active(conn, key_id)
