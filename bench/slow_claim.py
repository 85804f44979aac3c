"""How long ``outbox.claim`` takes when one endpoint has a backlog of due messages and its budget is full.

A partner slow or down gathers a backlog (bench/slow_partner.py: ~180 after a 30 s phase, ~360 after two; a
partner down for a day, tens of thousands). This sets up 21 endpoints, the slow one with 8 messages in flight
(its budget) and ``backlog`` more due, the 20 healthy ones with one due message each over ``--history``
delivered ones, and times ``claim`` of a batch (rolled back, 15 times; median and minimum), by each of the
claim's two walks in the same run: the whole queue in due order (forced: the claim before migration 0061) and
the claim's own choice (the endpoints with room one by one, on SQLite from ``WALK_PAST`` held messages due):
what the backlog adds to every claim the worker makes.

    .venv/bin/python bench/slow_claim.py [sqlite] [postgresql] [--backlogs 0,360,1000,5000,20000,100000]

Before migration 0060 SQLite read every due message by the index on state and sorted them (no statistics),
looking up each one's row to learn its endpoint: 72-86 ms a claim with 20,000 waiting; then the walk of the
queue passed over them in ``ix_outbox_due`` (10 ms), and on PostgreSQL, which tests the endpoint on the row,
40 ms. The walk of the endpoints (delivery/claim_queries.py) does not read them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "delivery")]

import sqlalchemy as sa  # noqa: E402
from receivers import sign_agreement  # noqa: E402

from newsbridge.accounts.organizations import create_organization  # noqa: E402
from newsbridge.config import load_settings  # noqa: E402
from newsbridge.db.engine import create_engine, writing  # noqa: E402
from newsbridge.db.migrate import upgrade  # noqa: E402
from newsbridge.db.tables import outbox  # noqa: E402
from newsbridge.delivery.endpoints import create_endpoint  # noqa: E402
import newsbridge.delivery.outbox as outbox_module  # noqa: E402
from newsbridge.db.bulk import bound, insert_rows  # noqa: E402
from newsbridge.delivery.outbox import claim, sequence  # noqa: E402
from newsbridge.formats.item import Item  # noqa: E402
from newsbridge.ids import utcnow  # noqa: E402
from newsbridge.ingest.pipeline import Ingestor  # noqa: E402
from tests.databases import postgres_database  # noqa: E402

ALLOW = ("127.0.0.0/8",)
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def run(url: str, backlog: int, history: int) -> dict[str, list[float]]:
    """Seconds each of 15 claims took, sorted, with the slow endpoint's ``backlog`` due behind its budget, by
    the walk of the queue (forced) and by the claim's own choice (the endpoints' walk, but on SQLite under
    ``WALK_PAST`` held messages due)."""
    settings = load_settings(env={}, database_url=url, allow_private_targets=ALLOW)
    engine = create_engine(url)
    upgrade(engine)
    with writing(engine) as conn:
        source = create_organization(conn, "source", "Source")
        partners = [create_organization(conn, f"p{n}", f"P{n}") for n in range(21)]
    sign_agreement(engine, source, partners)
    with writing(engine) as conn:
        eps = [create_endpoint(conn, p, f"http://127.0.0.1:9/{n}", None, "3", ALLOW)[0].id
               for n, p in enumerate(partners)]
    slow = eps[-1]
    Ingestor(engine, settings).ingest_items(source, [
        Item(uri=f"urn:x:{n}", version="1", language="en", headline=f"H {n}", body_text="T.") for n in range(9)])
    now = utcnow()
    with writing(engine) as conn:
        while sequence(conn, now, limit=2000):
            pass
        ids = conn.execute(sa.select(outbox.c.id).where(outbox.c.endpoint_id == slow).order_by(outbox.c.id)).scalars()
        conn.execute(outbox.update().where(outbox.c.id.in_(list(ids)[:8]))  # its budget, held by another worker
                     .values(state="in_flight", lease_until=now + timedelta(minutes=5), claimed_by="other"))
        # healthy endpoints: all delivered but the last item's 20 messages
        conn.execute(outbox.update().where(outbox.c.endpoint_id != slow).values(state="delivered"))
        newest = conn.execute(sa.select(outbox.c.id).where(outbox.c.endpoint_id != slow)
                              .order_by(outbox.c.id.desc()).limit(20)).scalars()
        conn.execute(outbox.update().where(outbox.c.id.in_(list(newest))).values(state="pending"))
        # the slow partner's backlog, due before them, and everyone's delivered history (written directly:
        # ingesting 100,000 items for 21 partners would take many minutes and give the same rows)
        waiting = bound(conn, outbox.c.next_attempt_at, now - timedelta(hours=1))
        rows = [(slow, "item.published", f"b{n}", "pending", 0, waiting, waiting, f"b{n}", 1) for n in range(backlog)]
        rows += [(eps[n % 20], "item.published", f"d{n}", "delivered", 1, waiting, waiting, f"d{n}", 1)
                 for n in range(history)]
        insert_rows(conn, outbox, ("endpoint_id", "event", "message_id", "state", "attempts", "next_attempt_at",
                                   "created_at", "item_id", "version"), rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE outbox"))
    times: dict[str, list[float]] = {}
    chosen = outbox_module._walks_endpoints
    for walk, walks_endpoints in (("queue", lambda *_args: False), ("endpoints", chosen)):
        outbox_module._walks_endpoints = walks_endpoints
        times[walk] = []
        for _ in range(15):
            with engine.connect() as conn:
                tx = conn.begin()
                t = time.perf_counter()
                got = claim(conn, "w", utcnow(), 200)
                times[walk].append(time.perf_counter() - t)
                tx.rollback()
            assert len(got) == 20 and all(c.endpoint_id != slow for c in got), len(got)  # the healthy ones
        times[walk].sort()
    outbox_module._walks_endpoints = chosen
    engine.dispose()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("databases", nargs="*", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"])
    parser.add_argument("--backlogs", default="0,360,1000,5000,20000,100000",
                        help="the slow endpoint's due messages behind its budget, one claim timing each")
    parser.add_argument("--history", type=int, default=100_000,
                        help="delivered messages of the healthy endpoints (default 100,000)")
    args = parser.parse_args()
    for kind in args.databases:
        for backlog in (int(n) for n in args.backlogs.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                if kind == "sqlite":
                    t = run(f"sqlite:///{tmp}/h.db", backlog, args.history)
                else:
                    with postgres_database(POSTGRES_URL, prefix="newsbridge_slow_claim") as url:
                        t = run(url, backlog, args.history)
            queue, endpoints = (t[walk][len(t[walk]) // 2] * 1000 for walk in ("queue", "endpoints"))
            print(f"{kind} backlog {backlog:7,d}: a claim of the 20 healthy messages, median (min) ms: walking the "
                  f"queue {queue:.1f} ({t['queue'][0] * 1000:.1f}), walking the endpoints {endpoints:.1f} "
                  f"({t['endpoints'][0] * 1000:.1f}); {queue / endpoints:.1f} x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
