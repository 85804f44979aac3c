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
from newsbridge.delivery.signals import FeedSignal
from newsbridge.delivery.webhooks import HttpSender, envelope
from newsbridge.delivery.worker import Worker
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.formats.ninjs import parse_ninjs
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.items.queries import delivered_items
from newsbridge.items.render import render
from profiling import stage_table

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

    def __init__(self, slow: float = 0.0) -> None:
        self.records: list[tuple[str, str, float, int]] = []
        self.slow = slow  # partner 0 answers after this many seconds (a slow partner)

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
            if self.slow and scope["path"] == "/hook/0":
                await asyncio.sleep(self.slow)
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


def serve_receiver(port: int, slow: float) -> None:
    import uvicorn

    uvicorn.run(ReceiverApp(slow), host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receivers:
    """N receiver processes; partner i's endpoint is /hook/i on receiver i mod N."""

    def __init__(self, count: int, slow: float = 0.0) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.processes = [subprocess.Popen([sys.executable, __file__, "--serve-receiver", str(port),
                                            "--slow-partner", str(slow)]) for port in self.ports]
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
    concurrency: int
    stored: FeedSignal  # notified by the ingestor; wakes the worker


def set_up(db_path: Path, partners: int, receivers: Receivers, concurrency: int) -> Hub:
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
    stored = FeedSignal()  # as `newsbridge serve` wires them: storing an item wakes the worker
    hub = Hub(engine, settings, alpha, Ingestor(engine, settings, on_stored=stored.notify), concurrency, stored)
    hub.ingestor.ingest_item(alpha, parse_ninjs(ninjs_document("urn:bench:warm-up", 0)))
    with WorkerThread(hub):  # warm-up: connections, the schema validator, the language detector
        receivers.wait_for(partners, timeout=60)
    receivers.take()
    return hub


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
        # The hub's defaults are concurrency 100 with a pool of 200 connections; keep that ratio.
        sender = HttpSender(timeout=hub.settings.webhook_timeout_seconds, max_connections=2 * hub.concurrency)
        self.worker = Worker(hub.engine, hub.settings, sender=sender, concurrency=hub.concurrency, wake=hub.stored)
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


@dataclass
class Steady:
    published: int
    expected: int
    arrived: int
    seconds: float  # first publish call to last arrival
    latencies: list[float]  # of the messages that arrived, sorted
    duplicates: int

    def percentile(self, share: float) -> float:
        """Latency below which ``share`` of all expected messages arrived (inf when they did not arrive)."""
        index = int(share * self.expected)
        return self.latencies[index] if index < len(self.latencies) else float("inf")


def run_steady(hub: Hub, receivers: Receivers, partners: int, rate: float, seconds: float,
               patience: float) -> Steady:
    """Publish ``rate`` items/s for ``seconds`` while the worker delivers, then wait at most ``patience``
    seconds for the rest; latency = publish call -> arrival at the receiver."""
    count = int(rate * seconds)
    documents = [ninjs_document(f"urn:bench:steady:{n}", n) for n in range(count)]
    published: dict[str, float] = {}
    expected = count * partners
    with WorkerThread(hub):
        start = time.monotonic()
        for n, data in enumerate(documents):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            published[f"urn:bench:steady:{n}"] = time.time()
            hub.ingestor.ingest_item(hub.publisher, parse_ninjs(data))
        receivers.wait_for(expected, timeout=patience)
    records = receivers.take()
    uris = message_uris(hub.engine)
    first: dict[str, float] = {}
    for _path, webhook_id, arrived, _size in sorted(records, key=lambda r: r[2]):
        first.setdefault(webhook_id, arrived)
    latencies = sorted(arrived - published[uris[webhook_id]] for webhook_id, arrived in first.items())
    return Steady(count, expected, len(first), max(first.values()) - min(published.values()), latencies,
                  len(records) - len(first))


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


async def bare_client(messages: Sequence[tuple[str, bytes]], concurrency: int) -> float:
    """POST every message with a bare httpx.AsyncClient, ``concurrency`` in flight and a pool of twice
    that (the hub's sender's limits); returns seconds."""
    limit = asyncio.Semaphore(concurrency)
    headers = {"content-type": "application/json", "user-agent": "bench", "webhook-timestamp": "1763000000",
               "webhook-signature": "v1," + "A" * 44}
    async with httpx.AsyncClient(timeout=10, trust_env=False, limits=httpx.Limits(
            max_connections=2 * concurrency, max_keepalive_connections=2 * concurrency)) as client:
        async def post(n: int, url: str, body: bytes) -> None:
            async with limit:
                response = await client.post(url, content=body, headers={**headers, "webhook-id": f"bare_{n:026d}"})
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(n, url, body) for n, (url, body) in enumerate(messages)))
        return time.perf_counter() - started


# Where a worker's time goes: (file, function, what it is); the shares are of the profiled thread's time.
PROFILE_STAGES = (
    ("delivery/outbox.py", "sequence", "sequence: feed positions and outbox rows"),
    ("delivery/outbox.py", "_queue_messages", "  of which queueing messages (deliveries x endpoints loop)"),
    ("delivery/outbox.py", "claim", "claim a batch"),
    ("items/queries.py", "delivered_items", "load the claimed items"),
    ("delivery/endpoints.py", "signing_secrets", "signing secrets (a query per endpoint)"),
    ("targets.py", "check_url", "SSRF check of every message's URL"),
    ("items/render.py", "render", "render ninjs"),
    ("delivery/webhooks.py", "envelope", "envelope (json.dumps)"),
    ("delivery/webhooks.py", "sign", "sign (HMAC)"),
    ("delivery/webhooks.py", "send", "HttpSender.send (httpx, on the event loop)"),
    ("httpcore/_async/connection_pool.py", "_assign_requests_to_connections",
     "  of which httpcore's pool scan (every connection, every request)"),
    ("httpcore/_synchronization.py", "current_async_library", "  of which failed `import sniffio` per lock"),
    ("delivery/outbox.py", "record", "record outcomes (per message)"),
    ("~", "<method 'commit' of 'sqlite3.Connection' objects>", "commits"),
)


