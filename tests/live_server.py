"""The hub served on a free loopback port: by uvicorn in a background thread (browser and stream tests),
or as a real `newsbridge serve` process (tests whose clock or connections must not be the server's)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` (lifespan included: the in-process worker runs) and yield its base URL."""
    port = free_port()
    # asyncio's own loop in this background thread: with uvloop picked ("auto"), a browser test once waited
    # forever on a page this thread had stopped answering (CI, 2026-12-04); the hub's processes keep uvloop
    # a page's live stream (desk events, a project's live page) still open when the block ends is cut after 1 s,
    # as a restarting hub cuts it (the browser reconnects): uvicorn waited for it, and the join below gave up at 10
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", loop="asyncio",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def start_http_server(host: str, handler: type) -> tuple[Any, threading.Thread]:
    """A threaded stdlib HTTP server for ``handler`` on a free port of ``host`` (IPv4 or IPv6 literal)."""
    from http.server import ThreadingHTTPServer

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True
        request_queue_size = 1024  # the hub opens many connections at once

    server = Server((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


@contextmanager
def serve_process(env: Mapping[str, str], log: Path | None = None, start_within: float = 30) -> Iterator[str]:
    """``newsbridge serve`` in a process of its own with ``env`` added to this one's, its standard error in
    ``log`` (or discarded); yields its base URL once it answers /healthz, and ends it after."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("newsbridge")), "serve"],
        env={**os.environ, "NEWSBRIDGE_HOST": "127.0.0.1", "NEWSBRIDGE_PORT": str(port), **env},
        stdout=subprocess.DEVNULL, stderr=log.open("wb") if log else subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_within
        while True:
            assert process.poll() is None, log.read_text() if log else "the hub exited"
            assert time.monotonic() < deadline, "the hub did not start"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
