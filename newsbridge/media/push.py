"""Pushes: the originals of media delivered to a partner, copied into the partner's own S3 bucket.

A push is recorded like a webhook message (``delivery/outbox.py``) and moves through the same
states with the same retry schedule: pending -> in_flight -> delivered | retrying -> (in_flight
again) ... -> dead after the last retry; failed when the original may not, or no longer, go to
the partner (withdrawn, proxy only, over its maximum resolution) or the target was turned off.
dead, failed and delivered pushes can be replayed. (``media`` may not import ``delivery``, so the
schedule is repeated here; a test holds the two equal.)

:func:`scan` finds what to push: deliveries that entered a target organization's feed (or its
holding's) since the target's ``scanned_position``, whose version names hub media of a kind its
agreement shares with it and not ``proxy_only``; one push per target, item and media, to
``s3://bucket/prefix/<item id>/<file name>``. A joint project's item also carries the media its
co-producers lent it (``links.lent_media``): those are pushed too, under each owner's terms, except
to their owner. Which rendition goes (the original, or the GPS-free
copy for a partner without ``allow_gps``) is decided at each attempt, by the rules then in force,
as webhooks render at send time.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.db.media_push_tables import media_push_targets, media_pushes
from newsbridge.db.tables import deliveries, item_versions, items, organizations
from newsbridge.exchange.media_rules import Offer, offer_for
from newsbridge.media.links import lent_media, media_ids
from newsbridge.media.records import Media, media_by_id
from newsbridge.retries import (DISABLE_AFTER, RETRY_SCHEDULE, TRANSITIONS, State,  # noqa: F401  (named here too)
                                check_transition, next_delay)

LEASE = timedelta(minutes=5)  # renewed after each part while a big original is on its way
SCAN_LIMIT = 500  # deliveries looked at per target and round
ERROR_CHARS = 2000


@dataclass(frozen=True)
class PushClaim:
    push_id: int
    target_id: str
    item_id: str
    media_id: str
    object_key: str
    attempts: int  # including this one
    worker: str


@dataclass(frozen=True)
class PushOutcome:
    """What one attempt came to: ``status`` is the S3 service's HTTP status (None: no answer);
    ``final`` ends the push ``failed`` (retrying cannot help); ``pushed`` is (rendition, sha256,
    size) once the object is in the bucket."""

    status: int | None
    error: str | None
    final: bool = False
    pushed: tuple[str, str, int] | None = None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


def file_name(media: Media) -> str:
    """The object's last key part: the uploaded file's name (made safe), else ``<media id>.<ext>``."""
    name = _UNSAFE.sub("_", (media.filename or "").rsplit("/", 1)[-1]).strip(" .")[:200]
    if name:
        return name
    return media.id + (mimetypes.guess_extension(media.content_type) or "")


def object_key(prefix: str, item_id: str, name: str) -> str:
    return "/".join(p for p in (prefix, item_id, name) if p)


def _keys(conn: Connection, target: Any, item_id: str, wanted: list[Media]) -> dict[str, str]:
    """Object keys for ``wanted`` media of one item, unique within the item's folder (a second file
    of the same name gets its media id in front)."""
    taken = set(conn.execute(sa.select(media_pushes.c.object_key).where(
        media_pushes.c.target_id == target.id, media_pushes.c.item_id == item_id)).scalars())
    keys: dict[str, str] = {}
    for media in wanted:
        key = object_key(target.prefix, item_id, file_name(media))
        if key in taken:
            key = object_key(target.prefix, item_id, f"{media.id}-{file_name(media)}")
        taken.add(key)
        keys[media.id] = key
    return keys


def _pushable(media: Media, offer: Offer) -> bool:
    """Whether the original (or its GPS-free copy) of ``media`` can be the partner's under ``offer``:
    a kind the term shares, not proxy only. Resolution and GPS are judged at each attempt."""
    return media.kind in offer.kinds and not offer.limits.proxy_only


def scan(conn: Connection, now: datetime, limit: int = SCAN_LIMIT) -> int:
    """Record the pushes of deliveries that entered enabled targets' feeds since each was last
    scanned; returns how many were recorded. Several workers: a target is scanned by one at a time
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's writer holds the database)."""
    holding = organizations.alias("holding")
    query = (sa.select(media_push_targets.c.id, media_push_targets.c.organization_id, media_push_targets.c.prefix,
                       media_push_targets.c.scanned_position, holding.c.parent_id)
             .join(holding, holding.c.id == media_push_targets.c.organization_id)
             .where(media_push_targets.c.enabled.is_(True)).order_by(media_push_targets.c.id))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=media_push_targets)
    recorded = 0
    for target in conn.execute(query).all():
        recipients = [r for r in (target.organization_id, target.parent_id) if r]
        rows = conn.execute(
            sa.select(deliveries.c.id, deliveries.c.item_id, deliveries.c.agreement_id, deliveries.c.position,
                      deliveries.c.event, items.c.organization_id.label("source_id"), items.c.uri,
                      item_versions.c.document, item_versions.c.pubstatus)
            .join(items, items.c.id == deliveries.c.item_id)
            .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                         item_versions.c.version == deliveries.c.version))
            .where(deliveries.c.position > target.scanned_position, deliveries.c.recipient_id.in_(recipients))
            .order_by(deliveries.c.position).limit(limit)).all()
        if not rows:
            continue
        recorded += _record_pushes(conn, target, rows, now)
        conn.execute(media_push_targets.update().where(media_push_targets.c.id == target.id)
                     .values(scanned_position=rows[-1].position))
    return recorded


