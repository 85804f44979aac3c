"""An organization's admins run its team: invite people, change their roles, deactivate them.

Invitations are single-use links that expire (7 days): only a SHA-256 of the link's token is kept;
opening it lets the invitee choose a name and password and become a member with the role the admin
chose. Deactivation ends the member's sessions at once and refuses their sign-in from then on.
An organization always keeps one active admin: the last one cannot be demoted or deactivated (409
``last_admin``), and the admins' rows are locked while that is decided, so two admins removing
each other at the same moment cannot both succeed. Every change is on the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.members import EMAIL, LOCALES, Member, Role, get_member
from newsbridge.db.invitation_tables import invitations
from newsbridge.db.operator_tables import operators
from newsbridge.db.tables import members, sessions
from newsbridge.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow

INVITATION_LIFETIME = timedelta(days=7)


class LastAdmin(Conflict):
    code = "last_admin"


@dataclass(frozen=True)
class Invitation:
    id: str
    organization_id: str
    email: str
    role: str
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "role": self.role, "expires_at": self.expires_at.isoformat()}


def member_json(member: Member) -> dict[str, Any]:
    return {"id": member.id, "email": member.email, "name": member.name, "role": str(member.role),
            "created_at": member.created_at.isoformat(), "active": member.deactivated_at is None,
            "deactivated_at": member.deactivated_at.isoformat() if member.deactivated_at else None}


def _one(conn: Connection, organization_id: str, member_id: str) -> Member:
    member = get_member(conn, member_id)
    if member is None or member.organization_id != organization_id:
        raise NotFound(f"no member {member_id!r} in your organization", field="member_id")
    return member


def _keep_an_admin(conn: Connection, organization_id: str, leaving: Member) -> None:
    """Refuse to take away the organization's last active admin (its admins' rows locked meanwhile)."""
    if leaving.role != Role.ADMIN or leaving.deactivated_at is not None:
        return
    admins = conn.execute(sa.select(members.c.id).where(
        members.c.organization_id == organization_id, members.c.role == Role.ADMIN.value,
        members.c.deactivated_at.is_(None)).with_for_update()).scalars().all()
    if [a for a in admins if a != leaving.id] == []:
        raise LastAdmin("an organization keeps at least one active admin: make someone else admin first",
                        field="member_id")


def change_role(conn: Connection, organization_id: str, member_id: str, role: Any, *, actor: str,
                address: str | None = None) -> Member:
    if role not in Role.__members__.values():
        raise InvalidInput("role must be one of admin, editor, viewer", field="role")
    member = _one(conn, organization_id, member_id)
    if member.role == role:
        return member
    if role != Role.ADMIN:
        _keep_an_admin(conn, organization_id, member)
    conn.execute(members.update().where(members.c.id == member_id).values(role=role))
    audit.record(conn, "member.role_changed", organization_id=organization_id, actor=actor, target=member.email,
                 address=address, detail={"from": str(member.role), "to": role})
    return _one(conn, organization_id, member_id)


def deactivate(conn: Connection, organization_id: str, member_id: str, *, actor: str,
               address: str | None = None) -> Member:
    """Stop a member: sessions end now, sign-in is refused; their past work stays theirs."""
    member = _one(conn, organization_id, member_id)
    if member.deactivated_at is not None:
        return member
    _keep_an_admin(conn, organization_id, member)
    conn.execute(members.update().where(members.c.id == member_id).values(deactivated_at=utcnow()))
    conn.execute(sessions.delete().where(sessions.c.member_id == member_id))
    audit.record(conn, "member.deactivated", organization_id=organization_id, actor=actor, target=member.email,
                 address=address)
    return _one(conn, organization_id, member_id)


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invite(conn: Connection, organization_id: str, email: Any, role: Any, *, actor: str,
           address: str | None = None) -> tuple[Invitation, str]:
    """A new invitation and its link's token (shown or mailed once)."""
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        raise InvalidInput("email must be an e-mail address", field="email")
    if role not in Role.__members__.values():
        raise InvalidInput("role must be one of admin, editor, viewer", field="role")
    email = email.strip().lower()
    if conn.execute(sa.select(members.c.id).where(members.c.email == email)).first():
        raise AlreadyExists(f"{email} is a member already", field="email")
    if conn.execute(sa.select(operators.c.id).where(operators.c.email == email)).first():
        raise AlreadyExists(f"{email} is a hub operator's address; invite another", field="email")
    raw, now = "nbi_" + secrets.token_urlsafe(32), utcnow()
    invitation = Invitation(new_id(), organization_id, email, role, now + INVITATION_LIFETIME)
    conn.execute(invitations.insert().values(id=invitation.id, organization_id=organization_id, email=email, role=role,
                                             token_hash=_token_hash(raw), invited_by=actor, created_at=now,
                                             expires_at=invitation.expires_at))
    audit.record(conn, "member.invited", organization_id=organization_id, actor=actor, target=email,
                 address=address, detail={"role": role}, at=now)
    return invitation, raw


def open_invitation(conn: Connection, raw: str) -> Invitation:
    """The invitation behind a link, while it can still be used; otherwise the same 404 for every reason
    (unknown, used, expired, revoked): the link says nothing about why."""
    row = conn.execute(sa.select(invitations).where(invitations.c.token_hash == _token_hash(raw))).first()
    if row is None or row.used_at is not None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise NotFound("this invitation link is not valid (used, expired or unknown); ask your admin for a new one",
                       field="token")
    return Invitation(row.id, row.organization_id, row.email, row.role, row.expires_at)


def accept(conn: Connection, raw: str, name: str, password_hash: str, locale: str = "en",
           address: str | None = None) -> Member:
    """Use an invitation once: the member exists from now on (password hashed beforehand, off this
    transaction)."""
    invitation = open_invitation(conn, raw)
    used = conn.execute(invitations.update().where(invitations.c.id == invitation.id, invitations.c.used_at.is_(None))
                        .values(used_at=utcnow()))
    if used.rowcount != 1:  # the same link opened twice at once: only one becomes a member
        raise NotFound("this invitation link was just used", field="token")
    if conn.execute(sa.select(members.c.id).where(members.c.email == invitation.email)).first():
        raise AlreadyExists(f"{invitation.email} is a member already", field="email")
    values = {"id": new_id(), "organization_id": invitation.organization_id, "email": invitation.email,
              "name": name.strip()[:300] or invitation.email, "role": invitation.role, "created_at": utcnow(),
              "locale": locale if locale in LOCALES else "en"}
    conn.execute(members.insert().values(**values, password_hash=password_hash))
    audit.record(conn, "member.joined", organization_id=invitation.organization_id, actor=invitation.email,
                 address=address, detail={"role": invitation.role})
    return _one(conn, invitation.organization_id, values["id"])
