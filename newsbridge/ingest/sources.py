"""Ingest sources: feeds and endpoints an organization's items are polled from.

A source is an RSS/Atom/JSON Feed URL or a NewsML-G2/ninjs HTTP endpoint, polled every
``interval_seconds`` with conditional GET. Errors back off exponentially (capped at a day);
every poll's outcome is kept (the newest 100 per source) so people can see a source's health.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import source_polls, sources
from newsbridge.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow
from newsbridge.targets import check_url
from newsbridge.vocab.mediatopics import normalize_qcode

MIN_INTERVAL, MAX_INTERVAL = 30, 86_400
MAX_BACKOFF = timedelta(days=1)
KEEP_POLLS = 100
MAX_ETAG, MAX_LAST_MODIFIED = 500, 100
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Source:
    id: str
    organization_id: str
    url: str
    interval_seconds: int
    language: str | None
    subjects: tuple[str, ...]
    enabled: bool
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime
    failures: int
    created_at: datetime
    strict: bool = False  # refuse documents the readers would accept only with warnings
    fetch_media: bool = False  # download the media its items name by URL (media/fetch.py)


@dataclass(frozen=True)
class Poll:
    at: datetime
    outcome: str  # ok | not_modified | error
    http_status: int | None
    stored: int
    unchanged: int
    rejected: int
    error: str | None
    duration_ms: int


def _from_row(row: sa.Row) -> Source:
    m = dict(row._mapping)
    return Source(**{**m, "subjects": tuple(m["subjects"] or ())})


def add_source(conn: Connection, org: Organization, url: Any, *, interval_seconds: Any = 300,
               language: Any = None, subjects: Any = (), allow: Sequence[str] = (), strict: Any = False,
               fetch_media: Any = False) -> Source:
    """Register a feed or endpoint to poll for the organization's items; a ``strict`` source's documents are
    refused where the readers would accept them with warnings (see docs/formats.md); with ``fetch_media``
    the hub downloads the media its items name by URL and serves its own copy (docs/media.md)."""
    if not isinstance(strict, bool):
        raise InvalidInput("strict must be true or false", field="strict")
    if not isinstance(fetch_media, bool):
        raise InvalidInput("fetch_media must be true or false", field="fetch_media")
    if not isinstance(url, str):
        raise InvalidInput("url must be an http(s) URL", field="url")
    check_url(url, allow)
    if not isinstance(interval_seconds, int) or not MIN_INTERVAL <= interval_seconds <= MAX_INTERVAL:
        raise InvalidInput(f"interval_seconds must be from {MIN_INTERVAL} to {MAX_INTERVAL}", field="interval_seconds")
    if language is not None and (not isinstance(language, str) or not 2 <= len(language) <= 35):
        raise InvalidInput("language must be a language tag like kk, ru, fa or en", field="language")
    qcodes = []
    for code in subjects or ():
        qcode = normalize_qcode(code) if isinstance(code, str) else None
        if qcode is None:
            raise InvalidInput(f"{code!r} is not an IPTC Media Topic qcode", field="subjects")
        qcodes.append(qcode)
    if conn.execute(sa.select(sources.c.id).where(sources.c.organization_id == org.id, sources.c.url == url)).first():
        raise AlreadyExists("this organization polls that URL already", field="url")
    source_id = new_id()
    now = utcnow()
    conn.execute(sources.insert().values(
        id=source_id, organization_id=org.id, url=url, interval_seconds=interval_seconds, language=language,
        subjects=qcodes, enabled=True, next_poll_at=now, failures=0, created_at=now, strict=strict,
        fetch_media=fetch_media))
    return get_source(conn, org, source_id)


def get_source(conn: Connection, org: Organization, source_id: str) -> Source:
    row = conn.execute(sa.select(sources).where(sources.c.id == source_id,
                                                sources.c.organization_id == org.id)).first()
    if row is None:
        raise NotFound(f"no source {source_id!r}", field="id")
    return _from_row(row)


def list_sources(conn: Connection, org: Organization | None = None) -> list[Source]:
    query = sa.select(sources).order_by(sources.c.created_at)
    if org is not None:
        query = query.where(sources.c.organization_id == org.id)
    return [_from_row(r) for r in conn.execute(query)]


def set_source_enabled(conn: Connection, org: Organization, source_id: str, enabled: bool) -> Source:
    get_source(conn, org, source_id)
    values: dict[str, Any] = {"enabled": enabled}
    if enabled:
        values.update(failures=0, next_poll_at=utcnow())
    conn.execute(sources.update().where(sources.c.id == source_id).values(**values))
    return get_source(conn, org, source_id)


def set_source_fetch_media(conn: Connection, org: Organization, source_id: str, fetch_media: bool) -> Source:
    """Turn fetching of the source's remote media on or off (for versions stored from then on)."""
    get_source(conn, org, source_id)
    conn.execute(sources.update().where(sources.c.id == source_id).values(fetch_media=fetch_media))
    return get_source(conn, org, source_id)


