"""natasha's Russian named entities as story entities: inflected names in their dictionary form,
names the capitalized-word rule cannot see (a sentence's first word), the same key as the Kazakh,
Persian and English spellings; the modes of ``Gazetteer.names``. The model is real (shipped inside
the natasha package, offline)."""

from __future__ import annotations

import pytest

from newsbridge.stories import russian_names as ner
from newsbridge.stories.gazetteer import Gazetteer
from newsbridge.stories.transliteration import name_keys, shared_names, span_keys


def test_inflected_russian_names_come_in_their_dictionary_form() -> None:
    found = ner.russian_names("Президент Касым-Жомарт Токаев встретился с Масудом Пезешкианом в Тегеране.")
    assert ("PER", "Масуд Пезешкиан") in found and ("LOC", "Тегеран") in found
    assert {kind for kind, _ in found} <= ner.KINDS and ner.loaded()
    assert ner.russian_names("в понедельник шёл дождь") == []


@pytest.mark.parametrize(("russian", "others"), [
    ("Карабаеву вручили орден в Мешхеде.", ("The envoy Karabayev visited Mashhad.", "قره‌بایف در مشهد بود",
                                          "Орден Мешхедте Қарабаевқа берілді.")),
    ("Губернатор Ахмад Вахиди приехал в Нишапур.", ("The governor Ahmad Vahidi came to Nishapur.",
                                                  "احمد وحیدی به نیشابور رفت")),
])
def test_a_russian_name_and_its_other_spellings_share_keys(russian: str, others: tuple[str, ...]) -> None:
    gazetteer = Gazetteer()
    keys = frozenset(gazetteer.names(russian, "ru", "replace"))
    for other in others:
        shared = shared_names(keys, frozenset(gazetteer.names(other)))
        assert len(shared) >= 2, (other, sorted(keys), shared)


def test_natasha_finds_a_name_that_starts_a_sentence_where_the_rule_cannot() -> None:
    gazetteer = Gazetteer()
    text = "Карабаева наградили в Москве."  # the rule skips a sentence's first word
    assert "~krbv" not in gazetteer.names(text, "ru", "off")
    assert "~krbv" in gazetteer.names(text, "ru", "replace")
    assert gazetteer.names(text, "ru", "add") >= gazetteer.names(text, "ru", "off")


def test_the_dictionary_form_finds_the_gazetteer_s_key_and_the_modes_leave_other_languages_alone() -> None:
    gazetteer = Gazetteer()
    names = gazetteer.names("Встреча с Токаевым прошла в Астане.", "ru", "replace")
    assert {"tokayev", "astana"} <= names and "~tkv" not in names
    english = "Karabayev met Tokayev in Astana."
    assert gazetteer.names(english, "en", "replace") == gazetteer.names(english, "en", "off")


def test_span_keys_take_every_capitalized_word_but_titles_and_acronyms() -> None:
    assert span_keys(["Ержан Ашикбаев", "ИРНА", "Minister"]) == {"~rzn", "~skbv"}
    assert span_keys(["Национальный банк"]) == {"~nsnln"}  # "банк" is no name
    assert span_keys(["Ашикбаев"], frozenset({"ашикбаев"})) == set()
    assert name_keys("Он встретил Ашикбаева.") & span_keys(["Ашикбаев"]) == {"~skbv"}
