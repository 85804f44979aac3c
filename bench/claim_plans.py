"""The claim on PostgreSQL whatever the planner's statistics say: ``outbox.claim`` against the least a claim can do.

100 endpoints and ``--queue`` due messages (one item version each), over ``--history`` delivered ones, under
four states of the statistics:

- ``none``: never analyzed (a fresh hub before autovacuum's first round);
- ``drained``: analyzed while the history was delivered and the queue empty (autovacuum on a quiet hub, which
  then waits for a tenth of the table to change);
- ``queued``: analyzed with the queue there;
- ``small``: analyzed with a queue of 300.

Each claim of 200 is rolled back and repeated (median of ``--repeats``). The baseline is the least a claim does: the
bare walk of the due index, ``SELECT id ... ORDER BY next_attempt_at, id LIMIT 200 FOR UPDATE SKIP LOCKED``
with no endpoint list and no ordering guard, then the UPDATE that marks the 200 taken. The ratio is claim /
baseline; the last column names the indexes the claim's scan and its guard read (auto_explain of one more claim).

    .venv/bin/python bench/claim_plans.py [--queue 30000] [--history 100000] [--repeats 15]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import sqlalchemy as sa  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from newsbridge.db.engine import create_engine, writing  # noqa: E402
from newsbridge.db.migrate import upgrade  # noqa: E402
from newsbridge.db.tables import OUTBOX_UNFINISHED, endpoints, organizations, outbox  # noqa: E402
from newsbridge.delivery.outbox import claim  # noqa: E402
from tests.databases import postgres_database  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ENDPOINTS = 100
NOW = datetime.now(timezone.utc)
BARE = sa.text(f"SELECT id FROM outbox WHERE {OUTBOX_UNFINISHED} AND next_attempt_at <= :now "
               "ORDER BY next_attempt_at, id LIMIT 200 FOR UPDATE SKIP LOCKED")
TAKE = sa.text("UPDATE outbox SET state = 'in_flight', lease_until = :now, claimed_by = 'w', attempts = attempts + 1 "
               "WHERE id = ANY(:ids)")
SCENARIOS = ("none", "drained", "queued", "small")


def _messages(count: int, state: str, first: int) -> list[dict[str, object]]:
    return [dict(endpoint_id=f"e{n % ENDPOINTS}", delivery_id=None, event="item.published",
                 message_id=f"m{first + n}", state=state, attempts=0, created_at=NOW,
                 next_attempt_at=NOW - timedelta(minutes=1) + timedelta(microseconds=n),
                 item_id=f"i{(first + n) // ENDPOINTS}", version=1) for n in range(count)]


def _fill(engine: sa.Engine, scenario: str, queue: int, history: int) -> None:
    with writing(engine) as conn:
        conn.execute(organizations.insert(), [dict(id=f"o{n}", slug=f"o{n}", name=f"O{n}", languages=[], timezone="UTC",
                                                   credit_name=f"O{n}", created_at=NOW) for n in range(ENDPOINTS)])
        conn.execute(endpoints.insert(), [dict(id=f"e{n}", organization_id=f"o{n}", url="https://p.example/hook",
                                               events=["item.published"], ninjs_version="3", format="ninjs3",
                                               secret="s", enabled=True, created_at=NOW) for n in range(ENDPOINTS)])
        for first in range(0, history, 10_000):
            conn.execute(sa.insert(outbox), _messages(min(10_000, history - first), "delivered", first))
    if scenario == "drained":
        _analyze(engine)
    with writing(engine) as conn:
        size = 300 if scenario == "small" else queue
        for first in range(0, size, 10_000):
            conn.execute(sa.insert(outbox), _messages(min(10_000, size - first), "pending", 10**8 + first))
    if scenario in ("queued", "small"):
        _analyze(engine)


def _analyze(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def _median(engine: sa.Engine, repeats: int, run: Callable[[sa.Connection], object]) -> float:
    times = []
    for _ in range(repeats):
        with engine.connect() as conn:
            started = time.perf_counter()
            run(conn)
            times.append(time.perf_counter() - started)
            conn.rollback()
    return statistics.median(times)


def _bare(conn: sa.Connection) -> None:
    """The least a claim does: walk the due index to 200 messages, lock them, and mark them taken."""
    ids = list(conn.execute(BARE, {"now": NOW}).scalars())
    conn.execute(TAKE, {"now": NOW, "ids": ids})


def _plan(engine: sa.Engine) -> str:
    """The indexes one claim's SELECT read, from auto_explain: its scan's, then its guard's."""
    notices: list[str] = []
    with engine.connect() as conn:
        for statement in ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                          "SET auto_explain.log_level = notice", "SET auto_explain.log_format = text"):
            conn.exec_driver_sql(statement)
        conn.connection.dbapi_connection.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        claim(conn, "w", NOW, 200, per_endpoint=None)
        conn.rollback()
    text = next(n for n in notices if "FOR UPDATE OF outbox" in n)
    scans = r"Scan using (\w+) on outbox|Bitmap Index Scan on (\w+)|(Seq Scan) on outbox"
    used = ["".join(found) for found in re.findall(scans, text)]
    return " / ".join(dict.fromkeys(used))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queue", type=int, default=30_000, help="due messages (default 30,000)")
    parser.add_argument("--history", type=int, default=100_000, help="delivered messages before (default 100,000)")
    parser.add_argument("--repeats", type=int, default=15, help="claims timed per scenario (default 15)")
    args = parser.parse_args()
    table = Table("statistics", "queue", "claim ms (median)", "baseline ms", "claim / baseline",
                  "indexes: scan / guard")
    for scenario in SCENARIOS:
        with postgres_database(POSTGRES_URL, prefix="newsbridge_claim_plans") as url:
            engine = create_engine(url)
            upgrade(engine)
            _fill(engine, scenario, args.queue, args.history)
            ours = _median(engine, args.repeats, lambda conn: claim(conn, "w", NOW, 200, per_endpoint=None))
            bare = _median(engine, args.repeats, _bare)
            table.add_row(scenario, f"{300 if scenario == 'small' else args.queue:,}", f"{ours * 1000:.2f}",
                          f"{bare * 1000:.2f}", f"{ours / bare:.1f}", _plan(engine))
            engine.dispose()
    Console(width=160).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
