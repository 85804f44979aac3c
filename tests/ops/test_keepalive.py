"""`newsbridge serve` keeps an idle connection open for NEWSBRIDGE_KEEPALIVE_SECONDS (65 s by default).

A client (or nginx, or a load balancer) sends its next request on an idle connection whenever it likes;
if the hub closes that connection at the same moment, the request fails, and a POST is never sent
again. uvicorn's own default closes after 5 s, shorter than nginx's or a load balancer's idle timeout:
bench/load.py lost 229 publishes of 3,000 so. The hub must be the side that waits longer.
"""

from __future__ import annotations

import socket
import time
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from tests.live_server import serve_process

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n"


def hub(database: Path, **env: str) -> AbstractContextManager[str]:
    return serve_process({"NEWSBRIDGE_DATABASE_URL": f"sqlite:///{database}",
                          "NEWSBRIDGE_IN_PROCESS_WORKER": "false", "NEWSBRIDGE_LOG_LEVEL": "WARNING", **env},
                         start_within=60)


def answer(conn: socket.socket) -> bytes:
    """One response (headers and a Content-Length body), or b"" if the hub closed the connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += conn.recv(65536)
    return head


def test_an_idle_connection_outlives_uvicorns_5_seconds_and_ends_at_the_setting(tmp_path) -> None:
    with ExitStack() as stack:
        default = stack.enter_context(hub(tmp_path / "default.db"))
        short = stack.enter_context(hub(tmp_path / "short.db", NEWSBRIDGE_KEEPALIVE_SECONDS="1"))
        conns = {name: stack.enter_context(socket.create_connection(("127.0.0.1", urlsplit(base).port), timeout=10))
                 for name, base in (("default", default), ("short", short))}
        for conn in conns.values():
            conn.sendall(REQUEST)
            assert answer(conn).startswith(b"HTTP/1.1 200")
        time.sleep(6)  # idle past uvicorn's own 5 s
        conns["default"].sendall(REQUEST)
        assert answer(conns["default"]).startswith(b"HTTP/1.1 200")  # the same connection still serves
        assert conns["short"].recv(1) == b""  # closed by the hub after its 1 s
