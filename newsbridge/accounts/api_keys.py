"""API keys: secrets an organization's systems send as ``Authorization: Bearer <key>``.

A key looks like ``nb_<id>_<secret>``. The id part finds the row; only a SHA-256 of the
whole key is stored (keys are long random strings, so a fast hash is safe; passwords, which
people choose, get argon2 instead). The key is shown once, when it is created.

Revoking a key ends everything it opened: each request checks the key, an open live stream
checks it again while it runs (:func:`key_active`), and the feed tokens minted with it are
revoked with it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.organizations import Organization, get_organization
from newsbridge.accounts.suspension import suspension_of
from newsbridge.db.operator_tables import organization_suspensions
from newsbridge.db.tables import api_keys, feed_tokens, organizations
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import utcnow

SCOPES = ("publish", "read", "manage")
DEFAULT_SCOPES = ("publish", "read")
_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiKey:
    id: str
    organization_id: str
    scopes: tuple[str, ...]
    label: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None
    allowed_ips: tuple[str, ...] = ()
    last_used_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """What an admin sees of a key: never its secret."""
        when = {name: (value.isoformat() if value else None) for name, value in (
            ("created_at", self.created_at), ("expires_at", self.expires_at), ("last_used_at", self.last_used_at),
            ("revoked_at", self.revoked_at))}
        return {"id": f"nb_{self.id}", "scopes": list(self.scopes), "label": self.label,
                "allowed_ips": list(self.allowed_ips), **when}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the organization behind a valid key, and what the key may do."""

    organization: Organization
    key_id: str
    scopes: tuple[str, ...]
    allowed_ips: tuple[str, ...] = ()
    last_used_at: datetime | None = None
    suspended: bool = False  # the organization is suspended by the hub operator (accounts/suspension.py)

    def allows(self, address: str | None) -> bool:
        """Whether the key may be used from ``address`` (a key without an allow-list: from anywhere)."""
        if not self.allowed_ips:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(cidr, strict=False) for cidr in self.allowed_ips)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _from_row(row: sa.Row) -> ApiKey:
    m = row._mapping
    return ApiKey(id=m["id"], organization_id=m["organization_id"], scopes=tuple(m["scopes"].split(",")),
                  label=m["label"], created_at=m["created_at"], revoked_at=m["revoked_at"],
                  expires_at=m.get("expires_at"), allowed_ips=_cidrs(m.get("allowed_ips")),
                  last_used_at=m.get("last_used_at"))


def _cidrs(stored: str | None) -> tuple[str, ...]:
    return tuple(c for c in (stored or "").split(",") if c)


def parse_allowed_ips(value: Any) -> tuple[str, ...]:
    """Addresses or networks (``203.0.113.7``, ``10.0.0.0/8``, ``2001:db8::/32``), normalized."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > 20:
        raise InvalidInput("allowed_ips must be a list of up to 20 addresses or CIDR networks", field="allowed_ips")
    try:
        return tuple(str(ipaddress.ip_network(v.strip(), strict=False)) for v in value)
    except ValueError as exc:
        raise InvalidInput(f"allowed_ips: {exc}", field="allowed_ips") from None


def parse_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise InvalidInput(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(chosen) or 'none'})",
                           field="scope")
    return chosen


def create_api_key(conn: Connection, org_slug: str, scopes: Iterable[str] = DEFAULT_SCOPES, label: str = "",
                   *, actor: str = "cli", address: str | None = None, expires_at: datetime | None = None,
                   allowed_ips: tuple[str, ...] = ()) -> tuple[ApiKey, str]:
    """A new key for the organization: (its record, the secret to show once); on the audit log."""
    org = get_organization(conn, org_slug)
    chosen = parse_scopes(scopes)
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
    raw = f"nb_{key_id}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    conn.execute(api_keys.insert().values(
        id=key_id, organization_id=org.id, secret_hash=_hash(raw), scopes=",".join(chosen),
        label=label, created_at=now, expires_at=expires_at, allowed_ips=",".join(allowed_ips) or None,
    ))
    audit.record(conn, "key.created", organization_id=org.id, actor=actor, target=f"nb_{key_id}", address=address,
                 detail={"scopes": list(chosen), "label": label, "allowed_ips": list(allowed_ips),
                         "expires_at": expires_at.isoformat() if expires_at else None}, at=now)
    return ApiKey(key_id, org.id, chosen, label, now, None, expires_at, allowed_ips), raw


def revoke_api_key(conn: Connection, key_id: str, *, actor: str = "cli", address: str | None = None,
                   organization_id: str | None = None) -> ApiKey:
    """Revoke a key by its id (the part after ``nb_``); it stops working at once, and so do the
    feed tokens minted with it. On the audit log. With ``organization_id``, only that organization's."""
    given, key_id = key_id, key_id.removeprefix("nb_").split("_")[0]
    row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
    if row is None or (organization_id is not None and row.organization_id != organization_id):
        raise NotFound(f"no API key with id {given[:80]!r}; `GET /api/v1/keys` (or `newsbridge key list SLUG`) "
                       "lists them", field="key")
    now = utcnow()
    if row.revoked_at is None:
        conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(revoked_at=now))
        audit.record(conn, "key.revoked", organization_id=row.organization_id, actor=actor, target=f"nb_{key_id}",
                     address=address, at=now)
    # Also when the key was revoked already: revoking again leaves none of its tokens working.
    conn.execute(feed_tokens.update().where(feed_tokens.c.api_key_id == key_id, feed_tokens.c.revoked_at.is_(None))
                 .values(revoked_at=now))
    return _from_row(conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).one())


