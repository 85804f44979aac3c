"""Single sign-on with OpenID Connect (``newsbridge/accounts/oidc*.py``), kept out of ``db/tables.py`` (at its size
limit) on its one ``metadata``; ``tables.py`` imports this module at its end."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import Document, UTCDateTime

# One directory per organization. The client secret is sealed (AES-256-GCM under a key the hub keeps in
# hub_secrets, bound to the organization's id); ``role_map`` is a list of {"value", "role"} pairs.
sso_configs = sa.Table(
    "sso_configs",
    metadata,
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("issuer", sa.String(500), nullable=False),
    sa.Column("client_id", sa.String(300), nullable=False),
    sa.Column("client_secret_sealed", sa.Text, nullable=False),
    sa.Column("role_claim", sa.String(100), nullable=True),
    sa.Column("role_map", Document, nullable=False),
    sa.Column("default_role", sa.String(16), nullable=False),
    sa.Column("create_accounts", sa.Boolean, nullable=False),
    sa.Column("sync_roles", sa.Boolean, nullable=False),  # the claim sets existing members' roles at each sign-in
    sa.Column("idp_enforces_mfa", sa.Boolean, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(320), nullable=False),
)

# Which organization signs in an e-mail domain: one organization per domain, so the hub can find the
# directory from the address a member types.
sso_domains = sa.Table(
    "sso_domains",
    metadata,
    sa.Column("domain", sa.String(253), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
)

# A sign-in on its way through the directory: kept in the database (any hub process may get the callback),
# found by a SHA-256 of its state, used once, for ten minutes.
sso_flows = sa.Table(
    "sso_flows",
    metadata,
    sa.Column("state_hash", sa.String(64), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("nonce", sa.String(100), nullable=False),
    sa.Column("code_verifier", sa.String(128), nullable=False),
    sa.Column("next_path", sa.String(500), nullable=False),
    sa.Column("invitation_id", sa.String(32), sa.ForeignKey("invitations.id"), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)
