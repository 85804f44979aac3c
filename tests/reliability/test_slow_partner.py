"""Slow and broken partners do not hold up the healthy ones.

The real delivery worker (``Worker.run``, woken by the store as ``newsbridge serve`` runs it) sends
over real loopback HTTP to six healthy receivers while items are published at 5 a second. Then ONE
slow partner joins the agreement (it answers 200 after ``SLOW`` seconds: slow, within the timeout)
and the same items are published again; then it leaves and three bad partners join: one answers at 1
byte a second (a slow-loris answer, which a per-read timeout never ends), one resets every connection,
one reads the request and never answers. The healthy partners' publish→receipt latencies of each
phase are compared with the calm phase's.

What it proves: every healthy partner still gets every item exactly once by webhook-id (a repeat is
only ever a retry of the same message after an attempt the hub recorded as failed, as docs/delivery.md
promises: on a loaded CI machine a healthy receiver's answer can miss the short timeout); the slow partner does not
hold up the healthy partners' typical delivery nor their tail by more than a fraction of its delay
(median < a quarter of ``SLOW``, p99 < half of it: bounds with a margin for a loaded CI machine; when a
round waited for its slowest send, the median alone rose by the whole delay); the bad partners do not
hold up the healthy partners' typical delivery (the median moves by less than half a timeout) and add
less than three timeouts to their p99; a 1 byte/s answer is cut off at the timeout, not at the
partner's pace; the worker's memory stays bounded while the bad partners hold connections.
The issue's "one slow partner adds < 10 % to the others' p99" is not asserted here: 15 items a phase
give a p99 that is the slowest item's, and this machine's noise is larger than 10 % of it; it is
measured by bench/slow_partner.py (600 items a kind) and recorded in docs/reliability.md, with the
figures this test prints.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.engine import writing
from newsbridge.db.tables import outbox
from newsbridge.delivery.endpoints import create_endpoint, set_enabled
from newsbridge.delivery.signals import FeedSignal
from newsbridge.delivery.worker import Worker
from newsbridge.formats.item import Item
from newsbridge.ingest.pipeline import Ingestor
from tests.delivery.receivers import LOOPBACK, Received, Receiver, sign_agreement

pytestmark = pytest.mark.anyio

TIMEOUT = 1.5  # the hub's webhook timeout here (NEWSBRIDGE_WEBHOOK_TIMEOUT_SECONDS): longer than the drip's 1 s pauses
HEALTHY = 6
ITEMS = 15  # per phase
INTERVAL = 0.2  # seconds between publishes: 5 items a second
SLOW = 1.2  # the slow partner answers 200 after this long (within TIMEOUT); at 5/s it holds 6 of its 8 sends
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"


def rss_bytes() -> int:
    """This process's resident set (the worker runs in it)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


