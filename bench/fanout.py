"""Webhook fan-out: one publisher, 100 partners with an endpoint each, served by Debian's nginx.

Sets up a fresh hub (SQLite, or PostgreSQL with ``--database postgresql``): organization
``alpha`` and 100 recipients, a bilateral agreement between alpha and each (economy news), and
one webhook endpoint per recipient. The receivers are one nginx answering ``return 204;`` on 100
loopback addresses, logging each arrival with its clock (bench/fanout_clients.py), so the
receiver is not the bottleneck. Phases, in one run:

* steady: the delivery ``Worker`` runs in a thread of this process as ``newsbridge serve`` runs
  it (woken by the store, default batch and concurrency) while the publisher stores items through
  the ``Ingestor`` at a steady rate (default 20 items/s for 10 s: 2,000 signed messages/s);
  measured: deliveries/s and publish call -> nginx's log (p50, p99, max); ``--steady-workers N``: N worker processes;
* burst (capacity): a batch of items stored at once (one transaction), the same worker; the time
  from the commit to the last arrival gives signed deliveries/s, and this process's CPU time
  divided by the messages the CPU microseconds per signed delivery (sequencing, claiming,
  rendering, signing, sending, recording);
* bare clients: the burst's messages again, the same bodies to the same receivers, 100 in
  flight, each signed inside the timed loop with the hub's ``sign``: httpx, httpcore, aiohttp
  (asyncio and uvloop), the hub's ``HttpSender`` alone, and a hand-written asyncio floor;
* scale-out (PostgreSQL, ``--workers 1,2``): a bigger burst delivered by 1, then 2 worker
  processes (``Worker`` alone, as ``newsbridge worker`` runs it), each on a fresh database, after
  an ``ANALYZE`` (statistics from before the burst, as a worker meets one, whatever autovacuum did);
* claim (on ``--database``): the scale-out burst queued with no worker running, then one ``claim`` of a batch
  timed alone (rolled back), with statistics from before the burst (none on SQLite, as in a hub), then after
  ``ANALYZE``; ``--explain`` prints the plan (PostgreSQL's EXPLAIN ANALYZE, SQLite's EXPLAIN QUERY PLAN).

``--phases`` picks phases (default all: steady,burst,clients,scale,claim).

Targets: capacity >= 0.5 x the bare aiohttp client and >= 2,000/s; p99 < 1 s in the steady
phase; 2 workers >= 1.7 x one. ``--profile`` runs the burst again with the worker under cProfile.

    .venv/bin/python bench/fanout.py [--partners 100] [--rate 20] [--seconds 10] [--burst 30]
        [--database sqlite|postgresql] [--workers 1,2] [--scale-burst 100] [--clients ...] [--profile] [--check]
        [--phases steady,burst,clients,scale,claim] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cpu_use import machine_busy, postgres_cpu, process_cpu
from fanout_clients import ALLOW, CLIENTS, LABELS, NginxReceivers, Post, Run, run_client
from fanout_hub import Hub, WorkerThread, database, make_worker, ninjs_document, set_up
from fanout_inspect import ClaimTimes, print_profile, time_claims
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.databases: a PostgreSQL database of our own

from newsbridge.config import load_settings  # noqa: E402
from newsbridge.db.engine import create_engine, reading, writing  # noqa: E402
from newsbridge.db.tables import deliveries, items, outbox  # noqa: E402
from newsbridge.delivery.webhooks import envelope  # noqa: E402
from newsbridge.formats.ninjs import parse_ninjs  # noqa: E402
from newsbridge.ids import utcnow  # noqa: E402
from newsbridge.items.queries import delivered_items  # noqa: E402
from newsbridge.items.render import render  # noqa: E402

TARGET_RATIO, TARGET_RATE, TARGET_P99, TARGET_SCALE = 0.5, 2000.0, 1.0, 1.7
PHASES = ("steady", "burst", "clients", "scale", "claim")
def message_uris(engine: Engine) -> dict[str, str]:
    """webhook-id -> item uri, for every message queued so far."""
    with reading(engine) as conn:
        return dict(conn.execute(sa.select(outbox.c.message_id, items.c.uri)
                                 .join(deliveries, deliveries.c.id == outbox.c.delivery_id)
                                 .join(items, items.c.id == deliveries.c.item_id)).all())


@dataclass
class Steady:
    published: int
    expected: int
    arrived: int
    seconds: float  # first publish call to last arrival
    latencies: list[float]  # of the messages that arrived, sorted
    duplicates: int
    publishing: float = 0.0  # first publish call to the last one's return: the rate actually offered

    def percentile(self, share: float) -> float:
        """Latency below which ``share`` of all expected messages arrived (inf when they did not arrive)."""
        index = int(share * self.expected)
        return self.latencies[index] if index < len(self.latencies) else float("inf")


def run_steady(hub: Hub, receivers: NginxReceivers, partners: int, rate: float, seconds: float,
               patience: float, workers: int = 0) -> Steady:
    """Publish ``rate`` items/s for ``seconds`` while the worker delivers (in this process, or ``workers``
    worker processes), then wait at most ``patience`` seconds for the rest; latency = publish call ->
    nginx's log of the arrival."""
    count = int(rate * seconds)
    documents = [ninjs_document(f"urn:bench:steady:{n}", n) for n in range(count)]
    published: dict[str, float] = {}
    expected = count * partners
    with (worker_processes(hub, workers) if workers else WorkerThread(hub)):
        start = time.monotonic()
        for n, data in enumerate(documents):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            published[f"urn:bench:steady:{n}"] = time.time()
            hub.ingestor.ingest_item(hub.publisher, parse_ninjs(data))
        publishing = time.time() - min(published.values())
        receivers.wait_for(expected, timeout=patience)
    arrivals = receivers.take()
    uris = message_uris(hub.engine)
    first: dict[str, float] = {}
    for arrival in sorted(arrivals, key=lambda a: a.at):
        first.setdefault(arrival.webhook_id, arrival.at)
    latencies = sorted(at - published[uris[webhook_id]] for webhook_id, at in first.items())
    return Steady(count, expected, len(first), max(first.values()) - min(published.values()), latencies,
                  len(arrivals) - len(first), publishing)


