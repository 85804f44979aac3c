"""Many rows of one shape in a few multi-row statements, without SQLAlchemy's per-row parameter building.

For the hot paths that write thousands of rows at once: the bulk store (items, versions, topics; ~16 µs of
a version row's ~60 in bench/ingest.py) and the sequencer's outbox messages and feed positions (~25 µs a
row in bench/fanout.py, as much as SQLite's own insert). On SQLite the values pass through each column's
own bind processor (the dialect's implementation, as a Core statement does), so what is stored is what a
Core ``insert()`` or ``update()`` stores, to the text (tests/db/test_bulk.py); a value that is the same
in every row is processed once with :func:`bound`. SQLite gets one ``INSERT … VALUES (…), (…)`` or
``UPDATE … FROM (VALUES …)`` per slice of rows (:func:`_chunks` says why), not a statement per row. Other
databases take the Core statement, unchanged: their drivers' batching is SQLAlchemy's own there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

Processor = Callable[[Any], Any]
_NOTHING = object()


def _direct(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _processor(conn: Connection, column: sa.Column[Any]) -> Processor | None:
    # the dialect's implementation: a TypeDecorator's own bind_processor stops at process_bind_param, and the
    # driver's default adapter would then write SQLite's text without SQLAlchemy's ".000000" microseconds
    return column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)


def bound(conn: Connection, column: sa.Column[Any], value: Any) -> Any:
    """``value`` ready for :func:`insert_rows` in ``column``: as the driver receives it where rows go to the
    driver directly (SQLite), else as it is (the Core statement processes it)."""
    if not _direct(conn):
        return value
    process = _processor(conn, column)
    return process(value) if process is not None else value


def _quoted(conn: Connection, table: sa.Table, columns: Sequence[str]) -> tuple[str, str]:
    quote = conn.dialect.identifier_preparer.quote
    for name in columns:
        table.c[name]  # a misspelt column fails here, not as SQL
    return quote(table.name), ", ".join(map(quote, columns))


def insert_rows(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT ``rows`` into ``table``: tuples in ``columns`` order whose values went through :func:`bound`."""
    name, listed = _quoted(conn, table, columns)
    if not rows:
        return
    if not _direct(conn):
        conn.execute(table.insert(), [dict(zip(columns, row)) for row in rows])
        return
    one = f"({', '.join('?' * len(columns))})"
    for chunk in _chunks(conn, rows, len(columns)):
        conn.exec_driver_sql(f"INSERT INTO {name} ({listed}) VALUES {', '.join([one] * len(chunk))}",
                             tuple(value for row in chunk for value in row))


def insert_dicts(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """``conn.execute(table.insert(), rows)`` for rows with the same keys, each value through its column's
    bind processor here. A column left out that has a Python-side default takes SQLAlchemy's path."""
    if not rows:
        return
    columns = list(rows[0])
    if not _direct(conn) or any(c.default is not None for c in table.columns if c.name not in rows[0]):
        conn.execute(table.insert(), list(rows))
        return
    # [index, processor, the previous row's value, what it became]: a value that is the previous row's own
    # object (the batch's time, None) is processed once, ~2 µs a datetime
    processors = [[i, p, _NOTHING, None] for i, p in enumerate(_processor(conn, table.c[c]) for c in columns)
                  if p is not None]
    values = []
    for row in rows:
        row_values = [row[c] for c in columns]
        for memo in processors:
            index, process, previous, processed = memo
            value = row_values[index]
            if value is not previous:
                memo[2], memo[3] = value, (processed := process(value))
            row_values[index] = processed
        values.append(tuple(row_values))
    insert_rows(conn, table, columns, values)


def update_rows(conn: Connection, table: sa.Table, set_column: str, key_column: str,
                rows: Sequence[tuple[Any, Any]]) -> None:
    """UPDATE ``table`` SET ``set_column`` = value WHERE ``key_column`` = key, for each (value, key) of ``rows``:
    values and keys of types without bind processing (integers, strings)."""
    name, _ = _quoted(conn, table, (set_column, key_column))
    if not rows:
        return
    if not _direct(conn):
        conn.execute(table.update().where(table.c[key_column] == sa.bindparam("bulk_key"))
                     .values({set_column: sa.bindparam("bulk_value")}),
                     [{"bulk_value": value, "bulk_key": key} for value, key in rows])
        return
    quote = conn.dialect.identifier_preparer.quote
    if sqlite3.sqlite_version_info < (3, 33):  # no UPDATE ... FROM before SQLite 3.33
        conn.exec_driver_sql(f"UPDATE {name} SET {quote(set_column)} = ? WHERE {quote(key_column)} = ?", list(rows))
        return
    for chunk in _chunks(conn, rows, 2):
        conn.exec_driver_sql(f"UPDATE {name} SET {quote(set_column)} = bulk.column1 FROM (VALUES "
                             f"{', '.join(['(?, ?)'] * len(chunk))}) AS bulk WHERE {name}.{quote(key_column)} = bulk.column2",
                             tuple(value for row in chunk for value in row))


ROWS_PER_STATEMENT = 250


def _chunks(conn: Connection, rows: Sequence[Sequence[Any]], width: int) -> Iterator[Sequence[Sequence[Any]]]:
    """``rows`` in slices that each fit one statement of SQLite (at most ``ROWS_PER_STATEMENT`` rows, and
    within its limit of bound variables).

    One multi-row statement per slice, not an ``executemany`` of one statement per row: every step of
    SQLite lets Python's interpreter lock go, and a thread that wants it back while the event loop's
    thread is busy waits up to its switch interval (5 ms) each time. Sequencing 2,000 messages with the
    loop sending beside it took 0.55-0.68 s for 0.07 s of CPU row by row (bench/fanout.py)."""
    limit = conn.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[union-attr]
    size = max(1, min(ROWS_PER_STATEMENT, limit // max(1, width)))
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
