"""A running delivery worker checkpoints SQLite's WAL in a thread of its own (db/checkpoint.py), not in its
commits, and stops it when it stops; on PostgreSQL it starts none."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.checkpoint import active_checkpointer
from newsbridge.delivery.worker import Worker

pytestmark = pytest.mark.anyio


async def test_the_worker_runs_a_checkpointer_while_it_runs(engine: Engine, settings: Settings) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(Worker(engine, settings, name="checkpoint-test").run(stop, idle=0.05))
    try:
        await asyncio.sleep(0)  # the task runs up to its first wait: the checkpointer is started before that
        checkpointer = active_checkpointer(engine)
        if engine.dialect.name == "sqlite":
            assert checkpointer is not None and checkpointer.running
            runs = checkpointer.runs
            assert await asyncio.to_thread(checkpointer.wait_for_run, runs, 30)  # it checkpoints
        else:
            assert checkpointer is None
    finally:
        stop.set()
        await running
    assert active_checkpointer(engine) is None
    if engine.dialect.name == "sqlite":
        assert not checkpointer.running  # stopped with the worker
