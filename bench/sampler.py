"""Run `newsbridge` with a sampling profiler over every thread (py-spy is not installed here).

    python bench/sampler.py OUT.txt [newsbridge arguments...]

Every 5 ms a background thread takes every thread's stack (``sys._current_frames``) and counts, per
thread kind (the event loop, the feed reader threads, the other worker threads), the function at the
top of the stack (self) and every function on it (cumulative). The summary is rewritten to OUT
every 2 s, so a process that is killed still leaves its profile. A sample shows where a thread is,
not whether it runs: a thread waiting for the interpreter lock (or for a lock of ours) is counted at
the call that let it go. So the summary begins with what the threads really ran: each live thread's
CPU seconds from ``/proc/self/task/<id>/stat``, summed by the thread's name (its pool's prefix).
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

INTERVAL = 0.005
# Where a thread waits for work: worker threads in their queue, the event loop in uvloop's C loop
# (whose Python frame is asyncio's runner) or in select.
IDLE = {"wait", "_worker", "get", "select", "run", "run_until_complete", "run_forever", "_run_once"}


def _kind(thread: threading.Thread | None) -> str:
    if thread is None:
        return "other"
    if thread is threading.main_thread():
        return "event loop"
    if thread.name.startswith("newsbridge-read"):
        return "reader threads"
    return "worker threads"


def _cpu_by_name() -> Counter[str]:
    """CPU seconds each live thread has used, summed by its name without the pool's numbering."""
    found: Counter[str] = Counter()
    tick = os.sysconf("SC_CLK_TCK")
    for thread in threading.enumerate():
        try:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, TypeError):
            continue
        name = "event loop" if thread is threading.main_thread() else re.sub(r"[_ -]?\d+(_\d+)?$", "", thread.name)
        found[name] += (int(fields[11]) + int(fields[12])) / tick
    return found


def _where(frame) -> str:  # type: ignore[no-untyped-def]
    code = frame.f_code
    path = code.co_filename
    short = path.split("site-packages/")[-1] if "site-packages/" in path else path.split("/newsbridge/")[-1]
    return f"{code.co_name} ({short}:{code.co_firstlineno})"


def sample(out: Path) -> None:
    me = threading.get_ident()
    own: dict[str, Counter[str]] = {}
    total: dict[str, Counter[str]] = {}
    samples: Counter[str] = Counter()
    written = time.monotonic()
    while True:
        time.sleep(INTERVAL)
        threads = {t.ident: t for t in threading.enumerate()}
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            kind = _kind(threads.get(ident))
            top = _where(frame)
            if top.split(" (")[0] in IDLE:
                continue  # a thread waiting for work (or the event loop for I/O)
            samples[kind] += 1
            own.setdefault(kind, Counter())[top] += 1
            seen = set()
            while frame is not None:
                seen.add(_where(frame))
                frame = frame.f_back
            total.setdefault(kind, Counter()).update(seen)
        if time.monotonic() - written >= 2:
            written = time.monotonic()
            cpu = _cpu_by_name()
            lines = [f"== CPU seconds by thread (since start): {sum(cpu.values()):.1f} s", *(
                f"{seconds:8.1f} {name}" for name, seconds in cpu.most_common())]
            for kind in sorted(samples):
                lines.append(f"== {kind}: {samples[kind]} samples ({samples[kind] * INTERVAL:.1f} s busy)")
                lines.append("-- self")
                lines += [f"{n:7d} {where}" for where, n in own[kind].most_common(25)]
                lines.append("-- cumulative")
                lines += [f"{n:7d} {where}" for where, n in total[kind].most_common(40)]
            out.write_text("\n".join(lines) + "\n")


def main() -> None:
    out = Path(sys.argv[1])
    sys.argv = ["newsbridge", *sys.argv[2:]]
    threading.Thread(target=sample, args=(out,), daemon=True, name="sampler").start()
    from newsbridge.cli import main as newsbridge

    newsbridge()


if __name__ == "__main__":
    main()
