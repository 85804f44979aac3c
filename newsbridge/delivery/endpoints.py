"""Endpoints: a recipient's webhook URLs, each with a hub-generated secret and a health record.

Secrets follow the Standard Webhooks format (``whsec_`` + base64) and are shown once. A
rotation keeps the previous secret signing beside the new one for a grace period, so the
partner can switch without losing a message.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import endpoints, outbox
from newsbridge.delivery.outbox import disable
from newsbridge.targets import check_url
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow

EVENTS = ("item.published", "item.updated", "item.withdrawn")
# A joint project's activity (projects/events.py), sent to the endpoints of its organizations that
# subscribe to them by name; an endpoint created without "events" gets the item events only.
PROJECT_EVENTS = (
    "project.created", "project.accepted", "project.activated", "project.observer_invited",
    "project.deliverable_added", "project.assigned", "project.status_changed", "project.draft_saved",
    "project.comment", "project.mention", "project.comment_resolved", "project.approval_requested",
    "project.approval_given", "project.approvals_reset", "project.published",
)
NINJS_VERSIONS = ("3", "2")
# What an endpoint is sent (items/render.py FORMATS): ninjs 3.x, 2.x, or Superdesk's ninjs 1.x
FORMATS = ("ninjs3", "ninjs2", "ninjs1-superdesk")
MAX_ENDPOINTS = 20


@dataclass(frozen=True)
class Endpoint:
    id: str
    organization_id: str
    url: str
    events: tuple[str, ...]
    ninjs_version: str
    format: str
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_until: datetime | None
    created_at: datetime
    paused_until: datetime | None = None  # it answered 429/503 with Retry-After: nothing is sent before


@dataclass(frozen=True)
class Health:
    counts: dict[str, int]
    last_error: str | None
    last_status: int | None


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _from_row(row: sa.Row) -> Endpoint:
    m = row._mapping
    return Endpoint(m["id"], m["organization_id"], m["url"], tuple(m["events"]), m["ninjs_version"], m["format"],
                    m["enabled"],
                    m["disabled_reason"], m["failing_since"], m["previous_secret_until"], m["created_at"],
                    m["paused_until"])


def _events(value: Any) -> tuple[str, ...]:
    if value is None:
        return EVENTS
    if not isinstance(value, list) or not value or any(v not in EVENTS + PROJECT_EVENTS for v in value):
        raise InvalidInput(f"events must be a non-empty list among {', '.join(EVENTS)} and the project.* "
                           "events of docs/projects.md", field="events")
    return tuple(dict.fromkeys(value))


def endpoint_format(fmt: Any, ninjs_version: Any) -> str:
    """The format an endpoint is sent: ``format`` when given, else the older ``ninjs_version`` ("3"/"2")."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", field="format")
        if ninjs_version is not None and ninjs_version != fmt.removeprefix("ninjs")[:1]:
            raise InvalidInput(f"ninjs_version {ninjs_version!r} contradicts format {fmt!r}: send one of them",
                               field="ninjs_version")
        return str(fmt)
    if ninjs_version is None:
        return "ninjs3"
    if ninjs_version not in NINJS_VERSIONS:
        raise InvalidInput('ninjs_version must be "3" or "2" (or send format, e.g. "ninjs1-superdesk")',
                           field="ninjs_version")
    return f"ninjs{ninjs_version}"


def create_endpoint(conn: Connection, org: Organization, url: Any, events: Any = None, ninjs_version: Any = None,
                    allow: Sequence[str] = (), fmt: Any = None, *, actor: str = "hub",
                    address: str | None = None) -> tuple[Endpoint, str]:
    """Register a webhook URL for the organization; returns it and its secret (shown once). ``fmt`` is
    what it is sent (:data:`FORMATS`); ``ninjs_version`` ("3"/"2") is the older way to say the same."""
    if not isinstance(url, str):
        raise InvalidInput("url must be an http(s) URL", field="url")
    check_url(url, allow)
    fmt = endpoint_format(fmt, ninjs_version)
    count = conn.execute(sa.select(sa.func.count()).select_from(endpoints)
                         .where(endpoints.c.organization_id == org.id)).scalar_one()
    if count >= MAX_ENDPOINTS:
        raise InvalidInput(f"an organization has at most {MAX_ENDPOINTS} endpoints", field="url")
    secret, endpoint_id = new_secret(), new_id()
    conn.execute(endpoints.insert().values(
        id=endpoint_id, organization_id=org.id, url=url, events=list(_events(events)),
        ninjs_version=fmt.removeprefix("ninjs")[:1], format=fmt, secret=secret, enabled=True, created_at=utcnow()))
    audit.record(conn, "endpoint.created", organization_id=org.id, actor=actor, target=endpoint_id, address=address,
                 detail={"url": url, "format": fmt})
    return get_endpoint(conn, org, endpoint_id), secret