@dataclass
class Burst(Run):
    duplicates: int = 0


def store_burst(hub: Hub, count: int, tag: str) -> int:
    parsed = [parse_ninjs(ninjs_document(f"urn:bench:{tag}:{n}", n)) for n in range(count)]
    hub.ingestor.ingest_items(hub.publisher, parsed)
    return count


def timed_arrival(receivers: NginxReceivers, expected: int, committed: float) -> tuple[float, int]:
    """Seconds from ``committed`` to the last arrival, and the duplicates; every message must arrive."""
    if not receivers.wait_for(expected, timeout=600):
        raise RuntimeError(f"the burst did not arrive: {receivers.count()} of {expected}")
    arrivals = receivers.take()
    return max(a.at for a in arrivals) - committed, len(arrivals) - len({a.webhook_id for a in arrivals})


def run_burst(hub: Hub, receivers: NginxReceivers, partners: int, count: int, tag: str,
              profile: cProfile.Profile | None = None) -> Burst:
    """Store ``count`` items in one transaction, then time the in-process worker until every message arrived."""
    with WorkerThread(hub, profile):
        store_burst(hub, count, tag)
        committed, cpu, nginx_cpu = time.time(), time.process_time(), receivers.cpu_seconds()
        seconds, duplicates = timed_arrival(receivers, count * partners, committed)
        cpu, nginx_cpu = time.process_time() - cpu, receivers.cpu_seconds() - nginx_cpu
    return Burst(count * partners, seconds, cpu, nginx_cpu, duplicates)


