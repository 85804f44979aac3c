"""What the crash test drives: a real `newsbridge serve` process, a loopback webhook receiver
that verifies and records every message, and a publisher that remembers what was acknowledged.

Kept apart from the test so the test reads as the scenario and its assertions only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks import Webhook

from tests.databases import postgres_database  # noqa: F401 (test_crash imports it from here)
from tests.live_server import free_port  # noqa: F401 (as above)

REPO = Path(__file__).resolve().parents[2]
NEWSBRIDGE = REPO / ".venv" / "bin" / "newsbridge"
ECONOMY = {"name": "economy, business and finance", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}


@dataclass(frozen=True)
class Received:
    path: str  # which partner's endpoint: /hook/<slug>
    webhook_id: str
    uri: str
    event: str


class Receiver:
    """A partner's webhook endpoint on loopback: verifies each signature, records, answers 200.

    The record is written before the answer, so anything the hub counts as delivered is here.
    """

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}  # path -> endpoint secret
        self.received: list[Received] = []
        self.refused: list[str] = []  # why a message did not verify
        self.cut_off = 0  # requests whose body stopped short (the sender was killed)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the hub's client expects

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers["content-length"])
                raw = self.rfile.read(length)
                if len(raw) < length:  # the hub died while sending: no message, and nobody to answer
                    with receiver._lock:
                        receiver.cut_off += 1
                    self.close_connection = True
                    return
                receiver._take(self.path, raw.decode("utf-8"), {k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # The hub opens up to 100 connections at once; http.server's default backlog of 5
            # would reset most of them (ReadError at the hub, then retries minutes later).
            request_queue_size = 1024
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a killed hub resets its connections: expected here, not worth a traceback

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _take(self, path: str, body: str, headers: dict[str, str]) -> None:
        secret = self.secrets.get(path)
        try:
            if secret is None:
                raise ValueError(f"no endpoint registered at {path}")
            message = Webhook(secret).verify(body, headers)
        except Exception as exc:  # any verification failure is a finding, recorded for the test
            with self._lock:
                self.refused.append(f"{path} {headers.get('webhook-id')}: {exc!r}")
            return
        with self._lock:
            self.received.append(Received(path, headers["webhook-id"], message["data"]["uri"], message["type"]))

    def by_path(self) -> dict[str, dict[str, set[str]]]:
        """path -> item uri -> the webhook-ids it arrived with."""
        found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        with self._lock:
            for r in self.received:
                found[r.path][r.uri].add(r.webhook_id)
        return found

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class HubProcess:
    """`newsbridge serve` as a child process that the test can SIGKILL and start again."""

    def __init__(self, database_url: str, port: int, env: dict[str, str], log: Path) -> None:
        self.database_url = database_url
        self.port = port
        self.env = {**os.environ, **env}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.startups: list[float] = []  # seconds each start took until /healthz answered

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> float:
        """Start the hub and wait until /healthz answers; returns the seconds that took."""
        began = time.monotonic()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(NEWSBRIDGE), "--database-url", self.database_url, "serve", "--port", str(self.port)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() - began < timeout:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the hub exited with {self.process.returncode}; see {self.log}:\n"
                                       + self.log_tail())
                try:
                    if client.get(f"{self.base_url}/healthz").status_code == 200:
                        self.startups.append(time.monotonic() - began)
                        return self.startups[-1]
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        raise RuntimeError(f"the hub did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing, the worker stops wherever it is."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text("utf-8", errors="replace").splitlines()[-lines:])


def ninjs_item(uri: str, n: int) -> dict[str, Any]:
    return {"uri": uri, "version": "1", "type": "text", "language": "en", "subjects": [ECONOMY],
            "headlines": [{"role": "main", "value": f"Markets report number {n}"}],
            "bodies": [{"role": "main", "contentType": "text/plain",
                        "value": f"Trading closed higher on the exchange for the {n}th time this season."}]}


@dataclass
class Publisher:
    """Posts new items as fast as the hub takes them; a connection failure only means "try the next one".

    Every uri is sent once: ``acked`` got a 2xx, ``unacked`` got an error or no answer (the hub
    may or may not have stored it, which the test reads from the database).
    """

    base_url: str
    api_key: str
    acked: set[str] = field(default_factory=set)
    unacked: dict[str, str] = field(default_factory=dict)  # uri -> what happened
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        n = 1
        headers = {"Authorization": f"Bearer {self.api_key}", "content-type": "application/json"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=5.0) as client:
            while not self._stop.is_set():
                uri = f"urn:crash:{n}"
                try:
                    response = client.post("/api/v1/items", content=json.dumps(ninjs_item(uri, n)))
                except httpx.ConnectError:
                    time.sleep(0.01)  # the hub is down and nothing was sent: the same uri goes next time
                    continue
                except httpx.HTTPError as exc:
                    self.unacked[uri] = type(exc).__name__
                    n += 1
                    continue
                n += 1
                if 200 <= response.status_code < 300:
                    self.acked.add(uri)
                else:
                    self.unacked[uri] = f"HTTP {response.status_code}: {response.text[:200]}"

    def __enter__(self) -> "Publisher":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
