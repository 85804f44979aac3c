"""The hub's operators: the people who run the hub itself, not members of any organization.

``newsbridge operator add`` makes one (with a one-time password); operators sign in on the same
``/login`` as members and land on the operator console (``/operator``), where they create,
suspend and reactivate organizations, see their admins, the hub's health and the audit log of
operator actions. An operator never sees organizations' items: the desk's pages answer an operator
session with 404, and the API takes API keys only. An e-mail address is either a member's or an
operator's, never both, so one sign-in form serves both. Sessions work like members' (only a
SHA-256 of the cookie's token is stored, with its CSRF token), in their own table and cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.members import EMAIL, LOCALES, Member, Role, check_password
from newsbridge.accounts.organizations import Organization, create_organization, get_organization_by_id
from newsbridge.accounts.team import Invitation, invite
from newsbridge.db.invitation_tables import invitations
from newsbridge.db.operator_tables import operator_sessions, operators
from newsbridge.db.tables import members
from newsbridge.errors import AlreadyExists, InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow

SESSION_TTL = timedelta(hours=12)  # shorter than members': an operator's session can suspend a partner
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Operator:
    id: str
    email: str
    name: str
    locale: str
    created_at: datetime


@dataclass(frozen=True)
class OperatorSession:
    operator: Operator
    csrf_token: str


def _operator(row: sa.Row) -> Operator:
    return Operator(row.id, row.email, row.name, row.locale, row.created_at)


def add_operator(conn: Connection, email: str, name: str, password_hash: str, *, locale: str = "en",
                 actor: str = "cli") -> Operator:
    """A new operator with an argon2 ``password_hash`` (made off this transaction); on the audit log."""
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address", field="email")
    if locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    if conn.execute(sa.select(members.c.id).where(members.c.email == email)).first():
        raise AlreadyExists(f"{email} is a member of an organization; an operator needs an address of their own",
                            field="email")
    if conn.execute(sa.select(operators.c.id).where(operators.c.email == email)).first():
        raise AlreadyExists(f"{email} is an operator already", field="email")
    values = {"id": new_id(), "email": email, "name": (name or "").strip()[:300] or email, "locale": locale,
              "created_at": utcnow()}
    conn.execute(operators.insert().values(**values, password_hash=password_hash))
    audit.record(conn, "operator.added", organization_id=None, actor=actor, target=email)
    return Operator(**values)


def list_operators(conn: Connection) -> list[Operator]:
    return [_operator(r) for r in conn.execute(sa.select(operators).order_by(operators.c.email))]


def remove_operator(conn: Connection, email: str, *, actor: str = "cli") -> Operator:
    """Remove an operator: their sessions end now; their past actions stay on the audit log."""
    row = conn.execute(sa.select(operators).where(operators.c.email == (email or "").strip().lower())).first()
    if row is None:
        raise NotFound(f"no operator {email!r}; `newsbridge operator list` shows them", field="email")
    conn.execute(operator_sessions.delete().where(operator_sessions.c.operator_id == row.id))
    conn.execute(operators.delete().where(operators.c.id == row.id))
    audit.record(conn, "operator.removed", organization_id=None, actor=actor, target=row.email)
    return _operator(row)


def check_sign_in(conn: Connection, email: str, password: str) -> Member | Operator | None:
    """The member or operator whose password this is, else None: one argon2 check either way (an
    operator's address takes no longer to refuse than anyone's). Call it on ``members.password_threads``."""
    address = (email or "").strip().lower()
    row = conn.execute(sa.select(operators).where(operators.c.email == address)).first()
    if row is None:
        return check_password(conn, address, password)
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return _operator(row)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_operator_session(conn: Connection, operator: Operator, address: str | None = None) -> str:
    """A session for the operator (the cookie's token is returned); the sign-in is audited."""
    token, now = secrets.token_urlsafe(32), utcnow()
    conn.execute(operator_sessions.insert().values(token_hash=_hash(token), operator_id=operator.id,
                                                   csrf_token=secrets.token_urlsafe(24), created_at=now,
                                                   expires_at=now + SESSION_TTL))
    audit.record(conn, "operator.signed_in", organization_id=None, actor=operator.email, address=address, at=now)
    return token


def find_operator_session(conn: Connection, token: str) -> OperatorSession | None:
    row = conn.execute(sa.select(operators, operator_sessions.c.csrf_token)
                       .join(operator_sessions, operator_sessions.c.operator_id == operators.c.id)
                       .where(operator_sessions.c.token_hash == _hash(token),
                              operator_sessions.c.expires_at > utcnow())).first()
    return OperatorSession(_operator(row), row.csrf_token) if row is not None else None


def end_operator_session(conn: Connection, token: str) -> None:
    conn.execute(operator_sessions.delete().where(operator_sessions.c.token_hash == _hash(token)))


@dataclass(frozen=True)
class PendingInvitation:
    id: str
    email: str
    role: str
    expires_at: datetime
    invited_by: str


def create_with_admin(conn: Connection, who: Operator, slug: str, name: str, admin_email: str, *,
                      parent: str | None = None, country: str | None = None, languages: tuple[str, ...] = (),
                      timezone: str = "UTC", address: str | None = None) -> tuple[Organization, Invitation, str]:
    """A new organization and the invitation of its first admin (the link's token is returned to mail or
    show once); one transaction, on the audit log."""
    org = create_organization(conn, slug, name, parent=parent, country=country, languages=languages,
                              timezone=timezone)
    invitation, token = invite(conn, org.id, admin_email, Role.ADMIN.value, actor=who.email, address=address)
    audit.record(conn, "operator.organization_created", organization_id=None, actor=who.email, target=org.slug,
                 address=address, detail={"name": org.name, "admin": invitation.email})
    return org, invitation, token


def pending_invitations(conn: Connection, organization_id: str) -> list[PendingInvitation]:
    """The organization's invitations still waiting to be used (expired ones too: they can be sent again)."""
    rows = conn.execute(sa.select(invitations).where(invitations.c.organization_id == organization_id,
                                                     invitations.c.used_at.is_(None),
                                                     invitations.c.revoked_at.is_(None))
                        .order_by(invitations.c.created_at))
    return [PendingInvitation(r.id, r.email, r.role, r.expires_at, r.invited_by) for r in rows]


def resend_invitation(conn: Connection, who: Operator, organization_id: str, invitation_id: str, *,
                      address: str | None = None) -> tuple[Invitation, str]:
    """Send an invitation again: only a hash of the old link is kept, so the old link is revoked and a new
    one made (same address and role, a fresh 7 days)."""
    row = conn.execute(sa.select(invitations).where(invitations.c.id == invitation_id,
                                                    invitations.c.organization_id == organization_id,
                                                    invitations.c.used_at.is_(None),
                                                    invitations.c.revoked_at.is_(None))).first()
    if row is None:
        raise NotFound("no waiting invitation with this id in this organization", field="invitation_id")
    conn.execute(invitations.update().where(invitations.c.id == row.id).values(revoked_at=utcnow()))
    invitation, token = invite(conn, organization_id, row.email, row.role, actor=who.email, address=address)
    org = get_organization_by_id(conn, organization_id)
    audit.record(conn, "operator.invitation_resent", organization_id=None, actor=who.email, target=org.slug,
                 address=address, detail={"email": row.email, "role": row.role})
    return invitation, token
