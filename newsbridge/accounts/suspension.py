"""Suspending an organization: the hub operator stops it, and reactivation restores everything.

While an organization is suspended (one row in ``organization_suspensions``): its API keys are
refused (403 ``organization_suspended``, saying to contact the hub operator) and so are its feed
tokens; its members' sessions end and sign-in is refused with that explanation; open live streams
close at their next key check; nothing it publishes is accepted (routing refuses a suspended
source); routing skips it as a recipient; and webhook messages already queued for it are held,
not dropped: the delivery worker claims none of them until it is reactivated, and then sends them
in order. Nothing is deleted, so reactivation (removing the row) restores keys, feeds and
deliveries at once. Both are operator actions, on the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.organizations import Organization
from newsbridge.db.operator_tables import organization_suspensions
from newsbridge.db.tables import members, sessions
from newsbridge.errors import Conflict, Forbidden, InvalidInput
from newsbridge.ids import utcnow

MAX_REASON = 1000
CONTACT = ("the access of {name} to this hub is suspended by the hub operator; "
           "contact the hub operator to have it restored")


class OrganizationSuspended(Forbidden):
    """The calling organization is suspended by the hub operator."""

    code = "organization_suspended"


@dataclass(frozen=True)
class Suspension:
    organization_id: str
    reason: str
    suspended_by: str
    suspended_at: datetime


def suspension_of(conn: Connection, organization_id: str) -> Suspension | None:
    """The organization's suspension, if it is suspended (one primary-key read)."""
    row = conn.execute(sa.select(organization_suspensions)
                       .where(organization_suspensions.c.organization_id == organization_id)).first()
    return Suspension(row.organization_id, row.reason, row.suspended_by, row.suspended_at) if row else None


def suspended_ids(conn: Connection) -> set[str]:
    """Every suspended organization's id (few rows: read whole)."""
    return set(conn.execute(sa.select(organization_suspensions.c.organization_id)).scalars())


def suspended_clause(organization_id: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """True in SQL where ``organization_id`` names a suspended organization."""
    return sa.exists(sa.select(organization_suspensions.c.organization_id)
                     .where(organization_suspensions.c.organization_id == organization_id))


def refuse_if_suspended(conn: Connection, org: Organization) -> None:
    """Raise :class:`OrganizationSuspended` when ``org`` is suspended (API calls, publishing)."""
    if suspension_of(conn, org.id) is not None:
        raise OrganizationSuspended(CONTACT.format(name=org.name), field="Authorization")


def sign_in_refusal(conn: Connection, org: Organization) -> str | None:
    """What the sign-in page says to a member of a suspended organization (None: not suspended)."""
    return CONTACT.format(name=org.name) if suspension_of(conn, org.id) is not None else None


def suspend(conn: Connection, org: Organization, reason: str, *, actor: str, address: str | None = None) -> Suspension:
    """Suspend ``org``: sessions end now, keys and feeds stop at their next use (checked on every one)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("give the reason for the suspension: the organization's admins will ask", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"the reason is over {MAX_REASON} characters; shorten it", field="reason")
    if suspension_of(conn, org.id) is not None:
        raise Conflict(f"{org.slug} is suspended already; reactivate it first to change the reason", field="slug")
    now = utcnow()
    conn.execute(organization_suspensions.insert().values(organization_id=org.id, reason=reason,
                                                          suspended_by=actor, suspended_at=now))
    ended = conn.execute(sessions.delete().where(sessions.c.member_id.in_(
        sa.select(members.c.id).where(members.c.organization_id == org.id)))).rowcount
    detail = {"reason": reason, "sessions_ended": ended}
    audit.record(conn, "operator.organization_suspended", organization_id=None, actor=actor, target=org.slug,
                 address=address, detail=detail, at=now)
    audit.record(conn, "organization.suspended", organization_id=org.id, actor=actor, target=org.slug,
                 address=address, detail={"reason": reason}, at=now)
    return Suspension(org.id, reason, actor, now)


def reactivate(conn: Connection, org: Organization, *, actor: str, address: str | None = None) -> None:
    """Lift the suspension: keys, feeds, sign-in and held deliveries work again at once."""
    gone = conn.execute(organization_suspensions.delete()
                        .where(organization_suspensions.c.organization_id == org.id)).rowcount
    if gone != 1:
        raise Conflict(f"{org.slug} is not suspended", field="slug")
    now = utcnow()
    audit.record(conn, "operator.organization_reactivated", organization_id=None, actor=actor, target=org.slug,
                 address=address, at=now)
    audit.record(conn, "organization.reactivated", organization_id=org.id, actor=actor, target=org.slug,
                 address=address, at=now)
