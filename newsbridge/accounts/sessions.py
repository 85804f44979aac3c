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
from newsbridge.accounts.suspension import suspension_of
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


def start_session(conn: Connection, member_id: str, *, user_agent: str | None = None,
                  address: str | None = None) -> str:
    """A new session for the member; returns the cookie token. The browser and address are kept for
    the member's list of where they are signed in."""
    token, now = secrets.token_urlsafe(32), utcnow()
    conn.execute(sessions.insert().values(token_hash=_hash(token), member_id=member_id,
                                          csrf_token=secrets.token_urlsafe(24), created_at=now,
                                          expires_at=now + SESSION_TTL, user_agent=(user_agent or "")[:300] or None,
                                          address=(address or "")[:100] or None))
    return token


@dataclass(frozen=True)
class SignedIn:
    """One of a member's open sessions, as the member's own list shows it."""

    created_at: datetime
    expires_at: datetime
    device: str  # "Firefox on Windows"
    address: str | None
    current: bool


def list_sessions(conn: Connection, member_id: str, current_token: str) -> list[SignedIn]:
    rows = conn.execute(sa.select(sessions).where(sessions.c.member_id == member_id, sessions.c.expires_at > utcnow())
                        .order_by(sessions.c.created_at.desc()))
    mine = _hash(current_token)
    return [SignedIn(r.created_at, r.expires_at, device(r.user_agent), r.address, r.token_hash == mine) for r in rows]


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device(user_agent: str | None) -> str:
    """A browser's User-Agent in a few words ("Chrome / Android"); what it does not say stays out."""
    agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in agent), "")
    # "/" and not "·", which beside Persian digits reads as "۰"
    return " / ".join(part for part in (browser, system) if part) or (agent[:60] or "?")


def find_session(conn: Connection, token: str) -> Session | None:
    row = conn.execute(sa.select(sessions).where(sessions.c.token_hash == _hash(token),
                                                 sessions.c.expires_at > utcnow())).first()
    if row is None:
        return None
    member = get_member(conn, row.member_id)
    if member is None or member.deactivated_at is not None or suspension_of(conn, member.organization_id):
        return None  # deactivated, or the organization suspended by the hub operator (accounts/suspension.py)
    return Session(member, row.csrf_token, row.expires_at)


def end_session(conn: Connection, token: str) -> None:
    conn.execute(sessions.delete().where(sessions.c.token_hash == _hash(token)))


def end_other_sessions(conn: Connection, member_id: str, keep_token: str) -> None:
    """After a password change, every other browser of the member is signed out."""
    conn.execute(sessions.delete().where(sessions.c.member_id == member_id,
                                         sessions.c.token_hash != _hash(keep_token)))
