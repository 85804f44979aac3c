"""Wake-ups for live readers: in one process, and across processes through PostgreSQL NOTIFY."""

from __future__ import annotations

import asyncio
import threading

import pytest
import sqlalchemy as sa

from newsbridge.delivery.signals import CHANNEL, FeedSignal, listen

pytestmark = pytest.mark.anyio


async def test_a_notify_from_another_thread_wakes_every_waiter() -> None:
    signal = FeedSignal()
    waiters = [asyncio.create_task(signal.wait(5.0)) for _ in range(3)]
    await asyncio.sleep(0)  # let the waiters register
    threading.Thread(target=signal.notify).start()
    assert await asyncio.gather(*waiters) == [True, True, True]


async def test_a_waiter_times_out_when_nothing_happens() -> None:
    assert await FeedSignal().wait(0.05) is False


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_sequencer_in_another_process_wakes_readers_through_postgres(engine) -> None:
    signal, stop = FeedSignal(), asyncio.Event()
    listener = asyncio.create_task(listen(engine, signal, stop))
    try:
        woke = False
        for _ in range(50):  # the listener connects in the background: notify until it hears one
            waiter = asyncio.create_task(signal.wait(0.2))
            await asyncio.sleep(0)
            with engine.begin() as conn:  # what the worker's sequencer sends after giving positions
                conn.execute(sa.text(f"NOTIFY {CHANNEL}"))
            if await waiter:
                woke = True
                break
        assert woke
    finally:
        stop.set()
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
