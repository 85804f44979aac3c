"""Machine translations of items for the desk and the API, cached, with the glossary applied.

:func:`translate_item` translates the version of an item the viewer sees (access exactly as
``items.queries.get_item``: another organization's undelivered, embargoed or delayed item is
NotFound) into one language, once: the result is kept per item version, language and
organization (the organization's glossary shaped it) and made again only for a new version or a
changed glossary. The original is never replaced: a translation is its own record, with the name
of the engine that made it. An item that came under terms that forbid translation is refused, and
a withdrawn item has no text to translate.

The engine is called outside any transaction: a slow service holds no database lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import Organization
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import agreements
from newsbridge.db.translation_tables import item_translations
from newsbridge.errors import Conflict, TranslationNotAllowed
from newsbridge.exchange.terms import Terms
from newsbridge.ids import utcnow
from newsbridge.items.queries import ItemRecord, get_item, received
from newsbridge.translation.backends import Translator
from newsbridge.translation.glossary import Term, glossary_key, list_terms, protect, restore


@dataclass(frozen=True)
class MachineTranslation:
    item_id: str
    version: int
    language: str  # the target
    source_language: str | None
    backend: str  # the engine's name, shown beside the translation
    headline: str
    text: str  # paragraphs separated by blank lines
    created_at: datetime
    cached: bool  # made earlier, read back

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item_id, "version": self.version, "language": self.language,
                "source_language": self.source_language, "machine_translation": True, "backend": self.backend,
                "headline": self.headline, "text": self.text, "created_at": self.created_at.isoformat(),
                "cached": self.cached}


def _plain(record: ItemRecord) -> str:
    return next((b.get("value") or "" for b in record.latest.document.get("bodies", [])
                 if isinstance(b, dict) and b.get("contentType") == "text/plain"), "")


def _headline(record: ItemRecord) -> str:
    return next((h.get("value") for h in record.latest.document.get("headlines", [])
                 if isinstance(h, dict) and h.get("value")), "")


def item_language(record: ItemRecord) -> str | None:
    language = record.latest.document.get("language")
    return language.split("-")[0].lower() if isinstance(language, str) and language else None


def translation_allowed(conn: Connection, viewer: Organization, record: ItemRecord) -> bool:
    """False when the agreement the viewer received the item under has a term from the item's source
    that forbids translation (any such term: the stricter reading). Own items and items of a joint
    project made without an agreement may be translated."""
    if record.source.id == viewer.id:
        return True
    how = received(conn, viewer, record.id)
    if how is None or how.agreement_id is None:
        return True
    raw = conn.execute(sa.select(agreements.c.terms).where(agreements.c.id == how.agreement_id)).scalar_one_or_none()
    terms = [Terms.from_json(t) for t in raw or []]
    return all(t.allow_translation for t in terms if t.from_id == record.source.id)


def _cached(conn: Connection, viewer: Organization, record: ItemRecord, target: str,
            key: str) -> MachineTranslation | None:
    row = conn.execute(sa.select(item_translations).where(
        item_translations.c.item_id == record.id, item_translations.c.version == record.latest.version,
        item_translations.c.language == target, item_translations.c.organization_id == viewer.id)).first()
    if row is None or row.glossary_key != key:
        return None
    return MachineTranslation(record.id, row.version, target, row.source_language, row.backend, row.headline,
                              row.body, row.created_at, cached=True)


def cached_translation(conn: Connection, viewer: Organization, item_id: str, target: str) -> MachineTranslation | None:
    """The translation already made of the version the viewer sees, if its glossary is unchanged."""
    record = get_item(conn, viewer, item_id)
    return _cached(conn, viewer, record, target, glossary_key(list_terms(conn, viewer)))


def translate_texts(translator: Translator, texts: list[str], terms: list[Term], source: str | None,
                    target: str) -> list[str]:
    """``texts`` translated with the glossary's terms protected on the way and written in ``target``
    on the way back; empty texts are not sent."""
    protected = [protect(text, terms) for text in texts]
    sent = [i for i, p in enumerate(protected) if p.text.strip()]
    answers = translator.translate([protected[i].text for i in sent], source, target) if sent else []
    found = [text for text in texts]
    for i, answer in zip(sent, answers, strict=True):
        found[i] = restore(answer, protected[i], target)
    return found


def translatable_record(conn: Connection, viewer: Organization, item_id: str) -> ItemRecord:
    """The item as ``viewer`` sees it, when it may be translated (or a translation corrected): 404 as
    an unknown id when not visible, 409 when withdrawn, 403 when its terms forbid translating it."""
    record = get_item(conn, viewer, item_id)
    if record.latest.notice_only or record.latest.pubstatus == "canceled":
        raise Conflict("the item was withdrawn: its text is no longer there to translate", field="id")
    if not translation_allowed(conn, viewer, record):
        raise TranslationNotAllowed("the agreement you received this item under does not allow translating it",
                                    field="id")
    return record


def translate_item(engine: Engine, viewer: Organization, item_id: str, target: str,
                   translator: Translator) -> MachineTranslation:
    """The item's headline and text in ``target``, from the cache or made now (see the module's note)."""
    with reading(engine) as conn:
        record = translatable_record(conn, viewer, item_id)
        terms = list_terms(conn, viewer)
        key = glossary_key(terms)
        found = _cached(conn, viewer, record, target, key)
    if found is not None:
        return found
    source = item_language(record)
    paragraphs = [p.strip() for p in _plain(record).split("\n\n") if p.strip()]
    translated = translate_texts(translator, [_headline(record), *paragraphs], terms, source, target)
    now = utcnow()
    made = MachineTranslation(record.id, record.latest.version, target, source, translator.name, translated[0],
                              "\n\n".join(translated[1:]), now, cached=False)
    row = {"source_language": source, "backend": made.backend, "glossary_key": key, "headline": made.headline,
           "body": made.text, "created_at": now}
    where = (item_translations.c.item_id == record.id, item_translations.c.version == made.version,
             item_translations.c.language == target, item_translations.c.organization_id == viewer.id)
    try:
        with writing(engine) as conn:
            conn.execute(item_translations.insert().values(item_id=record.id, version=made.version, language=target,
                                                           organization_id=viewer.id, **row))
    except sa.exc.IntegrityError:  # made meanwhile by another request, or with an older glossary
        with writing(engine) as conn:
            conn.execute(item_translations.update().where(*where).values(**row))
    return made