def print_profile(profile: cProfile.Profile, console: Console) -> None:
    console.rule("[bold]the worker during a burst under cProfile (times inflated by the profiler; read the shares)")
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    console.print(f"profiled thread: {total:.1f} s")
    console.print(stage_table(stats, PROFILE_STAGES, "calls (a coroutine counts each resumption)"))
    console.print("[bold]top 20 by own time[/bold]")
    stats.sort_stats("tottime").print_stats(20)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=100, help="recipient organizations (default 100)")
    parser.add_argument("--rate", type=float, default=20, help="items/s in the steady phase (default 20)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the steady phase (default 10)")
    parser.add_argument("--patience", type=float, default=30,
                        help="seconds to wait for the steady phase's last messages (default 30)")
    parser.add_argument("--burst", type=int, default=30, help="items stored at once in the burst phase (default 30)")
    parser.add_argument("--concurrency", type=int, default=100,
                        help="requests in flight, worker and bare client alike (default 100, the hub's)")
    parser.add_argument("--receivers", type=int, default=2, help="receiver processes (default 2)")
    parser.add_argument("--slow-partner", type=float, default=0.0, metavar="SECONDS",
                        help="partner 0's endpoint answers only after this long (default 0: none is slow)")
    parser.add_argument("--profile", action="store_true", help="also run a burst with the worker under cProfile")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--serve-receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_receiver:
        serve_receiver(args.serve_receiver, args.slow_partner)
        return 0
    console = Console() if sys.stdout.isatty() else Console(width=140)

    receivers = Receivers(args.receivers, args.slow_partner)
    try:
        with tempfile.TemporaryDirectory(prefix="newsbridge-bench-") as tmp:
            def hub(name: str) -> Hub:  # a fresh database per phase: no backlog carried over
                return set_up(Path(tmp) / f"{name}.db", args.partners, receivers, args.concurrency)

            started = time.perf_counter()
            steady_hub = hub("steady")
            console.print(f"{args.partners} partners, {len(receivers.ports)} receiver processes, concurrency "
                          f"{args.concurrency}; a hub set up in {time.perf_counter() - started:.1f} s")
            steady = run_steady(steady_hub, receivers, args.partners, args.rate, args.seconds, args.patience)
            steady_hub.engine.dispose()
            burst_hub = hub("burst")
            burst = run_burst(burst_hub, receivers, args.partners, args.burst, "burst")
            burst_hub.engine.dispose()
            bare_seconds = asyncio.run(bare_client(burst.bodies, args.concurrency))
            receivers.take()
            profile = None
            if args.profile:
                profile = cProfile.Profile()
                profiled_hub = hub("profiled")
                profiled = run_burst(profiled_hub, receivers, args.partners, args.burst, "profiled", profile)
                profiled_hub.engine.dispose()
    finally:
        receivers.close()

    bare_rate, capacity = burst.messages / bare_seconds, burst.messages / burst.seconds
    steady_rate = steady.arrived / steady.seconds
    p50, p99 = steady.percentile(0.5), steady.percentile(0.99)
    sizes = [len(body) for _url, body in burst.bodies]
    table = Table("phase", "messages", "seconds", "deliveries/s", "latency p50 / p99 / max of arrived")
    table.add_row(f"hub, steady: {args.rate:g} items/s x {args.seconds:g} s x {args.partners} partners",
                  f"{steady.arrived:,} of {steady.expected:,}", f"{steady.seconds:.2f}", f"{steady_rate:,.0f}",
                  f"{p50:.3f} / {p99:.3f} / {steady.latencies[-1]:.3f} s")
    table.add_row(f"hub, burst: {args.burst} items at once (capacity)", f"{burst.messages:,}",
                  f"{burst.seconds:.2f}", f"{capacity:,.0f}", "")
    table.add_row("bare httpx.AsyncClient, same bodies and receivers", f"{burst.messages:,}",
                  f"{bare_seconds:.2f}", f"{bare_rate:,.0f}", "")
    console.print(table)
    console.print(f"bodies {min(sizes):,}-{max(sizes):,} bytes; steady phase: {steady.published} items published, "
                  f"{steady.expected - steady.arrived:,} messages not arrived after {args.patience:g} s more "
                  f"(counted as infinitely late), {steady.duplicates} sent twice")
    if profile is not None:
        console.print(f"profiled burst: {profiled.messages / profiled.seconds:,.0f} deliveries/s under cProfile")
        print_profile(profile, console)
    ratio = capacity / bare_rate
    ratio_met, latency_met = ratio >= TARGET_RATIO, p99 < TARGET_P99
    console.print(f"ratio hub capacity / bare client: [bold]{ratio:.2f}[/bold] (target >= {TARGET_RATIO}): "
                  + ("[green]met[/green]" if ratio_met else "[red]missed[/red]"))
    console.print(f"steady p99 latency: [bold]{p99:.3f} s[/bold] (target < {TARGET_P99:g} s): "
                  + ("[green]met[/green]" if latency_met else "[red]missed[/red]"))
    return 1 if args.check and not (ratio_met and latency_met) else 0


if __name__ == "__main__":
    sys.exit(main())
