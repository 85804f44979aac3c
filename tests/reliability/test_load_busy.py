"""A write that cannot have the database in time is a clean 503 ``busy`` with Retry-After, never a 500,
and loses nothing: the same request sent again is stored once.

The condition is made on purpose, not waited for under load: on SQLite another connection holds the
write lock (``BEGIN IMMEDIATE``, as a CLI command or a second process would) or another thread of
the process holds its turn to write; on PostgreSQL another transaction holds a lock on ``items``
that blocks inserts. The hub's engine waits 0.3 s instead of 30.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, writing
from newsbridge.db.tables import item_versions, items
from tests.conftest import Partner, count_rows

pytestmark = pytest.mark.anyio
WAIT = 0.3
ITEM = {"uri": "urn:alpha:busy:1", "type": "text", "language": "en",
        "headlines": [{"role": "main", "value": "Written once, whatever the lock did"}]}


@pytest.fixture
def impatient(engine: Engine) -> Iterator[Engine]:
    """The test database through an engine that waits WAIT seconds for a lock or a connection."""
    short = create_engine(engine.url.render_as_string(hide_password=False), busy_timeout=WAIT)
    yield short
    short.dispose()


@pytest.fixture
async def http(impatient: Engine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # No write-rate counting: the write that meets the lock is the item's own.
    settings = load_settings(env={"NEWSBRIDGE_RATE_WRITES_PER_IP_PER_MINUTE": "0",
                                  "NEWSBRIDGE_RATE_PUBLISH_PER_MINUTE": "0"},
                             database_url=impatient.url.render_as_string(hide_password=False),
                             media_dir=str(tmp_path / "media"))
    app = create_app(settings, impatient, migrate=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        yield client


class HeldLock:
    """Another connection holding what a publish needs to write, until released."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite: sqlite3.Connection | None = None
        self._postgres: sa.Connection | None = None

    def __enter__(self) -> HeldLock:
        if self.engine.dialect.name == "sqlite":
            self._sqlite = sqlite3.connect(str(self.engine.url.database), isolation_level=None,
                                           check_same_thread=False)
            self._sqlite.execute("BEGIN IMMEDIATE")  # SQLite's one write lock, as another process takes it
        else:
            self._postgres = sa.create_engine(self.engine.url).connect()
            self._postgres.exec_driver_sql("LOCK TABLE items IN EXCLUSIVE MODE")  # reads pass, writes wait
        return self

    def __exit__(self, *_: object) -> None:
        if self._sqlite is not None:
            self._sqlite.rollback()
            self._sqlite.close()
        if self._postgres is not None:
            self._postgres.rollback()
            self._postgres.close()
            self._postgres.engine.dispose()


async def partner(http: httpx.AsyncClient, make_partner) -> Partner:  # type: ignore[no-untyped-def]
    """A publisher whose key has been used once (its use is noted: no write of that kind is pending)."""
    alpha: Partner = make_partner("alpha")
    assert (await http.get("/api/v1/items", headers=alpha.headers)).status_code == 200
    return alpha


def assert_busy(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert error["code"] == "busy" and "send the same request again" in error["message"]
    assert int(answer.headers["Retry-After"]) >= 1


async def test_a_publish_behind_a_held_write_lock_answers_busy_and_the_retry_stores_it_once(
        http: httpx.AsyncClient, impatient: Engine, make_partner) -> None:  # type: ignore[no-untyped-def]
    alpha = await partner(http, make_partner)
    with HeldLock(impatient):
        began = time.monotonic()
        answer = await http.post("/api/v1/items", json=ITEM, headers=alpha.headers)
        waited = time.monotonic() - began
        assert_busy(answer)
        assert count_rows(impatient, items) == 0 and count_rows(impatient, item_versions) == 0
    assert waited >= WAIT  # it waited for the lock before giving up
    again = await http.post("/api/v1/items", json=ITEM, headers=alpha.headers)
    assert again.status_code == 201, again.text
    assert (await http.post("/api/v1/items", json=ITEM, headers=alpha.headers)).status_code == 200  # no duplicate
    assert count_rows(impatient, items) == 1 and count_rows(impatient, item_versions) == 1


async def test_a_write_lock_freed_within_the_wait_is_waited_for(http: httpx.AsyncClient, impatient: Engine,
                                                                make_partner) -> None:  # type: ignore[no-untyped-def]
    alpha = await partner(http, make_partner)
    held = HeldLock(impatient).__enter__()
    threading.Timer(WAIT / 3, held.__exit__).start()
    answer = await http.post("/api/v1/items", json=ITEM, headers=alpha.headers)
    assert answer.status_code == 201, answer.text
    assert count_rows(impatient, items) == 1


async def test_a_writer_queued_behind_the_process_own_writer_answers_busy(
        http: httpx.AsyncClient, impatient: Engine, make_partner) -> None:  # type: ignore[no-untyped-def]
    """SQLite: the process's writers take turns; a turn that does not come in time is the same 503."""
    if impatient.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers do not queue in the process: the held-lock test covers it")
    alpha = await partner(http, make_partner)
    holding, release = threading.Event(), threading.Event()

    def long_writer() -> None:
        with writing(impatient):
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=long_writer)
    writer.start()
    try:
        assert holding.wait(5)
        assert_busy(await http.post("/api/v1/items", json=ITEM, headers=alpha.headers))
    finally:
        release.set()
        writer.join()
    assert (await http.post("/api/v1/items", json=ITEM, headers=alpha.headers)).status_code == 201
    assert count_rows(impatient, items) == 1


@pytest.mark.parametrize("refusal, busy", [
    ("TooManyConnections", True), ("CannotConnectNow", True), ("LockNotAvailable", True),
    ("DeadlockDetected", True), ("SerializationFailure", True), ("UndefinedTable", False)])
def test_postgresql_refusing_a_connection_is_busy_not_a_500(refusal: str, busy: bool) -> None:
    """PostgreSQL at max_connections (53300) or starting up (57P03) did nothing of the request: 503 ``busy``
    with Retry-After, as for a lock; an error of the statement itself stays an error."""
    import psycopg.errors

    from newsbridge.db.engine import DatabaseBusy, busy_error

    orig = getattr(psycopg.errors, refusal)("refused")
    found = busy_error(sa.exc.OperationalError("SELECT 1", {}, orig))
    assert isinstance(found, DatabaseBusy) is busy
