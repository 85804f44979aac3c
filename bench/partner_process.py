"""The bench's misbehaving partners served from a process of their own.

bench/slow_partner.py's healthy partners are Debian's nginx; its slow and bad partners are raw TCP servers
(``BadPartner`` of tests/reliability/test_slow_partner.py: ``slow``, ``drip``, ``reset``, ``silent``), a
thread per connection. Run in the bench's process, beside the hub's delivery worker, their threads took
turns at the interpreter lock with the worker's event loop: the slow phase then measured the partner's own
work in the hub's process as well (its loop ran 30-40 ms late as the slow answers came in:
bench/slow_trace.py). A partner's server is not the hub's: each now runs in a child process (``spawn``),
and its counters (connections, connections open, the longest held) are shared with the bench.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.test_slow_partner import BadPartner  # noqa: E402

_SPAWN = multiprocessing.get_context("spawn")


def _serve(mode: str, options: dict[str, Any], url_out: Any, counters: Any, stop: Any) -> None:
    partner = BadPartner(mode, **options)
    with partner.serving() as url:
        url_out.send(url)
        while True:
            counters[0], counters[1], counters[2] = partner.connections, partner.open_now, partner.longest
            if stop.wait(0.02):
                break
    counters[0], counters[1], counters[2] = partner.connections, partner.open_now, partner.longest


class PartnerProcess:
    """``BadPartner(mode, **options)`` served by a child process; its counters read like the partner's."""

    def __init__(self, mode: str, **options: Any) -> None:
        self.mode, self._options = mode, options
        self._counters = _SPAWN.Array("d", 3)  # connections, open now, longest held (seconds)

    @property
    def connections(self) -> int:
        return int(self._counters[0])

    @property
    def open_now(self) -> int:
        return int(self._counters[1])

    @property
    def longest(self) -> float:
        return float(self._counters[2])

    @contextmanager
    def serving(self) -> Iterator[str]:
        receive, send = _SPAWN.Pipe(duplex=False)
        stop = _SPAWN.Event()
        child = _SPAWN.Process(target=_serve, args=(self.mode, self._options, send, self._counters, stop),
                               daemon=True)
        child.start()
        try:
            if not receive.poll(30):
                raise RuntimeError(f"the {self.mode} partner's process did not start")
            yield receive.recv()
        finally:
            stop.set()
            child.join(10)
            if child.is_alive():
                child.kill()