def _record_pushes(conn: Connection, target: Any, rows: Iterable[Any], now: datetime) -> int:
    viewer = get_organization_by_id(conn, target.organization_id)
    offers: dict[tuple[str, str], Offer] = {}
    recorded = 0
    for row in rows:
        if row.event == "item.withdrawn" or row.pubstatus == "canceled" or not isinstance(row.document, dict):
            continue
        named = media_ids(row.document)
        owners = media_by_id(conn, named) if named else {}
        offer = offer_for(conn, viewer, row.source_id, row.agreement_id, offers)
        wanted = [owners[m] for m in sorted(named) if m in owners and owners[m].organization_id == row.source_id
                  and _pushable(owners[m], offer)]
        # a joint project's item also carries the media co-producers lent it, under each owner's terms;
        # the target's own media is its already and is not pushed back to it
        for m in sorted(lent_media(conn, row.source_id, row.uri, named, owners)):
            owner = owners[m].organization_id
            if owner != viewer.id and _pushable(owners[m], offer_for(conn, viewer, owner, row.agreement_id, offers)):
                wanted.append(owners[m])
        known = set(conn.execute(sa.select(media_pushes.c.media_id).where(
            media_pushes.c.target_id == target.id, media_pushes.c.item_id == row.item_id)).scalars())
        wanted = [m for m in wanted if m.id not in known]  # a correction naming the same media: pushed once
        if not wanted:
            continue
        keys = _keys(conn, target, row.item_id, wanted)
        conn.execute(media_pushes.insert(), [
            {"target_id": target.id, "delivery_id": row.id, "item_id": row.item_id, "media_id": m.id,
             "object_key": keys[m.id], "state": State.PENDING.value, "attempts": 0, "next_attempt_at": now,
             "created_at": now} for m in wanted])
        recorded += len(wanted)
    return recorded


def scan_due(conn: Connection) -> bool:
    """Whether :func:`scan` has anything to look at (a read: idle workers take no write lock)."""
    holding = organizations.alias("holding")
    newer = sa.exists(sa.select(deliveries.c.id).where(
        deliveries.c.position > media_push_targets.c.scanned_position,
        deliveries.c.recipient_id.in_([media_push_targets.c.organization_id, holding.c.parent_id])))
    return conn.execute(sa.select(media_push_targets.c.id)
                        .join(holding, holding.c.id == media_push_targets.c.organization_id)
                        .where(media_push_targets.c.enabled.is_(True), newer).limit(1)).first() is not None


def _due(now: datetime) -> sa.ColumnElement[bool]:
    enabled = sa.exists(sa.select(media_push_targets.c.id).where(media_push_targets.c.id == media_pushes.c.target_id,
                                                                 media_push_targets.c.enabled.is_(True)))
    return sa.and_(enabled, sa.or_(
        sa.and_(media_pushes.c.state.in_([State.PENDING.value, State.RETRYING.value]),
                media_pushes.c.next_attempt_at <= now),
        sa.and_(media_pushes.c.state == State.IN_FLIGHT.value, media_pushes.c.lease_until < now)))


def any_due(conn: Connection, now: datetime) -> bool:
    return conn.execute(sa.select(media_pushes.c.id).where(_due(now)).limit(1)).first() is not None


