"""Many rows in one driver ``executemany``, without SQLAlchemy's per-row parameter processing.

For the hot paths that write thousands of rows of the same shape (the sequencer's outbox messages and
feed positions: bench/fanout.py measured SQLAlchemy's parameter building at ~25 µs a row, as much as
SQLite's own insert). Values pass through each column's bind processor here, so what is stored is what
a Core ``insert()`` would store; a value that is the same in every row (a timestamp) can be processed
once by the caller with :func:`bound`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def bound(conn: Connection, column: sa.Column[Any], value: Any) -> Any:
    """``value`` as the driver receives it for ``column`` (its type's bind processing, e.g. UTCDateTime's)."""
    # the dialect's implementation: a TypeDecorator's own bind_processor stops at process_bind_param, and the
    # driver's default adapter would then write SQLite's text without SQLAlchemy's ".000000" microseconds
    process: Callable[[Any], Any] | None = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(value) if process is not None else value


def _mark(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    raise NotImplementedError(f"parameter style {style!r}")


def insert_rows(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT ``rows`` (tuples of driver-ready values, in ``columns`` order) into ``table``."""
    if not rows:
        return
    for name in columns:
        table.c[name]  # a misspelt column fails here, not as SQL
    mark = _mark(conn)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})",
                         list(rows))


def update_rows(conn: Connection, table: sa.Table, set_column: str, key_column: str,
                rows: Sequence[tuple[Any, Any]]) -> None:
    """UPDATE ``table`` SET ``set_column`` = value WHERE ``key_column`` = key, for each (value, key) of ``rows``."""
    if not rows:
        return
    table.c[set_column], table.c[key_column]
    mark = _mark(conn)
    conn.exec_driver_sql(f"UPDATE {table.name} SET {set_column} = {mark} WHERE {key_column} = {mark}", list(rows))
