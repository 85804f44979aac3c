"""TOTP two-factor sign-in (RFC 6238, with ``pyotp``), recovery codes, half sign-ins and the organization's policy.

* **Enrolment**: :func:`begin_enrolment` keeps a new secret, not yet enabled; the member's
  authenticator app reads it (a QR code of :func:`provisioning_uri`) and :func:`confirm_enrolment`
  enables it with a first right code and returns :data:`RECOVERY_CODES` recovery codes, shown once
  (only their SHA-256 is kept; each works once).
* **Codes**: the code of the current 30-second step or of the one before or after (clocks drift);
  a step once accepted is never accepted again, so a code seen over a shoulder cannot sign in twice.
* **Half sign-in**: after a right password a member with a second factor (or one who must enrol)
  gets a half sign-in, a token in a cookie whose SHA-256 is stored for :data:`HALF_SIGN_IN_TTL`; the
  real session starts only after the second step.
* **Policy**: an organization's admins may require a second factor of its admins or of all its members.

Everything goes on the audit log: ``two_factor.enabled``, ``two_factor.disabled``,
``two_factor.recovery_used``, ``two_factor.policy_changed``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.members import Member, Role, get_member
from newsbridge.db.signin_tables import half_sign_ins, recovery_codes, two_factor_policies, two_factors
from newsbridge.db.tables import members
from newsbridge.errors import Conflict, InvalidInput, NotFound

RECOVERY_CODES = 10
STEP = 30
HALF_SIGN_IN_TTL = timedelta(minutes=5)
ISSUER = "Newsbridge"


class Policy(StrEnum):
    NOBODY = "nobody"
    ADMINS = "admins"
    ALL = "all"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def is_enrolled(conn: Connection, member_id: str) -> bool:
    return conn.execute(sa.select(two_factors.c.member_id).where(
        two_factors.c.member_id == member_id, two_factors.c.enabled_at.is_not(None))).first() is not None


def begin_enrolment(conn: Connection, member_id: str, now: datetime) -> str:
    """A new secret for the member, waiting for its first code (replaces an unconfirmed one)."""
    if is_enrolled(conn, member_id):
        raise Conflict("two-factor sign-in is on already; turn it off first to enrol another device", field="code")
    secret = pyotp.random_base32()
    conn.execute(two_factors.delete().where(two_factors.c.member_id == member_id))
    conn.execute(two_factors.insert().values(member_id=member_id, secret=secret, created_at=now))
    return secret


def pending_secret(conn: Connection, member_id: str) -> str | None:
    """The secret of an enrolment waiting for its first code, if any."""
    return conn.execute(sa.select(two_factors.c.secret).where(
        two_factors.c.member_id == member_id, two_factors.c.enabled_at.is_(None))).scalar()


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI authenticator apps read (from a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _accept_totp(conn: Connection, member_id: str, code: str, now: datetime, *, enabled: bool) -> bool:
    row = conn.execute(sa.select(two_factors).where(two_factors.c.member_id == member_id,
                                                    two_factors.c.enabled_at.is_not(None) if enabled
                                                    else two_factors.c.enabled_at.is_(None))).first()
    if row is None or not (code.isdigit() and len(code) == 6):
        return False
    totp, here = pyotp.TOTP(row.secret), int(now.timestamp()) // STEP
    for step in (here - 1, here, here + 1):
        if (row.last_step is None or step > row.last_step) and hmac.compare_digest(totp.at(step * STEP), code):
            # a step is accepted once, even when two requests bring its code at the same moment
            taken = conn.execute(two_factors.update().where(
                two_factors.c.member_id == member_id,
                sa.or_(two_factors.c.last_step.is_(None), two_factors.c.last_step < step)).values(last_step=step))
            return taken.rowcount == 1
    return False


def _new_recovery_codes(conn: Connection, member_id: str) -> list[str]:
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    conn.execute(recovery_codes.delete().where(recovery_codes.c.member_id == member_id))
    conn.execute(recovery_codes.insert(), [{"code_hash": _hash(_normal(c)), "member_id": member_id} for c in codes])
    return codes


def confirm_enrolment(conn: Connection, member: Member, code: str, now: datetime, address: str | None) -> list[str]:
    """Enable the waiting secret once ``code`` is right; the recovery codes, to show once."""
    if not _accept_totp(conn, member.id, _normal(code), now, enabled=False):
        raise InvalidInput("that code is not right: type the 6 digits your app shows now", field="code")
    conn.execute(two_factors.update().where(two_factors.c.member_id == member.id).values(enabled_at=now))
    audit.record(conn, "two_factor.enabled", organization_id=member.organization_id, actor=member.email,
                 address=address, at=now)
    return _new_recovery_codes(conn, member.id)


def check_code(conn: Connection, member: Member, code: str, now: datetime, address: str | None) -> bool:
    """True when ``code`` is the member's current TOTP code or an unused recovery code (used up now)."""
    code = _normal(code)
    if _accept_totp(conn, member.id, code, now, enabled=True):
        return True
    used = conn.execute(recovery_codes.update().where(
        recovery_codes.c.member_id == member.id, recovery_codes.c.code_hash == _hash(code),
        recovery_codes.c.used_at.is_(None)).values(used_at=now))
    if used.rowcount != 1:
        return False
    left = conn.execute(sa.select(sa.func.count()).select_from(recovery_codes).where(
        recovery_codes.c.member_id == member.id, recovery_codes.c.used_at.is_(None))).scalar_one()
    audit.record(conn, "two_factor.recovery_used", organization_id=member.organization_id, actor=member.email,
                 address=address, detail={"left": left}, at=now)
    return True


