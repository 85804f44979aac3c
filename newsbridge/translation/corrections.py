"""Human translations: an editor corrects the machine translation and may share it with the source.

:func:`correct_translation` stores an organization's own translation of the version of an item its
members see, into one language: usually the machine translation corrected by an editor
(``edited_from`` names the engine it started from), or written by hand. From then on it is what the
organization's members are shown instead of the machine translation of that version; a new version
of the item starts fresh (nothing carries over: the text it translated has changed).

:func:`share_translation` shows it to the item's **source** (and only the source: another recipient
of the item, or a stranger, never sees another organization's translation). The source sees what
the editor saved last: a correction made after sharing reaches it too, with the time it was made.

Access is the item's own (``items.queries.get_item``): an item the organization may not read is
NotFound, exactly like an unknown id. Terms that forbid translating the item forbid correcting and
sharing its translation too, and a withdrawn item has nothing left to translate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import Organization
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import organizations
from newsbridge.db.translation_tables import human_translations, item_translations
from newsbridge.errors import Conflict, InvalidInput
from newsbridge.ids import utcnow
from newsbridge.items.queries import ItemRecord, get_item
from newsbridge.translation.glossary import LANGUAGE
from newsbridge.translation.service import MachineTranslation, item_language, translatable_record

MAX_HEADLINE = 1_000
MAX_TEXT = 200_000  # characters: far more than any agency story


@dataclass(frozen=True)
class HumanTranslation:
    item_id: str
    version: int
    language: str  # the target
    source_language: str | None
    organization_slug: str  # who translated it
    organization_name: str
    edited_from: str | None  # the engine whose machine translation was corrected; None: written by hand
    headline: str
    text: str  # paragraphs separated by blank lines
    edited_by: str | None  # the member who saved it last (None through the API)
    created_at: datetime
    updated_at: datetime
    shared_at: datetime | None  # shown to the item's source since then
    shared_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item_id, "version": self.version, "language": self.language,
                "source_language": self.source_language, "kind": "human", "machine_translation": False,
                "by": self.organization_slug, "edited_from": self.edited_from, "edited_by": self.edited_by,
                "headline": self.headline, "text": self.text, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(), "shared_with_source": self.shared_at is not None,
                "shared_at": self.shared_at.isoformat() if self.shared_at else None}


def target_language(value: str) -> str:
    """A target language from a path or form (an ISO 639 code: ``en``, ``fa``), lowercased; anything else is refused."""
    if not LANGUAGE.match(value.lower()):
        raise InvalidInput("the language must be an ISO 639 code (en, ru, kk, fa...)", field="language")
    return value.lower()


def clean_translation(headline: Any, text: Any = None, paragraphs: Any = None) -> tuple[str, str]:
    """The headline and the text (paragraphs separated by one blank line) from what an editor sent:
    ``text`` with blank lines between paragraphs, or ``paragraphs`` as a list. Kept as plain text:
    pages escape it, so markup in it is shown, never run."""
    if not isinstance(headline, str) or not headline.strip():
        raise InvalidInput("send the corrected headline (a non-empty string)", field="headline")
    if len(headline) > MAX_HEADLINE:
        raise InvalidInput(f"the headline is longer than {MAX_HEADLINE} characters", field="headline")
    if paragraphs is not None:
        if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
            raise InvalidInput("paragraphs must be a list of strings", field="paragraphs")
        parts = paragraphs
    elif text is None or isinstance(text, str):
        parts = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n\n")
    else:
        raise InvalidInput("text must be a string: paragraphs separated by a blank line", field="text")
    body = "\n\n".join(p.strip() for p in parts if p.strip())
    if len(body) > MAX_TEXT:
        raise InvalidInput(f"the text is longer than {MAX_TEXT} characters", field="text")
    return " ".join(headline.split()), body


def _query() -> sa.Select[Any]:
    return sa.select(human_translations, organizations.c.slug, organizations.c.name).join(
        organizations, organizations.c.id == human_translations.c.organization_id)


def _from_row(row: Any) -> HumanTranslation:
    return HumanTranslation(row.item_id, row.version, row.language, row.source_language, row.slug, row.name,
                            row.edited_from, row.headline, row.body, row.edited_by, row.created_at, row.updated_at,
                            row.shared_at, row.shared_by)


def _key(item_id: str, version: int, language: str, organization_id: str) -> tuple[Any, ...]:
    return (human_translations.c.item_id == item_id, human_translations.c.version == version,
            human_translations.c.language == language, human_translations.c.organization_id == organization_id)


def _one(conn: Connection, item_id: str, version: int, language: str, organization_id: str) -> HumanTranslation | None:
    row = conn.execute(_query().where(*_key(item_id, version, language, organization_id))).first()
    return _from_row(row) if row is not None else None


def human_translation(conn: Connection, viewer: Organization, record: ItemRecord,
                      language: str) -> HumanTranslation | None:
    """The viewer's organization's own translation of the version it sees, if it made one."""
    return _one(conn, record.id, record.latest.version, language, viewer.id)


def correct_translation(engine: Engine, viewer: Organization, item_id: str, language: str, headline: Any,
                        text: Any = None, paragraphs: Any = None, edited_by: str | None = None) -> HumanTranslation:
    """Stores (or replaces) the viewer's organization's translation of the version it sees (see the
    module's note). ``edited_from`` is the engine of the machine translation made for it, if any."""
    try:
        return _save_correction(engine, viewer, item_id, language, headline, text, paragraphs, edited_by)
    except sa.exc.IntegrityError:  # another editor saved the first correction meanwhile: replace it
        return _save_correction(engine, viewer, item_id, language, headline, text, paragraphs, edited_by)


def _save_correction(engine: Engine, viewer: Organization, item_id: str, language: str, headline: Any,
                     text: Any, paragraphs: Any, edited_by: str | None) -> HumanTranslation:
    with writing(engine) as conn:
        record = translatable_record(conn, viewer, item_id)
        language = target_language(language)
        headline, body = clean_translation(headline, text, paragraphs)
        version, now = record.latest.version, utcnow()
        machine = conn.execute(sa.select(item_translations.c.backend).where(
            item_translations.c.item_id == record.id, item_translations.c.version == version,
            item_translations.c.language == language,
            item_translations.c.organization_id == viewer.id)).scalar_one_or_none()
        found = _one(conn, record.id, version, language, viewer.id)
        if found is None:
            conn.execute(human_translations.insert().values(
                item_id=record.id, version=version, language=language, organization_id=viewer.id,
                source_language=item_language(record), edited_from=machine, headline=headline, body=body,
                edited_by=edited_by, created_at=now, updated_at=now))
        else:
            conn.execute(human_translations.update().where(*_key(record.id, version, language, viewer.id)).values(
                headline=headline, body=body, edited_by=edited_by, updated_at=now,
                edited_from=found.edited_from or machine))
        saved = _one(conn, record.id, version, language, viewer.id)
    assert saved is not None
    return saved


def share_translation(engine: Engine, viewer: Organization, item_id: str, language: str,
                      shared_by: str | None = None) -> HumanTranslation:
    """Shows the viewer's organization's translation of the version it sees to the item's source."""
    with writing(engine) as conn:
        record = translatable_record(conn, viewer, item_id)
        language = target_language(language)
        if record.source.id == viewer.id:
            raise Conflict("this is your own item: there is no source to share the translation with", field="id")
        found = human_translation(conn, viewer, record, language)
        if found is None:
            raise Conflict(f"your organization has no corrected translation of version {record.latest.version} "
                           f"into {language}: correct the machine translation first", field="language")
        conn.execute(human_translations.update().where(*_key(record.id, found.version, language, viewer.id))
                     .values(shared_at=utcnow(), shared_by=shared_by))
        saved = _one(conn, record.id, found.version, language, viewer.id)
    assert saved is not None
    return saved


def shared_with_source(conn: Connection, viewer: Organization, record: ItemRecord) -> list[HumanTranslation]:
    """Translations of the viewer's own item that recipients shared with it, newest version first;
    nothing for anyone but the item's source."""
    if record.source.id != viewer.id:
        return []
    rows = conn.execute(_query().where(human_translations.c.item_id == record.id,
                                       human_translations.c.organization_id != viewer.id,
                                       human_translations.c.shared_at.is_not(None))
                        .order_by(human_translations.c.version.desc(), human_translations.c.language,
                                  organizations.c.slug))
    return [_from_row(row) for row in rows]


def visible_translations(engine: Engine, viewer: Organization, item_id: str) -> list[dict[str, Any]]:
    """Every translation of the item the viewer's organization may see, newest version first: its
    own machine and human translations, and (when it is the source) those recipients shared with
    it. ``current``: of the version the viewer sees now."""
    with reading(engine) as conn:
        record = get_item(conn, viewer, item_id)
        machine = conn.execute(sa.select(item_translations).where(
            item_translations.c.item_id == record.id, item_translations.c.organization_id == viewer.id))
        found: list[dict[str, Any]] = []
        for row in machine:
            made = MachineTranslation(record.id, row.version, row.language, row.source_language, row.backend,
                                      row.headline, row.body, row.created_at, cached=True).to_json()
            del made["cached"]
            found.append({**made, "kind": "machine", "by": viewer.slug})
        own = conn.execute(_query().where(human_translations.c.item_id == record.id,
                                          human_translations.c.organization_id == viewer.id))
        found += [_from_row(row).to_json() for row in own]
        found += [t.to_json() for t in shared_with_source(conn, viewer, record)]
    for entry in found:
        entry["current"] = entry["version"] == record.latest.version
    return sorted(found, key=lambda t: (-t["version"], t["language"], t["kind"] != "human", t["by"]))