def list_api_keys(conn: Connection, org_slug: str) -> list[ApiKey]:
    org = get_organization(conn, org_slug)
    rows = conn.execute(sa.select(api_keys).where(api_keys.c.organization_id == org.id)
                        .order_by(api_keys.c.created_at))
    return [_from_row(row) for row in rows]


def key_active(conn: Connection, key_id: str) -> bool:
    """Whether the key (by id) still works: for long-lived connections that authenticated once
    (a live stream asks again every few seconds); false too while its organization is suspended.
    Two primary-key reads."""
    row = conn.execute(sa.select(api_keys.c.revoked_at, api_keys.c.expires_at, api_keys.c.organization_id)
                       .where(api_keys.c.id == key_id)).first()
    return (row is not None and row.revoked_at is None and (row.expires_at is None or row.expires_at > utcnow())
            and suspension_of(conn, row.organization_id) is None)  # a suspended organization's streams close


# One query for the key and its organization: every API call goes through here. Built once: building it
# for each call cost more than running it (100 of 165 µs on SQLite, bench/feed.py)
_KEY_AND_ORGANIZATION = (
    sa.select(api_keys.c.secret_hash, api_keys.c.scopes, api_keys.c.revoked_at, api_keys.c.expires_at,
              api_keys.c.allowed_ips, api_keys.c.last_used_at, organizations, organization_suspensions.c.suspended_at)
    .join(organizations, organizations.c.id == api_keys.c.organization_id)
    .outerjoin(organization_suspensions, organization_suspensions.c.organization_id == organizations.c.id)
    .where(api_keys.c.id == sa.bindparam("key_id")))

_ORGANIZATION_COLUMNS = tuple(c.name for c in organizations.c if c.name != "languages")


def authenticate(conn: Connection, raw: str) -> Principal | None:
    """The principal for a presented key, or None for an unknown, malformed or revoked one."""
    parts = raw.split("_")
    if len(parts) < 3 or parts[0] != "nb":
        return None
    row = conn.execute(_KEY_AND_ORGANIZATION, {"key_id": parts[1]}).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, _hash(raw)):
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    found = row._mapping
    org = Organization(**{name: found[name] for name in _ORGANIZATION_COLUMNS},
                       languages=tuple(found["languages"] or ()))
    return Principal(org, parts[1], tuple(row.scopes.split(",")), _cidrs(row.allowed_ips), row.last_used_at,
                     row.suspended_at is not None)


def mark_used(conn: Connection, principal: Principal, now: datetime) -> bool:
    """Record that the key was used, at most once a minute (most calls write nothing)."""
    if principal.last_used_at is not None and now - principal.last_used_at < USED_PRECISION:
        return False
    conn.execute(api_keys.update().where(api_keys.c.id == principal.key_id).values(last_used_at=now))
    return True
