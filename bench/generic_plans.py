"""Which pages and API routes slow down when PostgreSQL keeps a generic plan for their statements.

psycopg prepares a statement a connection ran 5 times, and PostgreSQL may then plan it once for any
parameters (``plan_cache_mode = auto``: after 5 custom plans, when the generic one's estimate is no
worse). The desk's first page got such a plan and went from 27 to 870-1,140 ms at 20,000 items
(docs/benchmarks.md, 2026-12-07); its reading, the search API's and the claim now plan each run. This
times every read route on a PostgreSQL hub that ``bench/search.py`` built, signed in as beta's editor
and alpha's (the publisher), with beta's and alpha's API keys and beta's feed token, three ways:

* **auto**: PostgreSQL's default, psycopg's threshold; 30 runs of each route on one connection, the
  first 4 against the last 5 (a route whose kept plan is a generic one changes between them);
* **generic**: every statement prepared at once (``prepare_threshold = 0``) and planned generically
  (``force_generic_plan``): the worst PostgreSQL could choose;
* **custom**: prepared at once and planned for each run's parameters (``force_custom_plan``).

The agreement's metrics rollup is built and brought up to date first, as the worker would have.
``--auto-only`` times the first way alone, on PostgreSQL or SQLite: run on hubs of two sizes, it shows
which routes grow with the history.

    .venv/bin/python bench/search.py -n 20000 --build-only \
        --database-url postgresql+psycopg://postgres@127.0.0.1/plans20k
    .venv/bin/python bench/generic_plans.py --database-url postgresql+psycopg://postgres@127.0.0.1/plans20k
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.pool import Pool
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from desk_page import PASSWORD  # noqa: E402  (bench/search.py's editor)

from newsbridge.accounts.api_keys import create_api_key  # noqa: E402
from newsbridge.accounts.members import add_member  # noqa: E402
from newsbridge.accounts.organizations import get_organization  # noqa: E402
from newsbridge.app import create_app  # noqa: E402
from newsbridge.config import load_settings  # noqa: E402
from newsbridge.db.engine import create_engine, writing  # noqa: E402
from newsbridge.delivery.feeds import create_feed_token  # noqa: E402
from newsbridge.ids import utcnow  # noqa: E402
from newsbridge.metrics.rollups import build_missing, refresh  # noqa: E402

MODES = {"auto": "auto", "generic": "force_generic_plan", "custom": "force_custom_plan"}
ALPHA_EDITOR = "editor@alpha.example"


def prepare(url: str) -> dict[str, str]:
    """alpha's editor, API keys for both, beta's feed token, an item beta received, the agreement; the rollup."""
    engine = create_engine(url)
    with writing(engine) as conn:
        known = conn.execute(sa.text("SELECT count(*) FROM members WHERE email = :e"), {"e": ALPHA_EDITOR}).scalar_one()
        if not known:
            add_member(conn, "alpha", ALPHA_EDITOR, "Alpha Editor", "editor", PASSWORD)
        _, beta_key = create_api_key(conn, "beta", label="bench/generic_plans.py")
        _, alpha_key = create_api_key(conn, "alpha", label="bench/generic_plans.py")
        token = create_feed_token(conn, get_organization(conn, "beta"), "bench/generic_plans.py")
        item = conn.execute(sa.text("SELECT id FROM items ORDER BY id DESC LIMIT 1 OFFSET 500")).scalar_one()
        agreement = conn.execute(sa.text("SELECT id FROM agreements LIMIT 1")).scalar_one()
    while True:  # what the metrics worker does: each agreement's rollup, then the items marked since
        with writing(engine) as conn:
            if not build_missing(conn, utcnow()) and not refresh(conn, utcnow()):
                break
    engine.dispose()
    return {"beta_key": beta_key, "alpha_key": alpha_key, "token": token, "item": item, "agreement": agreement}


def routes(f: dict[str, str]) -> list[tuple[str, str]]:
    """(who asks, path): B/A beta's or alpha's API key, F the feed token, b/a beta's or alpha's session."""
    item, ag, token = f["item"], f["agreement"], f["token"]
    beta_api = ["/api/v1/feed", "/api/v1/feed?limit=100", "/api/v1/inbox", f"/api/v1/items/{item}",
                f"/api/v1/items/{item}/versions", f"/api/v1/items/{item}/story", f"/api/v1/items/{item}/pickups",
                f"/api/v1/items/{item}/translations", "/api/v1/search?q=cooperation", "/api/v1/search?q=zeppelin",
                "/api/v1/search?q=cooperation&cross_lingual=true", "/api/v1/agreements", f"/api/v1/agreements/{ag}",
                f"/api/v1/agreements/{ag}/metrics", f"/api/v1/agreements/{ag}/roadmap", "/api/v1/deliveries",
                "/api/v1/me"]
    alpha_api = ["/api/v1/items", "/api/v1/deliveries", f"/api/v1/items/{item}", f"/api/v1/items/{item}/deliveries",
                 f"/api/v1/items/{item}/routing", f"/api/v1/items/{item}/pickups"]
    feeds = [f"/feeds/{token}/atom.xml", f"/feeds/{token}/feed.json", f"/feeds/{token}/rss.xml"]
    beta_web = ["/desk", "/desk?q=cooperation", "/desk?q=zeppelin", "/desk/unread", "/desk/across?q=cooperation",
                f"/items/{item}", "/partners", "/partners/alpha", "/agreements", f"/agreements/{ag}",
                f"/agreements/{ag}/metrics", "/cooperation", "/alerts", "/outgoing", "/team", "/projects"]
    alpha_web = ["/outgoing", f"/items/{item}", "/cooperation", f"/agreements/{ag}/metrics", "/partners/beta"]
    return ([("B", p) for p in beta_api] + [("A", p) for p in alpha_api] + [("F", p) for p in feeds]
            + [("b", p) for p in beta_web] + [("a", p) for p in alpha_web])


def set_plan_cache_mode(url: str, mode: str) -> None:
    """The database's default for new sessions (PGOPTIONS would lose to the engine's options); none on SQLite."""
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {engine.url.database} SET plan_cache_mode = {mode}")
            conn.commit()
    engine.dispose()


def _prepare_at_once(dbapi_connection: Any, _record: Any) -> None:
    if hasattr(dbapi_connection, "prepare_threshold"):  # psycopg's; SQLite's has none
        dbapi_connection.prepare_threshold = 0


async def timed_routes(url: str, f: dict[str, str], mode: str, runs: int) -> dict[str, list[float]]:
    """Milliseconds of each run of each route, the routes in turn (each on the pool's one connection)."""
    set_plan_cache_mode(url, MODES[mode])
    if mode != "auto":  # psycopg prepares every statement at once, on every connection the app opens
        sa.event.listen(Pool, "connect", _prepare_at_once)
    app = create_app(load_settings(database_url=url, in_process_worker=False), migrate=False)
    found: dict[str, list[float]] = {}
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            clients = {who: httpx.AsyncClient(transport=transport, base_url="http://hub.test") for who in "BAFba"}
            for who, email in (("b", "editor@beta.example"), ("a", ALPHA_EDITOR)):
                signed = await clients[who].post("/login", data={"email": email, "password": PASSWORD})
                assert signed.status_code == 303, signed.text[:300]
            keys = {"B": f["beta_key"], "A": f["alpha_key"]}
            for who, path in routes(f):
                headers = {"Authorization": f"Bearer {keys[who]}"} if who in keys else {}
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    answer = await clients[who].get(path, headers=headers)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])
                found[f"{who} {path}"] = times
            for client in clients.values():
                await client.aclose()
    finally:
        set_plan_cache_mode(url, "DEFAULT")
        if sa.event.contains(Pool, "connect", _prepare_at_once):
            sa.event.remove(Pool, "connect", _prepare_at_once)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="a PostgreSQL hub bench/search.py built (a SQLite one with --auto-only)")
    parser.add_argument("--runs", type=int, default=30, help="runs of each route in the auto mode (default 30)")
    parser.add_argument("--forced-runs", type=int, default=7, help="runs in the forced modes, the first not counted")
    parser.add_argument("--auto-only", action="store_true",
                        help="PostgreSQL's own plan cache only: each route's time at this size (compare two sizes)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    console = Console() if sys.stdout.isatty() else Console(width=170)
    if not args.auto_only and not args.database_url.startswith("postgresql"):
        parser.error("the plan cache is PostgreSQL's: give a PostgreSQL URL, or --auto-only")
    fixtures = prepare(args.database_url)
    auto = asyncio.run(timed_routes(args.database_url, fixtures, "auto", args.runs))
    forced = not args.auto_only
    generic = asyncio.run(timed_routes(args.database_url, fixtures, "generic", args.forced_runs)) if forced else {}
    custom = asyncio.run(timed_routes(args.database_url, fixtures, "custom", args.forced_runs)) if forced else {}
    table = Table("route (B/A: beta's/alpha's key, F: feed token, b/a: session)", "auto: runs 1-4 p50 ms",
                  "auto: last 5 p50 ms", *(("generic p50 ms", "custom p50 ms", "generic / custom") if forced else ()))
    for route, times in auto.items():
        first, late = statistics.median(times[:4]), statistics.median(times[-5:])
        cells = [f"{first:.1f}", f"{late:.1f}"]
        if forced:
            g, c = statistics.median(generic[route][1:]), statistics.median(custom[route][1:])
            flag = " [bold red]<-" if g / c >= 2 or late / first >= 2 else ""
            cells += [f"{g:.1f}", f"{c:.1f}", f"{g / c:.2f}{flag}"]
        table.add_row(route.replace(fixtures["token"], "{token}").replace(fixtures["item"], "{item}")
                      .replace(fixtures["agreement"], "{agreement}"), *cells)
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
