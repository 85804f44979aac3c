"""Push targets: a partner's own S3 bucket the hub pushes the originals it receives into.

A target names an S3-compatible service (its endpoint URL, which passes the SSRF guard as webhook
URLs do), a bucket, a key prefix, a region and the partner's access key and secret. The secret is
needed in clear to sign requests, so it cannot be hashed like an API key: it is sealed with
AES-256-GCM under a key the hub makes once and keeps in ``hub_secrets`` (bound to the target's id,
so a sealed value moved to another row does not open), and it is never shown back by the API or the
desk. Anyone with the whole database has both; a dump of this table alone, a log or an API answer
leaks nothing.

What is pushed and how it fares is ``media/push.py``; the sending is ``media/push_s3.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.media_push_tables import media_push_targets, media_pushes
from newsbridge.db import sealed
from newsbridge.db.tables import deliveries
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow
from newsbridge.targets import check_url

MAX_TARGETS = 5
KEY_NAME = "media_push_key"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z0-9-]{1,64}$")
_ACCESS_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces
_PREFIX_CHARS = re.compile(r"^[^\x00-\x1f\x7f\\]*$")


@dataclass(frozen=True)
class PushTarget:
    """A target as its organization sees it (the secret is never part of it)."""

    id: str
    organization_id: str
    endpoint_url: str
    bucket: str
    prefix: str
    region: str
    access_key: str
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Health:
    counts: dict[str, int]
    last_error: str | None
    last_status: int | None


def _from_row(row: Any) -> PushTarget:
    m = row._mapping
    return PushTarget(m["id"], m["organization_id"], m["endpoint_url"], m["bucket"], m["prefix"], m["region"],
                      m["access_key"], m["enabled"], m["disabled_reason"], m["failing_since"], m["created_at"])


def seal(conn: Connection, target_id: str, secret: str) -> str:
    return sealed.seal(conn, KEY_NAME, target_id, secret)


def unseal(conn: Connection, target_id: str) -> str:
    """The target's secret access key in clear, for signing (the push worker only)."""
    value = conn.execute(sa.select(media_push_targets.c.secret_sealed)
                         .where(media_push_targets.c.id == target_id)).scalar_one()
    return sealed.unseal(conn, KEY_NAME, target_id, value)


def _text(data: dict[str, Any], name: str, *, default: str | None = None) -> str:
    value = data.get(name, default)
    if not isinstance(value, str):
        raise InvalidInput(f"{name} is required (a string)", field=name)
    return value.strip()


def _endpoint(value: str, allow: tuple[str, ...] | list[str]) -> str:
    try:
        check_url(value, allow)  # http(s), no credentials, a public address unless the operator allows the range
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="endpoint_url") from None
    parts = value.split("?", 1)[0].split("#", 1)[0]
    if parts != value or parts.rstrip("/").count("/") > 2:
        raise InvalidInput("endpoint_url is the S3 service's base URL, like https://s3.eu-central-1.amazonaws.com "
                           "(no path, query or fragment; the bucket goes in `bucket`)", field="endpoint_url")
    return value.rstrip("/")


def _prefix(value: str) -> str:
    prefix = value.strip("/")
    if len(prefix) > 400 or not _PREFIX_CHARS.match(prefix) or any(
            part in ("", ".", "..") for part in prefix.split("/") if prefix):
        raise InvalidInput("prefix is a key prefix like `newsbridge/incoming` (at most 400 characters, no empty, "
                           "`.` or `..` parts, no control characters or backslashes)", field="prefix")
    return prefix


def _credentials(data: dict[str, Any]) -> tuple[str, str]:
    access_key, secret_key = _text(data, "access_key"), data.get("secret_key")
    if not _ACCESS_KEY.match(access_key):
        raise InvalidInput("access_key is the S3 access key id (printable characters, no spaces)", field="access_key")
    if not isinstance(secret_key, str) or not 1 <= len(secret_key) <= 200:
        raise InvalidInput("secret_key is the S3 secret access key (1 to 200 characters); it is kept sealed and "
                           "never shown back", field="secret_key")
    return access_key, secret_key


