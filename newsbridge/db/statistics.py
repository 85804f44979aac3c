"""PostgreSQL's planner statistics for the tables a burst grows (the outbox, the deliveries), refreshed as soon
as they fall behind instead of at autovacuum's next round.

autovacuum analyzes a table once the rows changed since its last ANALYZE pass 10 % of it, on its own round: a
minute apart by default. Until a table's first ANALYZE the planner knows nothing of it, and a burst on a fresh
hub (300 items for 100 partners: 30,000 outbox rows in seconds) had the claim read the whole queue, test every
message and sort it: 51 ms a claim with 30,000 queued against 6 ms with statistics (bench/claim_plans.py, issue
17). Once a table has statistics, the claim's plan no longer depends on how old they are (delivery/outbox.py,
``_claim_query``, migration 0058): this refresh is for the first burst, and a quiet hub's analyzed outbox
delivers the 30,000 messages with one worker in 9.2-9.5 s with or without it (docs/benchmarks.md).

:func:`analyze_if_grown` analyzes a table once the rows changed since its last ANALYZE reach ``GROWTH`` times
what the statistics count (and at least ``GROWN``): a burst costs two or three ANALYZEs (tens of milliseconds
each: a sample of 30,000 rows at most), not one a round. Analyzing at every doubling from 1,000 rows cost the
1-worker burst of 10,000 messages more PostgreSQL CPU than it saved, and a first threshold of 1,000 measured no
better than 5,000 once the claim's plan was mended. It never waits: another process
analyzing the same table (an advisory lock), or an ANALYZE running, lets this one go. SQLite plans without
statistics the hub would keep (it never runs ANALYZE there): nothing to do.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

GROWN = 5_000  # rows changed since the last ANALYZE, at least, before a table is analyzed again
GROWTH = 4  # ... and this many times the rows its statistics count

_CHANGED = sa.text("SELECT s.n_mod_since_analyze, c.reltuples FROM pg_stat_user_tables AS s "
                   "JOIN pg_class AS c ON c.oid = s.relid WHERE s.relname = :table AND s.schemaname = current_schema()")
_TRY_LOCK = sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:key))")


def analyze_if_grown(conn: Connection, table: str) -> bool:
    """ANALYZE ``table`` (PostgreSQL) when the rows changed since its last ANALYZE reach ``GROWTH`` × its counted rows;
    True when it did. Run it in a transaction of its own: the advisory lock lasts until it ends."""
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(_CHANGED, {"table": table}).first()
    if found is None:
        return False
    changed, counted = found
    if changed < max(GROWN, GROWTH * counted):  # reltuples is -1 before the first ANALYZE
        return False
    if not conn.execute(_TRY_LOCK, {"key": f"newsbridge:analyze:{table}"}).scalar_one():
        return False  # another worker is analyzing it now
    conn.execute(sa.text(f'ANALYZE "{table}"'))
    return True
