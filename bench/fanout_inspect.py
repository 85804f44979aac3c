"""Looking inside the fan-out worker for bench/fanout.py: the outbox claim timed alone (with PostgreSQL's
plan), and where a profiled worker's time goes during a burst."""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from profiling import stage_table
from rich.console import Console
from sqlalchemy.engine import Engine

from newsbridge.db.engine import writing
from newsbridge.db.tables import outbox
from newsbridge.delivery.outbox import claim, sequence
from newsbridge.ids import utcnow


@dataclass
class ClaimTimes:
    queued: int  # messages waiting
    stale: list[float]  # seconds per claim, statistics from before the burst
    analyzed: list[float]  # seconds per claim after ANALYZE
    plans: list[str]  # the claim query's plan: stale, then analyzed
    stale_label: str = "statistics from before the burst"


def explain_claim(engine: Engine, batch: int) -> tuple[float, str]:
    """One ``claim`` timed alone and rolled back, and the plan of the SELECT it issued: PostgreSQL's EXPLAIN
    ANALYZE, SQLite's EXPLAIN QUERY PLAN."""
    issued: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ORDER BY outbox.next_attempt_at" in statement:
            issued.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        with engine.connect() as conn:
            started = time.perf_counter()
            claimed = claim(conn, "bench", utcnow(), limit=batch)
            seconds = time.perf_counter() - started
            conn.rollback()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert claimed, "nothing to claim"
    plans = []
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        for statement, parameters in issued:
            raw = conn.connection.driver_connection
            cursor = raw.cursor()
            if sqlite:
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plans.append("\n".join(row[-1] for row in cursor.fetchall()))
            else:
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, parameters)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
                raw.rollback()
            cursor.close()
    return seconds, "\n---\n".join(plans)


def time_claims(engine: Engine, store_burst: Callable[[], object], repeats: int, batch: int) -> ClaimTimes:
    """Queue a burst's messages (``store_burst``) with no worker running, then time ``claim`` before and
    after ANALYZE (before: statistics from before the burst on PostgreSQL, none on SQLite)."""
    if engine.dialect.name != "sqlite":  # the hub never analyzes SQLite: none there, as in a hub's database
        with writing(engine) as conn:
            conn.execute(sa.text("ANALYZE"))  # statistics from before the burst: the worker's usual case
    store_burst()
    with writing(engine) as conn:
        while sequence(conn, utcnow(), limit=5000):
            pass
        queued = conn.execute(sa.select(sa.func.count()).select_from(outbox)
                              .where(outbox.c.state == "pending")).scalar_one()
    stale = [explain_claim(engine, batch) for _ in range(repeats)]
    with writing(engine) as conn:
        conn.execute(sa.text("ANALYZE"))
    analyzed = [explain_claim(engine, batch) for _ in range(repeats)]
    return ClaimTimes(queued, [s for s, _ in stale], [s for s, _ in analyzed], [stale[0][1], analyzed[0][1]],
                      "no statistics" if engine.dialect.name == "sqlite" else "statistics from before the burst")



# Where a worker's time goes: (file, function, what it is); the shares are of the profiled thread's time.
PROFILE_STAGES = (
    ("delivery/outbox.py", "sequence", "sequence: feed positions and outbox rows"),
    ("delivery/outbox.py", "claim", "claim a batch"),
    ("items/queries.py", "delivered_items", "load the claimed items"),
    ("media/links.py", "media_versions", "media links of each claimed item"),
    ("delivery/endpoints.py", "signing_secrets", "signing secrets"),
    ("targets.py", "check_url", "SSRF check of the endpoints' URLs"),
    ("items/render.py", "render", "render ninjs"),
    ("delivery/webhooks.py", "envelope", "envelope (json.dumps)"),
    ("delivery/webhooks.py", "sign", "sign (HMAC)"),
    ("delivery/webhooks.py", "send", "HttpSender.send (aiohttp, on the event loop)"),
    ("delivery/outbox.py", "record", "record outcomes"),
    ("~", "<method 'commit' of 'sqlite3.Connection' objects>", "commits (SQLite)"),
)


def print_profile(profile: cProfile.Profile, console: Console) -> None:
    console.rule("[bold]the worker during a burst under cProfile (times inflated by the profiler; read the shares)")
    stats = pstats.Stats(profile)
    console.print(f"profiled thread: {stats.total_tt:.1f} s")  # type: ignore[attr-defined]
    console.print(stage_table(stats, PROFILE_STAGES, "calls (a coroutine counts each resumption)"))
    console.print("[bold]top 20 by own time[/bold]")
    stats.sort_stats("tottime").print_stats(20)