def create_target(conn: Connection, org: Organization, data: Any, allow: tuple[str, ...] | list[str] = ()) -> PushTarget:
    """Register a bucket for the organization from ``{"endpoint_url", "bucket", "prefix", "region",
    "access_key", "secret_key"}``. Only deliveries made from now on are pushed."""
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object with endpoint_url, bucket, access_key and secret_key", field="$")
    unknown = set(data) - {"endpoint_url", "bucket", "prefix", "region", "access_key", "secret_key"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", field=min(unknown))
    endpoint = _endpoint(_text(data, "endpoint_url"), allow)
    bucket = _text(data, "bucket")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise InvalidInput("bucket is an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens",
                           field="bucket")
    prefix = _prefix(_text(data, "prefix", default=""))
    region = _text(data, "region", default="us-east-1")
    if not _REGION.match(region):
        raise InvalidInput("region is an S3 region name like eu-central-1 (us-east-1 when left out)", field="region")
    access_key, secret_key = _credentials(data)
    count = conn.execute(sa.select(sa.func.count()).select_from(media_push_targets)
                         .where(media_push_targets.c.organization_id == org.id)).scalar_one()
    if count >= MAX_TARGETS:
        raise InvalidInput(f"an organization has at most {MAX_TARGETS} push targets", field="endpoint_url")
    target_id = new_id()
    # From now on: the deliveries already in the feed were the organization's before it asked
    position = conn.execute(sa.select(sa.func.coalesce(sa.func.max(deliveries.c.position), 0))).scalar_one()
    conn.execute(media_push_targets.insert().values(
        id=target_id, organization_id=org.id, endpoint_url=endpoint, bucket=bucket, prefix=prefix, region=region,
        access_key=access_key, secret_sealed=seal(conn, target_id, secret_key), enabled=True,
        scanned_position=position, created_at=utcnow()))
    return get_target(conn, org, target_id)


def get_target(conn: Connection, org: Organization, target_id: str) -> PushTarget:
    row = conn.execute(sa.select(media_push_targets).where(media_push_targets.c.id == target_id,
                                                           media_push_targets.c.organization_id == org.id)).first()
    if row is None:
        raise NotFound(f"no push target {target_id!r}", field="id")
    return _from_row(row)


def target_by_id(conn: Connection, target_id: str) -> PushTarget:
    """A target whoever owns it (the worker's view)."""
    row = conn.execute(sa.select(media_push_targets).where(media_push_targets.c.id == target_id)).first()
    if row is None:
        raise NotFound(f"no push target {target_id!r}", field="id")
    return _from_row(row)


def list_targets(conn: Connection, org: Organization) -> list[PushTarget]:
    rows = conn.execute(sa.select(media_push_targets).where(media_push_targets.c.organization_id == org.id)
                        .order_by(media_push_targets.c.created_at, media_push_targets.c.id))
    return [_from_row(r) for r in rows]


def update_target(conn: Connection, org: Organization, target_id: str, data: Any) -> PushTarget:
    """``{"enabled": bool}`` turns it off or on (on clears its failure record); ``{"access_key",
    "secret_key"}`` together replace the credentials."""
    from newsbridge.media.push import disable_target  # push.py reads targets through this module

    get_target(conn, org, target_id)
    if not isinstance(data, dict) or not data or set(data) - {"enabled", "access_key", "secret_key"}:
        raise InvalidInput('send {"enabled": true|false} and/or {"access_key": ..., "secret_key": ...}',
                           field="enabled")
    if "access_key" in data or "secret_key" in data:
        access_key, secret_key = _credentials(data)
        conn.execute(media_push_targets.update().where(media_push_targets.c.id == target_id).values(
            access_key=access_key, secret_sealed=seal(conn, target_id, secret_key)))
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise InvalidInput("enabled must be true or false", field="enabled")
        if data["enabled"]:
            conn.execute(media_push_targets.update().where(media_push_targets.c.id == target_id).values(
                enabled=True, disabled_reason=None, failing_since=None))
        else:
            disable_target(conn, target_id, "turned off by the organization")
    return get_target(conn, org, target_id)


def target_health(conn: Connection, target_id: str) -> Health:
    counts = {state: n for state, n in conn.execute(
        sa.select(media_pushes.c.state, sa.func.count()).where(media_pushes.c.target_id == target_id)
        .group_by(media_pushes.c.state))}
    last = conn.execute(sa.select(media_pushes.c.last_error, media_pushes.c.last_status)
                        .where(media_pushes.c.target_id == target_id, media_pushes.c.attempts > 0)
                        .order_by(media_pushes.c.id.desc()).limit(1)).first()
    return Health(counts, last.last_error if last else None, last.last_status if last else None)