@dataclass
class BadPartner:
    """A raw TCP receiver that misbehaves: ``drip`` answers 1 byte a second, ``reset`` resets the
    connection after reading the request, ``silent`` reads and never answers (until closed), ``slow``
    answers 200 after ``delay`` seconds."""

    mode: str
    delay: float = SLOW  # ``slow``: seconds before the answer
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    longest: float = 0.0  # seconds the hub kept a connection before giving up
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closing: threading.Event = field(default_factory=threading.Event)

    @contextmanager
    def serving(self) -> Iterator[str]:
        listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        listener.settimeout(0.1)
        accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        accepting.start()
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        finally:
            self._closing.set()
            accepting.join(timeout=5)
            listener.close()

    def _accept(self, listener: socket.socket) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        started = time.monotonic()
        with self._lock:
            self.connections += 1
            self.open_now += 1
            self.most_open = max(self.most_open, self.open_now)
        try:
            conn.settimeout(0.5)
            request = b""
            while b"\r\n\r\n" not in request:  # the headers; the body follows, unread
                request += conn.recv(65536) or b"\r\n\r\n"
            if self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                return
            if self.mode == "slow":
                if self._hold(conn, self.delay):
                    conn.sendall(ANSWER)
                return
            for byte in ANSWER if self.mode == "drip" else b"":
                conn.sendall(bytes([byte]))
                if not self._hold(conn, 1.0):
                    return
            while self._hold(conn, 0.5):  # silent (or done dripping): hold until the hub lets go
                pass
        except OSError:
            pass  # the hub closed the connection: what a timeout looks like from here
        finally:
            conn.close()
            with self._lock:
                self.open_now -= 1
                self.longest = max(self.longest, time.monotonic() - started)

    def _hold(self, conn: socket.socket, seconds: float) -> bool:
        """Keep the connection ``seconds`` (reading what the hub still sends); False once the hub closed it."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0 and not self._closing.is_set():
            conn.settimeout(left)
            try:
                if conn.recv(65536) == b"":
                    return False
            except TimeoutError:
                break
        return not self._closing.is_set()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def received_once(engine: Engine, got: list[Received], published: Iterable[str]) -> list[Received]:
    """The first receipt of each message, once each of ``published`` arrived under one webhook-id. A repeated
    webhook-id must be a retry: the hub counted more than one attempt of that message (its lease, 60 s, is
    longer than this test, so a second attempt is one made after a failed one, at once by the schedule)."""
    first: dict[str, Received] = {}
    for request in got:
        first.setdefault(request.webhook_id, request)
    uris = sorted(r.json()["data"]["uri"] for r in first.values())
    assert uris == sorted(published), "each healthy partner gets every item exactly once by webhook-id"
    repeated = {i for i, n in Counter(r.webhook_id for r in got).items() if n > 1}
    if repeated:
        with engine.connect() as conn:
            attempts = dict(conn.execute(sa.select(outbox.c.message_id, outbox.c.attempts)
                                         .where(outbox.c.message_id.in_(repeated))).all())
        print(f"\nretried after a failed attempt (a late answer on a loaded machine): {sorted(attempts.items())}")
        assert all(attempts.get(i, 0) > 1 for i in repeated), ("a message sent twice in one attempt", attempts)
    return list(first.values())


async def publish_and_wait(engine: Engine, ingestor: Ingestor, source,  # type: ignore[no-untyped-def]
                           receivers: list[Receiver], prefix: str, rss: list[int], count: int = ITEMS) -> list[float]:
    """Publish ``count`` items at 5 a second; each healthy receiver's publish→receipt latencies in seconds."""
    published: dict[str, datetime] = {}
    before = {id(r): len(r.requests) for r in receivers}
    for n in range(count):
        uri = f"urn:slow:{prefix}:{n}"
        published[uri] = datetime.now(timezone.utc)
        item = Item(uri=uri, version="1", language="en", headline=f"Item {n} of {prefix}", body_text="Text.")
        await asyncio.to_thread(ingestor.ingest_item, source, item)
        rss.append(rss_bytes())
        await asyncio.sleep(INTERVAL)
    deadline = time.monotonic() + 30
    while any(len({r.webhook_id for r in receiver.requests[before[id(receiver)]:]}) < count for receiver in receivers):
        assert time.monotonic() < deadline, "healthy partners did not receive every item within 30 s"
        rss.append(rss_bytes())
        await asyncio.sleep(0.05)
    latencies = []
    for receiver in receivers:
        got = received_once(engine, receiver.requests[before[id(receiver)]:], published)
        latencies += [(r.at - published[r.json()["data"]["uri"]]).total_seconds() for r in got]
    return latencies