@contextmanager
def worker_processes(hub: Hub, workers: int) -> Iterator[list[subprocess.Popen[str]]]:
    """``workers`` processes, each a ``Worker`` alone (as ``newsbridge worker``), started and idle."""
    command = [sys.executable, __file__, "--serve-worker", hub.settings.database_url]
    command += ["--concurrency", str(hub.concurrency)] if hub.concurrency is not None else []
    command += ["--batch", str(hub.batch)] if hub.batch is not None else []
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready", "a worker did not start"
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)


def run_worker_processes(hub: Hub, receivers: NginxReceivers, partners: int, count: int, workers: int) -> Burst:
    """The same burst delivered by ``workers`` processes, each a ``Worker`` alone (as ``newsbridge worker``)."""
    with writing(hub.engine) as conn:  # statistics from before the burst, whatever autovacuum did meanwhile
        conn.execute(sa.text("ANALYZE"))
    with worker_processes(hub, workers) as processes:
        receivers.take()
        cpu = {p.pid: process_cpu(p.pid) for p in processes}
        store_burst(hub, count, f"workers-{workers}")
        committed, nginx_cpu = time.time(), receivers.cpu_seconds()
        busy, database = machine_busy(), postgres_cpu()
        seconds, duplicates = timed_arrival(receivers, count * partners, committed)
        used = sum(process_cpu(p.pid) - cpu[p.pid] for p in processes)
        nginx_cpu = receivers.cpu_seconds() - nginx_cpu
        busy, database = machine_busy() - busy, postgres_cpu() - database
    print(f"{workers} worker process(es): the machine's {os.cpu_count()} cores busy {busy:.1f} s of "
          f"{seconds * (os.cpu_count() or 1):.1f} s; workers {used:.1f} s, PostgreSQL {database:.1f} s, nginx "
          f"{nginx_cpu:.1f} s")
    return Burst(count * partners, seconds, used, nginx_cpu, duplicates)


def serve_worker(url: str, concurrency: int | None, batch: int | None) -> None:
    settings = load_settings(env={}, database_url=url, allow_private_targets=ALLOW)
    engine = create_engine(url)

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        worker = make_worker(engine, settings, concurrency, batch)
        print("ready", flush=True)
        await worker.run(stop)

    asyncio.run(main())


def burst_posts(hub: Hub, receivers: NginxReceivers, partners: int, tag: str) -> list[Post]:
    """The messages of a burst as the hub rendered them (one body per item, sent to every partner)."""
    with reading(hub.engine) as conn:
        rows = conn.execute(sa.select(sa.func.min(deliveries.c.id)).join(items, items.c.id == deliveries.c.item_id)
                            .where(items.c.uri.like(f"urn:bench:{tag}:%")).group_by(deliveries.c.item_id)).scalars()
        found = delivered_items(conn, list(rows))
    now = utcnow()
    bodies = [envelope("item.published", render(record, version, "ninjs3", how), now)
              for record, version, how in found.values()]
    return [(receivers.url(p), body) for body in bodies for p in range(partners)]


