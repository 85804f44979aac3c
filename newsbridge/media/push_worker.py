"""The push worker: finds delivered media to push, claims pushes, sends originals, records attempts.

Runs inside ``newsbridge serve`` (an asyncio task beside the delivery and media workers) and in
``newsbridge worker``; several may run against PostgreSQL at once. Database work happens in short
transactions; each push runs in a thread of its own (boto3 and the blob store block), its lease
renewed after every part.

At each attempt the worker asks again what the partner may have, as the signed media URLs do
(``media/links.py`` ``entitled_rendition``): the original when the agreement's media rules offer
it, else the GPS-free copy (``original-nogps``) for a partner without ``allow_gps``; while the
derivative job has not yet looked for GPS, the push waits (retried); when nothing is offered any
more (withdrawn, proxy only, over the maximum resolution, the delivery gone) it ends ``failed``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from datetime import datetime

from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.errors import NewsbridgeError, NotFound
from newsbridge.ids import new_id, utcnow
from newsbridge.items.queries import get_item
from newsbridge.media.blobs import BlobStore, blob_store
from newsbridge.media.derivatives import WITHOUT_GPS
from newsbridge.media.links import ORIGINAL, entitled_rendition, media_ids
from newsbridge.media.push import (LEASE, PushClaim, PushOutcome, State, any_due, claim, record, renew, scan,
                                   scan_due)
from newsbridge.media.push_s3 import Bucket, GuardedSender, put_original, s3_client
from newsbridge.media.push_targets import target_by_id, unseal
from newsbridge.media.records import Media, Rendition, get_media, list_renditions
from newsbridge.targets import Resolver, system_resolver

log = logging.getLogger(__name__)
PROCESSING = ("uploaded", "probed")


NOT_OFFERED = ("the original is not offered to this organization now (withdrawn, proxy only, over its maximum "
               "resolution, or no longer delivered)")


def _still_delivered(conn: Connection, organization_id: str, item_id: str, media_id: str) -> bool:
    """The organization still sees the item, not withdrawn, and its newest version still names the media."""
    try:
        record = get_item(conn, get_organization_by_id(conn, organization_id), item_id)
    except NotFound:
        return False
    latest = record.latest
    return not latest.notice_only and latest.pubstatus != "canceled" and media_id in media_ids(latest.document)


def choose_rendition(engine: Engine, organization_id: str, item_id: str,
                     media_id: str) -> tuple[Rendition, Media] | PushOutcome:
    """The rendition to push to the organization now, or the outcome that says why none."""
    with reading(engine) as conn:
        media = get_media(conn, media_id)
        if media.status == "rejected":  # a bomb, a lie, an unsafe SVG: never handed on
            return PushOutcome(None, "the hub refused this file (see the media's job)", final=True)
        if not _still_delivered(conn, organization_id, item_id, media_id):
            return PushOutcome(None, NOT_OFFERED, final=True)
        renditions = {r.name: r for r in list_renditions(conn, [media_id])[media_id]}
        for name in (ORIGINAL, WITHOUT_GPS):
            if name in renditions:
                try:
                    return entitled_rendition(conn, organization_id, renditions[name].id)
                except NotFound:
                    continue
    if media.status in PROCESSING:
        return PushOutcome(None, "waiting for the hub to finish processing the media (its GPS check)")
    return PushOutcome(None, NOT_OFFERED, final=True)


def _error(exc: Exception) -> PushOutcome:
    """An attempt's failure as the push records it: the S3 service's status and code when it answered."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        meta = exc.response.get("ResponseMetadata", {})
        error = exc.response.get("Error", {})
        return PushOutcome(meta.get("HTTPStatusCode"), f"{error.get('Code', 'error')}: {error.get('Message', '')}"
                           .strip().rstrip(":"))
    if isinstance(exc, NewsbridgeError):
        return PushOutcome(None, f"refused: {exc.message}")
    return PushOutcome(None, f"{type(exc).__name__}: {exc}"[:500])


