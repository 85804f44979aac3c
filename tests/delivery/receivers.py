"""A partner's webhook endpoint on loopback, for tests that send real HTTP.

``Receiver`` is a threaded ``http.server`` on 127.0.0.1 that records every request it gets
(headers, body, arrival time, the status it answered) and answers the way a test programs it:

* ``Receiver()`` answers 200 to everything;
* ``Receiver(statuses=[500, 410])`` answers those statuses in order, then ``then`` (200);
* ``Receiver(fail_ratio=0.5, seed=7)`` answers 500 to about half the requests, reproducibly;
  ``max_failures_per_id=5`` caps the failures of one ``webhook-id`` (so a test of "eventually
  delivered" does not depend on the luck of the draw against the hub's retry limit);
* ``Receiver(hang=2.0)`` holds every request that long before answering (longer than the
  hub's timeout, so the hub gives up first);
* ``Receiver(host="::1")`` listens on IPv6 loopback instead of 127.0.0.1.

Use it as a context manager (``with Receiver() as receiver: ...``); ``wait_for(n)`` blocks on
a condition until ``n`` requests arrived, so tests wait for an event instead of sleeping.

:func:`sign_agreement` and :class:`Exchange` set up the other side of a delivery test: a
source sharing everything with a recipient under an active agreement (the same calls partners
make through the API), and ways to publish items and register endpoints.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.organizations import Organization
from newsbridge.config import Settings
from newsbridge.db.engine import writing
from newsbridge.db.tables import outbox
from newsbridge.delivery.endpoints import Endpoint, create_endpoint, get_endpoint
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.formats.item import Item
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.items.store import Stored

from tests.live_server import start_http_server

LOOPBACK = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it; header names are lower case."""

    path: str
    headers: dict[str, str]
    body: str
    at: datetime
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    def __init__(self, statuses: Iterable[int] = (), *, then: int = 200, fail_ratio: float = 0.0, seed: int = 0,
                 max_failures_per_id: int | None = None, hang: float = 0.0, host: str = "127.0.0.1") -> None:
        self.host = host
        self._statuses = list(statuses)
        self._then = then
        self._fail_ratio = fail_ratio
        self._rng = random.Random(seed)
        self._max_failures = max_failures_per_id
        self._failures: dict[str, int] = {}
        self.hang = hang  # seconds to hold each request; a test may change it between rounds
        self.headers: dict[str, str] = {}  # sent with every answer that is not a 2xx (Retry-After, Location)
        self._released = threading.Event()  # set on close: a hanging handler lets go at once
        self._arrived = threading.Condition()
        self._requests: list[Received] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- programming -------------------------------------------------------------------

    def answer(self, *statuses: int, then: int | None = None) -> None:
        """Answer the next requests with ``statuses`` in order, then with ``then`` (kept if None)."""
        with self._arrived:
            self._statuses = list(statuses)
            if then is not None:
                self._then = then

    def _decide(self, webhook_id: str) -> int:
        with self._arrived:
            if self._statuses:
                return self._statuses.pop(0)
            failed = self._failures.get(webhook_id, 0)
            if self._fail_ratio and self._rng.random() < self._fail_ratio and (
                    self._max_failures is None or failed < self._max_failures):
                self._failures[webhook_id] = failed + 1
                return 500
            return self._then

    # -- what arrived ------------------------------------------------------------------

    @property
    def requests(self) -> list[Received]:
        with self._arrived:
            return list(self._requests)

    @property
    def accepted(self) -> list[Received]:
        """The requests answered with a 2xx status: what the partner actually took."""
        return [r for r in self.requests if 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least ``count`` requests arrived; AssertionError after ``timeout`` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._requests) >= count, timeout):
                raise AssertionError(f"expected {count} requests within {timeout}s, got {len(self._requests)}")
            return list(self._requests)

    def _record(self, received: Received) -> None:
        with self._arrived:
            self._requests.append(received)
            self._arrived.notify_all()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "start the receiver first (use it as a context manager)"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        literal = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{literal}:{self.port}/hook"

    def __enter__(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                status = receiver._decide(self.headers.get("webhook-id", ""))
                receiver._record(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                                          datetime.now(timezone.utc), status))
                if receiver.hang and receiver._released.wait(receiver.hang):
                    return  # closing: drop the request without an answer
                try:
                    self.send_response(status)
                    for name, value in (receiver.headers.items() if not 200 <= status < 300 else ()):
                        self.send_header(name, value)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the hub stopped waiting (timeout) and closed the connection
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

        self._server, self._thread = start_http_server(self.host, Handler)
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def sign_agreement(engine: Engine, source: Organization, partners: Sequence[Organization],
                   terms: Mapping[str, Any] | None = None) -> str:
    """An active agreement: ``source`` shares its items with ``partners`` (all parties sign); its id."""
    with writing(engine) as conn:
        agreement = create_agreement(conn, source, "editor@source", {
            "title": f"{source.slug} shares", "parties": [source.slug, *(p.slug for p in partners)],
            "terms": [{"from": source.slug, "credit_line": "{source} via Newsbridge", **(terms or {})}]})
        act(conn, agreement.id, Action.PROPOSE, source, "editor@source")
        for party in (source, *partners):
            act(conn, agreement.id, Action.SIGN, party, f"editor@{party.slug}")
    return agreement.id


@dataclass
class Exchange:
    """``source`` shares everything with ``recipient``; ``settings`` let the hub call loopback receivers."""

    engine: Engine
    settings: Settings
    source: Organization
    recipient: Organization
    item_fields: dict[str, Any] = field(default_factory=dict)  # given to every published item

    @classmethod
    def between(cls, engine: Engine, settings: Settings, source: Organization, recipient: Organization,
                **item_fields: Any) -> "Exchange":
        sign_agreement(engine, source, [recipient])
        return cls(engine, settings.replace(allow_private_targets=LOOPBACK), source, recipient, item_fields)

    def publish(self, uri: str, version: int = 1, **fields: Any) -> Stored:
        item = {"uri": uri, "version": str(version), "language": "en", "headline": f"{uri} v{version}",
                "body_text": f"Text of {uri} v{version}.", **self.item_fields, **fields}
        return Ingestor(self.engine, self.settings).ingest_item(self.source, Item(**item))

    def endpoint(self, url: str = "http://127.0.0.1:9/hook", *, org: Organization | None = None,
                 events: list[str] | None = None, ninjs_version: str = "3") -> tuple[Endpoint, str]:
        """A registered endpoint and its secret."""
        with writing(self.engine) as conn:
            return create_endpoint(conn, org or self.recipient, url, events, ninjs_version, LOOPBACK)

    def endpoint_now(self, endpoint: Endpoint) -> Endpoint:
        with self.engine.connect() as conn:
            return get_endpoint(conn, self.recipient, endpoint.id)

    def messages(self) -> dict[int, sa.Row]:
        """Every outbox row by id."""
        with self.engine.connect() as conn:
            return {r.id: r for r in conn.execute(sa.select(outbox).order_by(outbox.c.id))}
