"""What the hub was doing when the healthy partners' slowest deliveries waited (bench/slow_partner.py --trace).

Tracing lives in the bench, not in the product: the worker's and the ingestor's steps are wrapped on the
instances this process runs (sequence, claim, record, each send, each publish), SQLite's per-process write
turn (db/engine.py's ``_WRITERS`` lock) is replaced by a lock that notes who waited and who held it, and a
task on the worker's event loop notes how late its 5 ms sleeps wake (the loop blocked). Every event carries
wall-clock times (``time.time()``, as nginx's ``$msec`` and the publish stamps), so the items above a
phase's p99 can be set against what overlapped their publish→receipt window.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from newsbridge.db import engine as db_engine


@dataclass
class Event:
    what: str
    start: float
    end: float
    detail: str = ""


class Trace:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def add(self, what: str, start: float, end: float, detail: str = "") -> None:
        with self._lock:
            self.events.append(Event(what, start, end, detail))

    def wrap(self, owner: Any, name: str, describe: Callable[[tuple, Any], str] = lambda a, r: "") -> None:
        original = getattr(owner, name)
        if asyncio.iscoroutinefunction(original):
            @functools.wraps(original)
            async def traced_async(*args: Any, **kwargs: Any) -> Any:
                start = time.time()
                result = await original(*args, **kwargs)
                self.add(name, start, time.time(), describe(args, result))
                return result
            setattr(owner, name, traced_async)
            return

        @functools.wraps(original)
        def traced(*args: Any, **kwargs: Any) -> Any:
            start = time.time()
            result = original(*args, **kwargs)
            self.add(name, start, time.time(), describe(args, result))
            return result
        setattr(owner, name, traced)

    def window(self, start: float, end: float, messages: set[str]) -> list[Event]:
        """What overlapped [start, end]: every step, and of the sends the slow partner's and ``messages``."""
        with self._lock:
            return sorted((e for e in self.events if e.end >= start and e.start <= end and (
                e.what != "send" or " slow " in e.detail or e.detail.split(" ")[0] in messages)),
                key=lambda e: e.start)


class TracedTurn:
    """Stands in for db/engine.py's per-process SQLite write lock: notes each wait and hold, by thread."""

    def __init__(self, trace: Trace, inner: threading.RLock) -> None:
        self.trace, self.inner = trace, inner
        self._held: dict[int, tuple[float, float, int]] = {}  # thread -> (asked, got, depth)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        asked = time.time()
        got = self.inner.acquire(blocking, timeout)
        if got:
            me = threading.get_ident()
            prior = self._held.get(me)
            self._held[me] = (prior[0], prior[1], prior[2] + 1) if prior else (asked, time.time(), 1)
        return got

    def release(self) -> None:
        me = threading.get_ident()
        asked, got, depth = self._held[me]
        if depth > 1:
            self._held[me] = (asked, got, depth - 1)
        else:
            del self._held[me]
            self.trace.add("write-turn", got, time.time(),
                           f"{threading.current_thread().name}, waited {(got - asked) * 1000:.1f} ms")
        self.inner.release()


def trace_hub(trace: Trace, engine: Any, worker: Any, ingestor: Any, slow_ports: set[int]) -> None:
    """Wrap the worker's and the ingestor's steps on these instances, and the engine's write turn."""
    turn = db_engine._WRITERS.get(engine)
    if turn is not None:
        db_engine._WRITERS[engine] = (TracedTurn(trace, turn[0]), turn[1])  # type: ignore[assignment]
    trace.wrap(worker, "_sequence", lambda a, r: f"{r} sequenced")
    trace.wrap(worker, "_claim", lambda a, r: f"{len(r)} claimed")

    def recorded(args: tuple, result: Any) -> str:
        results = args[0]
        slow = sum(1 for c, _o in results if getattr(c, "endpoint_id", None) in slow_ids)
        return f"{len(results)} recorded ({slow} slow partner's)"
    slow_ids: set[str] = set()
    trace.slow_ids = slow_ids  # type: ignore[attr-defined]
    trace.wrap(worker, "_record", recorded)
    trace.wrap(worker.sender, "send", lambda a, r: f"{a[0].message_id} {'slow' if a[0].target.port in slow_ports else 'healthy'} {r.status}")
    trace.wrap(ingestor, "ingest_item", lambda a, r: "publish")
    trace.wrap(worker, "_rest", lambda a, r: f"idle up to {a[1]:g} s")
    trace.wrap(worker, "run_once", lambda a, r: f"round: {r.sequenced} sequenced, {r.sent} recorded")
    from newsbridge.delivery import worker as worker_module  # its steps inside _sequence, looked up by name
    trace.wrap(worker_module, "queue_media_updates", lambda a, r: f"{r} media updates")
    trace.wrap(worker_module, "sequence", lambda a, r: f"{len(r)} sequenced")
    trace.wrap(worker_module, "analyze_if_grown", lambda a, r: f"{a[1]}")


