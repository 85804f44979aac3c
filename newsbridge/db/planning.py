"""Steering the two planners where their own choice was found slow (each case in docs/benchmarks.md)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def plan_each_time(conn: Connection) -> None:
    """On PostgreSQL, until the transaction ends: plan each statement for its parameters.

    psycopg prepares a statement a connection ran 5 times, and PostgreSQL may then keep one generic plan
    for it, blind to its parameters: the desk's first page went from 27 to 870-1,140 ms from about its 10th
    run on a connection (20,000 items), a search's page took 160 ms, the inbox's 3.4 x. Not the
    connection's default: planning each run costs each statement its planning, and of every read route
    bench/generic_plans.py times only these were slower with a generic plan."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")


def unindexed(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``column`` wrapped in an expression (``coalesce(column, '')``), which leaves SQLite no index on it.

    SQLite plans without statistics here, and for a lookup by item it took an index on the organization
    (the recipient's deliveries, the publisher's items) and read that organization's whole history for each
    row: 0.7 s an inbox page at 1,000,000 items, 70 ms a recipient's item at 100,000, 1.3 ms a feed entry at
    600 (bench/generic_plans.py --auto-only, bench/load.py). PostgreSQL plans as before. Only for columns
    compared with non-empty values (a NULL reads as '')."""
    return sa.func.coalesce(column, "")
