"""Changes feed: requests/s of ``GET /api/v1/feed`` pages against a bare ASGI app serving the same bytes.

Builds a fresh SQLite hub where organization ``beta`` received a few thousand items from
``alpha`` (an active agreement), every delivery sequenced (feed positions given, as the
worker does), then starts ``newsbridge serve`` (uvicorn, in-process worker off) on loopback.
Concurrent clients, each an ``httpx.AsyncClient`` with one connection, each starting at its own
point of the feed, walk the cursor through to the end and round again:

* feed: ``GET /api/v1/feed?cursor=...&limit=50`` with beta's API key (50 entries of about
  2.9 KiB per page, ~145 KiB of JSON);
* baseline: the same requests to a bare ASGI app (no framework, no database) that answers each
  with the hub's own response to it, status, headers and body bytes, held in memory. It runs in
  a process of its own under the same server, ``uvicorn.run(app, ...)`` as ``newsbridge serve``
  calls it (same options, same loop and HTTP parser), so the ratio prices what the hub does for
  a page (key check, query, JSON) against serving those bytes at all. Its pages are recorded from
  the hub before the timed rounds, every page a client can ask for. (The baseline before,
  ``GET /healthz``, itself queried the database: 2 ms of server CPU a request.)

The phases alternate for ``--rounds`` rounds of ``--seconds`` each; the best round of each
counts (the median is shown too). Beside the rates it prints the CPU the server process and the
clients used (busy cores) and the server's CPU milliseconds per request. Target: feed pages at
least half the rate of the bare app.
``--profile`` serves feed pages in this process under cProfile (through httpx's ASGI
transport) and prints where the time goes.

    .venv/bin/python bench/feed.py [-n 3000] [--clients 16] [--seconds 5] [--rounds 2]
                                   [--limit 50] [--profile] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import gc
import os
import pickle
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.organizations import create_organization
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, read, writing
from newsbridge.db.migrate import upgrade
from newsbridge.delivery.feeds import encode_cursor
from newsbridge.delivery.outbox import sequence
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.formats.ninjs import parse_ninjs
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import Ingestor
from profiling import stage_table

TARGET_RATIO = 0.5
NEWSBRIDGE = Path(sys.executable).parent / "newsbridge"
ECONOMY = {"name": "economy, business and finance", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}
PARAGRAPH = ("Exports of grain and metals rose in the third quarter, the statistics committee said on Tuesday, "
             "while imports of machinery fell for the second month in a row. ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_hub(db_path: Path, count: int) -> tuple[str, int]:
    """alpha shares economy news with beta; ``count`` items delivered and sequenced. Returns (beta's key, positions)."""
    settings = load_settings(database_url=f"sqlite:///{db_path}")
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        alpha = create_organization(conn, "alpha", "Alpha Agency")
        beta = create_organization(conn, "beta", "Beta Daily")
        _key, raw_key = create_api_key(conn, "beta", ("read",))
        agreement = create_agreement(conn, alpha, "bench", {
            "title": "Alpha economy news for Beta", "parties": ["alpha", "beta"],
            "terms": [{"from": "alpha", "topics": ["medtop:04000000"]}]})
        for org, action in ((alpha, Action.PROPOSE), (alpha, Action.SIGN), (beta, Action.SIGN)):
            act(conn, agreement.id, action, org, "bench")
    items = [parse_ninjs(json.dumps({
        "uri": f"urn:bench:feed:{n}", "version": "1", "type": "text", "language": "en", "subjects": [ECONOMY],
        "headlines": [{"role": "main", "value": f"Trade surplus narrows for the {n}th month"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": PARAGRAPH * 6}]}).encode())
        for n in range(count)]
    outcomes = Ingestor(engine, settings).ingest_items(alpha, items)
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes if o.error][:1]
    positions = 0
    while True:  # what the worker's sequencer does, without a worker
        with writing(engine) as conn:
            done = sequence(conn, utcnow())
        if not done:
            break
        positions += len(done)
    engine.dispose()
    assert positions == count, (positions, count)
    return raw_key, positions


class Server:
    """A server process on a free loopback port: ``newsbridge serve`` (without the in-process worker),
    or with ``pages`` the bare app serving them (:func:`serve_bare`)."""

    def __init__(self, db_path: Path, log: Path, pages: Path | None = None) -> None:
        self.port = free_port()
        env = {**os.environ, "NEWSBRIDGE_IN_PROCESS_WORKER": "false", "NEWSBRIDGE_LOG_LEVEL": "WARNING"}
        command = [str(NEWSBRIDGE), "--database-url", f"sqlite:///{db_path}", "serve", "--port", str(self.port)]
        if pages is not None:
            command = [sys.executable, str(Path(__file__).resolve()), "--bare-server", str(pages),
                       "--port", str(self.port)]
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@dataclass
class Phase:
    requests: int
    seconds: float
    bytes: int
    items: int
    server_cpu: float = 0.0  # CPU seconds per second of the phase: the hub's process
    client_cpu: float = 0.0  # and the benchmark's clients (1.0 = one core busy)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def starts(positions: int, clients: int) -> list[str]:
    """Each client's first cursor (its own point of the feed, so they do not all read the same pages),
    and the cursor every client goes round again from."""
    return [encode_cursor(positions * n // clients) for n in range(clients)] + [encode_cursor(0)]


async def hammer(base_url: str, clients: int, seconds: float, *, key: str, positions: int, limit: int) -> Phase:
    """``clients`` concurrent clients for ``seconds``, each walking feed pages by their cursors."""
    totals = {"requests": 0, "bytes": 0, "items": 0}
    headers = {"Authorization": f"Bearer {key}"}
    first = starts(positions, clients)

    async def client(http: httpx.AsyncClient, n: int, stop_at: float) -> None:
        cursor = first[n]
        while time.perf_counter() < stop_at:
            response = await http.get("/api/v1/feed", params={"cursor": cursor, "limit": limit})
            response.raise_for_status()
            page = response.json()
            totals["items"] += len(page["items"])
            cursor = page["cursor"] if page["items"] else encode_cursor(0)  # at the end: round again
            totals["requests"] += 1
            totals["bytes"] += len(response.content)

    # Clients are made before the clock starts: each builds an SSL context (tens of ms of CPU), which
    # on a busy machine took seconds of a 5 s phase.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    https = [httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) for _ in range(clients)]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(client(http, n, started + seconds) for n, http in enumerate(https)))
        return Phase(totals["requests"], time.perf_counter() - started, totals["bytes"], totals["items"])
    finally:
        for http in https:
            await http.aclose()


def record_pages(base_url: str, key: str, positions: int, clients: int, limit: int) -> dict[bytes, Any]:
    """The hub's response (status, headers, body) to every feed request a client of :func:`hammer`
    can make, by query string: each client's walk from its start to the end of the feed."""
    pages: dict[bytes, Any] = {}
    skip = {"date", "server"}  # the server writes its own
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        for cursor in starts(positions, clients):
            while True:
                request = http.build_request("GET", "/api/v1/feed", params={"cursor": cursor, "limit": limit})
                if request.url.query in pages:
                    break  # the rest of this walk is recorded already
                response = http.send(request)
                response.raise_for_status()
                pages[request.url.query] = (response.status_code, [
                    (name, value) for name, value in response.headers.raw if name.decode().lower() not in skip],
                    response.content)
                page = response.json()
                if not page["items"]:
                    break
                cursor = page["cursor"]
    return pages


def serve_bare(pages_file: Path, port: int) -> None:
    """The baseline server: a bare ASGI app answering recorded requests from memory, run by uvicorn
    exactly as ``newsbridge serve`` runs the hub (cli/hub.py: gc frozen after start-up, same options)."""
    import uvicorn

    pages: dict[bytes, Any] = pickle.loads(pages_file.read_bytes())
    missing = (404, [(b"content-type", b"text/plain")], b"not recorded")

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["path"] == "/healthz":  # Server waits for it to answer
            status, headers, body = 200, [(b"content-type", b"text/plain")], b"ok"
        else:
            status, headers, body = pages.get(scope["query_string"], missing)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    gc.collect()
    gc.freeze()
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


def profile_feed(db_path: Path, key: str, pages: int, limit: int, console: Console) -> None:
    """Serve ``pages`` feed pages in this process (ASGI transport) under cProfile."""
    from newsbridge.app import create_app

    app = create_app(load_settings(database_url=f"sqlite:///{db_path}", in_process_worker=False,
                                   log_level="WARNING"), migrate=False)

    async def walk() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test",
                                     headers={"Authorization": f"Bearer {key}"}) as http:
            cursor = encode_cursor(0)
            for _ in range(pages):
                page = (await http.get("/api/v1/feed", params={"cursor": cursor, "limit": limit})).json()
                cursor = page["cursor"] if page["items"] else encode_cursor(0)

    asyncio.run(walk())  # warm-up
    # cProfile sees one thread: run what the app hands to threads (sync dependencies and handlers,
    # asyncio.to_thread) on the event loop's thread while profiling.
    import anyio.to_thread

    async def inline(func: Any, /, *args: Any, **_kwargs: Any) -> Any:
        return func(*args)

    import newsbridge.api.delivery as delivery_api

    async def read_inline(_engine: Any, func: Any, /, *args: Any) -> Any:
        return func(*args)

    originals = asyncio.to_thread, anyio.to_thread.run_sync
    asyncio.to_thread = anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    delivery_api.read = read_inline  # type: ignore[assignment]  # the feed's reader threads
    profile = cProfile.Profile()
    try:
        profile.enable()
        asyncio.run(walk())
        profile.disable()
    finally:
        asyncio.to_thread, anyio.to_thread.run_sync = originals  # type: ignore[assignment]
        delivery_api.read = read  # type: ignore[assignment]
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    console.rule(f"[bold]{pages} feed pages under cProfile (ASGI transport, one thread; read the shares)")
    stages = (("bench/feed.py", "walk", "everything (client side included)"),
              ("httpx/_client.py", "get", "  the client: httpx get"),
              ("api/deps.py", "authorize", "authenticate the API key"),
              ("delivery/feeds.py", "changes", "changes(): the page's query and rows"),
              ("items/queries.py", "delivered_after", "  of which the query and its rows"),
              ("delivery/feeds.py", "page_bytes", "page_bytes (the JSON body)"),
              ("delivery/feeds.py", "entry_json", "  entries rendered the generic way"),
              ("~", "<method 'commit' of 'sqlite3.Connection' objects>", "commits"))
    console.print(f"profiled: {total:.2f} s for {pages} pages, client side included")
    console.print(stage_table(stats, stages))
    stats.sort_stats("tottime").print_stats(20)


def _cpu(phase: Phase) -> tuple[str, str, str]:
    """Busy cores of the server and of the clients, and the server's CPU milliseconds per request."""
    return (f"{phase.server_cpu:.2f}", f"{phase.client_cpu:.2f}",
            f"{phase.server_cpu * phase.seconds / phase.requests * 1000:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--items", type=int, default=3000, help="deliveries in beta's feed (default 3000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--seconds", type=float, default=5, help="length of each phase (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both phases, alternating (default 2)")
    parser.add_argument("--limit", type=int, default=50, help="feed page size (default 50)")
    parser.add_argument("--profile", action="store_true", help="also profile feed pages in this process")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--bare-server", type=Path, help=argparse.SUPPRESS)  # internal: run the baseline server
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_server:
        serve_bare(args.bare_server, args.port)
        return 0
    console = Console() if sys.stdout.isatty() else Console(width=140)

    with tempfile.TemporaryDirectory(prefix="newsbridge-bench-") as tmp:
        db_path = Path(tmp) / "feed.db"
        started = time.perf_counter()
        key, positions = build_hub(db_path, args.items)
        console.print(f"{positions:,} deliveries sequenced for beta in {time.perf_counter() - started:.1f} s")
        hub = Server(db_path, Path(tmp) / "hub.log")
        bare = None
        try:
            pages = record_pages(hub.url, key, positions, args.clients, args.limit)
            pages_file = Path(tmp) / "pages.pickle"
            pages_file.write_bytes(pickle.dumps(pages))
            console.print(f"recorded {len(pages):,} feed pages from the hub "
                          f"({sum(len(p[2]) for p in pages.values()) / 2**20:.1f} MiB) for the bare app")
            bare = Server(db_path, Path(tmp) / "bare.log", pages=pages_file)

            def run(server: Server, seconds: float) -> Phase:
                server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
                phase = asyncio.run(hammer(server.url, args.clients, seconds, key=key, positions=positions,
                                           limit=args.limit))
                phase.server_cpu = (server.cpu_seconds() - server_cpu) / phase.seconds
                phase.client_cpu = (time.process_time() - client_cpu) / phase.seconds
                return phase

            run(hub, 1.0), run(bare, 1.0)  # warm-up: connections, caches, the SQLite page cache
            feeds: list[Phase] = []
            bares: list[Phase] = []
            for _ in range(args.rounds):
                bares.append(run(bare, args.seconds))
                feeds.append(run(hub, args.seconds))
        finally:
            hub.close()
            if bare is not None:
                bare.close()
        if args.profile:
            profile_feed(db_path, key, 200, args.limit, console)

    best_feed, best_bare = max(feeds, key=lambda p: p.rate), max(bares, key=lambda p: p.rate)
    table = Table("server", "requests", "requests/s best (median)", "items/s", "KiB/response",
                  "server CPU", "client CPU", "server ms/request")
    for label, phases, best in ((f"hub: GET /api/v1/feed?cursor=...&limit={args.limit}", feeds, best_feed),
                                ("baseline: bare ASGI app, the same responses from memory", bares, best_bare)):
        table.add_row(label, f"{sum(p.requests for p in phases):,}",
                      f"{best.rate:,.0f} ({statistics.median(p.rate for p in phases):,.0f})",
                      f"{best.items / best.seconds:,.0f}", f"{best.bytes / best.requests / 1024:.1f}", *_cpu(best))
    console.print(f"{args.clients} clients, {args.rounds} x {args.seconds:g} s per server, uvicorn on loopback")
    console.print(table)
    ratio = best_feed.rate / best_bare.rate
    met = ratio >= TARGET_RATIO
    console.print(f"ratio hub feed / bare app: [bold]{ratio:.2f}[/bold] (target >= {TARGET_RATIO}): "
                  + ("[green]met[/green]" if met else "[red]missed[/red]"))
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
