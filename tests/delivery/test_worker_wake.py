"""Storing an item in the process that runs the delivery worker wakes it: webhooks leave at once
instead of after the worker's idle pause (both databases)."""

from __future__ import annotations

import asyncio
import time

import pytest
from receivers import Exchange

from newsbridge.delivery.outbox import Outcome
from newsbridge.delivery.signals import FeedSignal
from newsbridge.delivery.webhooks import Message
from newsbridge.delivery.worker import Worker
from newsbridge.formats.item import Item
from newsbridge.ingest.pipeline import Ingestor

pytestmark = pytest.mark.anyio


class Recording:
    """A sender that answers 200 and notes when each message left."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, Message]] = []

    async def send(self, message: Message) -> Outcome:
        self.sent.append((time.monotonic(), message))
        return Outcome(200, None)

    async def close(self) -> None:
        return None


def story(uri: str, headline: str) -> Item:
    return Item(uri=uri, version="1", language="en", headline=headline, body_text=f"Text of {headline}.")


def test_the_ingestor_tells_when_something_new_was_stored(engine, settings, make_partner) -> None:  # type: ignore[no-untyped-def]
    source = make_partner("source").org
    told: list[int] = []
    ingestor = Ingestor(engine, settings, on_stored=lambda: told.append(1))
    ingestor.ingest_item(source, story("urn:a", "First"))
    ingestor.ingest_item(source, story("urn:a", "First"))  # the same again: nothing new
    assert len(told) == 1
    ingestor.ingest_items(source, [story("urn:b", "Second"), story("urn:c", "Third")])
    assert len(told) == 2  # one commit, one word
    ingestor.ingest_items(source, [story("urn:b", "Second")])
    assert len(told) == 2


async def test_a_stored_item_wakes_the_resting_worker(engine, settings, make_partner) -> None:  # type: ignore[no-untyped-def]
    hub = Exchange.between(engine, settings, make_partner("source").org, make_partner("recipient").org)
    hub.endpoint("https://93.184.216.34/hook")  # a public address: the sender double never connects
    wake, stop, sender = FeedSignal(), asyncio.Event(), Recording()
    worker = Worker(engine, hub.settings, sender=sender, wake=wake)
    running = asyncio.create_task(worker.run(stop, idle=30.0))  # without a wake-up: a 30 s rest
    try:
        await asyncio.sleep(0.5)  # the first round found nothing; the worker rests
        ingestor = Ingestor(engine, hub.settings, on_stored=wake.notify)
        stored_at = time.monotonic()
        await asyncio.to_thread(ingestor.ingest_item, hub.source, story("urn:now", "Breaking"))
        for _ in range(100):
            if sender.sent:
                break
            await asyncio.sleep(0.05)
        assert sender.sent, "the worker did not wake"
        assert sender.sent[0][0] - stored_at < 3.0
        assert "Breaking" in sender.sent[0][1].body
    finally:
        stop.set()
        wake.notify()
        await asyncio.wait_for(running, 5)
