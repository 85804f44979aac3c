"""An organization's glossary: names and terms a machine translation must write its way.

An entry is one name or term with its form per language ("Қасым-Жомарт Тоқаев", "Касым-Жомарт
Токаев", "قاسم جومارت توکایف", "Kassym-Jomart Tokayev"). Before a text is sent to a translator,
every form of every entry found in it is replaced by a numbered placeholder (``⟦3⟧``) the engine
passes through untouched; after, each placeholder is replaced by the entry's form in the target
language, or by the words as they were written when the entry has no form for it (a brand such
as "Kazinform" or "Jibek Joly" then stays as it is). Longer forms are protected first, so
"Kassym-Jomart Tokayev" wins over "Tokayev". A Cyrillic form also matches with a case ending of up
to three letters ("Токаева", "Тоқаевтың"; not "Токаевский"); a translation into Russian or Kazakh then carries the
form as entered (nominative). Matching ignores case.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.translation_tables import glossary_terms
from newsbridge.errors import AlreadyExists, InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow

LANGUAGE = re.compile(r"^[a-z]{2,3}$")
MAX_FORM = 200
MAX_NOTE = 500
MAX_TERMS = 2000  # per organization: the whole glossary is read for each translation
_PLACEHOLDER = re.compile(r"⟦\s*(\d+)\s*⟧")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class Term:
    id: str
    forms: Mapping[str, str]  # language -> how the term is written in it
    note: str
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Protected:
    """A text with the glossary's terms replaced by placeholders, and what each stands for."""

    text: str
    slots: tuple[tuple[Term, str], ...]  # per placeholder number: the entry and the words it replaced


def _pattern(form: str) -> str:
    words = r"\s+".join(re.escape(part) for part in form.split())
    ending = r"\w{0,3}" if _CYRILLIC.search(form) else ""
    return rf"(?<!\w){words}{ending}(?!\w)"


def protect(text: str, terms: Sequence[Term]) -> Protected:
    """``text`` with every glossary form in it replaced by ``⟦n⟧`` (see the module's note)."""
    forms = sorted(((form, term) for term in terms for form in set(term.forms.values()) if form.strip()),
                   key=lambda pair: -len(pair[0]))
    slots: list[tuple[Term, str]] = []
    for form, term in forms:
        def replace(match: re.Match[str], term: Term = term) -> str:
            slots.append((term, match.group(0)))
            return f"⟦{len(slots) - 1}⟧"

        text = re.sub(_pattern(form), replace, text, flags=re.IGNORECASE)
    return Protected(text, tuple(slots))


def restore(translated: str, protected: Protected, target: str) -> str:
    """The translation with each placeholder replaced by its entry's form in ``target`` (or the
    words as written, when the entry has none). A placeholder the engine lost is lost; one it
    invented is dropped."""
    def replace(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number >= len(protected.slots):
            return ""
        term, written = protected.slots[number]
        return term.forms.get(target, written)

    return _PLACEHOLDER.sub(replace, translated)


def glossary_key(terms: Sequence[Term]) -> str:
    """A digest of the entries: a translation made with another glossary is made again."""
    canonical = sorted(json.dumps(dict(sorted(t.forms.items())), ensure_ascii=False) for t in terms)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()[:32]


def parse_forms(raw: object) -> dict[str, str]:
    """Check forms as sent ({language: form}); empty forms are left out, one must remain."""
    if not isinstance(raw, Mapping):
        raise InvalidInput('forms must be an object of language code to form, like {"en": "Kazinform"}',
                           field="forms")
    forms: dict[str, str] = {}
    for language, form in raw.items():
        if not isinstance(language, str) or not LANGUAGE.match(language):
            raise InvalidInput(f"{language!r} is not a language code: use ISO 639 codes like kk, ru, fa, en",
                               field="forms")
        if not isinstance(form, str):
            raise InvalidInput(f"the {language} form must be text", field=f"forms.{language}")
        form = " ".join(form.split())
        if len(form) > MAX_FORM:
            raise InvalidInput(f"the {language} form is over {MAX_FORM} characters", field=f"forms.{language}")
        if form:
            forms[language] = form
    if not forms:
        raise InvalidInput("give the term in at least one language", field="forms")
    return forms


def _note(raw: object) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > MAX_NOTE:
        raise InvalidInput(f"note must be text of at most {MAX_NOTE} characters", field="note")
    return raw.strip()


def list_terms(conn: Connection, organization: Organization) -> list[Term]:
    """The organization's glossary, sorted by the first of its forms."""
    rows = conn.execute(sa.select(glossary_terms.c.id, glossary_terms.c.forms, glossary_terms.c.note,
                                  glossary_terms.c.updated_at)
                        .where(glossary_terms.c.organization_id == organization.id))
    terms = [Term(row.id, dict(row.forms), row.note, row.updated_at) for row in rows]
    return sorted(terms, key=lambda t: (next(iter(sorted(t.forms.values())), "").casefold(), t.id))


def get_term(conn: Connection, organization: Organization, term_id: str) -> Term:
    """One entry of the organization's glossary; NotFound for any other organization's."""
    row = conn.execute(sa.select(glossary_terms.c.id, glossary_terms.c.forms, glossary_terms.c.note,
                                 glossary_terms.c.updated_at)
                       .where(glossary_terms.c.id == term_id,
                              glossary_terms.c.organization_id == organization.id)).first()
    if row is None:
        raise NotFound(f"no glossary term {term_id!r}", field="id")
    return Term(row.id, dict(row.forms), row.note, row.updated_at)


def _check_unique(terms: Sequence[Term], forms: Mapping[str, str], keep: str | None) -> None:
    for term in terms:
        if term.id == keep:
            continue
        for language, form in forms.items():
            if term.forms.get(language, "").casefold() == form.casefold():
                raise AlreadyExists(f"the glossary already has {form!r} in {language}: edit that entry",
                                    field=f"forms.{language}")


def add_term(conn: Connection, organization: Organization, forms: object, note: object = None) -> Term:
    """A new entry in the organization's glossary (forms checked with :func:`parse_forms`)."""
    checked, text = parse_forms(forms), _note(note)
    existing = list_terms(conn, organization)
    if len(existing) >= MAX_TERMS:
        raise InvalidInput(f"a glossary holds at most {MAX_TERMS} entries: remove some first", field="forms")
    _check_unique(existing, checked, None)
    now = utcnow()
    term = Term(new_id(), checked, text, now)
    conn.execute(glossary_terms.insert().values(id=term.id, organization_id=organization.id, forms=checked,
                                                note=text, created_at=now, updated_at=now))
    return term


def change_term(conn: Connection, organization: Organization, term_id: str, forms: object,
                note: object = None) -> Term:
    """Replace an entry's forms and note; NotFound for another organization's entry."""
    get_term(conn, organization, term_id)
    checked, text = parse_forms(forms), _note(note)
    _check_unique(list_terms(conn, organization), checked, term_id)
    now = utcnow()
    conn.execute(glossary_terms.update().where(glossary_terms.c.id == term_id)
                 .values(forms=checked, note=text, updated_at=now))
    return Term(term_id, checked, text, now)


def remove_term(conn: Connection, organization: Organization, term_id: str) -> None:
    """Delete an entry; NotFound for another organization's entry."""
    get_term(conn, organization, term_id)
    conn.execute(glossary_terms.delete().where(glossary_terms.c.id == term_id))
