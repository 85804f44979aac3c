"""Database engines: SQLite (WAL, one writer at a time) by default, PostgreSQL by URL.

Writers use :func:`writing`, which on SQLite starts with ``BEGIN IMMEDIATE`` so two writers
queue on the busy timeout instead of failing half-way; readers use :func:`reading` and
never block the writer (WAL). A request waits for the database at most ``busy_timeout`` seconds
(SQLite's write lock, PostgreSQL's row and table locks, a free pooled connection); then
:func:`busy_error` turns what the driver raised into :class:`DatabaseBusy` (503 ``busy``).
"""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Connection, Engine, make_url

from newsbridge.errors import InvalidInput, NewsbridgeError

T = TypeVar("T")
BUSY_TIMEOUT = 30.0  # seconds a statement waits for a lock, or a request for a pooled connection
POOL_SIZE = 20
# SQLite: a commit past this many WAL pages checkpoints (SQLite's default: 1,000). db/checkpoint.py's thread
# checkpoints long before that in the processes that write; this is the net for when none runs (40 MB at 4 KiB)
WAL_AUTOCHECKPOINT_PAGES = 10_000
# SQLite: each connection's page cache, at most (SQLite's default: 2 MiB). Filled only by pages read, so a
# small hub never holds more than its file; at 1,000,000 items (7 GB) a search's index lookups re-read their
# pages from the operating system with 2 MiB: a word in 167 items took 18 ms, 8 with this (docs/benchmarks.md)
SQLITE_CACHE_KIB = 32 * 1024
_WRITE = "newsbridge_write"


class DatabaseBusy(NewsbridgeError):
    """The database stayed locked by other writers (or every pooled connection stayed in use) for
    longer than the hub waits. Nothing of the request was written: its transaction was rolled back."""

    status = 503
    code = "busy"

    def __init__(self, retry_after: int = 2) -> None:
        self.retry_after = retry_after
        super().__init__(f"the hub's database is busy with other writes and nothing of this request was stored; "
                         f"send the same request again in {retry_after} s (Retry-After)")


# SQLite: SQLITE_BUSY and SQLITE_LOCKED (with their extended codes); PostgreSQL: lock_not_available
# (lock_timeout ran out), deadlock_detected, serialization_failure: all rolled back, all safe to retry; and
# too_many_connections, cannot_connect_now (the server at max_connections, or starting): nothing was done.
_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_POSTGRES_BUSY = {"55P03", "40P01", "40001", "53300", "57P03"}


def busy_error(exc: BaseException) -> DatabaseBusy | None:
    """:class:`DatabaseBusy` when ``exc`` means the database did not become free in time (the
    request can be sent again unchanged), None for any other error."""
    if isinstance(exc, sa.exc.TimeoutError):  # QueuePool: no connection came free within pool_timeout
        return DatabaseBusy()
    if not isinstance(exc, sa.exc.OperationalError):
        return None
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        return DatabaseBusy() if code is not None and code & 0xFF in _SQLITE_BUSY else None
    return DatabaseBusy() if getattr(orig, "sqlstate", None) in _POSTGRES_BUSY else None


# orjson's options that make it refuse what the standard library would refuse (or write otherwise):
# dates, dataclasses and UUIDs go to json.dumps, which raises as it always did.
_ORJSON_REFUSES = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _non_finite(value: Any) -> bool:
    """Whether ``value`` holds a NaN or infinite float anywhere (orjson writes them as null)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float):
            if not math.isfinite(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return False


def dumps_json(value: Any) -> str:
    """JSON text of a JSON column's value (the engines' ``json_serializer``): orjson's, UTF-8 as it is.

    ``json.dumps`` (SQLAlchemy's default) wrote every non-ASCII letter as a six-character escape, so
    a Cyrillic or Persian document took two to three times its size in SQLite and in every feed
    page or webhook that passes the stored text on, and encoding it cost ~20 µs of a 2 KiB item
    (bench/ingest.py). The text means the same to every reader (the value read back is equal);
    what orjson cannot write as the standard library did (integers beyond 64 bits, non-string
    keys, lone surrogates, NaN and infinities, dates) is still written by ``json.dumps``."""
    try:
        text = orjson.dumps(value, option=_ORJSON_REFUSES).decode("utf-8")
    except TypeError:
        return json.dumps(value)
    if "null" in text and _non_finite(value):
        return json.dumps(value)
    return text


def create_engine(url: str, *, busy_timeout: float = BUSY_TIMEOUT,
                  wal_autocheckpoint: int = WAL_AUTOCHECKPOINT_PAGES) -> Engine:
    """An engine for ``url`` with the pragmas and pool each backend needs; a statement waits at most
    ``busy_timeout`` seconds for a lock and a request as long for a pooled connection. On SQLite a commit
    past ``wal_autocheckpoint`` WAL pages checkpoints (db/checkpoint.py)."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise InvalidInput(f"{url!r} is not a database URL; use sqlite:///path or postgresql+psycopg://...",
                           field="NEWSBRIDGE_DATABASE_URL") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout, wal_autocheckpoint)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Without lock_timeout a write behind another's lock would wait for ever (and its client time out).
        # No JIT: the hub's statements take milliseconds, and compiling a plan took ~150 ms of a metrics page at
        # 20,000 items (350 -> 500 ms; bench/generic_plans.py), ~60 ms a search statement
        return sa.create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=busy_timeout,
                                json_serializer=dumps_json,
                                connect_args={"options": f"-c lock_timeout={int(busy_timeout * 1000)} -c jit=off"})
    raise InvalidInput(f"unsupported database {parsed.get_backend_name()!r}; use SQLite or PostgreSQL",
                       field="NEWSBRIDGE_DATABASE_URL")


