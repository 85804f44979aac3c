"""The delivery worker: sequence available deliveries, send webhook messages, record results.

Runs inside ``newsbridge serve`` (an asyncio task) or alone (``newsbridge worker``); several
workers may run against PostgreSQL at once. Database work happens in short transactions in
a thread; sending is concurrent on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import endpoints
from newsbridge.delivery.endpoints import signing_secrets
from newsbridge.delivery.outbox import Claim, Outcome, claim, record, sequence
from newsbridge.delivery.project_events import project_event_payloads
from newsbridge.delivery.signals import CHANNEL, FeedSignal
from newsbridge.targets import check_url
from newsbridge.delivery.webhooks import HttpSender, Message, Sender, envelope, sign
from newsbridge.errors import InvalidInput
from newsbridge.ids import new_id, utcnow
from newsbridge.items.queries import delivered_items
from newsbridge.items.render import render
from newsbridge.media.links import media_versions
from newsbridge.telemetry import WEBHOOK_ATTEMPTS

log = logging.getLogger(__name__)


@dataclass
class Pass:
    """What one round of the worker did."""

    sequenced: int = 0
    sent: int = 0
    states: dict[str, int] = field(default_factory=dict)


class Worker:
    """One delivery worker. ``batch`` messages are claimed at a time and sent ``concurrency`` at a time;
    batch × timeout ÷ concurrency (100 × 10 s ÷ 20 = 50 s) stays under the claim lease (60 s), so no
    other worker takes over a message that is still on its way."""

    def __init__(self, engine: Engine, settings: Settings, signal: FeedSignal | None = None,
                 sender: Sender | None = None, name: str | None = None, batch: int = 100,
                 concurrency: int = 20, wake: FeedSignal | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.signal = signal or FeedSignal()
        self.sender = sender or HttpSender(timeout=settings.webhook_timeout_seconds)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"
        self.batch = batch
        self._limit = asyncio.Semaphore(concurrency)
        self.wake = wake  # notified when items are stored in this process: no idle wait before sending

    def _sequence(self) -> int:
        with writing(self.engine) as conn:
            done = sequence(conn, utcnow(), media_wait=timedelta(seconds=self.settings.media_ready_wait_seconds))
            if done and conn.dialect.name == "postgresql":
                conn.execute(sa.text(f"NOTIFY {CHANNEL}"))
        return len(done)

    def _claim(self) -> list[tuple[Claim, Message | Outcome]]:
        now = utcnow()
        with writing(self.engine) as conn:
            claims = claim(conn, self.name, now, self.batch)
        if not claims:
            return []
        with reading(self.engine) as conn:
            items = delivered_items(conn, [c.delivery_id for c in claims if c.delivery_id is not None])
            project_events = project_event_payloads(conn, [c.project_event_id for c in claims
                                                           if c.project_event_id is not None])
            targets = {r.id: r for r in conn.execute(sa.select(endpoints.c.id, endpoints.c.url,
                                                              endpoints.c.format, endpoints.c.organization_id)
                                                    .where(endpoints.c.id.in_({c.endpoint_id for c in claims})))}
            secrets = {e: signing_secrets(conn, e, now) for e in targets}
            # Media hrefs are signed at send time for the endpoint's organization: a retry (or a
            # replay) carries fresh, unexpired URLs, offered as the agreement's media rules say now.
            readers = {t.organization_id: get_organization_by_id(conn, t.organization_id) for t in targets.values()}
            for c in claims:
                if c.delivery_id in items:
                    record_, version, how = items[c.delivery_id]
                    reader = readers[targets[c.endpoint_id].organization_id]
                    [version] = media_versions(conn, self.engine, self.settings, reader,
                                               [(record_, version, how.agreement_id)])
                    items[c.delivery_id] = (record_, version, how)
        prepared: list[tuple[Claim, Message | Outcome]] = []
        for c in claims:
            endpoint = targets[c.endpoint_id]
            try:
                target = check_url(endpoint.url, self.settings.allow_private_targets)
            except InvalidInput as exc:
                prepared.append((c, Outcome(None, f"refused: {exc.message}")))
                continue
            if c.project_event_id is not None:
                body = envelope(c.event, project_events[c.project_event_id], now)
            else:
                record_, version, how = items[c.delivery_id]  # type: ignore[index]
                body = envelope(c.event, render(record_, version, endpoint.format, how), now)
            prepared.append((c, Message(target, c.message_id, body, sign(c.message_id, body, secrets[c.endpoint_id],
                                                                          now))))
        return prepared

    async def _send(self, message: Message | Outcome) -> Outcome:
        if isinstance(message, Outcome):
            return message
        async with self._limit:
            return await self.sender.send(message)

    def _record(self, results: list[tuple[Claim, Outcome]]) -> dict[str, int]:
        states: dict[str, int] = {}
        now = utcnow()
        with writing(self.engine) as conn:
            for claimed, outcome in results:
                state = record(conn, claimed, outcome, now)
                states[state.value] = states.get(state.value, 0) + 1
                WEBHOOK_ATTEMPTS.labels(state.value).inc()
        return states

    async def run_once(self) -> Pass:
        """One round: sequence, claim, send, record."""
        done = Pass()
        done.sequenced = await asyncio.to_thread(self._sequence)
        if done.sequenced:
            self.signal.notify()
        prepared = await asyncio.to_thread(self._claim)
        if prepared:
            outcomes = await asyncio.gather(*(self._send(m) for _, m in prepared))
            done.sent = len(prepared)
            done.states = await asyncio.to_thread(self._record, [(c, o) for (c, _), o in zip(prepared, outcomes)])
        return done

    async def _rest(self, stop: asyncio.Event, idle: float) -> None:
        """Wait ``idle`` seconds, less when stopped or (in-process) when new items are stored."""
        if self.wake is not None:
            await self.wake.wait(idle)
            return
        try:
            await asyncio.wait_for(stop.wait(), idle)
        except asyncio.TimeoutError:
            pass

    async def run(self, stop: asyncio.Event, idle: float = 0.2) -> None:
        """Work until ``stop`` is set; sleep ``idle`` seconds when there was nothing to do."""
        log.info("delivery worker started", extra={"worker": self.name})
        try:
            while not stop.is_set():
                try:
                    done = await self.run_once()
                except Exception:  # a bad round must not stop deliveries for good
                    log.exception("delivery worker round failed")
                    done = Pass()
                if not (done.sequenced or done.sent):
                    await self._rest(stop, idle)
        finally:
            await self.sender.close()
            log.info("delivery worker stopped", extra={"worker": self.name})
