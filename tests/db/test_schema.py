"""The migrations and the table definitions agree, on both databases; SQLite runs in WAL."""

from __future__ import annotations

from contextlib import ExitStack

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from newsbridge.db.engine import SQLITE_CACHE_KIB, create_engine
from newsbridge.db.migrate import current_revision, head_revision, stored_revision, upgrade
from newsbridge.db.tables import metadata
from tests.conftest import POSTGRES_URL
from tests.databases import postgres_database


# The full-text index is dialect-specific and lives outside the table definitions (items/search.py):
# SQLite's FTS5 table, PostgreSQL's stored tsvector column (migration 0046) and its GIN index.
SEARCH_INDEX = ("item_versions_search", "ix_item_versions_search", "search_vector")


def _not_search(name, kind, parent) -> bool:
    return not (name or "").startswith(SEARCH_INDEX)


def test_migrations_match_the_tables(engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _not_search})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_upgrade_is_idempotent(engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)


def test_sqlite_runs_in_wal_with_foreign_keys(engine) -> None:
    if engine.dialect.name != "sqlite":
        assert engine.dialect.name == "postgresql"
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        # a page cache for a large hub's index lookups (db/engine.py), not SQLite's 2 MiB
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB == -32768



def test_postgresql_sessions_wait_for_locks_at_most_the_busy_timeout_and_compile_no_plan(engine) -> None:
    """JIT compiled the metrics pages' custom plans for ~150 ms a page (350 -> 500 ms at 20,000 items,
    bench/generic_plans.py): the hub's statements take milliseconds, and none pays that back."""
    if engine.dialect.name != "postgresql":
        assert engine.dialect.name == "sqlite"
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "30s"

def test_the_stored_revision_is_alembics_in_one_query(engine, tmp_path) -> None:
    """``/healthz`` reads the schema's revision with one query (alembic's reflects the catalogue first)."""
    with engine.connect() as conn:
        assert stored_revision(conn) == current_revision(engine) == head_revision(engine)
    with ExitStack() as stack:
        url = (f"sqlite:///{tmp_path / 'empty.db'}" if engine.dialect.name == "sqlite"
               else stack.enter_context(postgres_database(POSTGRES_URL)))
        empty = create_engine(url)
        with empty.connect() as conn:
            assert stored_revision(conn) is None  # not migrated yet
        empty.dispose()
