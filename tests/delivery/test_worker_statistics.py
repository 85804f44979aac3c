"""The delivery worker refreshes PostgreSQL's statistics beside its rounds, not in them.

An ANALYZE of the outbox or the deliveries takes tens of milliseconds. Run between the sequencing and the
claim, every message of that round waited for it: on PostgreSQL the healthy partners' slowest deliveries
beside a slow partner were those (bench/slow_partner.py --trace, issue 17). Now the refresh runs in a task
of its own; a round called alone still ends with it, and ``run`` waits for it before stopping. SQLite keeps
no statistics: no refresh at all.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from receivers import Exchange
from test_worker_wake import Recording, story

from newsbridge.delivery import worker as worker_module
from newsbridge.delivery.worker import Worker
from newsbridge.ingest.pipeline import Ingestor

pytestmark = pytest.mark.anyio


class SlowAnalyze:
    """``analyze_if_grown`` that holds until released (at most ``patience`` seconds), noting its tables."""

    def __init__(self, patience: float = 10.0) -> None:
        self.release, self.patience = threading.Event(), patience
        self.tables: list[str] = []
        self.finished = threading.Event()

    def __call__(self, conn, table: str) -> bool:  # type: ignore[no-untyped-def]
        self.tables.append(table)
        self.release.wait(self.patience)
        if len(self.tables) == len(worker_module.GROWING_TABLES):
            self.finished.set()
        return False


async def test_a_round_sends_before_the_statistics_refresh_ends(  # type: ignore[no-untyped-def]
        engine, settings, make_partner, monkeypatch) -> None:
    hub = Exchange.between(engine, settings, make_partner("source").org, make_partner("recipient").org)
    hub.endpoint("https://93.184.216.34/hook")  # a public address: the sender double never connects
    analyze = SlowAnalyze()
    monkeypatch.setattr(worker_module, "analyze_if_grown", analyze)
    sender = Recording()
    worker = Worker(engine, hub.settings, sender=sender)
    try:
        await asyncio.to_thread(Ingestor(engine, hub.settings).ingest_item, hub.source, story("urn:first", "First"))
        done = await asyncio.wait_for(worker.run_once(detach=True), 5.0)  # before: held by the ANALYZE, 10 s
        assert done.sequenced == 1 and "First" in sender.sent[-1][1].body
        if engine.dialect.name == "sqlite":
            assert not worker._chores and analyze.tables == []  # no statistics kept there
            return
        assert not analyze.finished.is_set() and len(worker._chores) == 1  # the refresh still runs, beside
        await asyncio.to_thread(Ingestor(engine, hub.settings).ingest_item, hub.source, story("urn:second", "Second"))
        done = await asyncio.wait_for(worker.run_once(detach=True), 5.0)  # one refresh at a time: not another
        assert done.sequenced == 1 and len(worker._chores) == 1 and analyze.tables == ["outbox"]
        analyze.release.set()
        await asyncio.wait_for(asyncio.gather(*worker._chores), 5.0)
        assert analyze.tables == list(worker_module.GROWING_TABLES) and not worker._chores
    finally:
        analyze.release.set()
        await worker.sender.close()


async def test_a_round_called_alone_ends_with_its_refresh(  # type: ignore[no-untyped-def]
        engine, settings, make_partner, monkeypatch) -> None:
    hub = Exchange.between(engine, settings, make_partner("source").org, make_partner("recipient").org)
    hub.endpoint("https://93.184.216.34/hook")
    analyze = SlowAnalyze(patience=0.2)
    monkeypatch.setattr(worker_module, "analyze_if_grown", analyze)
    worker = Worker(engine, hub.settings, sender=Recording())
    try:
        await asyncio.to_thread(Ingestor(engine, hub.settings).ingest_item, hub.source, story("urn:alone", "Alone"))
        done = await worker.run_once()
        assert done.sequenced == 1 and not worker._chores  # nothing left running once the round returns
        expected = list(worker_module.GROWING_TABLES) if engine.dialect.name == "postgresql" else []
        assert analyze.tables == expected
    finally:
        await worker.sender.close()