def get_endpoint(conn: Connection, org: Organization, endpoint_id: str) -> Endpoint:
    row = conn.execute(sa.select(endpoints).where(endpoints.c.id == endpoint_id,
                                                  endpoints.c.organization_id == org.id)).first()
    if row is None:
        raise NotFound(f"no endpoint {endpoint_id!r}", field="id")
    return _from_row(row)


def list_endpoints(conn: Connection, org: Organization) -> list[Endpoint]:
    rows = conn.execute(sa.select(endpoints).where(endpoints.c.organization_id == org.id)
                        .order_by(endpoints.c.created_at))
    return [_from_row(r) for r in rows]


def rotate_secret(conn: Connection, org: Organization, endpoint_id: str, grace_hours: int = 24, *, actor: str = "hub",
                  address: str | None = None) -> str:
    """A new secret; the old one keeps signing (beside the new) for ``grace_hours``."""
    if not 0 <= grace_hours <= 24 * 14:
        raise InvalidInput("grace_hours must be between 0 and 336", field="grace_hours")
    get_endpoint(conn, org, endpoint_id)
    # locked (PostgreSQL; SQLite writers hold the database): two rotations at once must not both keep
    # the same old secret and lose the first new one, which its caller already stored
    current = conn.execute(sa.select(endpoints.c.secret).where(endpoints.c.id == endpoint_id)
                           .with_for_update()).scalar_one()
    secret = new_secret()
    conn.execute(endpoints.update().where(endpoints.c.id == endpoint_id).values(
        secret=secret, previous_secret=current, previous_secret_until=utcnow() + timedelta(hours=grace_hours)))
    audit.record(conn, "endpoint.secret_rotated", organization_id=org.id, actor=actor, target=endpoint_id,
                 address=address, detail={"grace_hours": grace_hours})
    return secret


def set_enabled(conn: Connection, org: Organization, endpoint_id: str, enabled: bool, *, actor: str = "hub",
                address: str | None = None) -> Endpoint:
    """Turn an endpoint off, or back on (which clears its failure record)."""
    get_endpoint(conn, org, endpoint_id)
    audit.record(conn, "endpoint.enabled" if enabled else "endpoint.disabled", organization_id=org.id, actor=actor,
                 target=endpoint_id, address=address)
    if enabled:
        conn.execute(endpoints.update().where(endpoints.c.id == endpoint_id).values(
            enabled=True, disabled_reason=None, failing_since=None))
    else:
        disable(conn, endpoint_id, "turned off by the organization", utcnow())
    return get_endpoint(conn, org, endpoint_id)


def signing_secrets(conn: Connection, endpoint_id: str, now: datetime) -> list[str]:
    """The secrets that sign a message now: the current one, and the previous during its grace period."""
    return signing_secrets_of(conn, [endpoint_id], now)[endpoint_id]


def signing_secrets_of(conn: Connection, endpoint_ids: Iterable[str], now: datetime) -> dict[str, list[str]]:
    """:func:`signing_secrets` of many endpoints in one query (the worker signs a batch for many partners)."""
    found: dict[str, list[str]] = {}
    for row in conn.execute(sa.select(endpoints.c.id, endpoints.c.secret, endpoints.c.previous_secret,
                                      endpoints.c.previous_secret_until)
                            .where(endpoints.c.id.in_(set(endpoint_ids)))):
        found[row.id] = [row.secret]
        if row.previous_secret and row.previous_secret_until and row.previous_secret_until > now:
            found[row.id].append(row.previous_secret)
    return found


def health(conn: Connection, endpoint_id: str) -> Health:
    counts = {state: n for state, n in conn.execute(
        sa.select(outbox.c.state, sa.func.count()).where(outbox.c.endpoint_id == endpoint_id)
        .group_by(outbox.c.state))}
    last = conn.execute(sa.select(outbox.c.last_error, outbox.c.last_status)
                        .where(outbox.c.endpoint_id == endpoint_id, outbox.c.last_status.is_not(None))
                        .order_by(outbox.c.id.desc()).limit(1)).first()
    return Health(counts, last.last_error if last else None, last.last_status if last else None)
