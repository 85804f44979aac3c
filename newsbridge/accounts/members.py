"""Members: the people of an organization, with a role and an argon2-hashed password."""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.operator_tables import operators
from newsbridge.db.tables import members
from newsbridge.errors import AlreadyExists, InvalidInput
from newsbridge.ids import new_id, utcnow

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()


def _lower_priority() -> None:
    """Run this thread (and the lane threads argon2 starts from it) after the ones serving requests."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # Linux: a thread's own nice value
    except (AttributeError, OSError):
        pass


# argon2 is slow on purpose (tens of ms of CPU and 64 MiB per check, on four lane threads). Checks
# run on these threads only, at a lower priority: a burst of sign-ins queues here instead of taking
# every core (15 at once held /healthz for seconds) or every thread of the web framework's pool
# (which serves all other requests).
password_threads = ThreadPoolExecutor(max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="newsbridge-argon2",
                                      initializer=_lower_priority)


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


@dataclass(frozen=True)
class Member:
    id: str
    organization_id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    locale: str = "en"
    timezone: str | None = None
    deactivated_at: datetime | None = None  # set: no sign-in, no session (accounts/team.py)


LOCALES = ("en", "ru", "kk", "fa")


def add_member(conn: Connection, org_slug: str, email: str, name: str, role: str, password: str,
               locale: str = "en") -> Member:
    """Add a person to an organization; the password is stored only as an argon2 hash."""
    org = get_organization(conn, org_slug)
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address", field="email")
    if role not in Role.__members__.values():
        raise InvalidInput(f"role {role!r} must be one of admin, editor, viewer", field="role")
    if locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters", field="password")
    if conn.execute(sa.select(members.c.id).where(members.c.email == email)).first():
        raise AlreadyExists(f"a member with e-mail {email} exists already", field="email")
    if conn.execute(sa.select(operators.c.id).where(operators.c.email == email)).first():
        raise AlreadyExists(f"{email} is a hub operator's address; a member needs another", field="email")
    values = {"id": new_id(), "organization_id": org.id, "email": email, "name": name.strip() or email,
              "role": Role(role), "created_at": utcnow(), "locale": locale}
    conn.execute(members.insert().values(**values, password_hash=_hasher.hash(password)))
    return Member(**values)


def check_password(conn: Connection, email: str, password: str) -> Member | None:
    """The member when the password is right, else None (same work either way).

    argon2 is made to be slow: call this on :data:`password_threads` in a read transaction, never
    on the event loop nor while holding a write transaction."""
    row = conn.execute(sa.select(members).where(members.c.email == email.strip().lower())).first()
    if row is None:
        _hasher.hash(password)  # spend the same time as a real check: no user enumeration by timing
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return None if row.deactivated_at is not None else _member(row)


def list_members(conn: Connection, org_slug: str) -> list[Member]:
    org = get_organization(conn, org_slug)
    rows = conn.execute(sa.select(members).where(members.c.organization_id == org.id).order_by(members.c.email))
    return [_member(r) for r in rows]


def _member(row: sa.Row) -> Member:
    values = {k: v for k, v in row._mapping.items() if k != "password_hash"}
    return Member(**{**values, "role": Role(values["role"])})


def get_member(conn: Connection, member_id: str) -> Member | None:
    row = conn.execute(sa.select(members).where(members.c.id == member_id)).first()
    return _member(row) if row is not None else None


def new_password_hash(conn: Connection, member_id: str, current: str, new: str) -> str:
    """The argon2 hash of ``new`` once ``current`` is checked; store it with :func:`set_password_hash`.

    Two argon2 runs: call this on :data:`password_threads` in a read transaction, so the write
    that follows stays short."""
    row = conn.execute(sa.select(members.c.password_hash).where(members.c.id == member_id)).one()
    try:
        _hasher.verify(row.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise InvalidInput("the current password is not right", field="current_password") from None
    if len(new) < MIN_PASSWORD:
        raise InvalidInput(f"the new password must have at least {MIN_PASSWORD} characters", field="new_password")
    return _hasher.hash(new)


def hash_password(password: str, field: str = "password") -> str:
    """The argon2 hash of a new password, once it is long enough (call it off the event loop, outside a
    write transaction: :data:`password_threads`)."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters", field=field)
    return _hasher.hash(password)


def set_password_hash(conn: Connection, member_id: str, password_hash: str) -> None:
    conn.execute(members.update().where(members.c.id == member_id).values(password_hash=password_hash))


def set_preferences(conn: Connection, member_id: str, locale: str, timezone: str | None) -> None:
    if locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    conn.execute(members.update().where(members.c.id == member_id).values(locale=locale, timezone=timezone or None))
