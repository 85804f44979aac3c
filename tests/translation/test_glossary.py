"""The glossary: terms protected before a translation and written the organization's way after,
and entries kept per organization on both databases."""

from __future__ import annotations

import pytest

from newsbridge.db.engine import reading, writing
from newsbridge.errors import AlreadyExists, InvalidInput, NotFound
from newsbridge.translation.backends import Dictionary
from newsbridge.translation.glossary import (Term, add_term, change_term, glossary_key, get_term, list_terms, protect,
                                             remove_term, restore)
from newsbridge.translation.service import translate_texts
from tests.translation.far_side import WORDS

TOKAYEV = Term("t1", {"kk": "Қасым-Жомарт Тоқаев", "ru": "Касым-Жомарт Токаев", "fa": "قاسم جومارت توکایف",
                      "en": "Kassym-Jomart Tokayev"}, "")
SURNAME = Term("t2", {"kk": "Тоқаев", "ru": "Токаев", "fa": "توکایف", "en": "Tokayev"}, "")
KAZINFORM = Term("t3", {"en": "Kazinform"}, "our name: never translated")
JIBEK = Term("t4", {"en": "Jibek Joly", "ru": "Жибек Жолы"}, "")
TERMS = [TOKAYEV, SURNAME, KAZINFORM, JIBEK]


@pytest.mark.parametrize(("text", "source", "target", "expected"), [
    ("Президент Касым-Жомарт Токаев встретился с министром", "ru", "en",
     "president Kassym-Jomart Tokayev met with министром"),
    ("Токаева встретил президент", "ru", "en", "Tokayev встретил president"),  # a case ending
    ("Қасым-Жомарт Тоқаевтың келіссөз", "kk", "en", "Kassym-Jomart Tokayev talks"),
    ("دیدار با قاسم جومارت توکایف", "fa", "en", "meeting with Kassym-Jomart Tokayev"),
    ("President Kassym-Jomart Tokayev met Kazinform", "en", "ru", "президент Касым-Жомарт Токаев встретился Kazinform"),
    ("Kazinform и Jibek Joly сообщает", "ru", "en", "Kazinform и Jibek Joly reports"),  # untranslated names kept
    ("Tokayev met the president", "en", "kk", "Тоқаев кездесті the президенті"),
])
def test_terms_are_written_the_organizations_way(text: str, source: str, target: str, expected: str) -> None:
    translator = Dictionary(WORDS)
    assert translate_texts(translator, [text], TERMS, source, target) == [expected]
    [(sent, *_)] = translator.calls[:1]
    assert not any(form in sent[0] for term in TERMS for form in term.forms.values())  # protected on the way out


def test_the_longer_form_wins_and_words_inside_other_words_are_left_alone() -> None:
    protected = protect("Касым-Жомарт Токаев и Токаевский район", TERMS)
    assert protected.text == "⟦0⟧ и Токаевский район"
    assert restore("⟦0⟧ and the Tokayevsky district", protected, "en") == \
        "Kassym-Jomart Tokayev and the Tokayevsky district"


def test_a_placeholder_the_engine_invented_is_dropped_and_spacing_is_forgiven() -> None:
    protected = protect("Токаев", TERMS)
    assert restore("⟦ 0 ⟧ ⟦7⟧", protected, "en") == "Tokayev "


def test_the_glossary_key_changes_with_the_forms_only() -> None:
    assert glossary_key(TERMS) == glossary_key(list(reversed(TERMS)))
    assert glossary_key(TERMS) != glossary_key([*TERMS[:-1], Term("t4", {"en": "Jibek Joly TV"}, "")])


def test_entries_belong_to_their_organization(engine, make_partner) -> None:  # type: ignore[no-untyped-def]
    alpha, beta = make_partner("alpha"), make_partner("beta")
    with writing(engine) as conn:
        term = add_term(conn, alpha.org, {"ru": "  Касым-Жомарт   Токаев ", "en": "Kassym-Jomart Tokayev", "fa": ""},
                        "President")
        add_term(conn, beta.org, {"ru": "Касым-Жомарт Токаев"})  # another organization may have its own
    assert term.forms == {"ru": "Касым-Жомарт Токаев", "en": "Kassym-Jomart Tokayev"}
    with writing(engine) as conn:
        with pytest.raises(AlreadyExists):
            add_term(conn, alpha.org, {"ru": "касым-жомарт токаев"})
        for action in (lambda: get_term(conn, beta.org, term.id), lambda: remove_term(conn, beta.org, term.id),
                       lambda: change_term(conn, beta.org, term.id, {"en": "Taken over"})):
            with pytest.raises(NotFound):
                action()
        changed = change_term(conn, alpha.org, term.id, {"ru": "Касым-Жомарт Токаев", "en": "K.-J. Tokayev"})
    with reading(engine) as conn:
        assert list_terms(conn, alpha.org) == [changed] and changed.note == ""
        assert len(list_terms(conn, beta.org)) == 1
    with writing(engine) as conn:
        remove_term(conn, alpha.org, term.id)
    with reading(engine) as conn:
        assert list_terms(conn, alpha.org) == []


@pytest.mark.parametrize(("forms", "field"), [
    ({}, "forms"),
    ({"en": "   "}, "forms"),
    ("Tokayev", "forms"),
    ({"english": "Tokayev"}, "forms"),
    ({"en": 7}, "forms.en"),
    ({"en": "x" * 201}, "forms.en"),
])
def test_bad_forms_are_refused_with_the_field(engine, make_partner, forms: object, field: str) -> None:  # type: ignore[no-untyped-def]
    alpha = make_partner("alpha")
    with writing(engine) as conn:
        with pytest.raises(InvalidInput) as caught:
            add_term(conn, alpha.org, forms)
    assert caught.value.field == field
