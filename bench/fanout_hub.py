"""The hub under test in the fan-out benchmarks (bench/fanout.py, slow_partner.py, fanout_stages.py): a fresh
database per phase, alpha and its partners with an agreement and an nginx endpoint each, the Worker as
`newsbridge serve` runs it, on a thread of its own (optionally under cProfile)."""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fanout_clients import ALLOW, NginxReceivers
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.databases: a PostgreSQL database of our own

from newsbridge.accounts.organizations import Organization, create_organization  # noqa: E402
from newsbridge.config import Settings, load_settings  # noqa: E402
from newsbridge.db.engine import create_engine, writing  # noqa: E402
from newsbridge.db.migrate import upgrade  # noqa: E402
from newsbridge.delivery.endpoints import create_endpoint  # noqa: E402
from newsbridge.delivery.signals import FeedSignal  # noqa: E402
from newsbridge.delivery.webhooks import HttpSender  # noqa: E402
from newsbridge.delivery.worker import Worker  # noqa: E402
from newsbridge.exchange.agreements import act, create_agreement  # noqa: E402
from newsbridge.exchange.lifecycle import Action  # noqa: E402
from newsbridge.formats.ninjs import parse_ninjs  # noqa: E402
from newsbridge.ingest.pipeline import Ingestor  # noqa: E402
from tests.databases import postgres_database  # noqa: E402

POSTGRES_URL = os.environ.get("NEWSBRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ECONOMY = {"name": "economy, business and finance", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}
PARAGRAPH = ("Exports of grain and metals rose in the third quarter, the statistics committee said on Tuesday, "
             "while imports of machinery fell for the second month in a row. Analysts expect the trade surplus "
             "to narrow as prices for oil and gas ease on world markets. ")


@dataclass
class Hub:
    engine: Engine
    settings: Settings
    publisher: Organization
    ingestor: Ingestor
    concurrency: int | None  # None: the Worker's defaults
    batch: int | None
    stored: FeedSignal  # notified by the ingestor; wakes the worker


@contextmanager
def database(kind: str, tmp: Path, name: str) -> Iterator[str]:
    """A fresh database per phase: no backlog carried over."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / name}.db"
    else:
        with postgres_database(POSTGRES_URL, prefix=f"newsbridge_fanout_{name}") as url:
            yield url


def set_up(url: str, partners: int, receivers: NginxReceivers, concurrency: int | None,
           batch: int | None = None) -> Hub:
    """alpha, ``partners`` recipients with a bilateral agreement each (max 50 parties per agreement) and an endpoint."""
    settings = load_settings(env={}, database_url=url, allow_private_targets=ALLOW)
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        alpha = create_organization(conn, "alpha", "Alpha Agency")
        for n in range(partners):
            partner = create_organization(conn, f"partner-{n:03d}", f"Partner {n}")
            agreement = create_agreement(conn, alpha, "bench", {
                "title": f"Alpha economy news for partner {n}", "parties": ["alpha", partner.slug],
                "terms": [{"from": "alpha", "topics": ["medtop:04000000"]}]})
            act(conn, agreement.id, Action.PROPOSE, alpha, "bench")
            act(conn, agreement.id, Action.SIGN, alpha, "bench")
            act(conn, agreement.id, Action.SIGN, partner, "bench")
            create_endpoint(conn, partner, receivers.url(n), None, "3", ALLOW)
    stored = FeedSignal()  # as `newsbridge serve` wires them: storing an item wakes the worker
    hub = Hub(engine, settings, alpha, Ingestor(engine, settings, on_stored=stored.notify), concurrency, batch,
              stored)
    hub.ingestor.ingest_item(alpha, parse_ninjs(ninjs_document("urn:bench:warm-up", 0)))
    with WorkerThread(hub):  # warm-up: the schema validator, the language detector
        assert receivers.wait_for(partners, timeout=60), "the warm-up item did not arrive"
    receivers.take()
    return hub


def ninjs_document(uri: str, n: int) -> bytes:
    return json.dumps({
        "uri": uri, "version": "1", "type": "text", "language": "en", "subjects": [ECONOMY],
        "headlines": [{"role": "main", "value": f"Trade surplus narrows for the {n}th month"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": PARAGRAPH * 6}]}).encode()


def make_worker(engine: Engine, settings: Settings, concurrency: int | None, batch: int | None = None,
                **kwargs: Any) -> Worker:
    """The Worker with its own defaults, or the concurrency (and a pool of twice that) and batch given."""
    if batch is not None:
        kwargs["batch"] = batch
    if concurrency is None:
        return Worker(engine, settings, **kwargs)
    sender = HttpSender(timeout=settings.webhook_timeout_seconds, max_connections=2 * concurrency)
    return Worker(engine, settings, sender=sender, concurrency=concurrency, **kwargs)


class WorkerThread:
    """The hub's delivery Worker on an event loop of its own thread, optionally under cProfile.

    cProfile sees one thread only, so when profiling, the worker's database steps (normally
    ``asyncio.to_thread``) run on the loop's thread instead; the worker awaits them one after
    the other anyway.
    """

    def __init__(self, hub: Hub, profile: cProfile.Profile | None = None) -> None:
        self.worker = make_worker(hub.engine, hub.settings, hub.concurrency, hub.batch, wake=hub.stored)
        self.profile = profile
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="delivery-worker")

    def _main(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            self._started.set()
            await self.worker.run(self._stop)

        if self.profile is None:
            asyncio.run(main())
            return
        original = asyncio.to_thread

        async def inline(func: Any, /, *args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        asyncio.to_thread = inline  # type: ignore[assignment]
        try:
            self.profile.runcall(asyncio.run, main())
        finally:
            asyncio.to_thread = original  # type: ignore[assignment]

    def __enter__(self) -> "WorkerThread":
        self._thread.start()
        self._started.wait()
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
