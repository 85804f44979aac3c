"""``newsbridge purge``: delete what the hub no longer needs, by the retention settings.

What goes: webhook messages delivered longer ago than ``NEWSBRIDGE_RETENTION_DELIVERED_DAYS``;
desk sessions expired longer ago than ``NEWSBRIDGE_RETENTION_SESSIONS_DAYS`` and sign-in
back-offs past their pause by as long; source poll records older than
``NEWSBRIDGE_RETENTION_POLLS_DAYS`` (each source keeps its newest); abandoned uploads past their
expiry with their partial files; temporary blob files older than the upload expiry.

What never goes: items, versions, deliveries, pickups and agreement history (the metrics and
every partner's feed are computed from them); webhook messages that are pending, retrying, dead
or failed (the metrics count the deliveries whose webhook gave up, and replays need them); a
joint project's events and publications. Each kind is deleted in batches of short transactions,
so a purge never holds the write lock for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts import rate_limits
from newsbridge.config import Settings
from newsbridge.db.engine import writing
from newsbridge.db.audit_tables import audit_log
from newsbridge.db.signin_tables import sign_in_throttles
from newsbridge.db.tables import outbox, sessions, source_polls
from newsbridge.ids import utcnow

BATCH = 5000


@dataclass(frozen=True)
class PurgeReport:
    delivered_messages: int
    sessions: int
    sign_in_throttles: int
    source_polls: int
    uploads: int
    temporary_files: int
    audit_entries: int = 0

    def as_rows(self) -> list[tuple[str, int]]:
        return [("webhook messages delivered", self.delivered_messages), ("expired sessions", self.sessions),
                ("sign-in back-offs", self.sign_in_throttles), ("source poll records", self.source_polls),
                ("abandoned uploads", self.uploads), ("temporary media files", self.temporary_files),
                ("audit-log entries", self.audit_entries)]


def purge(engine: Engine, settings: Settings, now: datetime | None = None, *, media: bool = True) -> PurgeReport:
    now = now or utcnow()
    delivered = 0
    if settings.retention_delivered_days > 0:
        cutoff = now - timedelta(days=settings.retention_delivered_days)
        delivered = _in_batches(engine, outbox, outbox.c.id,
                                sa.and_(outbox.c.state == "delivered", outbox.c.delivered_at < cutoff))
    expired = now - timedelta(days=settings.retention_sessions_days)
    gone_sessions = _in_batches(engine, sessions, sessions.c.token_hash, sessions.c.expires_at < expired)
    with writing(engine) as conn:
        throttles = conn.execute(sign_in_throttles.delete().where(sign_in_throttles.c.paused_until < expired)).rowcount
        rate_limits.forget_before(conn, now)
    polls = _old_polls(engine, now - timedelta(days=settings.retention_polls_days))
    uploads = temporaries = 0
    if media:
        uploads, temporaries = _media(engine, settings, now)
    audit = _old_audit(engine, settings, now)
    return PurgeReport(delivered, gone_sessions, throttles, polls, uploads, temporaries, audit)


def _in_batches(engine: Engine, table: sa.Table, key: sa.Column, condition: sa.ColumnElement[bool]) -> int:
    done = 0
    while True:
        with writing(engine) as conn:
            keys = conn.execute(sa.select(key).where(condition).limit(BATCH)).scalars().all()
            if not keys:
                return done
            conn.execute(table.delete().where(key.in_(keys)))
        done += len(keys)


def _old_audit(engine: Engine, settings: Settings, now: datetime) -> int:
    """The audit log's retention: the only code that removes entries, by age alone, and only when the
    operator set a retention (by default the log is kept for ever)."""
    if settings.retention_audit_days <= 0:
        return 0
    cutoff = now - timedelta(days=settings.retention_audit_days)
    return _in_batches(engine, audit_log, audit_log.c.id, audit_log.c.at < cutoff)


def _old_polls(engine: Engine, cutoff: datetime) -> int:
    newest = sa.select(sa.func.max(source_polls.c.id)).group_by(source_polls.c.source_id).scalar_subquery()
    return _in_batches(engine, source_polls, source_polls.c.id,
                       sa.and_(source_polls.c.at < cutoff, source_polls.c.id.not_in(newest)))


def _media(engine: Engine, settings: Settings, now: datetime) -> tuple[int, int]:
    from newsbridge.media.blobs import blob_store
    from newsbridge.media.uploads import expire_uploads

    store = blob_store(settings)
    uploads = 0
    while expired := expire_uploads(engine, settings, now=now, store=store):
        uploads += expired
    temporaries = store.clear_temporaries(older_than=settings.upload_expiry_hours * 3600, now=now.timestamp())
    return uploads, temporaries