def disable(conn: Connection, member: Member, code: str, now: datetime, address: str | None) -> None:
    """Turn the second factor off, proven by a current code (or a recovery code)."""
    if not check_code(conn, member, code, now, address):
        raise InvalidInput("that code is not right: type the 6 digits your app shows now, or a recovery code",
                           field="code")
    conn.execute(recovery_codes.delete().where(recovery_codes.c.member_id == member.id))
    conn.execute(two_factors.delete().where(two_factors.c.member_id == member.id))
    audit.record(conn, "two_factor.disabled", organization_id=member.organization_id, actor=member.email,
                 address=address, at=now)


def remove_lost(conn: Connection, email: str, *, actor: str) -> Member:
    """The operator removes the second factor of a member who lost both their phone and recovery codes (they
    sign in with their password alone, or set one up again where their organization requires it)."""
    row = conn.execute(sa.select(members.c.id).where(members.c.email == email.strip().lower())).first()
    member = get_member(conn, row.id) if row else None
    if member is None:
        raise NotFound(f"no member with e-mail {email!r}", field="email")
    conn.execute(recovery_codes.delete().where(recovery_codes.c.member_id == member.id))
    if conn.execute(two_factors.delete().where(two_factors.c.member_id == member.id)).rowcount:
        audit.record(conn, "two_factor.disabled", organization_id=member.organization_id, actor=actor,
                     target=member.email, detail={"lost": True})
    return member


def recovery_codes_left(conn: Connection, member_id: str) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(recovery_codes).where(
        recovery_codes.c.member_id == member_id, recovery_codes.c.used_at.is_(None))).scalar_one()


def policy(conn: Connection, organization_id: str) -> Policy:
    found = conn.execute(sa.select(two_factor_policies.c.required_for).where(
        two_factor_policies.c.organization_id == organization_id)).scalar()
    return Policy(found) if found else Policy.NOBODY


def set_policy(conn: Connection, organization_id: str, value: str, *, actor: str, address: str | None) -> Policy:
    """Require a second factor of nobody, the organization's admins or all its members."""
    try:
        chosen = Policy(value)
    except ValueError:
        raise InvalidInput("required_for must be one of nobody, admins, all", field="required_for") from None
    conn.execute(two_factor_policies.delete().where(two_factor_policies.c.organization_id == organization_id))
    if chosen != Policy.NOBODY:
        conn.execute(two_factor_policies.insert().values(organization_id=organization_id,
                                                         required_for=chosen.value))
    audit.record(conn, "two_factor.policy_changed", organization_id=organization_id, actor=actor,
                 address=address, detail={"required_for": chosen.value})
    return chosen


def must_use(conn: Connection, member: Member) -> bool:
    """Whether the member's organization requires a second factor of them."""
    required = policy(conn, member.organization_id)
    return required == Policy.ALL or (required == Policy.ADMINS and member.role == Role.ADMIN)


def start_half_sign_in(conn: Connection, member_id: str, now: datetime) -> str:
    """The cookie token of a half sign-in: the password was right, the second step is still to come."""
    token = secrets.token_urlsafe(32)
    conn.execute(half_sign_ins.delete().where(half_sign_ins.c.expires_at < now))
    conn.execute(half_sign_ins.insert().values(token_hash=_hash(token), member_id=member_id,
                                               expires_at=now + HALF_SIGN_IN_TTL))
    return token


def half_signed_in(conn: Connection, token: str, now: datetime) -> Member | None:
    """The (active) member of a live half sign-in, else None."""
    member_id = conn.execute(sa.select(half_sign_ins.c.member_id).where(
        half_sign_ins.c.token_hash == _hash(token), half_sign_ins.c.expires_at > now)).scalar()
    member = get_member(conn, member_id) if member_id else None
    return member if member and member.deactivated_at is None else None


def end_half_sign_in(conn: Connection, token: str) -> None:
    conn.execute(half_sign_ins.delete().where(half_sign_ins.c.token_hash == _hash(token)))
