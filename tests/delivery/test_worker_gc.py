"""A starting delivery worker takes the objects alive then out of the garbage collector's walks (gc.freeze),
and what is made afterwards is still collected."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.delivery import worker as worker_module
from newsbridge.delivery.worker import Worker

pytestmark = pytest.mark.anyio


def _stopped() -> asyncio.Event:
    stop = asyncio.Event()
    stop.set()
    return stop


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


async def test_the_worker_freezes_what_was_alive_and_still_collects_what_comes_after(
        engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    monkeypatch.setattr(worker_module, "_frozen", False)  # as in a process whose first worker starts now
    try:
        before = Node()
        worker = Worker(engine, settings, name="gc-test")
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop, idle=0.05))
        await asyncio.sleep(0.2)
        assert gc.get_freeze_count() > 0
        frozen_then = weakref.ref(before)
        after = Node()
        made_after = weakref.ref(after)
        del before, after
        gc.collect()
        assert made_after() is None  # made after the freeze: collected as ever
        assert frozen_then() is not None  # alive at the freeze: left out of the collector's walks
        stop.set()
        await running
        gc.unfreeze()
        await Worker(engine, settings, name="second").run(_stopped(), idle=0.01)
        assert gc.get_freeze_count() == 0  # only the process's first worker freezes
    finally:
        gc.unfreeze()
        gc.collect()
