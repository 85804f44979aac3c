"""The hub's operators, their sessions, organizations' suspensions, profiles and support grants
(``accounts/operators.py``, ``accounts/suspension.py``, ``accounts/profile.py``, ``accounts/support.py``), kept out of
``db/tables.py`` (at its size limit) on its one ``metadata``; ``tables.py`` imports this module at its end."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import Document, UTCDateTime

# People who run the hub (``newsbridge operator add``): members of no organization, argon2 passwords.
operators = sa.Table(
    "operators",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("locale", sa.String(8), nullable=False, server_default="en"),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# An operator's browser sessions: only a SHA-256 of the cookie's token is kept (like members' sessions).
operator_sessions = sa.Table(
    "operator_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("operator_id", sa.String(32), sa.ForeignKey("operators.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

# One row while an organization is suspended: its keys, sessions, feeds and routing stop; deleted on
# reactivation (the audit log keeps the history).
organization_suspensions = sa.Table(
    "organization_suspensions",
    metadata,
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("reason", sa.String(1000), nullable=False),
    sa.Column("suspended_by", sa.String(320), nullable=False),
    sa.Column("suspended_at", UTCDateTime, nullable=False),
)

# What an organization's admins say about it beyond the columns of ``organizations``: its name in each
# language and whom partners contact.
organization_profiles = sa.Table(
    "organization_profiles",
    metadata,
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("names", Document, nullable=False),  # {"kk": "...", "ru": "...", "fa": "..."}
    sa.Column("contact", Document, nullable=False),  # {"name", "email", "phone"}
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# An organization's grant of support access (``accounts/support.py``): while ``until`` is ahead, the hub's operators
# may read the organization's own items; one row per organization, deleted on revocation (the audit log keeps
# the history).
support_grants = sa.Table(
    "support_grants",
    metadata,
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("granted_by", sa.String(320), nullable=False),
    sa.Column("granted_at", UTCDateTime, nullable=False),
    sa.Column("until", UTCDateTime, nullable=False),
)
