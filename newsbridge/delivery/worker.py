"""The delivery worker: sequence available deliveries, send webhook messages, record results.

Runs inside ``newsbridge serve`` (an asyncio task) or alone (``newsbridge worker``); several
workers may run against PostgreSQL at once. Database work happens in short transactions in
a thread; sending is concurrent on the event loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.organizations import get_organizations_by_id
from newsbridge.config import Settings
from newsbridge.db.checkpoint import checkpointing
from newsbridge.db.engine import reading, writing
from newsbridge.db.statistics import analyze_if_grown
from newsbridge.db.tables import endpoints
from newsbridge.delivery.bodies import Bodies
from newsbridge.delivery.endpoints import signing_secrets_of
from newsbridge.delivery.media_updates import offered_renditions, queue_media_updates, remember
from newsbridge.delivery.outbox import (Claim, Outcome, State, claim, lock_endpoints, record, record_delivered,
                                        sequence)
from newsbridge.delivery.project_events import project_event_payloads
from newsbridge.delivery.signals import CHANNEL, FeedSignal
from newsbridge.targets import Target, check_url
from newsbridge.delivery.webhooks import HttpSender, Message, Sender, envelope, sign
from newsbridge.errors import InvalidInput
from newsbridge.ids import new_id, utcnow
from newsbridge.items.queries import delivered_items
from newsbridge.media.links import carries_media, media_versions
from newsbridge.telemetry import WEBHOOK_ATTEMPTS

log = logging.getLogger(__name__)
ROUND_PATIENCE = 0.1  # seconds between looks at the rounds (a round that starts sending wakes the loop sooner)
RECORD_PATIENCE = 0.25  # seconds a round waits before recording what has been answered (the rest as it comes)
MAX_ROUNDS = 16  # rounds at once: with a partner timing out, a new round can still start every timeout ÷ 16
CHECK_SECONDS = 30.0  # how long the SSRF guard's answer for an endpoint URL is reused
MEDIA_UPDATES_EVERY = 1.0  # seconds between looks for media updates to send (delivery/media_updates.py)
# deliveries sequenced per round at most: sequencing holds SQLite's one writer, so a burst sequenced 2,000 at a
# time kept the rounds' claims and records (and so the sends) waiting ~0.15 s each time (bench/fanout.py)
SEQUENCE_CHUNK = 500
STATISTICS_EVERY = 1.0  # seconds between looks at whether a burst outgrew PostgreSQL's statistics (db/statistics.py)
GROWING_TABLES = ("outbox", "deliveries")


_frozen = False  # freeze_startup_objects ran in this process


def freeze_startup_objects() -> None:
    """Take the objects alive when the first worker of the process starts (modules, the app, the language and
    topic models: ~160,000 in bench/fanout.py's process) out of the garbage collector's walks, once per process,
    after one collection. Every full collection walked them all, and a burst's sending (aiohttp allocates a
    lot per request) set one off every ~900 messages: ~35 µs a message in all, a third of the event loop's
    share (bench/fanout.py). What is made afterwards is collected as before; only the first worker freezes,
    so a process that starts many (the tests) does not keep each one's garbage."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


@dataclass
class Pass:
    """What one round of the worker did."""

    sequenced: int = 0
    sent: int = 0
    states: dict[str, int] = field(default_factory=dict)


