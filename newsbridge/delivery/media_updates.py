"""Media updates: renditions made after a webhook went out reach the endpoint that got it.

A delivery waits up to NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS for its item's media (outbox.sequence); when the
derivative job takes longer, the item goes with what is ready then, and the message says so
(``hub.media[].previews: "processing"``). Such a message, once delivered, is remembered here with the
renditions it offered (:func:`remember`). When no media of the item is processing any more (the job is done,
or refused the file), :func:`queue_media_updates` renders the same version again for the endpoint's
organization, as the media rules of its agreement offer it now, and queues **one** more message,
``item.updated`` with the same version, if and only if it offers renditions the first did not (a partner
whose agreement offers none of the new renditions gets nothing). The message is an ordinary outbox message
(retries, signing, rendering at send time) that names the media update instead of the delivery.

Not sent (and recorded so): a newer version of the item has been sequenced for the recipient (it carries the
renditions itself, and is sent after this one would be), the endpoint no longer subscribes to
``item.updated`` or is disabled, nothing new is offered, or the media is still processing
:data:`GIVE_UP` after the message (its job died).

Feed readers (changes feed, live stream, Atom, RSS, JSON Feed) read deliveries by feed position and render
the media at read time, so they need no message: a delivery that entered the feed while its media was being
processed is recorded (:func:`move_late_previews`, table ``late_previews``) and, once no media of the item is
processing, moved to a new feed position past the last one (under the sequencer's lock, as sequencing
numbers). A reader that had read it gets it once more, the same version and event, now with its previews;
a reader that had not reached it yet finds it only at its new place, once. Not moved: a newer version of the
item is in the recipient's feed already, or the media still processes :data:`GIVE_UP` later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import get_organizations_by_id
from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.outbox_tables import late_previews, media_updates
from newsbridge.db.tables import deliveries, endpoints, item_media, item_versions, items, media, outbox
from newsbridge.delivery.outbox import PROCESSING, SEQUENCER_LOCK, State, _media_processing
from newsbridge.delivery.signals import CHANNEL
from newsbridge.ids import new_id
from newsbridge.items.queries import ItemVersion, delivered_items
from newsbridge.media.links import media_ids, media_versions

EVENT = "item.updated"
GIVE_UP = timedelta(days=7)  # a media still processing this long after the message (a dead job): stop waiting
_HREF = re.compile(r"/media/([^/?#]+)\?org=")


def offered_renditions(version: ItemVersion) -> tuple[bool, list[str]]:
    """For a version as rendered for a reader (``media_versions``): whether any of its media was still being
    processed, and the ids of the hub renditions it offered (read back from the signed hrefs)."""
    doc = version.document
    lists = [doc.get("renditions")] + [a.get("renditions") for a in doc.get("associations") or []
                                       if isinstance(a, dict)]
    found: list[str] = []
    for entries in lists:
        for entry in entries if isinstance(entries, list) else ():
            href = entry.get("href") if isinstance(entry, dict) else None
            match = _HREF.search(href) if isinstance(href, str) else None
            if match and match.group(1) not in found:
                found.append(match.group(1))
    processing = any(m.get("previews") == "processing" for m in version.hub_media)
    return processing, found


def remember(conn: Connection, sent: Iterable[tuple[int, str, list[str]]], now: datetime) -> None:
    """Record delivered messages (delivery id, endpoint id, rendition ids offered) whose media was still being
    processed when they were rendered. A delivery and endpoint already recorded keep their first record."""
    rows = [{"delivery_id": d, "endpoint_id": e, "sent": ids, "state": "waiting", "created_at": now}
            for d, e, ids in sent]
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(media_updates).on_conflict_do_nothing(
        index_elements=["delivery_id", "endpoint_id"]), rows)


def _due(conn: Connection, now: datetime, limit: int) -> Sequence[sa.Row[Any]]:
    """Waiting media updates whose item has no media processing any more, or that waited :data:`GIVE_UP`."""
    return conn.execute(
        sa.select(media_updates.c.id, media_updates.c.delivery_id, media_updates.c.endpoint_id,
                  media_updates.c.sent, media_updates.c.created_at, deliveries.c.item_id, deliveries.c.version,
                  deliveries.c.recipient_id)
        .join(deliveries, deliveries.c.id == media_updates.c.delivery_id)
        .where(media_updates.c.state == "waiting",
               sa.or_(media_updates.c.created_at < now - GIVE_UP, ~_media_processing()))
        .order_by(media_updates.c.created_at).limit(limit)).all()


def _superseded(conn: Connection, due: Sequence[sa.Row[Any]]) -> set[int]:
    """The media updates whose recipient has a newer version of the item sequenced (it goes with its own
    renditions)."""
    later = deliveries.alias("later")
    found = set()
    for row in due:
        if conn.execute(sa.select(later.c.id).where(
                later.c.item_id == row.item_id, later.c.recipient_id == row.recipient_id,
                later.c.version > row.version, later.c.position.is_not(None)).limit(1)).first():
            found.add(row.id)
    return found


def queue_media_updates(engine: Engine, settings: Settings, now: datetime, limit: int = 100) -> int:
    """Decide the waiting media updates whose media is done (see the module's docstring): queue an
    ``item.updated`` message for those that offer new renditions, and close every one decided. Returns how
    many messages were queued. Several workers may run it at once: a media update is decided once (its state
    moves from ``waiting`` in the transaction that queues its message). Feed entries whose previews came late
    are moved first (:func:`move_late_previews`)."""
    move_late_previews(engine, now)
    with reading(engine) as conn:
        due = _due(conn, now, limit)
        if not due:
            return 0
        superseded = _superseded(conn, due)
        targets = {r.id: r for r in conn.execute(
            sa.select(endpoints.c.id, endpoints.c.organization_id, endpoints.c.events, endpoints.c.enabled)
            .where(endpoints.c.id.in_({r.endpoint_id for r in due})))}
        readers = get_organizations_by_id(conn, {t.organization_id for t in targets.values()})
        items = delivered_items(conn, [r.delivery_id for r in due])
        decided: list[tuple[sa.Row[Any], str]] = []
        for row in due:
            endpoint = targets[row.endpoint_id]
            if row.id in superseded:
                decided.append((row, "superseded"))
            elif not endpoint.enabled or EVENT not in endpoint.events:
                decided.append((row, "not_subscribed"))
            elif row.created_at < now - GIVE_UP and _still_processing(conn, row.delivery_id):
                decided.append((row, "expired"))
            elif row.delivery_id not in items:
                decided.append((row, "nothing_new"))
            else:
                record, version, how = items[row.delivery_id]
                [rendered] = media_versions(conn, engine, settings, readers[endpoint.organization_id],
                                            [(record, version, how.agreement_id)])
                _processing, now_offered = offered_renditions(rendered)
                new = set(now_offered) - set(row.sent or [])
                decided.append((row, "queued" if new else "nothing_new"))
    queued = 0
    with writing(engine) as conn:
        for row, state in decided:
            moved = conn.execute(media_updates.update()
                                 .where(media_updates.c.id == row.id, media_updates.c.state == "waiting")
                                 .values(state=state, resolved_at=now))
            if state != "queued" or not moved.rowcount:
                continue
            conn.execute(outbox.insert().values(
                endpoint_id=row.endpoint_id, delivery_id=None, media_update_id=row.id, event=EVENT,
                item_id=row.item_id, version=row.version, message_id=f"msg_{new_id()}",
                state=State.PENDING.value, attempts=0, next_attempt_at=now, created_at=now))
            queued += 1
    return queued


def _still_processing(conn: Connection, delivery_id: int) -> bool:
    return bool(conn.execute(sa.select(deliveries.c.id).where(deliveries.c.id == delivery_id,
                                                              _media_processing())).first())


def _entered_processing(conn: Connection) -> list[int]:
    """Deliveries in their recipient's feed whose version names hub media still being processed, not yet
    recorded in ``late_previews`` (withdrawals carry no media)."""
    rows = conn.execute(
        sa.select(deliveries.c.id, item_media.c.media_id, item_versions.c.document)
        .select_from(media.join(item_media, item_media.c.media_id == media.c.id)
                     .join(items, sa.and_(items.c.organization_id == item_media.c.organization_id,
                                          items.c.uri == item_media.c.item_uri))
                     .join(deliveries, deliveries.c.item_id == items.c.id)
                     .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                                  item_versions.c.version == deliveries.c.version)))
        .where(media.c.status.in_(PROCESSING), deliveries.c.position.is_not(None),
               deliveries.c.event != "item.withdrawn",
               ~sa.exists(sa.select(late_previews.c.delivery_id)
                          .where(late_previews.c.delivery_id == deliveries.c.id)))).all()
    # an earlier version of the same uri that did not name this media never showed it processing
    return sorted({r.id for r in rows if isinstance(r.document, dict) and r.media_id in media_ids(r.document)})


def _ready_to_move(conn: Connection, now: datetime, limit: int) -> Sequence[sa.Row[Any]]:
    return conn.execute(
        sa.select(late_previews.c.delivery_id, late_previews.c.created_at, deliveries.c.position,
                  deliveries.c.item_id, deliveries.c.version, deliveries.c.recipient_id)
        .join(deliveries, deliveries.c.id == late_previews.c.delivery_id)
        .where(late_previews.c.state == "waiting",
               sa.or_(late_previews.c.created_at < now - GIVE_UP, ~_media_processing()))
        .order_by(deliveries.c.position).limit(limit)).all()


def move_late_previews(engine: Engine, now: datetime, limit: int = 500) -> int:
    """Record the feed entries that went out while their media was processing, and move those whose media is
    done to new feed positions (see the module's docstring); returns how many moved. A read first: an idle
    hub takes no write lock. On PostgreSQL it skips the round while a sequencer runs (it numbers positions
    too) and wakes live readers in every process (``NOTIFY``); waiting readers on SQLite look again within
    a second anyway.

    A delivery is recorded by the worker's next look (every second) after it was sequenced: media finished
    within that second goes unnoticed, and a reader who read the entry in that second gets no second one."""
    with reading(engine) as conn:
        entered = _entered_processing(conn)
        due = bool(conn.execute(sa.select(late_previews.c.delivery_id)
                                .where(late_previews.c.state == "waiting").limit(1)).first())
    if not entered and not due:
        return 0
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql" and not conn.execute(
                sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK}).scalar():
            return 0
        if entered:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(late_previews).on_conflict_do_nothing(index_elements=["delivery_id"]),
                         [{"delivery_id": d, "state": "waiting", "created_at": now} for d in entered])
        ready = _ready_to_move(conn, now, limit)
        if not ready:
            return 0
        later = deliveries.alias("later")
        moves: list[tuple[int, int]] = []
        start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(deliveries.c.position), 0))).scalar_one()
        for row in ready:
            if conn.execute(sa.select(later.c.id).where(
                    later.c.item_id == row.item_id, later.c.recipient_id == row.recipient_id,
                    later.c.version > row.version, later.c.position.is_not(None)).limit(1)).first():
                state = "superseded"  # the newer version is in the feed with its own renditions
            elif row.created_at < now - GIVE_UP and _still_processing(conn, row.delivery_id):
                state = "expired"
            else:
                state = "moved"
                moves.append((row.delivery_id, start + len(moves) + 1))
            conn.execute(late_previews.update().where(late_previews.c.delivery_id == row.delivery_id)
                         .values(state=state, resolved_at=now,
                                 moved_from=row.position if state == "moved" else None))
        if moves:
            conn.execute(deliveries.update().where(deliveries.c.id == sa.bindparam("moved_id"))
                         .values(position=sa.bindparam("new_position")),
                         [{"moved_id": d, "new_position": p} for d, p in moves])
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text(f"NOTIFY {CHANNEL}"))
    return len(moves)
