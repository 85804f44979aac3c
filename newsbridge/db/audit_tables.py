"""The audit log (``newsbridge/accounts/audit.py``), kept out of ``db/tables.py`` (at its size limit) on
its one ``metadata``; ``tables.py`` imports this module at its end."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import Document, UTCDateTime

# Append-only: the code has no path that updates or deletes a row (a test checks the source).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=True),  # none: hub-wide
    sa.Column("actor", sa.String(320), nullable=False),  # a member's e-mail, "key nb_<id>", "cli", "hub"
    sa.Column("action", sa.String(64), nullable=False),  # sign_in.succeeded, key.revoked, agreement.sign...
    sa.Column("target", sa.String(300), nullable=True),  # what it was done to: a key, endpoint, agreement id
    sa.Column("address", sa.String(100), nullable=True),  # the client address, when over the network
    sa.Column("detail", Document, nullable=True),
    sa.Index("ix_audit_log_organization_id_id", "organization_id", "id"),
    sa.Index("ix_audit_log_at", "at"),
)