class Worker:
    """One delivery worker. ``batch`` messages are claimed at a time and sent ``concurrency`` at a time;
    batch × timeout ÷ concurrency (200 × 10 s ÷ 100 = 20 s) stays under the claim lease
    (``NEWSBRIDGE_WEBHOOK_LEASE_SECONDS``, 60 s), so no other worker takes over a message that is still
    on its way: a shorter lease claims smaller batches. 100 in flight (was 20 with httpx, whose pool
    slowed down with every connection added): aiohttp's does not, and a batch's per-round database
    work is shared by twice the messages (bench/fanout.py: 20-30 % less CPU per delivery)."""

    def __init__(self, engine: Engine, settings: Settings, signal: FeedSignal | None = None,
                 sender: Sender | None = None, name: str | None = None, batch: int = 200,
                 concurrency: int = 100, wake: FeedSignal | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.signal = signal or FeedSignal()
        self.sender = sender or HttpSender(timeout=settings.webhook_timeout_seconds)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"
        self.lease = timedelta(seconds=settings.webhook_lease_seconds)
        self.per_endpoint = max(1, settings.webhook_endpoint_in_flight)  # outbox.claim's budget per endpoint
        fits = int(self.lease.total_seconds() * concurrency * 0.85 / max(settings.webhook_timeout_seconds, 0.001))
        self.batch = max(1, min(batch, fits))
        # messages this worker holds at once (claimed, not recorded yet): two batches when the lease allows, so
        # the next batch is claimed and signed while the current one is on its way (run() overlaps rounds)
        self.hold = max(self.batch, min(2 * batch, fits))
        self._sending = asyncio.Event()  # set when a round has done its database work and starts sending
        self._limit = asyncio.Semaphore(concurrency)
        self.wake = wake  # notified when items are stored in this process: no idle wait before sending
        self._looked = 0  # wake's generation when the latest round began sequencing (what came later is new)
        self._unfinished = 0  # messages this worker's rounds claimed and have not recorded yet
        self._rounds_sending = 0  # rounds past their database work, waiting on partners' answers
        self._stragglers: set[asyncio.Task[None]] = set()  # detached rounds' last messages, being recorded
        self._chores: set[asyncio.Task[None]] = set()  # statistics being refreshed beside the rounds
        self._checked: dict[str, tuple[float, Target | Outcome]] = {}  # url -> (when, the SSRF guard's answer)
        # claimed messages rendered while their item's media was processing: outbox id -> (delivery, endpoint,
        # rendition ids offered), remembered once delivered (delivery/media_updates.py)
        self._media_pending: dict[int, tuple[int, str, list[str]]] = {}
        self._media_updates_at = 0.0  # when this worker last looked for media updates to send (monotonic)
        self.media_updates_every = MEDIA_UPDATES_EVERY
        self.sequence_chunk = SEQUENCE_CHUNK
        self._statistics_at = 0.0  # when this worker may next look at the growing tables' statistics (monotonic)

    def _sequence(self) -> int:
        if time.monotonic() - self._media_updates_at >= self.media_updates_every:
            self._media_updates_at = time.monotonic()
            try:
                queue_media_updates(self.engine, self.settings, utcnow())  # sent by this round's claim
            except Exception:  # never let it hold up the deliveries themselves
                log.exception("queueing media updates failed")
        with writing(self.engine) as conn:
            # another worker sequencing now does it for both: this one goes on to claim instead of queueing
            done = sequence(conn, utcnow(), limit=self.sequence_chunk,
                            media_wait=timedelta(seconds=self.settings.media_ready_wait_seconds),
                            wait=False)
            if done and conn.dialect.name == "postgresql":
                conn.execute(sa.text(f"NOTIFY {CHANNEL}"))
        return len(done)

    def _refresh_statistics_soon(self) -> asyncio.Task[None] | None:
        """Refresh PostgreSQL's statistics of the tables a burst grows (a never-analyzed outbox had the claims
        read and sort the whole queue: db/statistics.py), at most every ``STATISTICS_EVERY`` seconds, one at a
        time, in a task beside the round: an ANALYZE takes tens of milliseconds, which the claim and the sends
        waited for when it ran before them (the healthy partners' slowest deliveries beside a slow partner on
        PostgreSQL: bench/slow_partner.py --trace, issue 17)."""
        if self.engine.dialect.name != "postgresql" or self._chores or time.monotonic() < self._statistics_at:
            return None
        self._statistics_at = time.monotonic() + STATISTICS_EVERY
        task = asyncio.create_task(asyncio.to_thread(self._refresh_statistics))
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)
        return task

    def _refresh_statistics(self) -> None:
        try:
            with writing(self.engine) as conn:
                for table in GROWING_TABLES:
                    analyze_if_grown(conn, table)
        except Exception:  # never let it hold up the deliveries themselves
            log.exception("refreshing the planner's statistics failed")

    def _claim(self, limit: int) -> list[tuple[Claim, Message | Outcome]]:
        now = utcnow()
        with writing(self.engine) as conn:
            claims = claim(conn, self.name, now, limit, self.lease, self.per_endpoint)
        if not claims:
            return []
        with reading(self.engine) as conn:
            items = delivered_items(conn, [c.delivery_id for c in claims if c.delivery_id is not None])
            project_events = project_event_payloads(conn, [c.project_event_id for c in claims
                                                           if c.project_event_id is not None])
            targets = {r.id: r for r in conn.execute(sa.select(endpoints.c.id, endpoints.c.url,
                                                              endpoints.c.format, endpoints.c.organization_id)
                                                    .where(endpoints.c.id.in_({c.endpoint_id for c in claims})))}
            secrets = signing_secrets_of(conn, targets, now)
            # Media hrefs are signed at send time for the endpoint's organization: a retry (or a
            # replay) carries fresh, unexpired URLs, offered as the agreement's media rules say now.
            # (a version that names no hub media is the same for every reader: no reader needs reading then)
            with_media = {c.endpoint_id for c in claims if c.delivery_id in items
                          and carries_media(items[c.delivery_id][1])}
            readers = (get_organizations_by_id(conn, {targets[e].organization_id for e in with_media})
                       if with_media else {})
            rendered = {}  # outbox id -> the delivery's version for that endpoint's organization, and whether
            for c in claims:  # it is the version every partner reads (no media expanded and signed for this one)
                if c.delivery_id in items:
                    record_, stored, how = items[c.delivery_id]
                    version = stored
                    if carries_media(stored):
                        reader = readers[targets[c.endpoint_id].organization_id]
                        [version] = media_versions(conn, self.engine, self.settings, reader,
                                                   [(record_, stored, how.agreement_id)])
                    rendered[c.outbox_id] = (record_, version, how, version is stored)
                    if version is stored and not version.hub_media:
                        continue  # no hub media offered to this reader: nothing can be processing
                    processing, offered = offered_renditions(version)
                    if processing:  # sent before the derivatives exist: a media update follows once they do
                        self._media_pending[c.outbox_id] = (c.delivery_id, c.endpoint_id, offered)
        prepared: list[tuple[Claim, Message | Outcome]] = []
        bodies = Bodies(now)  # each item version serialized once for the batch, each partner's terms spliced in
        for c in claims:
            endpoint = targets[c.endpoint_id]
            target = self._target(endpoint.url)
            if isinstance(target, Outcome):
                prepared.append((c, target))
                continue
            if c.project_event_id is not None:
                body = envelope(c.event, project_events[c.project_event_id], now)
            else:
                record_, version, how, shared = rendered[c.outbox_id]
                body = bodies.item(c.event, record_, version, endpoint.format, how, shared)
            prepared.append((c, Message(target, c.message_id, body, sign(c.message_id, body, secrets[c.endpoint_id],
                                                                          now))))
        return prepared

    def _target(self, url: str) -> Target | Outcome:
        """The SSRF guard's answer for an endpoint's URL: the address to connect to, or a refusal. Kept for
        ``CHECK_SECONDS`` (as a resolver caches a DNS answer): the check costs more than signing a message,
        and every message still goes to an address that was checked."""
        now = time.monotonic()
        known = self._checked.get(url)
        if known is not None and now - known[0] < CHECK_SECONDS:
            return known[1]
        try:
            found: Target | Outcome = check_url(url, self.settings.allow_private_targets)
        except InvalidInput as exc:
            found = Outcome(None, f"refused: {exc.message}")
        if len(self._checked) >= 10_000:
            self._checked.clear()
        self._checked[url] = (now, found)
        return found

    async def _send(self, message: Message | Outcome) -> Outcome:
        if isinstance(message, Outcome):
            return message
        async with self._limit:
            return await self.sender.send(message)

    def _record(self, results: list[tuple[Claim, Outcome]]) -> dict[str, int]:
        states: dict[str, int] = {}
        now = utcnow()
        delivered = [(c, o) for c, o in results if o.ok]
        pending = [self._media_pending.pop(c.outbox_id, None) for c, _o in results]
        with writing(self.engine) as conn:
            lock_endpoints(conn, results)  # in one order, before the updates below (no deadlock on PostgreSQL)
            record_delivered(conn, delivered, now)  # the common case, in bulk
            remember(conn, [p for p, (_c, o) in zip(pending, results)
                            if p is not None and o.ok], now)
            for claimed, outcome in results:
                if outcome.ok:
                    continue
                state = record(conn, claimed, outcome, now)
                states[state.value] = states.get(state.value, 0) + 1
                WEBHOOK_ATTEMPTS.labels(state.value).inc()
        if delivered:
            states[State.DELIVERED.value] = states.get(State.DELIVERED.value, 0) + len(delivered)
            WEBHOOK_ATTEMPTS.labels(State.DELIVERED.value).inc(len(delivered))
        return states

    async def run_once(self, detach: bool = False) -> Pass:
        """One round: sequence, claim, send, record. With ``detach`` (the loop in ``run``), the round ends
        once what was answered within ``RECORD_PATIENCE`` is recorded; its messages still on their way
        (a slow or silent partner's) are recorded as they come by a task of their own, which keeps their
        share of the worker's ``hold``: a slow partner then holds neither a round nor the others' room."""
        done = Pass()
        if self.wake is not None:  # read before sequencing: a store notified after this is not in this round
            self._looked = self.wake.generation
        done.sequenced = await asyncio.to_thread(self._sequence)
        if done.sequenced:
            self.signal.notify()
        chore = self._refresh_statistics_soon() if done.sequenced else None
        try:
            return await self._claim_send_record(done, detach)
        finally:
            if chore is not None and not detach:  # a round called alone ends with its chore (run() waits at the end)
                await chore

    async def _claim_send_record(self, done: Pass, detach: bool) -> Pass:
        room = min(self.batch, self.hold - self._unfinished)  # rounds overlap in run(): together they hold ``hold``
        if room <= 0:
            return done
        self._unfinished += room
        held = [room]  # claimed and not recorded yet: recorded messages leave it (and the worker's hold) at once
        try:
            prepared = await asyncio.to_thread(self._claim, room)
            self._unfinished -= room - len(prepared)
            held[0] = len(prepared)
            if prepared:
                sends = {asyncio.ensure_future(self._send(m)): c for c, m in prepared}
                self._rounds_sending += 1
                self._sending.set()
                try:
                    answered, waiting = await asyncio.wait(set(sends), timeout=RECORD_PATIENCE if detach else None)
                finally:
                    self._rounds_sending -= 1
                try:
                    await self._record_answered(answered, sends, done, held)
                except BaseException:
                    for future in waiting:  # not recorded: the rest stay leased and are retried after the lease
                        future.cancel()
                    raise
                if waiting:
                    stragglers, held[0] = held[0], 0  # they take their share of the hold with them
                    task = asyncio.create_task(self._record_stragglers(waiting, sends, stragglers))
                    self._stragglers.add(task)
                    task.add_done_callback(self._stragglers.discard)
        finally:
            self._unfinished -= held[0]
        return done

    async def _record_answered(self, answered: set[asyncio.Future[Outcome]], sends: dict[asyncio.Future[Outcome], Claim],
                               done: Pass, held: list[int]) -> None:
        if not answered:
            return
        results = [(sends[f], f.result()) for f in answered]
        for state, count in (await asyncio.to_thread(self._record, results)).items():
            done.states[state] = done.states.get(state, 0) + count
        done.sent += len(results)
        held[0] -= len(results)
        self._unfinished -= len(results)

    async def _record_stragglers(self, waiting: set[asyncio.Future[Outcome]],
                                 sends: dict[asyncio.Future[Outcome], Claim], count: int) -> None:
        """Record a detached round's last messages as their answers come, ``RECORD_PATIENCE`` apart."""
        held = [count]  # still in the worker's _unfinished: the round handed them over without taking them off
        try:
            while waiting:
                answered, waiting = await asyncio.wait(waiting, timeout=RECORD_PATIENCE)
                await self._record_answered(answered, sends, Pass(), held)
        except Exception:  # as a failed round: what is not recorded stays leased and is retried after the lease
            log.exception("delivery worker could not record answers")
        finally:
            for future in waiting:
                future.cancel()
            self._unfinished -= held[0]

    async def _rest(self, stop: asyncio.Event, idle: float) -> None:
        """Wait ``idle`` seconds, less when stopped or (in-process) when new items are stored."""
        waits = {asyncio.ensure_future(stop.wait())}
        if self.wake is not None:  # a wake-up only reaches who waits already: watch stop as well
            # ... and none is lost: a store notified since the latest round began sequencing ends the rest at
            # once. Without it, a wake-up that ended one rest was gone when the loop next collected a round that
            # had found nothing (one that claimed only a slow partner's messages) and rested again: the new
            # item waited for the next store or the idle timeout (bench/slow_partner.py --trace on SQLite:
            # +100 ms on the healthy partners' p99 beside one partner answering in 2 s; issue 17)
            waits.add(asyncio.ensure_future(self.wake.wait(idle, since=self._looked)))
        _done, pending = await asyncio.wait(waits, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
        for waiting in pending:
            waiting.cancel()

    async def run(self, stop: asyncio.Event, idle: float = 0.2) -> None:
        """Work until ``stop`` is set; sleep ``idle`` seconds when there was nothing to do.

        A round records what was answered within ``RECORD_PATIENCE`` and ends; its sends still on their way
        (a slow or silent partner's) are recorded as they come, off the round. A new round starts beside rounds
        that are all sending (never beside a round doing its database work, so rounds do not pile up on
        the database; up to ``MAX_ROUNDS``) as soon as room is left: together they hold ``hold`` messages
        at most (two batches when the lease covers them), so the next batch is claimed, rendered and
        signed while the current one is on its way, and a partner that is slow, silent or resets
        connections does not hold up everyone else's next messages; the lease still covers every
        claimed message."""
        log.info("delivery worker started", extra={"worker": self.name})
        freeze_startup_objects()
        # SQLite's WAL checkpoints in a thread of their own, not in this worker's commits (db/checkpoint.py); one
        # per process: `newsbridge serve` starts it with its worker, `newsbridge worker` with this one
        with checkpointing(self.engine):
            await self._rounds(stop, idle)

    async def _rounds(self, stop: asyncio.Event, idle: float) -> None:
        rounds: set[asyncio.Task[Pass]] = set()
        try:
            while not stop.is_set():
                if len(rounds) < MAX_ROUNDS and len(rounds) == self._rounds_sending and (  # all wait on partners
                        not rounds or self._unfinished < self.hold):  # and room is left to claim
                    rounds.add(asyncio.create_task(self.run_once(detach=True)))
                # woken when a round finishes, or starts sending (then the next batch is claimed beside it)
                sending = asyncio.ensure_future(self._sending.wait())
                finished, rounds = await asyncio.wait(rounds | {sending}, timeout=ROUND_PATIENCE,
                                                      return_when=asyncio.FIRST_COMPLETED)
                sending.cancel()
                self._sending.clear()  # the state is read afresh above: a wake-up is used once
                finished.discard(sending)
                rounds.discard(sending)
                worked = False
                for task in finished:
                    try:
                        done = task.result()
                    except Exception:  # a bad round must not stop deliveries for good
                        log.exception("delivery worker round failed")
                        done = Pass()
                    worked = worked or bool(done.sequenced or done.sent)
                if finished and not worked:
                    await self._rest(stop, idle)
        finally:
            if rounds:  # let the rounds on their way record what they sent
                await asyncio.gather(*rounds, return_exceptions=True)
            if self._stragglers:
                await asyncio.gather(*self._stragglers, return_exceptions=True)
            if self._chores:
                await asyncio.gather(*self._chores, return_exceptions=True)
            await self.sender.close()
            log.info("delivery worker stopped", extra={"worker": self.name})
