"""The bench's misbehaving partners served from a process of their own.

bench/slow_partner.py's healthy partners are Debian's nginx; its slow and bad partners are raw TCP servers
(``BadPartner`` of tests/reliability/test_slow_partner.py, and ``SlowPartner`` here), a thread per
connection. Run in the bench's process, beside the hub's delivery worker, their threads took turns at the
interpreter lock with the worker's event loop: the slow phase then measured the partner's own work in the
hub's process as well (its loop ran 30-40 ms late as the slow answers came in: bench/slow_trace.py). A
partner's server is not the hub's: each now runs in a child process (``spawn``), and its counters
(connections, connections open, the longest held) are shared with the bench.
"""

from __future__ import annotations

import multiprocessing
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.test_slow_partner import BadPartner  # noqa: E402

OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
_SPAWN = multiprocessing.get_context("spawn")


class SlowPartner(BadPartner):
    """Reads the request, waits ``delay`` seconds, answers 200: slow but successful."""

    def __init__(self, delay: float) -> None:
        super().__init__("slow")
        self.delay = delay

    def _handle(self, conn: socket.socket) -> None:
        started = time.monotonic()
        with self._lock:
            self.connections += 1
            self.open_now += 1
            self.most_open = max(self.most_open, self.open_now)
        try:
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(65536) or b"\r\n\r\n"
            head, _, body = request.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                body += conn.recv(65536) or b"x" * length
            if self._hold(conn, self.delay):
                conn.sendall(OK)
        except OSError:
            pass
        finally:
            conn.close()
            with self._lock:
                self.open_now -= 1
                self.longest = max(self.longest, time.monotonic() - started)


def _serve(make: Callable[..., BadPartner], args: tuple[Any, ...], url_out: Any, counters: Any, stop: Any) -> None:
    partner = make(*args)
    with partner.serving() as url:
        url_out.send(url)
        while True:
            counters[0], counters[1], counters[2] = partner.connections, partner.open_now, partner.longest
            if stop.wait(0.02):
                break
    counters[0], counters[1], counters[2] = partner.connections, partner.open_now, partner.longest


class PartnerProcess:
    """A ``BadPartner`` (or ``SlowPartner``) built by ``make(*args)`` and served by a child process; reads like one."""

    def __init__(self, mode: str, make: Callable[..., BadPartner], *args: Any) -> None:
        self.mode, self._make, self._args = mode, make, args
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
        child = _SPAWN.Process(target=_serve, args=(self._make, self._args, send, self._counters, stop), daemon=True)
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
