"""``db/statistics.analyze_if_grown``: PostgreSQL's statistics of a table are refreshed once the rows changed
since its last ANALYZE reach what they count (at least ``GROWN``), and not before; SQLite has none to keep."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import writing
from newsbridge.db.statistics import GROWN, analyze_if_grown


def _insert(engine: Engine, table: sa.Table, first: int, count: int) -> None:
    with writing(engine) as conn:
        conn.execute(table.insert(), [{"id": i, "name": f"row {i}"} for i in range(first, first + count)])
        if conn.dialect.name == "postgresql":  # counters reach pg_stat_user_tables at most once a second
            conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))


def _counted(engine: Engine, table: sa.Table) -> float:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table.name}).scalar_one()


def _analyze(engine: Engine, table: sa.Table) -> bool:
    with writing(engine) as conn:
        return analyze_if_grown(conn, table.name)


def test_a_table_is_analyzed_when_it_has_grown_by_what_its_statistics_count(engine: Engine, bulk_table: sa.Table) -> None:
    if engine.dialect.name == "sqlite":
        _insert(engine, bulk_table, 0, GROWN + 500)
        assert _analyze(engine, bulk_table) is False  # the hub keeps no statistics there
        return
    assert _analyze(engine, bulk_table) is False  # nothing changed yet
    _insert(engine, bulk_table, 0, GROWN - 1)
    assert _analyze(engine, bulk_table) is False  # never analyzed, but fewer changes than GROWN
    _insert(engine, bulk_table, GROWN - 1, 501)
    assert _analyze(engine, bulk_table) is True
    assert _counted(engine, bulk_table) == GROWN + 500
    assert _analyze(engine, bulk_table) is False  # fresh: nothing changed since
    _insert(engine, bulk_table, GROWN + 500, GROWN)
    assert _analyze(engine, bulk_table) is False  # grown by two thirds of what is counted: not yet
    _insert(engine, bulk_table, 2 * GROWN + 500, 500)
    assert _analyze(engine, bulk_table) is True  # doubled
    assert _counted(engine, bulk_table) == 2 * GROWN + 1000


def test_another_process_analyzing_the_table_lets_this_one_go(engine: Engine, bulk_table: sa.Table) -> None:
    if engine.dialect.name == "sqlite":
        return
    _insert(engine, bulk_table, 0, GROWN)
    with writing(engine) as other:
        other.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                      {"key": f"newsbridge:analyze:{bulk_table.name}"})
        assert _analyze(engine, bulk_table) is False  # never waits for it
    assert _analyze(engine, bulk_table) is True
