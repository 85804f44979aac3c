"""Sign-in security (``accounts/throttle.py``, ``resets.py``, ``totp.py``): sign-in back-off, password-reset
links, TOTP second factors, recovery codes, half sign-ins and each organization's two-factor policy. Kept out of ``db/tables.py`` (at its
size limit) on its one ``metadata``; ``tables.py`` imports this module at its end."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import UTCDateTime

# Only a SHA-256 of the link's token is kept; the link works once, until expires_at.
password_resets = sa.Table(
    "password_resets",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
)

# A member's TOTP secret: enabled_at is NULL while the enrolment waits for its first code; last_step is the
# last time step accepted, so one code cannot sign in twice.
two_factors = sa.Table(
    "two_factors",
    metadata,
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("secret", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("enabled_at", UTCDateTime, nullable=True),
    sa.Column("last_step", sa.BigInteger, nullable=True),
)

recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("used_at", UTCDateTime, nullable=True),
)

# A password checked, the second step still to come: the cookie holds a token whose SHA-256 is here.
half_sign_ins = sa.Table(
    "half_sign_ins",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

# Who of an organization must use a second factor: 'admins' or 'all' (no row: nobody must).
two_factor_policies = sa.Table(
    "two_factor_policies",
    metadata,
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("required_for", sa.String(16), nullable=False),
    sa.CheckConstraint("required_for IN ('admins', 'all')", name="required_for"),
)


# Sign-in back-off per (client address, e-mail): one row while that pair has unforgiven failures
# (accounts/throttle.py). In the database, so every hub process applies the same pauses.
sign_in_throttles = sa.Table(
    "sign_in_throttles",
    metadata,
    sa.Column("client", sa.String(100), primary_key=True),
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UTCDateTime, nullable=False),
    sa.Column("paused_until", UTCDateTime, nullable=False),
    sa.Index("ix_sign_in_throttles_client_last_failure_at", "client", "last_failure_at"),
    sa.Index("ix_sign_in_throttles_last_failure_at", "last_failure_at"),
)
