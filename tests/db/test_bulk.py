"""newsbridge.db.bulk: rows written by the driver's executemany are stored exactly as a Core insert or
update stores them (the sequencer's hot path; SQLite compares timestamps as text, so a different
format would break every ``next_attempt_at <= now``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.bulk import bound, insert_rows, update_rows
from newsbridge.db.engine import writing

WHEN = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=timezone(timedelta(hours=5)))  # Astana time
WHOLE = datetime(2026, 3, 1, 12, 30, 0, tzinfo=timezone.utc)  # no microseconds: SQLite's text must still read ".000000"


@pytest.mark.parametrize("when", [WHEN, WHOLE], ids=["microseconds", "whole-second"])
def test_inserted_rows_are_stored_as_a_core_insert_stores_them(engine: Engine, bulk_table: sa.Table,
                                                               when: datetime) -> None:
    with writing(engine) as conn:
        conn.execute(bulk_table.insert(), [{"id": 1, "name": "core", "at": when}])
        at = bound(conn, bulk_table.c.at, when)
        insert_rows(conn, bulk_table, ("id", "name", "at"), [(2, "bulk", at), (3, "none", None)])
        insert_rows(conn, bulk_table, ("id", "name"), [])  # nothing to write: no statement
    with engine.connect() as conn:
        rows = {r.name: r.at for r in conn.execute(sa.select(bulk_table.c.name, bulk_table.c.at))}
        stored = conn.execute(sa.text("SELECT id, CAST(at AS TEXT) FROM bulk_check ORDER BY id")).all()
        same = conn.execute(sa.select(bulk_table.c.id).where(bulk_table.c.at >= when)).scalars().all()
    assert rows == {"core": when, "bulk": when, "none": None}
    assert stored[0][1] == stored[1][1]  # the same text (SQLite) or value (PostgreSQL)
    assert sorted(same) == [1, 2]  # compared with a bound parameter (as text on SQLite)


def test_updated_rows_set_one_column_by_key(engine: Engine, bulk_table: sa.Table) -> None:
    with writing(engine) as conn:
        insert_rows(conn, bulk_table, ("id", "name"), [(n, f"r{n}") for n in range(1, 5)])
        update_rows(conn, bulk_table, "n", "id", [(10 * k, k) for k in (1, 3)])
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(bulk_table.c.id, bulk_table.c.n).order_by(bulk_table.c.id)).all()) == {
            1: 10, 2: None, 3: 30, 4: None}


def test_a_misspelt_column_fails_before_any_sql(engine: Engine, bulk_table: sa.Table) -> None:
    with writing(engine) as conn, pytest.raises(KeyError):
        insert_rows(conn, bulk_table, ("id", "nmae"), [(1, "x")])