def per_message(run: Run) -> tuple[str, str]:
    return f"{run.cpu / run.messages * 1e6:,.0f}", f"{run.nginx_cpu / run.messages * 1e6:,.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=100, help="recipient organizations (default 100)")
    parser.add_argument("--rate", type=float, default=20, help="items/s in the steady phase (default 20)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the steady phase (default 10)")
    parser.add_argument("--patience", type=float, default=30,
                        help="seconds to wait for the steady phase's last messages (default 30)")
    parser.add_argument("--burst", type=int, default=30, help="items stored at once in the burst phase (default 30)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="the worker's sends in flight (default: the Worker's own); bare clients use 100")
    parser.add_argument("--batch", type=int, default=None, help="messages the worker claims at a time (default: "
                        "the Worker's own)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the steady and burst phases' database (default sqlite); scale-out is on PostgreSQL")
    parser.add_argument("--workers", default="1,2",
                        help="worker process counts for the scale-out phase on PostgreSQL (default 1,2; '' skips)")
    parser.add_argument("--steady-workers", type=int, default=0, help="the steady phase's worker processes "
                        "(as `newsbridge worker`; default 0: the Worker in this process, as `newsbridge serve`)")
    parser.add_argument("--scale-burst", type=int, default=100, help="items of each scale-out burst (default 100)")
    parser.add_argument("--clients", default=",".join(CLIENTS), help=f"bare clients (default {','.join(CLIENTS)})")
    parser.add_argument("--slow-clients-messages", type=int, default=500,
                        help="httpx and httpcore post only the first N messages (tens a second here; default 500)")
    parser.add_argument("--nginx-workers", type=int, default=1, help="nginx worker processes (default 1)")
    parser.add_argument("--profile", action="store_true", help="also run a burst with the worker under cProfile")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"phases to run (default {','.join(PHASES)}; the bare clients need the burst's bodies)")
    parser.add_argument("--claim-repeats", type=int, default=3, help="claims timed each way in the claim phase")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the claim (claim phase)")
    parser.add_argument("--serve-worker", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_worker:
        serve_worker(args.serve_worker, args.concurrency, args.batch)
        return 0
    console = Console() if sys.stdout.isatty() else Console(width=160)
    phases = {p for p in args.phases.split(",") if p}
    unknown = phases - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))} (choose from {', '.join(PHASES)})")
    clients = [c for c in args.clients.split(",") if c] if "clients" in phases else []
    worker_counts = [int(w) for w in args.workers.split(",") if w] if "scale" in phases else []
    load = os.getloadavg()[0]
    profile = cProfile.Profile() if args.profile else None
    bare: dict[str, Run] = {}
    scale: dict[int, Burst] = {}
    steady: Steady | None = None
    burst: Burst | None = None
    claims: ClaimTimes | None = None
    profiled: Burst | None = None
    posts: list[Post] = []
    with tempfile.TemporaryDirectory(prefix="newsbridge-bench-") as tmp_name, \
            NginxReceivers(Path(tmp_name), args.partners, args.nginx_workers) as receivers:
        tmp = Path(tmp_name)
        if "steady" in phases:
            with database(args.database, tmp, "steady") as url:
                started = time.perf_counter()
                hub = set_up(url, args.partners, receivers, args.concurrency, args.batch)
                console.print(f"{args.partners} partners on nginx ({args.nginx_workers} worker process), "
                              f"{args.database}; a hub set up in {time.perf_counter() - started:.1f} s")
                steady = run_steady(hub, receivers, args.partners, args.rate, args.seconds, args.patience,
                                    args.steady_workers)
                hub.engine.dispose()
        if "burst" in phases or clients:
            with database(args.database, tmp, "burst") as url:
                hub = set_up(url, args.partners, receivers, args.concurrency, args.batch)
                burst = run_burst(hub, receivers, args.partners, args.burst, "burst")
                posts = burst_posts(hub, receivers, args.partners, "burst")
                if profile is not None:
                    profiled = run_burst(hub, receivers, args.partners, args.burst, "profiled", profile)
                hub.engine.dispose()
        for name in clients:
            some = posts[:args.slow_clients_messages] if name in ("httpx", "httpcore") else posts
            bare[name] = run_client(name, some, 100, receivers)
        for workers in worker_counts:
            with database("postgresql", tmp, f"workers{workers}") as url:
                hub = set_up(url, args.partners, receivers, args.concurrency, args.batch)
                scale[workers] = run_worker_processes(hub, receivers, args.partners, args.scale_burst, workers)
                hub.engine.dispose()
        if "claim" in phases:
            with database(args.database, tmp, "claim") as url:
                hub = set_up(url, args.partners, receivers, args.concurrency, args.batch)
                claims = time_claims(hub.engine, lambda: store_burst(hub, args.scale_burst, "claim"), args.claim_repeats,
                                     args.batch or 200)
                hub.engine.dispose()

    aiohttp_rate = bare["aiohttp"].rate if "aiohttp" in bare else float("nan")
    table = Table("phase", "messages", "seconds", "deliveries/s", "CPU µs/msg", "nginx CPU µs/msg",
                  "x bare aiohttp", "latency p50 / p99 / max of arrived")
    if steady is not None:
        where = f", {args.steady_workers} worker processes" if args.steady_workers else ""
        table.add_row(f"hub, steady: {args.rate:g} items/s x {args.seconds:g} s x {args.partners} partners{where}",
                      f"{steady.arrived:,} of {steady.expected:,}", f"{steady.seconds:.2f}",
                      f"{steady.arrived / steady.seconds:,.0f}", "", "", "",
                      f"{steady.percentile(0.5):.3f} / {steady.percentile(0.99):.3f} / {steady.latencies[-1]:.3f} s")
    rows: list[tuple[str, Run]] = []
    if burst is not None:
        rows.append((f"hub, burst: {args.burst} items at once (capacity, {args.database})", burst))
    rows += [(LABELS[name], run) for name, run in bare.items()]
    rows += [(f"hub, {w} worker process{'es' if w > 1 else ''}, PostgreSQL, {args.scale_burst} items", run)
             for w, run in scale.items()]
    for label, run in rows:
        failed = f" ({run.errors:,} failed: connection errors)" if run.errors else ""
        table.add_row(label + failed, f"{run.messages:,}", f"{run.seconds:.2f}", f"{run.rate:,.0f}", *per_message(run),
                      f"{run.rate / aiohttp_rate:.2f}", "")
    console.print(f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    console.print(table)
    duplicates = sum(run.duplicates for run in scale.values()) + (burst.duplicates if burst else 0)
    if steady is not None:
        duplicates += steady.duplicates
        offered = steady.published / steady.publishing
        console.print(f"steady phase: {steady.published} items published in {steady.publishing:.1f} s ({offered:.1f} "
                      f"items/s offered), {steady.expected - steady.arrived:,} messages not arrived after "
                      f"{args.patience:g} s more (counted as infinitely late)")
    if posts:
        sizes = [len(body.encode()) for _url, body in posts]
        console.print(f"bodies {min(sizes):,}-{max(sizes):,} bytes")
    console.print(f"{duplicates} messages sent twice in all hub phases")
    if claims is not None:
        def seconds(times: list[float]) -> str:
            return " / ".join(f"{t:.3f}" for t in times)
        console.print(f"claim of {args.batch or 200} with {claims.queued:,} messages queued ({args.database}), seconds: "
                      f"{claims.stale_label} {seconds(claims.stale)}; "
                      f"after ANALYZE {seconds(claims.analyzed)}")
        if args.explain:
            for when, plan in zip((claims.stale_label, "after ANALYZE"), claims.plans):
                console.rule(f"the claim's plan, {when}")
                print(plan)
    if profile is not None and profiled is not None:
        console.print(f"profiled burst: {profiled.rate:,.0f} deliveries/s under cProfile")
        print_profile(profile, console)
    verdicts = []
    if burst is not None and bare:
        verdicts.append((f"capacity / bare aiohttp: [bold]{burst.rate / aiohttp_rate:.2f}[/bold] "
                         f"(target >= {TARGET_RATIO})", burst.rate / aiohttp_rate >= TARGET_RATIO))
    if burst is not None:
        verdicts.append((f"capacity: [bold]{burst.rate:,.0f}/s[/bold] (target >= {TARGET_RATE:,.0f})",
                         burst.rate >= TARGET_RATE))
    if steady is not None:
        p99 = steady.percentile(0.99)
        verdicts.append((f"steady p99 latency: [bold]{p99:.3f} s[/bold] (target < {TARGET_P99:g} s)", p99 < TARGET_P99))
    if 1 in scale and 2 in scale:
        ratio = scale[2].rate / scale[1].rate
        verdicts.append((f"2 workers / 1 worker: [bold]{ratio:.2f}[/bold] (target >= {TARGET_SCALE})",
                         ratio >= TARGET_SCALE))
    for text, met in verdicts:
        console.print(text + (": [green]met[/green]" if met else ": [red]missed[/red]"))
    return 1 if args.check and not all(met for _text, met in verdicts) else 0

if __name__ == "__main__":
    sys.exit(main())
