"""Tables of the push of originals to partners' own S3 buckets (``newsbridge/media/push*.py``), kept
out of ``db/tables.py`` (at its size limit) on its one ``metadata``; ``tables.py`` imports this
module at its end, so every table is known wherever ``metadata`` is."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import UTCDateTime

# A partner's S3 bucket the hub pushes the originals it receives into. The secret access key is
# kept encrypted (media/push_targets.py) and never shown back; ``scanned_position`` is how far in
# the deliveries' feed order the worker has looked for media to push (new deliveries only).
media_push_targets = sa.Table(
    "media_push_targets",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("endpoint_url", sa.String(2000), nullable=False),
    sa.Column("bucket", sa.String(63), nullable=False),
    sa.Column("prefix", sa.String(500), nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("access_key", sa.String(200), nullable=False),
    sa.Column("secret_sealed", sa.Text, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("failing_since", UTCDateTime, nullable=True),
    sa.Column("scanned_position", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# One push: a delivered item's media to one target, with attempts like a webhook message
# (delivery/outbox.py states): pending -> in_flight -> delivered | retrying ... -> dead; failed.
media_pushes = sa.Table(
    "media_pushes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target_id", sa.String(32), sa.ForeignKey("media_push_targets.id"), nullable=False),
    sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), nullable=False),
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False),
    sa.Column("media_id", sa.String(32), sa.ForeignKey("media.id"), nullable=False),
    sa.Column("object_key", sa.String(1200), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),  # the S3 service's HTTP status; None: no answer
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("rendition", sa.String(32), nullable=True),  # what was pushed: original or original-nogps
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("size", sa.BigInteger, nullable=True),
    sa.Column("pushed_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("target_id", "item_id", "media_id"),
    sa.Index("ix_media_pushes_state_next_attempt_at", "state", "next_attempt_at"),
    sa.Index("ix_media_pushes_target_id_id", "target_id", "id"),
    sa.CheckConstraint("state IN ('pending', 'in_flight', 'delivered', 'retrying', 'dead', 'failed')", name="state"),
)
