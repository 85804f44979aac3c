"""The rollup worker: takes the metrics marks and re-rolls the days they touch, builds missing zones.

Runs beside the delivery worker inside ``newsbridge serve`` and in ``newsbridge worker``. Each
round is one short write transaction in a thread; readers never wait for it (days it has not
reached are read from the raw rows, rollups.py).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.engine import Engine

from newsbridge.db.engine import writing
from newsbridge.ids import utcnow
from newsbridge.metrics.rollups import build_missing, refresh

log = logging.getLogger(__name__)


class RollupWorker:
    def __init__(self, engine: Engine, idle: float = 2.0) -> None:
        self.engine, self.idle = engine, idle

    def run_once(self) -> tuple[int, int]:
        """One round: (marks taken, zones built)."""
        with writing(self.engine) as conn:
            taken = refresh(conn, utcnow())
        with writing(self.engine) as conn:
            built = build_missing(conn, utcnow())
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
