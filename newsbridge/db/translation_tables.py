"""Tables of machine translation (``newsbridge/translation/``): each organization's glossary and
the translations made for it, kept out of ``db/tables.py`` on its one ``metadata``; ``tables.py``
imports this module at its end."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import Document, UTCDateTime

# One glossary entry: a name or term and how it is written in each language ({"kk": "Қасым-Жомарт
# Тоқаев", "ru": "Касым-Жомарт Токаев", "fa": "...", "en": "Kassym-Jomart Tokayev"}). A language
# without a form keeps the term as written ("Kazinform" stays "Kazinform").
glossary_terms = sa.Table(
    "glossary_terms",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("forms", Document, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# A machine translation of one item version into one language, made for one organization (its
# glossary shaped it), with the engine that made it. ``glossary_key`` is a digest of the glossary it
# was made with: when the glossary changes, the translation is made again.
item_translations = sa.Table(
    "item_translations",
    metadata,
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("language", sa.String(35), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("source_language", sa.String(35), nullable=True),
    sa.Column("backend", sa.String(64), nullable=False),
    sa.Column("glossary_key", sa.String(64), nullable=False),
    sa.Column("headline", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# An organization's own (human) translation of one item version into one language: a correction of
# the machine translation (``edited_from``: that engine's name) or written by hand. Its members see
# it instead of the machine one; ``shared_at`` set: the item's source sees it too.
human_translations = sa.Table(
    "human_translations",
    metadata,
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("language", sa.String(35), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("source_language", sa.String(35), nullable=True),
    sa.Column("edited_from", sa.String(64), nullable=True),
    sa.Column("headline", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("edited_by", sa.String(300), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("shared_at", UTCDateTime, nullable=True),
    sa.Column("shared_by", sa.String(300), nullable=True),
)
