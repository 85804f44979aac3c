"""SQLite's WAL checkpoints off the writers' path (db/checkpoint.py): the checkpointer thread keeps the WAL small
under sustained writes; stopped, the connections' own threshold still bounds it; one per engine and process;
nothing on PostgreSQL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY, generate_latest
from sqlalchemy.engine import Engine

from newsbridge.db.checkpoint import Checkpointer, active_checkpointer, checkpointing
from newsbridge.db.engine import WAL_AUTOCHECKPOINT_PAGES, create_engine, writing

ROWS_PER_COMMIT = 40  # ~3 KB each: about 40 WAL pages a commit
COMMITS = 50  # ~2,000 pages in all: twice SQLite's default threshold, a fifth of ours


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Path, list[Engine]]]:
    made: list[Engine] = []
    yield tmp_path / "hub.db", made
    for engine in made:
        engine.dispose()


def _engine(sqlite_file: tuple[Path, list[Engine]], **options: int) -> Engine:
    path, made = sqlite_file
    engine = create_engine(f"sqlite:///{path}", **options)
    made.append(engine)
    with writing(engine) as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB)"))
    return engine


def _write(engine: Engine, commit: int) -> None:
    with writing(engine) as conn:
        conn.execute(sa.text("INSERT INTO filler (id, body) VALUES (:id, :body)"),
                     [{"id": commit * ROWS_PER_COMMIT + n, "body": os.urandom(3000)} for n in range(ROWS_PER_COMMIT)])


def _pages(path: Path, engine: Engine) -> int:
    with engine.connect() as conn:
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
    wal = Path(f"{path}-wal")
    return wal.stat().st_size // page_size if wal.exists() else 0


def test_every_connection_checkpoints_past_the_raised_threshold(sqlite_file: tuple[Path, list[Engine]]) -> None:
    engine = _engine(sqlite_file)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == WAL_AUTOCHECKPOINT_PAGES
    assert WAL_AUTOCHECKPOINT_PAGES > 1000  # above SQLite's default: the checkpointer's job, the threshold a net


def test_the_checkpointer_keeps_the_wal_small_under_sustained_writes(sqlite_file: tuple[Path, list[Engine]]) -> None:
    path, _made = sqlite_file
    engine = _engine(sqlite_file)
    largest = 0
    with checkpointing(engine, every=0.01) as checkpointer:
        assert checkpointer is not None and checkpointer.running
        for commit in range(COMMITS):
            _write(engine, commit)
            runs = checkpointer.runs
            assert checkpointer.wait_for_run(runs + 1, timeout=30)  # a checkpoint that began after this commit
            largest = max(largest, _pages(path, engine))
        last = checkpointer.last
    assert last is not None and last.complete  # everything written is in the database file
    assert checkpointer.runs >= COMMITS
    # the WAL starts over after each checkpoint: a commit or two of pages, never the ~2,000 written
    assert largest <= 4 * ROWS_PER_COMMIT, largest
    assert path.stat().st_size >= COMMITS * ROWS_PER_COMMIT * 3000
    assert not checkpointer.running and active_checkpointer(engine) is None


def test_with_the_checkpointer_stopped_the_connections_threshold_bounds_the_wal(
        sqlite_file: tuple[Path, list[Engine]]) -> None:
    path, _made = sqlite_file
    engine = _engine(sqlite_file, wal_autocheckpoint=200)
    with checkpointing(engine, every=0.01) as checkpointer:
        assert checkpointer is not None
    assert not checkpointer.running  # stopped cleanly: thread joined, connection given back
    runs = checkpointer.runs
    largest = 0
    for commit in range(COMMITS):
        _write(engine, commit)
        largest = max(largest, _pages(path, engine))
    assert checkpointer.runs == runs  # nothing ran behind the writers' backs
    # the committing connections checkpointed past 200 pages: the WAL stays near that, not the ~2,000 written
    assert largest <= 200 + 2 * ROWS_PER_COMMIT, largest
    assert path.stat().st_size >= (COMMITS * ROWS_PER_COMMIT - 300) * 3000


def test_one_checkpointer_per_engine_until_the_last_user_leaves(sqlite_file: tuple[Path, list[Engine]]) -> None:
    engine = _engine(sqlite_file)
    with checkpointing(engine) as first:
        with checkpointing(engine) as second:
            assert second is first and active_checkpointer(engine) is first
        assert first is not None and first.running  # the outer user still has it
    assert not first.running and active_checkpointer(engine) is None


def test_a_checkpoint_reports_what_it_copied(sqlite_file: tuple[Path, list[Engine]]) -> None:
    engine = _engine(sqlite_file)
    _write(engine, 0)
    checkpointer = Checkpointer(engine)  # not started: one checkpoint on a pooled connection
    done = checkpointer.checkpoint()
    assert done.complete and done.wal_pages >= ROWS_PER_COMMIT
    assert checkpointer.runs == 1 and checkpointer.last == done


def test_checkpoints_are_counted_in_the_prometheus_metrics(sqlite_file: tuple[Path, list[Engine]]) -> None:
    engine = _engine(sqlite_file)
    _write(engine, 0)
    before = _metric("newsbridge_sqlite_checkpoints_total", outcome="complete")
    done = Checkpointer(engine).checkpoint()
    assert _metric("newsbridge_sqlite_checkpoints_total", outcome="complete") == before + 1
    assert _metric("newsbridge_sqlite_wal_pages", state="in_wal") == done.wal_pages >= ROWS_PER_COMMIT
    assert _metric("newsbridge_sqlite_wal_pages", state="not_copied") == 0
    exposed = generate_latest().decode()  # what GET /metrics answers
    assert 'newsbridge_sqlite_checkpoints_total{outcome="complete"}' in exposed


def test_a_failed_checkpoint_is_counted_and_the_thread_goes_on(sqlite_file: tuple[Path, list[Engine]]) -> None:
    engine = _engine(sqlite_file)
    before = _metric("newsbridge_sqlite_checkpoints_total", outcome="failed")
    checkpointer = Checkpointer(engine, every=0.01)
    checkpointer.start()
    try:
        checkpointer._connection.close()  # the thread's connection breaks under it
        deadline = time.monotonic() + 30
        while _metric("newsbridge_sqlite_checkpoints_total", outcome="failed") < before + 2:
            assert time.monotonic() < deadline, "no failed checkpoint counted"
            time.sleep(0.01)
        assert checkpointer.running  # logged once, counted every time, still trying
    finally:
        checkpointer._connection = None
        checkpointer.stop()


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_nothing_to_checkpoint_on_postgresql_or_in_memory(fresh_engine: Engine) -> None:
    if fresh_engine.dialect.name == "sqlite":  # the fixture's SQLite is a file: an in-memory one instead
        fresh_engine = sa.create_engine("sqlite://")
    with checkpointing(fresh_engine) as checkpointer:
        assert checkpointer is None and active_checkpointer(fresh_engine) is None
