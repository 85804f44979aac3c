"""Tables of near-duplicates and same-story clusters (``newsbridge/stories/``), kept out of
``db/tables.py`` on its one ``metadata``; ``tables.py`` imports this module at its end."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import Document, UTCDateTime

# What the story worker computed for one item version: its embedding (float32 little-endian,
# normalized), its MinHash signature over word shingles, its normalized content key and the
# gazetteer entities and numbers it names. A row is also the worker's mark that the version is done
# (a version without text gets a row with no vector), so the worker is idempotent.
story_vectors = sa.Table(
    "story_vectors",
    metadata,
    sa.Column("version_id", sa.Integer, sa.ForeignKey("item_versions.id"), primary_key=True, autoincrement=False),
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
    sa.Column("organization_id", sa.String(32), nullable=False),
    sa.Column("language", sa.String(35), nullable=True),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("content_key", sa.String(64), nullable=True, index=True),
    sa.Column("vector", sa.LargeBinary, nullable=True),
    sa.Column("minhash", sa.LargeBinary, nullable=True),
    sa.Column("entities", Document, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_story_vectors_published_at", "published_at"),
    sa.Index("ix_story_vectors_created_at", "created_at"),  # what the search's vector cache has not read yet
)

# MinHash LSH bands: a version's signature cut in bands, each hashed to a key; versions sharing a
# key are near-duplicate candidates (an index lookup, not a scan).
story_bands = sa.Table(
    "story_bands",
    metadata,
    sa.Column("version_id", sa.Integer, sa.ForeignKey("story_vectors.version_id"), primary_key=True,
              autoincrement=False),
    sa.Column("band_key", sa.String(40), primary_key=True),
    sa.Index("ix_story_bands_band_key", "band_key"),
)

stories = sa.Table(
    "stories",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# An item's story (one per item): the best match that brought it in, with the signals that fired.
story_members = sa.Table(
    "story_members",
    metadata,
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), primary_key=True),
    sa.Column("story_id", sa.String(32), sa.ForeignKey("stories.id"), nullable=False, index=True),
    sa.Column("matched_item_id", sa.String(32), nullable=True),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("signals", Document, nullable=True),
    sa.Column("joined_at", UTCDateTime, nullable=False),
)

# "Same text as ...": an item whose text is the same (exact) or nearly the same (near) as an
# earlier item's in the same language.
near_duplicates = sa.Table(
    "near_duplicates",
    metadata,
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), primary_key=True),
    sa.Column("duplicate_of", sa.String(32), sa.ForeignKey("items.id"), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("similarity", sa.Float, nullable=False),
    sa.Column("found_at", UTCDateTime, nullable=False),
    sa.Index("ix_near_duplicates_duplicate_of", "duplicate_of"),
    sa.CheckConstraint("kind IN ('exact', 'near')", name="kind"),
)