def claim(conn: Connection, worker: str, now: datetime, limit: int = 4) -> list[PushClaim]:
    """Take due pushes for sending (several workers: SKIP LOCKED; a crashed worker's lease expires)."""
    query = (sa.select(media_pushes.c.id, media_pushes.c.target_id, media_pushes.c.item_id, media_pushes.c.media_id,
                       media_pushes.c.object_key, media_pushes.c.attempts)
             .where(_due(now)).order_by(media_pushes.c.next_attempt_at, media_pushes.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=media_pushes)
    rows = conn.execute(query).all()
    if not rows:
        return []
    conn.execute(media_pushes.update().where(media_pushes.c.id.in_([r.id for r in rows])).values(
        state=State.IN_FLIGHT.value, lease_until=now + LEASE, claimed_by=worker, attempts=media_pushes.c.attempts + 1))
    return [PushClaim(r.id, r.target_id, r.item_id, r.media_id, r.object_key, r.attempts + 1, worker) for r in rows]


def _mine(claimed: PushClaim) -> sa.ColumnElement[bool]:
    return sa.and_(media_pushes.c.id == claimed.push_id, media_pushes.c.claimed_by == claimed.worker,
                   media_pushes.c.attempts == claimed.attempts, media_pushes.c.state == State.IN_FLIGHT.value)


def renew(conn: Connection, claimed: PushClaim, now: datetime) -> bool:
    """Extend the lease of a push on its way; False when another worker took it over."""
    return conn.execute(media_pushes.update().where(_mine(claimed)).values(lease_until=now + LEASE)).rowcount == 1


def record(conn: Connection, claimed: PushClaim, result: PushOutcome, now: datetime) -> State | None:
    """Store the result of one attempt and move the push (and maybe its target) on, as
    ``delivery/outbox.py`` ``record`` does for a webhook message; None when the push is no longer
    this worker's (its result is dropped)."""
    values: dict[str, Any] = {"last_status": result.status, "last_error": (result.error or None) and
                              result.error[:ERROR_CHARS], "lease_until": None, "claimed_by": None}
    target = media_push_targets.c.id == claimed.target_id
    if result.pushed is not None:
        state = State.DELIVERED
        values.update(pushed_at=now, rendition=result.pushed[0], sha256=result.pushed[1], size=result.pushed[2])
        conn.execute(media_push_targets.update().where(target).values(failing_since=None))
    elif result.final:
        state = State.FAILED
    else:
        delay = next_delay(claimed.attempts)
        state = State.DEAD if delay is None else State.RETRYING
        if delay is not None:
            values["next_attempt_at"] = now + timedelta(seconds=delay)
        found = conn.execute(sa.select(media_push_targets.c.failing_since, media_push_targets.c.enabled)
                             .where(target)).one()
        if found.failing_since is None:
            conn.execute(media_push_targets.update().where(target).values(failing_since=now))
        elif now - found.failing_since > DISABLE_AFTER:
            disable_target(conn, claimed.target_id,
                           f"failing since {found.failing_since:%Y-%m-%d %H:%M} UTC: {result.error}")
            state = State.FAILED
        if not found.enabled:
            state = State.FAILED  # turned off while this push was on its way
    check_transition(State.IN_FLIGHT, state, "push")
    done = conn.execute(media_pushes.update().where(_mine(claimed)).values(state=state.value, **values))
    return state if done.rowcount == 1 else None


def disable_target(conn: Connection, target_id: str, reason: str) -> None:
    """Stop a target: its waiting pushes fail (and can be replayed once it works again)."""
    conn.execute(media_push_targets.update().where(media_push_targets.c.id == target_id)
                 .values(enabled=False, disabled_reason=reason))
    conn.execute(media_pushes.update().where(media_pushes.c.target_id == target_id,
                                             media_pushes.c.state.in_([State.PENDING.value, State.RETRYING.value]))
                 .values(state=State.FAILED.value, last_error=reason))


def replay(conn: Connection, target_id: str, now: datetime, *, push_id: int | None = None) -> int:
    """Push dead and failed pushes (and, named by id, a delivered one) again; returns how many."""
    states = [State.DEAD.value, State.FAILED.value] + ([State.DELIVERED.value] if push_id is not None else [])
    where = [media_pushes.c.target_id == target_id, media_pushes.c.state.in_(states)]
    if push_id is not None:
        where.append(media_pushes.c.id == push_id)
    done = conn.execute(media_pushes.update().where(*where).values(
        state=State.PENDING.value, attempts=0, next_attempt_at=now, last_error=None, last_status=None))
    return done.rowcount


def list_pushes(conn: Connection, target_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The target's newest pushes (the delivery log of the API and the desk), times as datetimes."""
    rows = conn.execute(
        sa.select(media_pushes, item_versions.c.headline)
        .join(deliveries, deliveries.c.id == media_pushes.c.delivery_id)
        .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                     item_versions.c.version == deliveries.c.version))
        .where(media_pushes.c.target_id == target_id).order_by(media_pushes.c.id.desc()).limit(limit)).all()
    return [{"id": r.id, "item_id": r.item_id, "headline": r.headline, "media_id": r.media_id,
             "key": r.object_key, "state": r.state, "attempts": r.attempts,
             "next_attempt_at": r.next_attempt_at if r.state in ("pending", "retrying") else None,
             "last_status": r.last_status, "last_error": r.last_error, "rendition": r.rendition,
             "sha256": r.sha256, "size": r.size, "pushed_at": r.pushed_at, "created_at": r.created_at}
            for r in rows]