def watch_loop(trace: Trace, loop: asyncio.AbstractEventLoop, stop: threading.Event) -> None:
    """A task on the worker's loop: a 5 ms sleep that wakes more than 10 ms late is a blocked loop."""
    async def lag() -> None:
        while not stop.is_set():
            start = time.time()
            await asyncio.sleep(0.005)
            late = time.time() - start - 0.005
            if late > 0.010:
                trace.add("loop-late", start, time.time(), f"{late * 1000:.0f} ms late")
    asyncio.run_coroutine_threadsafe(lag(), loop)


def report(trace: Trace, name: str, deliveries: list[tuple[float, float, str, str]], above: float,
           limit: int = 3) -> None:
    """For the items whose slowest delivery is above ``above`` seconds: what overlapped their window."""
    late: dict[str, tuple[float, float]] = {}
    messages: dict[str, set[str]] = {}
    for published, arrived, uri, message_id in deliveries:
        messages.setdefault(uri, set()).add(message_id)
        if arrived - published >= above:
            first, last = late.get(uri, (published, arrived))
            late[uri] = (published, max(last, arrived))
    print(f"  [{name}] {len(late)} items with a delivery at or above p99 ({above * 1000:.0f} ms)")
    for uri, (published, arrived) in sorted(late.items(), key=lambda kv: kv[1][1] - kv[1][0], reverse=True)[:limit]:
        print(f"    {uri}: published {published % 100:.3f}, last arrival +{(arrived - published) * 1000:.0f} ms")
        for e in trace.window(published - 0.05, arrived, messages[uri]):
            print(f"      {e.what:<12} {(e.start - published) * 1000:+7.1f} .. {(e.end - published) * 1000:+7.1f} ms"
                  f"  {e.detail}")


def wake_delays(trace: Trace, start: float, end: float) -> str:
    """From each publish's commit (then the worker is told) to the next round's sequencing: a
    worker that missed the wake-up shows here as the wait for the next publish or its idle timeout."""
    with trace._lock:
        publishes = [e for e in trace.events if e.what == "ingest_item" and start <= e.start <= end]
        turns = [e for e in trace.events if e.what == "write-turn" and e.detail.startswith("MainThread")]
        rounds = sorted((e.start, e.end) for e in trace.events if e.what == "_sequence" and e.end >= start)
        rests = [e for e in trace.events if e.what == "_rest" and e.end - e.start > 0.005]
    stores = []  # (when each publish's write turn ended: it committed; when it returned: the worker was told)
    for p in publishes:
        stores.append((max((t.end for t in turns if p.start <= t.start <= p.end), default=p.end), p.end))
    delays, lost = [], 0
    stores.sort()
    for n, (stored, told) in enumerate(stores):
        later = [s for s, _e in rounds if s >= stored]
        if later:
            delays.append(later[0] - stored)
        # the worker began a rest after it was told and before any sequencing that could see the item (one
        # begun before the commit may read after it: it then counts as seeing it), and the rest lasted until
        # the next publish told it again (or its idle timeout): the wake-up was lost (a rest that returned at
        # once, late only by a busy event loop, is not counted)
        seeing = [s for s, e in rounds if e >= stored]
        if seeing:
            next_told = stores[n + 1][1] if n + 1 < len(stores) else float("inf")
            lost += any(told <= r.start < seeing[0] and (r.end >= next_told or r.end - r.start >= 0.15)
                        for r in rests)
    if not delays:
        return "no stores traced"
    delays.sort()
    late = sum(1 for d in delays if d > 0.05)
    return (f"store -> next sequencing: p50 {delays[len(delays) // 2] * 1000:.1f} ms, "
            f"p99 {delays[min(len(delays) - 1, int(0.99 * len(delays)))] * 1000:.1f} ms, "
            f"max {delays[-1] * 1000:.1f} ms, {late} of {len(delays)} stores waited > 50 ms; "
            f"{lost} wake-ups lost (a rest begun after the store, before its sequencing)")
