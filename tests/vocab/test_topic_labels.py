"""Our ru/kk/fa Media Topic labels: complete at the top, real qcodes, proper letters, searchable."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from newsbridge.vocab.mediatopics import vocabulary
from newsbridge.vocab.topic_labels import OWN_LANGUAGES, label, labels_for, missing, own_labels, search

TOP_LEVEL = sorted(q for q, t in vocabulary().items() if not t.broader and not t.retired)
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
ARABIC_YEH, ARABIC_KAF, ZWNJ = "\u064a", "\u0643", "\u200c"


def _raw() -> dict:
    return json.loads(resources.files("newsbridge.vocab").joinpath("topic_labels.json").read_text("utf-8"))


def test_file_names_its_sources_and_is_sorted() -> None:
    raw = _raw()
    assert "IPTC" in raw["_about"] and "CC BY 4.0" in raw["_about"] and "Newsbridge" in raw["_about"]
    assert list(raw["labels"]) == sorted(raw["labels"])


@pytest.mark.parametrize("lang", OWN_LANGUAGES)
def test_every_top_level_topic_has_our_label(lang: str) -> None:
    assert len(TOP_LEVEL) == 17
    assert [q for q in TOP_LEVEL if not own_labels().get(q, {}).get(lang)] == []
    assert missing(lang) == []


@pytest.mark.parametrize("lang", OWN_LANGUAGES)
def test_at_least_150_narrower_topics_per_language(lang: str) -> None:
    vocab = vocabulary()
    narrower = [q for q, labels in own_labels().items() if vocab[q].broader and labels.get(lang)]
    assert len(narrower) >= 150


def test_every_qcode_is_a_current_media_topic() -> None:
    vocab = vocabulary()
    unknown = [q for q in own_labels() if q not in vocab]
    retired = [q for q in own_labels() if q in vocab and vocab[q].retired]
    assert (unknown, retired) == ([], [])


def test_every_entry_has_all_languages_and_no_blank_label() -> None:
    for qcode, labels in own_labels().items():
        assert set(labels) == {"en", *OWN_LANGUAGES}, qcode
        for lang, text in labels.items():
            assert text and text == text.strip() and "  " not in text, (qcode, lang, text)


def test_english_is_the_iptc_label() -> None:
    vocab = vocabulary()
    assert [q for q, labels in own_labels().items() if labels["en"] != vocab[q].labels["en-GB"]] == []


def test_kazakh_labels_use_kazakh_letters() -> None:
    with_letters = [labels["kk"] for labels in own_labels().values() if KAZAKH_LETTERS & set(labels["kk"])]
    assert len(with_letters) >= 30


def test_kazakh_labels_are_cyrillic() -> None:
    assert [t for t in (labels["kk"] for labels in own_labels().values()) if re.search("[A-Za-z]", t)] == []


def test_persian_labels_use_persian_yeh_and_keheh() -> None:
    wrong = [t for t in (labels["fa"] for labels in own_labels().values()) if ARABIC_YEH in t or ARABIC_KAF in t]
    assert wrong == []


def test_persian_labels_use_zwnj_only_inside_words() -> None:
    texts = [labels["fa"] for labels in own_labels().values()]
    assert "رسانه\u200cهای جمعی" in texts
    assert [t for t in texts if re.search(f"(^|\\s){ZWNJ}|{ZWNJ}($|\\s)|{ZWNJ}{ZWNJ}", t)] == []


def test_persian_labels_are_in_arabic_script() -> None:
    assert [t for t in (labels["fa"] for labels in own_labels().values()) if re.search("[A-Za-zА-Яа-я]", t)] == []


@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", "политика"), ("kk", "саясат"), ("fa", "سیاست"), ("kk-KZ", "саясат"), ("RU", "политика"),
    ("en", "politics"), ("de", "Politik"), ("fr", "Politique"), ("da", "politik"),
    ("ja", "politics"), ("", "politics"),
])
def test_label_of_politics(lang: str, expected: str) -> None:
    assert label("medtop:11000000", lang) == expected


def test_mass_media_uses_newsroom_terms() -> None:
    assert [label("medtop:20000045", lang) for lang in OWN_LANGUAGES] == ["СМИ", "БАҚ", "رسانه\u200cهای جمعی"]


def test_label_falls_back_to_english_for_a_topic_we_have_not_translated() -> None:
    untranslated = next(q for q, t in vocabulary().items() if q not in own_labels() and not t.retired)
    assert label(untranslated, "kk") == vocabulary()[untranslated].labels["en-GB"]


def test_label_of_unknown_topic_raises() -> None:
    with pytest.raises(KeyError):
        label("medtop:99999999", "ru")


@pytest.mark.parametrize("lang", [*OWN_LANGUAGES, "en", "de"])
def test_labels_for_covers_every_current_topic(lang: str) -> None:
    current = {q for q, t in vocabulary().items() if not t.retired}
    found = labels_for(lang)
    assert set(found) == current
    assert all(found.values())


def test_labels_for_prefers_ours_and_shows_english_otherwise() -> None:
    found = labels_for("fa")
    assert found["medtop:20000045"] == "رسانه\u200cهای جمعی"
    untranslated = next(q for q in found if q not in own_labels())
    assert found[untranslated] == vocabulary()[untranslated].labels["en-GB"]
    found["medtop:11000000"] = "changed"
    assert labels_for("fa")["medtop:11000000"] == "سیاست"


def test_missing_lists_top_level_topics_without_a_label() -> None:
    assert missing("en") == []
    assert missing("ja") == TOP_LEVEL


@pytest.mark.parametrize(("prefix", "lang", "qcode"), [
    ("пол", "ru", "medtop:11000000"),
    ("ПОЛ", "ru", "medtop:11000000"),
    ("саяс", "kk", "medtop:11000000"),
    ("سیا", "fa", "medtop:11000000"),
    ("elec", "en", "medtop:20000574"),
    ("выб", "ru", "medtop:20000574"),
    ("сайл", "kk", "medtop:20000574"),
    ("انتخ", "fa", "medtop:20000574"),
    ("elec", "ru", "medtop:20000574"),  # the English label works in every language
    ("СМИ", "ru", "medtop:20000045"),
    ("бақ", "kk", "medtop:20000045"),
    ("جمع", "fa", "medtop:20000045"),  # any word of the label, not only the first
    ("world cup", "kk", "medtop:20001122"),
])
def test_search_finds(prefix: str, lang: str, qcode: str) -> None:
    assert qcode in [q for q, _ in search(prefix, lang)]


def test_search_returns_labels_in_the_asked_language_best_first() -> None:
    assert search("пол", "ru")[0] == ("medtop:11000000", "политика")
    assert search("elec", "en")[0] == ("medtop:20000574", "election")
    assert search("қылмыс", "kk")[0] == ("medtop:20000082", "қылмыс")


def test_search_matches_word_starts_only() -> None:
    assert "medtop:11000000" not in [q for q, _ in search("итика", "ru")]
    assert "medtop:20000574" not in [q for q, _ in search("lection", "en")]


@pytest.mark.parametrize("query", [
    "سيا",  # Arabic yeh
    "كشتی",  # Arabic kaf
])
def test_search_folds_arabic_letters_in_persian_queries(query: str) -> None:
    assert search(query, "fa") == search(query.replace(ARABIC_YEH, "ی").replace(ARABIC_KAF, "ک"), "fa")
    assert search(query, "fa")


@pytest.mark.parametrize("query", ["رسانه\u200cها", "رسانهها", "رسانه ها"])
def test_search_accepts_persian_plurals_typed_with_zwnj_space_or_nothing(query: str) -> None:
    assert "medtop:20000045" in [q for q, _ in search(query, "fa")]


def test_search_limit_and_empty_query() -> None:
    assert len(search("s", "en", limit=5)) == 5
    assert search("", "ru") == [] and search("   ", "ru") == []
    assert search("пол", "ru", limit=0) == []


def test_search_leaves_out_retired_topics() -> None:
    vocab = vocabulary()
    retired = next(t for t in vocab.values() if t.retired and t.label)
    assert retired.qcode not in [q for q, _ in search(retired.label, "en", limit=1000)]
