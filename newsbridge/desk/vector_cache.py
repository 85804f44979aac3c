"""The hub's item vectors (``story_vectors``) kept in memory, so that a cross-lingual search
compares the query with every vector in one matrix product and asks the database only which of
the closest are the caller's to see (desk/cross_lingual.py).

A row of ``story_vectors`` is never changed once written and is known by its database, version
id and creation time (a version id may come back in a database rebuilt at the same address, its
creation time does not). Each search first reads the rows created after the newest it holds (an
index range, usually empty), then their vectors. A row stamped before that newest one but
committed after it (rows are stamped inside their short write transaction, so late by far less
than a second; clocks of worker machines a little apart do the same) is read by the next search
at least :data:`REREAD_EVERY` after the last look back, which reads again the keys created from
:data:`OVERLAP` before the newest held. The newest key held gone from the database means the
database was rebuilt: the cache starts again.

Past ``capacity`` vectors (1.5 KB each: 200,000 is ~300 MB) the oldest are let go, and their
items are found by their words only (docs/search.md says how to raise it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.story_tables import story_vectors

DIMENSIONS = 384
OVERLAP = timedelta(seconds=30)
REREAD_EVERY = 10.0  # seconds between looks back over the overlap
READ_BATCH = 500

Key = tuple[int, datetime]  # (version id, created at)


@dataclass(frozen=True)
class Vectors:
    """What the cache holds of one database at one moment: row ``n`` of ``matrix`` is the vector
    of version ``version_ids[n]``; :meth:`row` finds a key's row."""

    matrix: np.ndarray
    version_ids: np.ndarray
    rows: dict[Key, int]

    def row(self, key: Key) -> int | None:
        row = self.rows.get(key)
        return row if row is not None and row < len(self.matrix) else None


@dataclass
class _Store:
    """One database's vectors: a matrix grown by doubling, filled up to ``size``."""

    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, DIMENSIONS), dtype=np.float32))
    version_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    keys: list[Key] = field(default_factory=list)
    rows: dict[Key, int] = field(default_factory=dict)
    newest: Key | None = None
    looked_back: float = 0.0  # time.monotonic() of the last read over the overlap

    @property
    def size(self) -> int:
        return len(self.keys)

    def add(self, found: list[tuple[Key, bytes]]) -> None:
        size = self.size
        if size + len(found) > len(self.matrix):
            grown = max(2 * len(self.matrix), size + len(found), 1024)
            matrix = np.zeros((grown, DIMENSIONS), dtype=np.float32)
            matrix[:size] = self.matrix[:size]
            version_ids = np.zeros(grown, dtype=np.int64)
            version_ids[:size] = self.version_ids[:size]
            self.matrix, self.version_ids = matrix, version_ids
        block = np.frombuffer(b"".join(vector for _, vector in found), dtype="<f4").reshape(len(found), DIMENSIONS)
        self.matrix[size:size + len(found)] = block
        for n, (key, _) in enumerate(found, start=size):
            self.version_ids[n] = key[0]
            self.rows[key] = n
            self.keys.append(key)
            if self.newest is None or key[1] > self.newest[1]:
                self.newest = key

    def keep_newest(self, capacity: int) -> None:
        """Past ``capacity``, only the newest nine tenths of it kept (by creation time), so that
        the next few reads do not each sort again."""
        if self.size <= capacity:
            return
        order = sorted(range(self.size), key=lambda row: self.keys[row][1])[self.size - capacity * 9 // 10:]
        kept = _Store()
        kept.add([(self.keys[row], self.matrix[row].astype("<f4").tobytes()) for row in order])
        self.__dict__.update(kept.__dict__)


class VectorCache:
    """Every item vector of each database the process searches, read once (see the module's note)."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._stores: dict[str, _Store] = {}
        self._lock = threading.Lock()

    def current(self, conn: Connection) -> Vectors:
        """The vectors of ``conn``'s database as of now (what was written since the last call read first)."""
        database = conn.engine.url.render_as_string(hide_password=True)
        with self._lock:
            store = self._stores.get(database)
            if store is None or (store.newest is not None and not _still_there(conn, store.newest)):
                store = self._stores[database] = _Store()
            _read_new(conn, store)
            store.keep_newest(self.capacity)
            return Vectors(store.matrix[:store.size], store.version_ids[:store.size], store.rows)

    def clear(self) -> None:
        with self._lock:
            self._stores.clear()


def _still_there(conn: Connection, key: Key) -> bool:
    return conn.execute(sa.select(story_vectors.c.created_at)
                        .where(story_vectors.c.version_id == key[0])).scalar() == key[1]


def _usable(vector: bytes | None) -> bool:
    return vector is not None and len(vector) == DIMENSIONS * 4


def _read_new(conn: Connection, store: _Store) -> None:
    columns = (story_vectors.c.version_id, story_vectors.c.created_at)
    if store.newest is None:  # the first read: every vector, in one pass
        store.looked_back = time.monotonic()
        found = [((version_id, created), vector) for version_id, created, vector
                 in conn.execute(sa.select(*columns, story_vectors.c.vector)) if _usable(vector)]
        if found:
            store.add(found)
        return
    since = story_vectors.c.created_at > store.newest[1]
    if time.monotonic() - store.looked_back >= REREAD_EVERY:
        since = story_vectors.c.created_at >= store.newest[1] - OVERLAP
        store.looked_back = time.monotonic()
    missing = [(version_id, created) for version_id, created in conn.execute(sa.select(*columns).where(since))
               if (version_id, created) not in store.rows]
    for start in range(0, len(missing), READ_BATCH):
        wanted = dict(missing[start:start + READ_BATCH])
        found = [((version_id, created), vector) for version_id, created, vector in conn.execute(
            sa.select(*columns, story_vectors.c.vector).where(story_vectors.c.version_id.in_(list(wanted))))
            if wanted.get(version_id) == created and _usable(vector)]
        if found:
            store.add(found)
