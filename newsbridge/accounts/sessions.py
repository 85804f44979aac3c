"""Members' browser sessions, kept in the database.

The cookie holds a random token; only its SHA-256 is stored, with the session's CSRF token
and expiry. Several hub processes share sessions through the database (and the sign-in
back-off, see ``accounts/throttle.py``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member, get_member
from newsbridge.db.tables import sessions
from newsbridge.ids import utcnow

SESSION_TTL = timedelta(days=14)

@dataclass(frozen=True)
class Session:
    member: Member
    csrf_token: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn: Connection, member_id: str) -> str:
    """A new session for the member; returns the cookie token."""
    token, now = secrets.token_urlsafe(32), utcnow()
    conn.execute(sessions.insert().values(token_hash=_hash(token), member_id=member_id,
                                          csrf_token=secrets.token_urlsafe(24), created_at=now,
                                          expires_at=now + SESSION_TTL))
    return token


def find_session(conn: Connection, token: str) -> Session | None:
    row = conn.execute(sa.select(sessions).where(sessions.c.token_hash == _hash(token),
                                                 sessions.c.expires_at > utcnow())).first()
    if row is None:
        return None
    member = get_member(conn, row.member_id)
    return Session(member, row.csrf_token, row.expires_at) if member else None


def end_session(conn: Connection, token: str) -> None:
    conn.execute(sessions.delete().where(sessions.c.token_hash == _hash(token)))


def end_other_sessions(conn: Connection, member_id: str, keep_token: str) -> None:
    """After a password change, every other browser of the member is signed out."""
    conn.execute(sessions.delete().where(sessions.c.member_id == member_id,
                                         sessions.c.token_hash != _hash(keep_token)))