def poll_soon(conn: Connection, org: Organization, source_id: str) -> Source:
    """Make a source due now (``newsbridge source poll-now``, the API's poll-now)."""
    if not get_source(conn, org, source_id).enabled:
        raise Conflict("this source is turned off; turn it on to poll it", field="enabled")
    conn.execute(sources.update().where(sources.c.id == source_id).values(next_poll_at=utcnow()))
    return get_source(conn, org, source_id)


def claim_due(conn: Connection, now: datetime, limit: int = 20) -> list[Source]:
    """Sources due for a poll, leased to the caller (several pollers: SKIP LOCKED)."""
    query = (sa.select(sources).where(sources.c.enabled.is_(True), sources.c.next_poll_at <= now)
             .order_by(sources.c.next_poll_at).limit(limit))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = [_from_row(r) for r in conn.execute(query)]
    if due:
        conn.execute(sources.update().where(sources.c.id.in_([s.id for s in due])).values(next_poll_at=now + LEASE))
    return due


def backoff(interval_seconds: int, failures: int) -> timedelta:
    """The wait after ``failures`` consecutive errors: the interval doubled each time, at most a day."""
    seconds = interval_seconds * 2 ** min(failures, 32)  # capped before it grows past what timedelta holds
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def record_poll(conn: Connection, source: Source, poll: Poll, *, etag: str | None = None,
                last_modified: str | None = None) -> None:
    """Keep the outcome, schedule the next poll (backing off on errors), and trim old records."""
    failures = source.failures + 1 if poll.outcome == "error" else 0
    wait = backoff(source.interval_seconds, failures) if failures else timedelta(seconds=source.interval_seconds)
    values: dict[str, Any] = {"failures": failures, "next_poll_at": poll.at + wait}
    if poll.outcome == "ok":
        # Validators too long to keep are dropped: the next poll is then unconditional, not broken.
        values.update(etag=etag if etag and len(etag) <= MAX_ETAG else None,
                      last_modified=last_modified if last_modified and len(last_modified) <= MAX_LAST_MODIFIED
                      else None)
    conn.execute(sources.update().where(sources.c.id == source.id).values(**values))
    conn.execute(source_polls.insert().values(source_id=source.id, at=poll.at, outcome=poll.outcome,
                                              http_status=poll.http_status, stored=poll.stored,
                                              unchanged=poll.unchanged, rejected=poll.rejected, error=poll.error,
                                              duration_ms=poll.duration_ms))
    old = (sa.select(source_polls.c.id).where(source_polls.c.source_id == source.id)
           .order_by(source_polls.c.id.desc()).offset(KEEP_POLLS))
    conn.execute(source_polls.delete().where(source_polls.c.id.in_(old.scalar_subquery())))


def recent_polls(conn: Connection, source_id: str, limit: int = 20) -> list[Poll]:
    rows = conn.execute(sa.select(source_polls).where(source_polls.c.source_id == source_id)
                        .order_by(source_polls.c.id.desc()).limit(limit))
    return [Poll(r.at, r.outcome, r.http_status, r.stored, r.unchanged, r.rejected, r.error, r.duration_ms)
            for r in rows]
