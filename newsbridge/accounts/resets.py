"""Password reset by e-mail: a single-use link that expires after an hour.

Asking for a link answers the same whether the address is a member's or not (the caller shows one
sentence either way); a deactivated member gets nothing. Only a SHA-256 of the link's token is
stored. Setting the new password through the link uses it up, ends every session of the member
and goes on the audit log as ``password.reset``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.members import Member, _member, set_password_hash
from newsbridge.db.signin_tables import password_resets
from newsbridge.db.tables import members, sessions
from newsbridge.errors import NotFound

RESET_LIFETIME = timedelta(hours=1)
TOKEN_PREFIX = "nbr_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(conn: Connection, email: str, now: datetime) -> tuple[Member, str] | None:
    """A new reset link's token for the active member with this e-mail, or None (say the same either way)."""
    forget_expired(conn, now)  # the table stays as small as the last hour's requests
    row = conn.execute(sa.select(members).where(members.c.email == email.strip().lower()[:320])).first()
    if row is None or row.deactivated_at is not None:
        return None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(password_resets.insert().values(token_hash=_hash(token), member_id=row.id, created_at=now,
                                                 expires_at=now + RESET_LIFETIME))
    return _member(row), token


def open_reset(conn: Connection, token: str, now: datetime) -> Member:
    """The member a usable link is for; an unknown, used or expired link (or a deactivated member) is NotFound."""
    row = conn.execute(sa.select(members).join(password_resets, password_resets.c.member_id == members.c.id).where(
        password_resets.c.token_hash == _hash(token), password_resets.c.used_at.is_(None),
        password_resets.c.expires_at > now, members.c.deactivated_at.is_(None))).first()
    if row is None:
        raise NotFound("this reset link is not valid: it was used, it expired, or it never existed; "
                       "ask for a new one", field="token")
    return _member(row)


def complete_reset(conn: Connection, token: str, password_hash: str, now: datetime, address: str | None) -> Member:
    """Set the new password through the link: the link is used up, every session of the member ends."""
    member = open_reset(conn, token, now)
    used = conn.execute(password_resets.update().where(password_resets.c.token_hash == _hash(token),
                                                       password_resets.c.used_at.is_(None)).values(used_at=now))
    if used.rowcount != 1:  # another request used it meanwhile
        raise NotFound("this reset link is not valid any more; ask for a new one", field="token")
    set_password_hash(conn, member.id, password_hash)
    conn.execute(sessions.delete().where(sessions.c.member_id == member.id))
    audit.record(conn, "password.reset", organization_id=member.organization_id, actor=member.email,
                 address=address)
    return member


def forget_expired(conn: Connection, now: datetime) -> int:
    """Delete links past their expiry (used or not)."""
    return conn.execute(password_resets.delete().where(password_resets.c.expires_at < now)).rowcount
