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

WHEN = datetime(2026, 12, 5, 19, 50, 1, 5, tzinfo=timezone(timedelta(hours=3, minutes=30)))  # Tehran time


@pytest.mark.parametrize("count", [1, ROWS_PER_STATEMENT, ROWS_PER_STATEMENT + 1, 3 * ROWS_PER_STATEMENT + 17])
def test_rows_in_slices_are_stored_as_core_stores_them(engine: Engine, bulk_table: sa.Table, count: int) -> None:
    statements: list[tuple[str, bool]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, many: bool) -> None:
        if "bulk_check" in statement:
            statements.append((statement, many))

    names = [None if n % 7 == 0 else f"row {n} «'quoted'» ; --" for n in range(count)]
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        with writing(engine) as conn:
            at = bound(conn, bulk_table.c.at, WHEN)
            insert_rows(conn, bulk_table, ("id", "name", "at"),
                        [(n, names[n], at if n % 2 else None) for n in range(count)])
            update_rows(conn, bulk_table, "n", "id", [(n * 10, n) for n in range(count) if n % 3])
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    with engine.connect() as conn:
        c = bulk_table.c
        stored = conn.execute(sa.select(c.id, c.name, c.at, c.n).order_by(c.id)).all()
        later = conn.execute(sa.select(sa.func.count()).select_from(bulk_table).where(c.at >= WHEN)).scalar_one()
    assert [tuple(r) for r in stored] == [(n, names[n], WHEN if n % 2 else None, n * 10 if n % 3 else None)
                                          for n in range(count)]
    assert later == count // 2  # the stored text compares with a bound parameter (SQLite compares text)
    if engine.dialect.name == "sqlite":  # a statement per slice, none run once per row
        slices = -(-count // ROWS_PER_STATEMENT)
        updated = len([n for n in range(count) if n % 3])
        assert [many for _s, many in statements] == [False] * (slices + -(-updated // ROWS_PER_STATEMENT))
