"""newsbridge.db.bulk writes many rows in a few multi-row statements on SQLite (one ``executemany`` step per row
let the interpreter lock go once per row: bench/fanout.py), and the rows stored are the same whatever the
slicing: more rows than one statement takes, a last short slice, text with quotes and NULLs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.bulk import ROWS_PER_STATEMENT, bound, insert_rows, update_rows
from newsbridge.db.engine import writing
from newsbridge.db.types import UTCDateTime

WHEN = datetime(2026, 12, 5, 19, 50, 1, 5, tzinfo=timezone(timedelta(hours=3, minutes=30)))  # Tehran time


@pytest.fixture
def table(engine: Engine):  # type: ignore[no-untyped-def]
    meta = sa.MetaData()
    made = sa.Table("bulk_chunks", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("name", sa.String(40), nullable=True), sa.Column("at", UTCDateTime, nullable=True),
                    sa.Column("n", sa.Integer, nullable=True))
    meta.create_all(engine)
    yield made
    meta.drop_all(engine)


@pytest.mark.parametrize("count", [1, ROWS_PER_STATEMENT, ROWS_PER_STATEMENT + 1, 3 * ROWS_PER_STATEMENT + 17])
def test_rows_in_slices_are_stored_as_core_stores_them(engine: Engine, table: sa.Table, count: int) -> None:
    statements: list[tuple[str, bool]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, many: bool) -> None:
        if "bulk_chunks" in statement:
            statements.append((statement, many))

    names = [None if n % 7 == 0 else f"row {n} «'quoted'» ; --" for n in range(count)]
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        with writing(engine) as conn:
            at = bound(conn, table.c.at, WHEN)
            insert_rows(conn, table, ("id", "name", "at"), [(n, names[n], at if n % 2 else None) for n in range(count)])
            update_rows(conn, table, "n", "id", [(n * 10, n) for n in range(count) if n % 3])
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(table.c.id, table.c.name, table.c.at, table.c.n).order_by(table.c.id)).all()
        later = conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.at >= WHEN)).scalar_one()
    assert [tuple(r) for r in stored] == [(n, names[n], WHEN if n % 2 else None, n * 10 if n % 3 else None)
                                          for n in range(count)]
    assert later == count // 2  # the stored text compares with a bound parameter (SQLite compares text)
    if engine.dialect.name == "sqlite":  # a statement per slice, none run once per row
        slices = -(-count // ROWS_PER_STATEMENT)
        updated = len([n for n in range(count) if n % 3])
        assert [many for _s, many in statements] == [False] * (slices + -(-updated // ROWS_PER_STATEMENT))