async def test_bad_partners_do_not_hold_up_healthy_ones(engine: Engine, settings: Settings, make_partner) -> None:  # type: ignore[no-untyped-def]
    settings = settings.replace(allow_private_targets=LOOPBACK, webhook_timeout_seconds=TIMEOUT)
    source = make_partner("source").org
    healthy = [make_partner(f"healthy-{n}").org for n in range(HEALTHY)]
    bad = {mode: make_partner(f"bad-{mode}").org for mode in ("drip", "reset", "silent")}
    slow_org = make_partner("slow").org
    sign_agreement(engine, source, [*healthy, *bad.values(), slow_org])
    partners = {mode: BadPartner(mode) for mode in bad}
    slow = BadPartner("slow")
    wake = FeedSignal()  # as `newsbridge serve` wires them: a store wakes the worker (none is lost)
    ingestor = Ingestor(engine, settings, on_stored=wake.notify)
    worker = Worker(engine, settings, name="slow-partner-test", wake=wake)
    stop = asyncio.Event()
    rss_calm: list[int] = []
    rss_bad: list[int] = []
    with Receiver() as r0, Receiver() as r1, Receiver() as r2, Receiver() as r3, Receiver() as r4, \
            Receiver() as r5, partners["drip"].serving() as drip_url, partners["reset"].serving() as reset_url, \
            partners["silent"].serving() as silent_url, slow.serving() as slow_url:
        receivers = [r0, r1, r2, r3, r4, r5]
        with writing(engine) as conn:
            for org, receiver in zip(healthy, receivers):
                create_endpoint(conn, org, receiver.url, None, "3", LOOPBACK)
        running = asyncio.create_task(worker.run(stop))  # serve's idle rest (0.2 s); stores wake it
        try:
            # pools, caches, first plans
            await publish_and_wait(engine, ingestor, source, receivers, "warm-up", [], count=2)
            calm = await publish_and_wait(engine, ingestor, source, receivers, "calm", rss_calm)
            with writing(engine) as conn:
                slow_endpoint, _ = create_endpoint(conn, slow_org, slow_url, None, "3", LOOPBACK)
            one_slow = await publish_and_wait(engine, ingestor, source, receivers, "slow", [])
            with writing(engine) as conn:  # its waiting messages stay unsent; the next phase is the bad partners'
                set_enabled(conn, slow_org, slow_endpoint.id, False, actor="test")
            with writing(engine) as conn:
                for mode, url in (("drip", drip_url), ("reset", reset_url), ("silent", silent_url)):
                    create_endpoint(conn, bad[mode], url, None, "3", LOOPBACK)
            stormy = await publish_and_wait(engine, ingestor, source, receivers, "bad", rss_bad)
        finally:
            stop.set()
            await asyncio.wait_for(running, 3 * TIMEOUT + 5)

    calm_p50, calm_p99 = statistics.median(calm), percentile(calm, 0.99)
    bad_p50, bad_p99 = statistics.median(stormy), percentile(stormy, 0.99)
    slow_p50, slow_p99 = statistics.median(one_slow), percentile(one_slow, 0.99)
    print(f"\n[{engine.dialect.name}] one partner answering in {SLOW} s: healthy p50 {calm_p50 * 1000:.0f} -> "
          f"{slow_p50 * 1000:.0f} ms, p99 {calm_p99 * 1000:.0f} -> {slow_p99 * 1000:.0f} ms "
          f"(×{slow_p99 / calm_p99:.2f}); its connections {slow.connections}, most open at once {slow.most_open}")
    print(f"[{engine.dialect.name}] healthy partners' publish→receipt, {HEALTHY} partners × {ITEMS} items "
          f"at {1 / INTERVAL:.0f}/s, timeout {TIMEOUT} s: without bad partners p50 {calm_p50 * 1000:.0f} ms "
          f"p99 {calm_p99 * 1000:.0f} ms; with drip/reset/silent partners p50 {bad_p50 * 1000:.0f} ms "
          f"p99 {bad_p99 * 1000:.0f} ms (p99 +{(bad_p99 - calm_p99) * 1000:.0f} ms, "
          f"×{bad_p99 / calm_p99:.2f}); bad partners' connections {[p.connections for p in partners.values()]}, "
          f"most open at once {[p.most_open for p in partners.values()]}, longest held "
          f"{max(p.longest for p in partners.values()):.2f} s; RSS max {max(rss_calm) / 2**20:.0f} MiB calm, "
          f"{max(rss_bad) / 2**20:.0f} MiB with bad partners (+{(max(rss_bad) - max(rss_calm)) / 2**20:.1f} MiB)")

    assert slow.connections >= 1, "the slow partner was sent to"
    # One slow partner: its sends are recorded off the rounds and a store's wake-up is never lost, so the
    # healthy partners' median and tail hardly move (measured: see docs/reliability.md). Bounds with a margin
    # for a loaded CI machine (load 20 moves a 90-delivery p99 by a few hundred ms), far below what holding
    # a round for the slow answer cost (the median rose by the whole delay).
    assert slow_p50 - calm_p50 < SLOW / 4, (calm_p50, slow_p50)
    assert slow_p99 - calm_p99 < SLOW / 2, (calm_p99, slow_p99)
    assert all(p.connections >= 1 for p in partners.values()), "every bad partner was tried"
    # A 1 byte/s answer, or none, is cut off at the timeout, not at the partner's pace (the drip
    # answer takes ~80 s; a per-read timeout would let it run that long).
    assert partners["drip"].longest < TIMEOUT + 2.0
    # Isolation: while one round waits on the bad partners, the next ones start beside it, so the healthy
    # partners' median hardly moves (when each round waited for its slowest send, it rose by a whole
    # timeout: 50-180 ms became 1.3-1.5 s). The tail is bounded generously: a loaded machine adds noise.
    assert bad_p50 - calm_p50 < TIMEOUT / 2, (calm_p50, bad_p50)
    assert bad_p99 - calm_p99 < 3 * TIMEOUT, (calm_p99, bad_p99)
    # Memory: holding the bad partners' connections costs the worker little (a leak, or buffering
    # without bound, would show as tens of megabytes over this run).
    assert max(rss_bad) - max(rss_calm) < 48 * 2**20