class _SQLiteCompiler(SQLiteCompiler):
    """SQLite's compiler, writing a statement's table hints (``Select.with_hint(table, "INDEXED BY ix",
    dialect_name="sqlite")``) after the table's name; SQLAlchemy's leaves them out. Without statistics
    (the hub runs no ANALYZE) SQLite's planner may pick another index than the one a statement is written
    for: the claim read every due message through the index by state and sorted them, where its own walks
    them in due order (delivery/outbox.py, issue 17)."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def _sqlite_engine(url: sa.URL, busy_timeout: float, wal_autocheckpoint: int) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # A connection per concurrent request kept open: opening one costs the pragmas below and an
    # empty page cache (the feed benchmark spent a tenth of its time reconnecting with the default 5).
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout, "check_same_thread": False},
                              pool_size=POOL_SIZE, max_overflow=POOL_SIZE, pool_timeout=busy_timeout,
                              json_serializer=dumps_json)
    engine.dialect.statement_compiler = _SQLiteCompiler  # this engine's statements only

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # negative: KiB
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={max(1, int(wal_autocheckpoint))}")  # never 0: the net
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    _WRITERS[engine] = (threading.RLock(), busy_timeout)
    return engine


# SQLite has one writer. Left to SQLite, the threads of a process that want to write poll for the
# lock in its busy handler, sleeping up to 100 ms between tries: under load the lock sat free while
# they slept, writes fell far behind and some waited out the timeout ("database is locked", HTTP 500;
# bench/load.py, 200 readers at 50 items/s). So a process queues its writers on a lock of its own:
# a waiting thread blocks without polling and wakes as the writer before it commits. The busy
# handler is left to arbitrate between processes (a CLI command, a separate worker).
_WRITERS: weakref.WeakKeyDictionary[Engine, tuple[threading.RLock, float]] = weakref.WeakKeyDictionary()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A short write transaction; commits on success, rolls back on any exception. On SQLite the
    process's writers take turns (see _WRITERS); a turn not come within the busy timeout is
    :class:`DatabaseBusy`, with nothing written."""
    turn = _WRITERS.get(engine)
    if turn is not None and not turn[0].acquire(timeout=turn[1]):
        raise DatabaseBusy()
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn
    finally:
        if turn is not None:
            turn[0].release()


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only unit of work (a consistent snapshot on both backends)."""
    with engine.connect() as conn:
        with conn.begin():
            yield conn


_READERS: weakref.WeakKeyDictionary[Engine, ThreadPoolExecutor] = weakref.WeakKeyDictionary()


def reader_threads(engine: Engine) -> ThreadPoolExecutor:
    """The threads that serve the busiest reads (changes feed, stream, live desk) off the event loop.

    On SQLite one thread: its reads are CPU work under Python's lock, and more threads only fight
    for it (bench/feed.py, hub CPU per 50-item page: 2.9 ms with one thread, 3.9 ms with two, 4.4 ms
    with four, about 4.6 ms in the default pool). On PostgreSQL reads wait on the network: as many
    threads as pooled connections.
    """
    pool = _READERS.get(engine)
    if pool is None:
        size = 1 if engine.dialect.name == "sqlite" else engine.pool.size()  # type: ignore[attr-defined]
        pool = _READERS.setdefault(engine, ThreadPoolExecutor(size, thread_name_prefix="newsbridge-read"))
    return pool


async def read(engine: Engine, work: Callable[..., T], *args: Any) -> T:
    """Run ``work(*args)`` (which opens its own :func:`reading` block) on the reader threads."""
    return await asyncio.get_running_loop().run_in_executor(reader_threads(engine), work, *args)
