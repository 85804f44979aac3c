"""Webhook fan-out: one publisher, 100 partners with an endpoint each, against a bare httpx client.

Sets up a fresh SQLite hub: organization ``alpha`` and 100 recipients, a bilateral agreement
between alpha and each (economy news), and one webhook endpoint per recipient on loopback
receivers (uvicorn processes, one path per recipient). The delivery ``Worker`` (the class
``newsbridge serve`` runs, default batch and concurrency) runs in this process in a thread of
its own while

* steady: the publisher stores items through the ``Ingestor`` at a steady rate (default 20
  items/s for 10 s, so 2,000 webhook messages/s); measured: deliveries/s and the latency from
  each item's publish call to the receiver's clock (p50, p99, max);
* burst: then a batch of items is stored at once (one transaction) and the time until the last
  message arrives gives the worker's capacity in deliveries/s;
* baseline: a bare ``httpx.AsyncClient`` (the same limits as the hub's sender, 100 requests in
  flight) POSTs the burst's messages again, the same bodies to the same receivers, as fast as
  it can.

Targets: capacity at least half the bare client's rate, and p99 latency under 1 s in the steady
phase. ``--profile`` runs the burst phase again with the worker under cProfile.

    .venv/bin/python bench/fanout.py [--partners 100] [--rate 20] [--seconds 10] [--burst 100]
                                     [--receivers 2] [--profile] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from newsbridge.accounts.organizations import Organization, create_organization
from newsbridge.config import Settings, load_settings
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.tables import deliveries, items, outbox
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery.webhooks import envelope
from newsbridge.delivery.worker import Worker
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.formats.ninjs import parse_ninjs
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.items.queries import delivered_items
from newsbridge.items.render import render

TARGET_RATIO = 0.5
TARGET_P99 = 1.0
ALLOW = ("127.0.0.0/8",)
ECONOMY = {"name": "economy, business and finance", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}
PARAGRAPH = ("Exports of grain and metals rose in the third quarter, the statistics committee said on Tuesday, "
             "while imports of machinery fell for the second month in a row. Analysts expect the trade surplus "
             "to narrow as prices for oil and gas ease on world markets. ")


# -- the receivers: a separate process each, so they do not share this process's GIL ----------------

class ReceiverApp:
    """A bare ASGI app: every POST is recorded (path, webhook-id, arrival time, body size) and answered 200."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, float, int]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "POST":
            size = 0
            while True:
                message = await receive()
                size += len(message.get("body", b""))
                if not message.get("more_body"):
                    break
            arrived = time.time()
            webhook_id = next((v.decode() for k, v in scope["headers"] if k == b"webhook-id"), "")
            self.records.append((scope["path"], webhook_id, arrived, size))
            body = b""
        elif scope["path"] == "/results":  # hand over what arrived, and start afresh
            body, self.records = json.dumps(self.records).encode(), []
        else:
            body = json.dumps({"count": len(self.records)}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def serve_receiver(port: int) -> None:
    import uvicorn

    uvicorn.run(ReceiverApp(), host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receivers:
    """N receiver processes; partner i's endpoint is /hook/i on receiver i mod N."""

    def __init__(self, count: int) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.processes = [subprocess.Popen([sys.executable, __file__, "--serve-receiver", str(port)])
                          for port in self.ports]
        deadline = time.monotonic() + 30
        for port in self.ports:
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/count", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the receivers did not start") from None
                    time.sleep(0.05)

    def url(self, partner: int) -> str:
        return f"http://127.0.0.1:{self.ports[partner % len(self.ports)]}/hook/{partner}"

    def count(self) -> int:
        return sum(httpx.get(f"http://127.0.0.1:{p}/count", timeout=5).json()["count"] for p in self.ports)

    def take(self) -> list[tuple[str, str, float, int]]:
        found: list[tuple[str, str, float, int]] = []
        for port in self.ports:
            found += [tuple(r) for r in httpx.get(f"http://127.0.0.1:{port}/results", timeout=30).json()]
        return found

    def wait_for(self, expected: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.count() < expected:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(10)


# -- the hub side ------------------------------------------------------------------------------------

@dataclass
class Hub:
    engine: Engine
    settings: Settings
    publisher: Organization
    ingestor: Ingestor


def set_up(db_path: Path, partners: int, receivers: Receivers) -> Hub:
    """alpha, ``partners`` recipients with a bilateral agreement each (max 50 parties per agreement) and an endpoint."""
    settings = load_settings(database_url=f"sqlite:///{db_path}", allow_private_targets=ALLOW)
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        alpha = create_organization(conn, "alpha", "Alpha Agency")
        for n in range(partners):
            partner = create_organization(conn, f"partner-{n:03d}", f"Partner {n}")
            agreement = create_agreement(conn, alpha, "bench", {
                "title": f"Alpha economy news for partner {n}", "parties": ["alpha", partner.slug],
                "terms": [{"from": "alpha", "topics": ["medtop:04000000"]}]})
            act(conn, agreement.id, Action.PROPOSE, alpha, "bench")
            act(conn, agreement.id, Action.SIGN, alpha, "bench")
            act(conn, agreement.id, Action.SIGN, partner, "bench")
            create_endpoint(conn, partner, receivers.url(n), None, "3", ALLOW)
    return Hub(engine, settings, alpha, Ingestor(engine, settings))


def ninjs_document(uri: str, n: int) -> bytes:
    return json.dumps({
        "uri": uri, "version": "1", "type": "text", "language": "en", "subjects": [ECONOMY],
        "headlines": [{"role": "main", "value": f"Trade surplus narrows for the {n}th month"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": PARAGRAPH * 6}]}).encode()


class WorkerThread:
    """The hub's delivery Worker on an event loop of its own thread, optionally under cProfile.

    cProfile sees one thread only, so when profiling, the worker's database steps (normally
    ``asyncio.to_thread``) run on the loop's thread instead; the worker awaits them one after
    the other anyway.
    """

    def __init__(self, hub: Hub, profile: cProfile.Profile | None = None) -> None:
        self.worker = Worker(hub.engine, hub.settings)
        self.profile = profile
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="delivery-worker")

    def _main(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            self._started.set()
            await self.worker.run(self._stop)

        if self.profile is None:
            asyncio.run(main())
            return
        original = asyncio.to_thread

        async def inline(func: Any, /, *args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        asyncio.to_thread = inline  # type: ignore[assignment]
        try:
            self.profile.runcall(asyncio.run, main())
        finally:
            asyncio.to_thread = original  # type: ignore[assignment]

    def __enter__(self) -> "WorkerThread":
        self._thread.start()
        self._started.wait()
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


def message_uris(engine: Engine) -> dict[str, str]:
    """webhook-id -> item uri, for every message queued so far."""
    with reading(engine) as conn:
        return dict(conn.execute(sa.select(outbox.c.message_id, items.c.uri)
                                 .join(deliveries, deliveries.c.id == outbox.c.delivery_id)
                                 .join(items, items.c.id == deliveries.c.item_id)).all())


def queued(engine: Engine) -> int:
    with reading(engine) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one()


@dataclass
class Steady:
    published: int
    messages: int
    seconds: float  # first publish call to last arrival
    latencies: list[float]
    duplicates: int
    lost: int


def run_steady(hub: Hub, receivers: Receivers, partners: int, rate: float, seconds: float) -> Steady:
    """Publish ``rate`` items/s for ``seconds`` while the worker delivers; latency = publish call -> arrival."""
    count = int(rate * seconds)
    documents = [ninjs_document(f"urn:bench:steady:{n}", n) for n in range(count)]
    published: dict[str, float] = {}
    with WorkerThread(hub):
        start = time.monotonic()
        for n, data in enumerate(documents):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            published[f"urn:bench:steady:{n}"] = time.time()
            hub.ingestor.ingest_item(hub.publisher, parse_ninjs(data))
        expected = count * partners
        arrived_all = receivers.wait_for(expected, timeout=300)
    records = receivers.take()
    uris = message_uris(hub.engine)
    first: dict[str, float] = {}
    for _path, webhook_id, arrived, _size in sorted(records, key=lambda r: r[2]):
        first.setdefault(webhook_id, arrived)
    latencies = sorted(arrived - published[uris[webhook_id]] for webhook_id, arrived in first.items())
    last = max(first.values())
    if not arrived_all:
        print(f"warning: only {len(first):,} of {expected:,} messages arrived within 300 s", file=sys.stderr)
    return Steady(count, len(first), last - min(published.values()), latencies, len(records) - len(first),
                  expected - len(first))


@dataclass
class Burst:
    messages: int
    seconds: float  # commit of the batch to the last arrival
    bodies: list[tuple[str, bytes]]  # (url, body) of every message, for the baseline


def run_burst(hub: Hub, receivers: Receivers, partners: int, count: int, tag: str,
              profile: cProfile.Profile | None = None) -> Burst:
    """Store ``count`` items in one transaction, then time the worker until every message arrived."""
    parsed = [parse_ninjs(ninjs_document(f"urn:bench:{tag}:{n}", n)) for n in range(count)]
    with WorkerThread(hub, profile):
        hub.ingestor.ingest_items(hub.publisher, parsed)
        committed = time.time()
        expected = count * partners
        if not receivers.wait_for(expected, timeout=600):
            raise RuntimeError(f"the burst did not arrive: {receivers.count()} of {expected}")
    records = receivers.take()
    return Burst(expected, max(r[2] for r in records) - committed, burst_bodies(hub, receivers, partners, tag))


def burst_bodies(hub: Hub, receivers: Receivers, partners: int, tag: str) -> list[tuple[str, bytes]]:
    """The messages of a burst as the hub rendered them (one body per item, sent to every partner)."""
    with reading(hub.engine) as conn:
        rows = conn.execute(sa.select(sa.func.min(deliveries.c.id)).join(items, items.c.id == deliveries.c.item_id)
                            .where(items.c.uri.like(f"urn:bench:{tag}:%")).group_by(deliveries.c.item_id)).scalars()
        found = delivered_items(conn, list(rows))
    now = utcnow()
    bodies = [envelope("item.published", render(record, version, "ninjs3", how), now).encode()
              for record, version, how in found.values()]
    return [(receivers.url(p), body) for body in bodies for p in range(partners)]


async def bare_client(messages: Sequence[tuple[str, bytes]], concurrency: int = 100) -> float:
    """POST every message with a bare httpx.AsyncClient, ``concurrency`` in flight; returns seconds."""
    limit = asyncio.Semaphore(concurrency)
    headers = {"content-type": "application/json", "user-agent": "bench", "webhook-timestamp": "1763000000",
               "webhook-signature": "v1," + "A" * 44}
    async with httpx.AsyncClient(timeout=10, trust_env=False, limits=httpx.Limits(
            max_connections=200, max_keepalive_connections=200)) as client:
        async def post(n: int, url: str, body: bytes) -> None:
            async with limit:
                response = await client.post(url, content=body, headers={**headers, "webhook-id": f"bare_{n:026d}"})
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(n, url, body) for n, (url, body) in enumerate(messages)))
        return time.perf_counter() - started


def percentile(values: Sequence[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


def print_profile(profile: cProfile.Profile, console: Console) -> None:
    console.rule("[bold]profile of the worker during a burst (cProfile; times inflated by the profiler)")
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(r"newsbridge|httpx|httpcore|sqlalchemy|standardwebhooks", 30)
    stats.sort_stats("tottime").print_stats(25)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=100, help="recipient organizations (default 100)")
    parser.add_argument("--rate", type=float, default=20, help="items/s in the steady phase (default 20)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the steady phase (default 10)")
    parser.add_argument("--burst", type=int, default=100, help="items stored at once in the burst phase (default 100)")
    parser.add_argument("--receivers", type=int, default=2, help="receiver processes (default 2)")
    parser.add_argument("--profile", action="store_true", help="also run a burst with the worker under cProfile")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--serve-receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_receiver:
        serve_receiver(args.serve_receiver)
        return 0
    console = Console() if sys.stdout.isatty() else Console(width=140)

    receivers = Receivers(args.receivers)
    try:
        with tempfile.TemporaryDirectory(prefix="newsbridge-bench-") as tmp:
            started = time.perf_counter()
            hub = set_up(Path(tmp) / "fanout.db", args.partners, receivers)
            hub.ingestor.ingest_item(hub.publisher, parse_ninjs(ninjs_document("urn:bench:warm-up", 0)))
            with WorkerThread(hub):  # warm-up: connections, the validator, the language detector
                receivers.wait_for(args.partners, timeout=60)
            receivers.take()
            console.print(f"{args.partners} partners, {len(receivers.ports)} receiver processes; set up in "
                          f"{time.perf_counter() - started:.1f} s")
            steady = run_steady(hub, receivers, args.partners, args.rate, args.seconds)
            burst = run_burst(hub, receivers, args.partners, args.burst, "burst")
            bare_seconds = asyncio.run(bare_client(burst.bodies))
            receivers.take()
            profile = None
            if args.profile:
                profile = cProfile.Profile()
                profiled = run_burst(hub, receivers, args.partners, args.burst, "profiled", profile)
            hub.engine.dispose()
    finally:
        receivers.close()

    bare_rate, capacity = burst.messages / bare_seconds, burst.messages / burst.seconds
    steady_rate = steady.messages / steady.seconds
    p50, p99 = percentile(steady.latencies, 0.5), percentile(steady.latencies, 0.99)
    sizes = [len(body) for _url, body in burst.bodies]
    table = Table("phase", "messages", "seconds", "deliveries/s", "latency p50 / p99 / max")
    table.add_row(f"hub, steady: {args.rate:g} items/s x {args.seconds:g} s x {args.partners} partners",
                  f"{steady.messages:,}", f"{steady.seconds:.2f}", f"{steady_rate:,.0f}",
                  f"{p50:.3f} / {p99:.3f} / {steady.latencies[-1]:.3f} s")
    table.add_row(f"hub, burst: {args.burst} items at once (capacity)", f"{burst.messages:,}",
                  f"{burst.seconds:.2f}", f"{capacity:,.0f}", "")
    table.add_row("bare httpx.AsyncClient, same bodies and receivers", f"{burst.messages:,}",
                  f"{bare_seconds:.2f}", f"{bare_rate:,.0f}", "")
    console.print(table)
    console.print(f"bodies {min(sizes):,}-{max(sizes):,} bytes; steady phase: {steady.published} items published, "
                  f"{steady.lost} messages missing, {steady.duplicates} sent twice")
    if profile is not None:
        console.print(f"profiled burst: {profiled.messages / profiled.seconds:,.0f} deliveries/s under cProfile")
        print_profile(profile, console)
    ratio = capacity / bare_rate
    ratio_met, latency_met = ratio >= TARGET_RATIO, p99 < TARGET_P99 and steady.lost == 0
    console.print(f"ratio hub capacity / bare client: [bold]{ratio:.2f}[/bold] (target >= {TARGET_RATIO}): "
                  + ("[green]met[/green]" if ratio_met else "[red]missed[/red]"))
    console.print(f"steady p99 latency: [bold]{p99:.3f} s[/bold] (target < {TARGET_P99:g} s, nothing missing): "
                  + ("[green]met[/green]" if latency_met else "[red]missed[/red]"))
    return 1 if args.check and not (ratio_met and latency_met) else 0


if __name__ == "__main__":
    sys.exit(main())
