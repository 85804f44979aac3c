"""A store's wake-up is never lost by the delivery worker (both databases).

The worker rests between rounds until an item is stored in its process (or the idle timeout). A
wake-up that came while it was not resting used to be lost: beside a slow partner, a wake-up ended
one rest, the loop then collected a round that had found nothing (one that had claimed only the slow
partner's messages) and rested again, and the new item waited for the next store or the idle
timeout (bench/slow_partner.py --trace: +100 ms on the healthy partners' p99 on SQLite; issue 17).
Now a store notified since the latest round began sequencing ends a rest at once.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from receivers import Exchange
from test_worker_wake import Recording, story

from newsbridge.delivery.signals import FeedSignal
from newsbridge.delivery.worker import Worker
from newsbridge.ingest.pipeline import Ingestor

pytestmark = pytest.mark.anyio
IDLE = 30.0  # the worker's rest without a wake-up: a lost one shows as this long


async def test_a_notification_before_the_wait_counts_when_the_waiter_says_since_when() -> None:
    signal = FeedSignal()
    seen = signal.generation
    signal.notify()  # nobody waits yet: before, this was gone
    started = time.monotonic()
    assert await signal.wait(IDLE, since=seen) is True
    assert time.monotonic() - started < 1.0
    assert await signal.wait(0.05, since=signal.generation) is False  # nothing new since: it waits


async def test_a_store_while_the_worker_was_busy_ends_its_next_rest(engine, settings, make_partner) -> None:  # type: ignore[no-untyped-def]
    hub = Exchange.between(engine, settings, make_partner("source").org, make_partner("recipient").org)
    hub.endpoint("https://93.184.216.34/hook")  # a public address: the sender double never connects
    wake, stop, sender = FeedSignal(), asyncio.Event(), Recording()
    worker = Worker(engine, hub.settings, sender=sender, wake=wake)
    ingestor = Ingestor(engine, hub.settings, on_stored=wake.notify)
    try:
        await worker.run_once()  # a round that finds nothing
        rest = asyncio.create_task(worker._rest(stop, IDLE))
        await asyncio.sleep(0.3)
        assert not rest.done(), "with nothing stored since the round began, the worker rests"
        rest.cancel()

        await worker.run_once()  # a round begins; an item is stored after its sequencing (no one rests)
        await asyncio.to_thread(ingestor.ingest_item, hub.source, story("urn:meanwhile", "Meanwhile"))
        started = time.monotonic()
        await asyncio.wait_for(worker._rest(stop, IDLE), 5.0)  # before: the full 30 s (a timeout here)
        assert time.monotonic() - started < 5.0
        done = await worker.run_once()  # the item the rest was ended for goes out
        assert done.sequenced == 1 and "Meanwhile" in sender.sent[-1][1].body
    finally:
        await worker.sender.close()
