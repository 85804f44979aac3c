"""Database engines: SQLite (WAL, one writer at a time) by default, PostgreSQL by URL.

Writers use :func:`writing`, which on SQLite starts with ``BEGIN IMMEDIATE`` so two writers
queue on the busy timeout instead of failing half-way; readers use :func:`reading` and
never block the writer (WAL).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from newsbridge.errors import InvalidInput

T = TypeVar("T")
BUSY_TIMEOUT_MS = 30_000
POOL_SIZE = 20
_WRITE = "newsbridge_write"


def create_engine(url: str) -> Engine:
    """An engine for ``url`` with the pragmas and pool each backend needs."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise InvalidInput(f"{url!r} is not a database URL; use sqlite:///path or postgresql+psycopg://...",
                           field="NEWSBRIDGE_DATABASE_URL") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise InvalidInput(f"unsupported database {parsed.get_backend_name()!r}; use SQLite or PostgreSQL",
                       field="NEWSBRIDGE_DATABASE_URL")


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # A connection per concurrent request kept open: opening one costs the pragmas below and an
    # empty page cache (the feed benchmark spent a tenth of its time reconnecting with the default 5).
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                              pool_size=POOL_SIZE, max_overflow=POOL_SIZE)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A short write transaction; commits on success, rolls back on any exception."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


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
