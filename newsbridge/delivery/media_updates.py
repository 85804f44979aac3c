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
from newsbridge.db.outbox_tables import media_updates
from newsbridge.db.tables import deliveries, endpoints, outbox
from newsbridge.delivery.outbox import State, _media_processing
from newsbridge.ids import new_id
from newsbridge.items.queries import ItemVersion, delivered_items
from newsbridge.media.links import media_versions

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
    moves from ``waiting`` in the transaction that queues its message)."""
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
