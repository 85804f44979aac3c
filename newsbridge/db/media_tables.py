"""Media tables kept out of ``db/tables.py`` (at its size limit), on its one ``metadata``;
``tables.py`` imports this module at its end, so every table is known wherever ``metadata`` is."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import UTCDateTime

# The hand-over from ingest to the media worker: remote rendition URLs of items from sources set to
# fetch media (newsbridge/media/fetch.py); pending -> queued (a job) -> fetched | failed.
media_fetches = sa.Table(
    "media_fetches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("item_uri", sa.String(1000), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),  # the rendition's name in the item
    sa.Column("content_type", sa.String(100), nullable=True),  # as the item declared it
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("media_id", sa.String(32), sa.ForeignKey("media.id"), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("organization_id", "item_uri", "url"),
    sa.CheckConstraint("state IN ('pending', 'queued', 'fetched', 'failed')", name="state"),
)
