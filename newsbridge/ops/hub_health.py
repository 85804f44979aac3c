"""The hub's health for its operator: delivery queues, failing endpoints and sources, blob storage used,
and when the workers last did something. Counts and a few rows, never an organization's items.

There is no heartbeat table: the workers' "last activity" is the newest thing each one wrote (a
webhook delivered, a source polled, a media job finished), which answers the operator's question
"is anything running?" as well, without a write every few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.operator_tables import organization_suspensions
from newsbridge.db.tables import (api_keys, endpoints, items, jobs, media, members, organizations, outbox,
                                  renditions, source_polls, sources)

QUEUE_STATES = ("pending", "in_flight", "retrying", "dead", "failed")


@dataclass(frozen=True)
class OrganizationRow:
    slug: str
    name: str
    parent: str | None
    suspended_at: datetime | None
    suspension_reason: str | None
    members: int
    admins: int
    keys: int
    items: int


@dataclass(frozen=True)
class Failing:
    organization: str  # slug
    what: str  # the endpoint's URL or the source's URL
    since: datetime | None
    detail: str


@dataclass(frozen=True)
class Health:
    queue: dict[str, int]  # outbox state -> messages
    held: int  # messages held for suspended organizations
    failing_endpoints: list[Failing]
    failing_sources: list[Failing]
    blob_bytes: int
    blob_files: int
    jobs: dict[str, int]  # media jobs by state
    last_activity: dict[str, datetime | None]  # worker -> its newest write


def _counts(conn: Connection, column: sa.Column, *where: sa.ColumnElement[bool]) -> dict[str, int]:
    query = sa.select(column, sa.func.count()).where(*where).group_by(column)
    return {str(key): int(n) for key, n in conn.execute(query)}


def organization_rows(conn: Connection) -> list[OrganizationRow]:
    """Every organization with its status and counts (members, admins, live keys, items)."""
    parent = organizations.alias("parent")
    rows = conn.execute(sa.select(organizations.c.id, organizations.c.slug, organizations.c.name,
                                  parent.c.slug.label("parent"), organization_suspensions.c.suspended_at,
                                  organization_suspensions.c.reason)
                        .outerjoin(parent, parent.c.id == organizations.c.parent_id)
                        .outerjoin(organization_suspensions,
                                   organization_suspensions.c.organization_id == organizations.c.id)
                        .order_by(organizations.c.slug)).all()
    active = members.c.deactivated_at.is_(None)
    people = _counts(conn, members.c.organization_id, active)
    admins = _counts(conn, members.c.organization_id, active, members.c.role == "admin")
    keys = _counts(conn, api_keys.c.organization_id, api_keys.c.revoked_at.is_(None))
    stored = _counts(conn, items.c.organization_id)
    return [OrganizationRow(r.slug, r.name, r.parent, r.suspended_at, r.reason, people.get(r.id, 0),
                            admins.get(r.id, 0), keys.get(r.id, 0), stored.get(r.id, 0)) for r in rows]


def hub_health(conn: Connection, limit: int = 50) -> Health:
    queue = _counts(conn, outbox.c.state, outbox.c.state.in_(QUEUE_STATES))
    held = conn.execute(sa.select(sa.func.count()).select_from(outbox.join(endpoints))
                        .join(organization_suspensions,
                              organization_suspensions.c.organization_id == endpoints.c.organization_id)
                        .where(outbox.c.state.in_(("pending", "retrying")))).scalar_one()
    failing_endpoints = [
        Failing(r.slug, r.url, r.failing_since, r.disabled_reason or ("disabled" if not r.enabled else "failing"))
        for r in conn.execute(sa.select(organizations.c.slug, endpoints.c.url, endpoints.c.failing_since,
                                        endpoints.c.enabled, endpoints.c.disabled_reason)
                              .join(organizations, organizations.c.id == endpoints.c.organization_id)
                              .where(sa.or_(endpoints.c.failing_since.is_not(None), endpoints.c.enabled.is_(False)))
                              .order_by(endpoints.c.failing_since).limit(limit))]
    last_error = (sa.select(source_polls.c.error).where(source_polls.c.source_id == sources.c.id)
                  .order_by(source_polls.c.at.desc()).limit(1).scalar_subquery())
    failing_sources = [
        Failing(r.slug, r.url, None, f"{r.failures} failed polls in a row" + (f": {r.error}" if r.error else ""))
        for r in conn.execute(sa.select(organizations.c.slug, sources.c.url, sources.c.failures,
                                        last_error.label("error"))
                              .join(organizations, organizations.c.id == sources.c.organization_id)
                              .where(sources.c.failures > 0).order_by(sources.c.failures.desc()).limit(limit))]
    originals = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(media.c.size), 0), sa.func.count())
                             .select_from(media)).one()
    derived = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(renditions.c.size), 0), sa.func.count())
                           .select_from(renditions)).one()
    last_activity = {
        "delivery": conn.execute(sa.select(sa.func.max(outbox.c.delivered_at))).scalar(),
        "polling": conn.execute(sa.select(sa.func.max(source_polls.c.at))).scalar(),
        "media": conn.execute(sa.select(sa.func.max(jobs.c.finished_at))).scalar(),
    }
    return Health(queue={s: queue.get(s, 0) for s in QUEUE_STATES}, held=int(held),
                  failing_endpoints=failing_endpoints, failing_sources=failing_sources,
                  blob_bytes=int(originals[0]) + int(derived[0]), blob_files=int(originals[1]) + int(derived[1]),
                  jobs=_counts(conn, jobs.c.state), last_activity=last_activity)
