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
from newsbridge.db.types import UTCDateTime

WHEN = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=timezone(timedelta(hours=5)))  # Astana time
WHOLE = datetime(2026, 3, 1, 12, 30, 0, tzinfo=timezone.utc)  # no microseconds: SQLite's text must still read ".000000"


@pytest.fixture
def table(engine: Engine):  # type: ignore[no-untyped-def]
    meta = sa.MetaData()
    made = sa.Table("bulk_check", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("name", sa.String(20), nullable=False), sa.Column("at", UTCDateTime, nullable=True),
                    sa.Column("n", sa.Integer, nullable=True))
    meta.create_all(engine)
    yield made
    meta.drop_all(engine)


@pytest.mark.parametrize("when", [WHEN, WHOLE], ids=["microseconds", "whole-second"])
def test_inserted_rows_are_stored_as_a_core_insert_stores_them(engine: Engine, table: sa.Table,
                                                               when: datetime) -> None:
    with writing(engine) as conn:
        conn.execute(table.insert(), [{"id": 1, "name": "core", "at": when}])
        insert_rows(conn, table, ("id", "name", "at"), [(2, "bulk", bound(conn, table.c.at, when)), (3, "none", None)])
        insert_rows(conn, table, ("id", "name"), [])  # nothing to write: no statement
    with engine.connect() as conn:
        rows = {r.name: r.at for r in conn.execute(sa.select(table.c.name, table.c.at))}
        stored = conn.execute(sa.text("SELECT id, CAST(at AS TEXT) FROM bulk_check ORDER BY id")).all()
        same = conn.execute(sa.select(table.c.id).where(table.c.at >= when)).scalars().all()
    assert rows == {"core": when, "bulk": when, "none": None}
    assert stored[0][1] == stored[1][1]  # the same text (SQLite) or value (PostgreSQL)
    assert sorted(same) == [1, 2]  # compared with a bound parameter (as text on SQLite)


def test_updated_rows_set_one_column_by_key(engine: Engine, table: sa.Table) -> None:
    with writing(engine) as conn:
        insert_rows(conn, table, ("id", "name"), [(n, f"r{n}") for n in range(1, 5)])
        update_rows(conn, table, "n", "id", [(10 * k, k) for k in (1, 3)])
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(table.c.id, table.c.n).order_by(table.c.id)).all()) == {
            1: 10, 2: None, 3: 30, 4: None}


def test_a_misspelt_column_fails_before_any_sql(engine: Engine, table: sa.Table) -> None:
    with writing(engine) as conn, pytest.raises(KeyError):
        insert_rows(conn, table, ("id", "nmae"), [(1, "x")])