class PushWorker:
    """One push worker; ``at_once`` pushes are claimed and sent at a time."""

    def __init__(self, engine: Engine, settings: Settings, store: BlobStore | None = None, name: str | None = None,
                 at_once: int = 2, resolver: Resolver = system_resolver) -> None:
        self.engine = engine
        self.settings = settings
        self.store = store or blob_store(settings)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"
        self.at_once = max(1, at_once)
        self.resolver = resolver

    def scan(self, now: datetime | None = None) -> int:
        with reading(self.engine) as conn:
            if not scan_due(conn):
                return 0  # idle: no write transaction
        with writing(self.engine) as conn:
            return scan(conn, now or utcnow())

    def claim(self, now: datetime | None = None) -> list[PushClaim]:
        now = now or utcnow()
        with reading(self.engine) as conn:
            if not any_due(conn, now):
                return []
        with writing(self.engine) as conn:
            return claim(conn, self.name, now, self.at_once)

    def push(self, claimed: PushClaim) -> PushOutcome:
        """One attempt (blocking: call it in a thread)."""
        with reading(self.engine) as conn:
            target = target_by_id(conn, claimed.target_id)
            secret = unseal(conn, target.id)
        chosen = choose_rendition(self.engine, target.organization_id, claimed.item_id, claimed.media_id)
        if isinstance(chosen, PushOutcome):
            return chosen
        rendition, _media = chosen
        sender = GuardedSender(self.settings.allow_private_targets, self.resolver)
        last_renewal = time.monotonic()

        def progress() -> None:
            nonlocal last_renewal
            if time.monotonic() - last_renewal > LEASE.total_seconds() / 3:
                with writing(self.engine) as conn:
                    if not renew(conn, claimed, utcnow()):
                        raise RuntimeError("the push was taken over by another worker")
                last_renewal = time.monotonic()

        try:
            client = s3_client(Bucket(target.endpoint_url, target.bucket, target.region, target.access_key, secret),
                               sender)
            put_original(client, target.bucket, claimed.object_key, self.store.read(rendition.sha256),
                         size=rendition.size, content_type=rendition.content_type, sha256=rendition.sha256,
                         progress=progress)
        except Exception as exc:  # any failure is an attempt: recorded, and retried on the schedule
            return _error(exc)
        finally:
            sender.close()
        return PushOutcome(200, None, pushed=(rendition.name, rendition.sha256, rendition.size))

    def _record(self, claimed: PushClaim, outcome: PushOutcome) -> State | None:
        with writing(self.engine) as conn:
            state = record(conn, claimed, outcome, utcnow())
        if state is None:
            log.warning("media push was taken over; result dropped", extra={"push": claimed.push_id})
        return state

    def run_once_sync(self, now: datetime | None = None) -> list[State | None]:
        """Scan, claim and push one batch in this thread (tests; the loop does it in threads)."""
        self.scan(now)
        return [self._record(c, self.push(c)) for c in self.claim(now)]

    async def run_once(self) -> int:
        """One round: scan, claim, push each in a thread of its own; returns how many were pushed."""
        await asyncio.to_thread(self.scan)
        claimed = await asyncio.to_thread(self.claim)
        if claimed:
            outcomes = await asyncio.gather(*(asyncio.to_thread(self.push, c) for c in claimed))
            for c, outcome in zip(claimed, outcomes):
                await asyncio.to_thread(self._record, c, outcome)
        return len(claimed)

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Work until ``stop`` is set; wait ``idle`` seconds when there was nothing to do."""
        log.info("media push worker started", extra={"worker": self.name})
        while not stop.is_set():
            try:
                ran = await self.run_once()
            except Exception:  # a bad round (database restarting) must not stop pushes for good
                log.exception("media push round failed")
                ran = 0
            if not ran:
                try:
                    await asyncio.wait_for(stop.wait(), idle)
                except asyncio.TimeoutError:
                    pass
        log.info("media push worker stopped", extra={"worker": self.name})
