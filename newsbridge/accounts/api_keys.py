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
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization, get_organization
from newsbridge.db.tables import api_keys, feed_tokens, organizations
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import utcnow

SCOPES = ("publish", "read", "manage")
DEFAULT_SCOPES = ("publish", "read")
_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class ApiKey:
    id: str
    organization_id: str
    scopes: tuple[str, ...]
    label: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the organization behind a valid key, and what the key may do."""

    organization: Organization
    key_id: str
    scopes: tuple[str, ...]


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _from_row(row: sa.Row) -> ApiKey:
    m = row._mapping
    return ApiKey(id=m["id"], organization_id=m["organization_id"], scopes=tuple(m["scopes"].split(",")),
                  label=m["label"], created_at=m["created_at"], revoked_at=m["revoked_at"])


def parse_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise InvalidInput(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(chosen) or 'none'})",
                           field="scope")
    return chosen


def create_api_key(conn: Connection, org_slug: str, scopes: Iterable[str] = DEFAULT_SCOPES, label: str = "") \
        -> tuple[ApiKey, str]:
    """A new key for the organization: (its record, the secret to show once)."""
    org = get_organization(conn, org_slug)
    chosen = parse_scopes(scopes)
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
    raw = f"nb_{key_id}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    conn.execute(api_keys.insert().values(
        id=key_id, organization_id=org.id, secret_hash=_hash(raw), scopes=",".join(chosen),
        label=label, created_at=now,
    ))
    return ApiKey(key_id, org.id, chosen, label, now, None), raw


def revoke_api_key(conn: Connection, key_id: str) -> ApiKey:
    """Revoke a key by its id (the part after ``nb_``); it stops working at once, and so do the
    feed tokens minted with it."""
    key_id = key_id.removeprefix("nb_").split("_")[0]
    row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
    if row is None:
        raise NotFound(f"no API key with id {key_id!r}; `newsbridge key list SLUG` shows them", field="key")
    now = utcnow()
    if row.revoked_at is None:
        conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(revoked_at=now))
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
    (a live stream asks again every few seconds). One primary-key read."""
    revoked = conn.execute(sa.select(api_keys.c.revoked_at).where(api_keys.c.id == key_id)).first()
    return revoked is not None and revoked.revoked_at is None


def authenticate(conn: Connection, raw: str) -> Principal | None:
    """The principal for a presented key, or None for an unknown, malformed or revoked one."""
    parts = raw.split("_")
    if len(parts) < 3 or parts[0] != "nb":
        return None
    # One query for the key and its organization: every API call goes through here.
    row = conn.execute(sa.select(api_keys.c.secret_hash, api_keys.c.scopes, api_keys.c.revoked_at, organizations)
                       .join(organizations, organizations.c.id == api_keys.c.organization_id)
                       .where(api_keys.c.id == parts[1])).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, _hash(raw)):
        return None
    org = Organization(**{c.name: row._mapping[c.name] for c in organizations.c})
    org = replace(org, languages=tuple(org.languages or ()))
    return Principal(org, parts[1], tuple(row.scopes.split(",")))
