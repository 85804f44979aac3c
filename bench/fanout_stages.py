"""The delivery worker's database steps alone, per message: sequence, claim (with loading, rendering and
signing) and record, for a burst of items to 100 partners on SQLite, with nothing sent (every message
is recorded as answered 204). CPU is the thread's; wall includes waiting for the interpreter's lock.

``--busy`` runs a thread beside them that keeps the interpreter busy, as the worker's event loop does
while it sends: every time SQLite lets the lock go (each row stepped) the step then waits to get it back.

    .venv/bin/python bench/fanout_stages.py [--burst 60] [--busy]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import fanout
import fanout_hub
from fanout_clients import NginxReceivers

from newsbridge.delivery.outbox import Outcome

try:  # the checkpoint thread the worker runs beside it (absent from trees before it: --before runs)
    from newsbridge.db.checkpoint import checkpointing
except ImportError:
    checkpointing = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=60, help="items stored at once (default 60)")
    parser.add_argument("--partners", type=int, default=100, help="recipients with an endpoint each (default 100)")
    parser.add_argument("--busy", action="store_true", help="a thread keeps the interpreter busy meanwhile")
    args = parser.parse_args()
    cpu: Counter[str] = Counter()
    wall: Counter[str] = Counter()

    def timed(name: str, step: Callable[..., Any], *arguments: Any) -> Any:
        started_cpu, started = time.thread_time(), time.perf_counter()
        result = step(*arguments)
        cpu[name] += time.thread_time() - started_cpu
        wall[name] += time.perf_counter() - started
        return result

    with tempfile.TemporaryDirectory(prefix="newsbridge-stages-") as tmp, \
            NginxReceivers(Path(tmp), args.partners, 1) as receivers:
        hub = fanout_hub.set_up(f"sqlite:///{tmp}/stages.db", args.partners, receivers, None)
        worker = fanout_hub.make_worker(hub.engine, hub.settings, None)
        fanout.store_burst(hub, args.burst, "stages")
        stop = threading.Event()

        def spin() -> None:
            while not stop.is_set():
                pass

        spinner = threading.Thread(target=spin, daemon=True)
        if args.busy:
            spinner.start()
        messages = 0
        try:
            with checkpointing(hub.engine) if checkpointing else nullcontext():  # as the worker runs
                while True:
                    sequenced = timed("sequence", worker._sequence)
                    prepared = timed("claim, load, render, sign", worker._claim, worker.batch)
                    if not prepared and not sequenced:
                        break
                    messages += len(prepared)
                    timed("record", worker._record, [(claimed, Outcome(204, None)) for claimed, _m in prepared])
        finally:
            stop.set()
    print(f"{messages:,} messages, {args.partners} partners, {'beside a busy thread' if args.busy else 'alone'}")
    for name in cpu:
        print(f"  {name:28} CPU {cpu[name] / messages * 1e6:6.1f} µs/msg   wall {wall[name] / messages * 1e6:6.1f} µs/msg")
    print(f"  {'all':28} CPU {sum(cpu.values()) / messages * 1e6:6.1f} µs/msg   "
          f"wall {sum(wall.values()) / messages * 1e6:6.1f} µs/msg")


if __name__ == "__main__":
    main()
