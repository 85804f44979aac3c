"""Names the gazetteer does not know, matched across Latin, Cyrillic (with Kazakh letters) and Persian
by one consonant key; what counts as a name in each script; the key in the story score."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from newsbridge.stories.clustering import Profile, Signals, pair_score
from newsbridge.stories.gazetteer import Gazetteer
from newsbridge.stories.transliteration import name_keys, shared_names, skeleton


@pytest.mark.parametrize("spellings", [
    ("Tokayev", "Токаев", "Тоқаев", "توکایف"),
    ("Tehran", "Тегеран", "تهران"),
    ("Kazakhstan", "Казахстан", "Қазақстан", "قزاقستان"),
    ("Pezeshkian", "Пезешкиан", "پزشکیان"),
    ("Araghchi", "Аракчи", "عراقچی"),
    ("Nishapur", "Нишапур", "نیشابور"),
    ("Mashhad", "Мешхед", "مشهد"),
    ("Chabahar", "Чабахар", "چابهار"),
    ("Karabayev", "Карабаев", "قره‌بایف"),
    ("Turkistan", "Түркістан", "ترکستان"),
])
def test_one_name_in_every_script_has_one_key(spellings: tuple[str, ...]) -> None:
    assert len({skeleton(s) for s in spellings}) == 1, {s: skeleton(s) for s in spellings}


@pytest.mark.parametrize(("one", "other"), [("Tokayev", "Putin"), ("Tehran", "Turkistan"), ("Almaty", "Mashhad"),
                                            ("Ashikbayev", "Karabayev")])
def test_different_names_have_different_keys(one: str, other: str) -> None:
    assert skeleton(one) != skeleton(other)


def test_capitalized_words_inside_a_sentence_are_names_and_a_sentence_s_first_word_is_not() -> None:
    keys = name_keys("Министры встретились в Тегеране. Вице-министр Ержан Ашикбаев посетил Нишапур в мае.")
    assert keys == {"~tkrn", "~rzn", "~skbv", "~nsbr"}  # not "Министры", not "Вице-министр", not "мае"
    assert name_keys("Ол Нишапурда Ашикбаевпен кездесті.") >= {"~nsbr", "~skbv"}  # Kazakh case endings off
    assert name_keys("On Monday the Minister met Ashikbayev in March.") == {"~skbv"}  # days, months, titles out
    assert name_keys("The NATO and UN envoys came.") == set()  # acronyms have no sounds to compare


def test_persian_words_are_candidates_but_persian_never_matches_persian() -> None:
    persian = frozenset(name_keys("معاون وزیر اشیک‌بایف از نیشابور دیدن کرد"))
    russian = frozenset(name_keys("Вице-министр Ержан Ашикбаев посетил Нишапур."))
    assert {"~fa:nsbr"} <= persian and shared_names(persian, russian) == {"nsbr", "skbv"}
    assert shared_names(persian, persian) == set()  # two Persian texts share their common words too


def test_words_the_gazetteer_knows_get_no_second_key() -> None:
    gazetteer = Gazetteer()
    names = gazetteer.names("Президент Токаев встретился в Астане с министром Ашикбаевым.")
    assert {"tokayev", "astana"} <= names
    assert not any(key in names for key in ("~tkv", "~stn"))
    assert "~skbv" in names  # the unknown name, its case ending (-ым) taken off


def _profile(item_id: str, language: str, entities: set[str]) -> Profile:
    vector = np.ones(4) / 2.0
    return Profile(item_id, f"org-{item_id}", language, datetime(2026, 11, 2, tzinfo=timezone.utc), vector,
                   frozenset(entities))


def test_a_shared_unknown_name_adds_to_the_story_score_and_lifts_the_no_shared_name_penalty() -> None:
    a = _profile("a", "ru", {"iran", "~skbv"})
    b = _profile("b", "fa", {"kazakhstan", "~fa:skbv", "~fa:krc"})
    with_keys, without = pair_score(a, b), pair_score(a, b, Signals(spelled=False))
    assert with_keys is not None and without is not None
    assert with_keys.score > without.score and with_keys.evidence["entities"] == ["~skbv"]
    assert without.evidence["entities"] == []
