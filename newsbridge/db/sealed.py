"""Secrets the hub must keep in clear to use (partners' S3 keys, directories' client secrets), sealed at rest.

Each kind of secret has a key of its own, made at first use and kept in ``hub_secrets``; a secret is
sealed with AES-256-GCM under it, bound to the row it belongs to (its id is the associated data, so a
sealed value copied onto another row does not open). Someone holding the whole database holds both; a
log, an API answer or a copy of one table alone reveals nothing.
"""

from __future__ import annotations

import base64
import secrets

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from newsbridge.db.tables import hub_secrets
from newsbridge.ids import utcnow

PREFIX = "v1:"


def sealing_key(conn: Connection, name: str) -> bytes:
    """The hub's key ``name``, made at first use in the caller's transaction (an insert another process
    may win: then theirs is read)."""
    value = conn.execute(sa.select(hub_secrets.c.value).where(hub_secrets.c.name == name)).scalar()
    if value is None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(hub_secrets).values(
            name=name, value=base64.b64encode(secrets.token_bytes(32)).decode(), created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["name"]))
        value = conn.execute(sa.select(hub_secrets.c.value).where(hub_secrets.c.name == name)).scalar_one()
    return base64.b64decode(value)


def seal(conn: Connection, key_name: str, bound_to: str, secret: str) -> str:
    """``secret`` sealed under the key ``key_name``, bound to the row id ``bound_to``."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    sealed = AESGCM(sealing_key(conn, key_name)).encrypt(nonce, secret.encode(), bound_to.encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(conn: Connection, key_name: str, bound_to: str, sealed: str) -> str:
    """The secret in clear, for the one request that needs it."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = base64.b64decode(sealed.removeprefix(PREFIX))
    return AESGCM(sealing_key(conn, key_name)).decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
