"""``db/statistics.analyze_if_grown``: PostgreSQL's statistics of a table are refreshed once the rows changed
since its last ANALYZE reach ``GROWTH`` times what they count (and at least ``GROWN``), and not before; SQLite
has none to keep."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import writing
from newsbridge.db.statistics import GROWN, GROWTH, analyze_if_grown


def _insert(engine: Engine, table: sa.Table, first: int, count: int) -> None:
    with writing(engine) as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(table.insert(), [{"id": i, "name": f"row {i}"} for i in range(first, first + count)])
            return
        rows = sa.text(f"INSERT INTO {table.name} (id, name) SELECT g, 'row ' || g "
                       "FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g")
        conn.execute(rows, {"first": first, "last": first + count - 1})
        conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))  # counters are shared at most once a second


def _counted(engine: Engine, table: sa.Table) -> float:
    with engine.connect() as conn:
        counted = sa.text("SELECT reltuples FROM pg_class WHERE relname = :t")
        return conn.execute(counted, {"t": table.name}).scalar_one()


def _analyze(engine: Engine, table: sa.Table) -> bool:
    with writing(engine) as conn:
        return analyze_if_grown(conn, table.name)


def test_a_table_is_analyzed_once_it_outgrew_its_statistics(engine: Engine, bulk_table: sa.Table) -> None:
    if engine.dialect.name == "sqlite":
        _insert(engine, bulk_table, 0, GROWN + 500)
        assert _analyze(engine, bulk_table) is False  # the hub keeps no statistics there
        return
    assert _analyze(engine, bulk_table) is False  # nothing changed yet
    _insert(engine, bulk_table, 0, GROWN - 1)
    assert _analyze(engine, bulk_table) is False  # never analyzed, but fewer changes than GROWN
    _insert(engine, bulk_table, GROWN - 1, 1)
    assert _analyze(engine, bulk_table) is True
    assert _counted(engine, bulk_table) == GROWN
    assert _analyze(engine, bulk_table) is False  # fresh: nothing changed since
    _insert(engine, bulk_table, GROWN, GROWTH * GROWN - 1)
    assert _analyze(engine, bulk_table) is False  # not yet GROWTH times what is counted
    _insert(engine, bulk_table, (GROWTH + 1) * GROWN - 1, 1)
    assert _analyze(engine, bulk_table) is True
    assert _counted(engine, bulk_table) == (GROWTH + 1) * GROWN


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite: the test above
def test_another_process_analyzing_the_table_lets_this_one_go(engine: Engine, bulk_table: sa.Table) -> None:
    _insert(engine, bulk_table, 0, GROWN)
    with writing(engine) as other:
        other.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                      {"key": f"newsbridge:analyze:{bulk_table.name}"})
        assert _analyze(engine, bulk_table) is False  # never waits for it
    assert _analyze(engine, bulk_table) is True
