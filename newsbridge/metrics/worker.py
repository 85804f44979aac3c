"""The rollup worker: takes the metrics marks and re-rolls the days they touch, builds missing zones.

Runs beside the delivery worker inside ``newsbridge serve`` and in ``newsbridge worker``. Each
round is one short write transaction in a thread; readers never wait for it (days it has not
reached are read from the raw rows, rollups.py).
"""

from __future__ import annotations

import asyncio
import logging
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.rollup_tables import metrics_marks
from newsbridge.ids import utcnow
from newsbridge.metrics.rollups import build_missing, missing, refresh

log = logging.getLogger(__name__)


class RollupWorker:
    """Takes marks every ``idle`` seconds when there are any, and looks for (agreement, zone) pairs to
    build every ``build_every`` seconds. It opens a write transaction only when there is work: on
    SQLite a writer holds the whole database."""

    def __init__(self, engine: Engine, idle: float = 2.0, build_every: float = 30.0) -> None:
        self.engine, self.idle, self.build_every = engine, idle, build_every
        self._next_build_check = 0.0

    def run_once(self) -> tuple[int, int]:
        """One round: (marks taken, zones built)."""
        taken = built = 0
        with reading(self.engine) as conn:
            waiting = conn.execute(sa.select(metrics_marks.c.id).limit(1)).first() is not None
            check = time.monotonic() >= self._next_build_check
            todo = missing(conn) if check else []
        if waiting:
            with writing(self.engine) as conn:
                taken = refresh(conn, utcnow())
        if todo:
            with writing(self.engine) as conn:
                built = build_missing(conn, utcnow())
        elif check:  # nothing missing: look again later
            self._next_build_check = time.monotonic() + self.build_every
        return taken, built

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                taken, built = await asyncio.to_thread(self.run_once)
            except Exception:  # a bad round must not stop the hub's other workers; the marks stay
                log.exception("metrics rollup round failed")
                taken = built = 0
            if taken or built:
                continue
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.idle)
            except TimeoutError:
                pass
