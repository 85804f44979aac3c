"""Members: the people of an organization, with a role and an argon2-hashed password."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.tables import members
from newsbridge.errors import AlreadyExists, InvalidInput
from newsbridge.ids import new_id, utcnow

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()


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


def add_member(conn: Connection, org_slug: str, email: str, name: str, role: str, password: str) -> Member:
    """Add a person to an organization; the password is stored only as an argon2 hash."""
    org = get_organization(conn, org_slug)
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address", field="email")
    if role not in Role.__members__.values():
        raise InvalidInput(f"role {role!r} must be one of admin, editor, viewer", field="role")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters", field="password")
    if conn.execute(sa.select(members.c.id).where(members.c.email == email)).first():
        raise AlreadyExists(f"a member with e-mail {email} exists already", field="email")
    values = {"id": new_id(), "organization_id": org.id, "email": email, "name": name.strip() or email,
              "role": Role(role), "created_at": utcnow()}
    conn.execute(members.insert().values(**values, password_hash=_hasher.hash(password)))
    return Member(**values)


def check_password(conn: Connection, email: str, password: str) -> Member | None:
    """The member when the password is right, else None (same work either way)."""
    row = conn.execute(sa.select(members).where(members.c.email == email.strip().lower())).first()
    if row is None:
        _hasher.hash(password)  # spend the same time as a real check: no user enumeration by timing
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    values = {k: v for k, v in row._mapping.items() if k != "password_hash"}
    return Member(**{**values, "role": Role(values["role"])})


def list_members(conn: Connection, org_slug: str) -> list[Member]:
    org = get_organization(conn, org_slug)
    rows = conn.execute(sa.select(members).where(members.c.organization_id == org.id).order_by(members.c.email))
    return [Member(**{k: v for k, v in r._mapping.items() if k != "password_hash"}) for r in rows]
