"""Automatic Media Topic tagging: quality on the holdout quarter, the subjects it adds, Persian."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newsbridge.formats.ninjs import validate
from newsbridge.vocab import tagging
from newsbridge.vocab.mediatopics import ancestors, vocabulary
from newsbridge.vocab.tagging import LANGUAGES, TOP_LEVEL, machine_subjects, tag

DATA = Path(__file__).resolve().parents[1] / "data" / "topics"
TARGET = 0.75


def _rows(language: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / f"{language}.jsonl").read_text("utf-8").splitlines() if line]


def _split(language: str, split: str) -> list[tuple[str, list[str]]]:
    return [(r["text"], r["topics"]) for r in _rows(language) if r["split"] == split]


def _micro_f1(gold: list[list[str]], predicted: list[list[str]]) -> float:
    hits = sum(len(set(g) & set(p)) for g, p in zip(gold, predicted))
    n_pred, n_gold = sum(map(len, predicted)), sum(map(len, gold))
    return 2 * hits / (n_pred + n_gold) if n_pred + n_gold else 0.0


@pytest.mark.parametrize("language", LANGUAGES)
def test_holdout_micro_f1_meets_the_target(language: str) -> None:
    holdout = _split(language, "holdout")
    predicted = [[q for q, _ in tag(text, language) if q in TOP_LEVEL] for text, _ in holdout]
    f1 = _micro_f1([topics for _, topics in holdout], predicted)
    assert f1 >= TARGET, f"{language}: holdout micro-F1 {f1:.3f} < {TARGET}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_labelled_set_is_big_balanced_and_every_fourth_line_is_held_out(language: str) -> None:
    rows = _rows(language)
    assert len(rows) >= 200
    assert [r["split"] for r in rows] == ["holdout" if i % 4 == 3 else "train" for i in range(len(rows))]
    assert all(1 <= len(r["topics"]) <= 2 and set(r["topics"]) <= set(TOP_LEVEL) for r in rows)
    per_topic = Counter(t for r in rows for t in r["topics"])
    assert min(per_topic[t] for t in TOP_LEVEL) >= 10
    assert len({r["text"] for r in rows}) == len(rows)


def test_kazakh_and_persian_are_spelled_properly() -> None:
    kazakh = " ".join(r["text"] for r in _rows("kk"))
    assert all(letter in kazakh for letter in "әғқңөұүһі")
    persian = " ".join(r["text"] for r in _rows("fa"))
    assert "\u200c" in persian and "ی" in persian and "ک" in persian
    assert "\u064a" not in persian and "\u0643" not in persian


def test_the_shipped_model_is_exactly_what_the_train_split_gives() -> None:
    # So the holdout quarter cannot have been used to build it, and a data edit without a
    # retrain (bench/topics_eval.py --retrain) is caught.
    shipped = json.loads((Path(tagging.__file__).parent / tagging.MODEL_FILE).read_text("utf-8"))
    rebuilt = json.loads(json.dumps(tagging.train({lang: _split(lang, "train") for lang in LANGUAGES})))
    assert rebuilt == shipped


def _examples() -> list[tuple[str, str, str]]:
    return [
        ("Kazakhstan stuns Denmark 3-2 in Euro qualifier", "Zainutdinov scored a late penalty in Astana.", "en"),
        ("Землетрясение магнитудой 6,1 произошло у берегов Камчатки", "Угрозы цунами нет, сообщили в МЧС.", "ru"),
        ("Ұлттық банк базалық мөлшерлемені өзгертпеді", "Инфляция әлі де жоғары деңгейде.", "kk"),
        ("سیل در سیستان و بلوچستان", "هواشناسی برای استان‌های جنوب شرقی هشدار داد.", "fa"),
    ]


@pytest.mark.parametrize(("headline", "body", "language"), _examples())
def test_machine_subjects_are_marked_and_valid_ninjs_3_1(headline: str, body: str, language: str) -> None:
    subjects = machine_subjects(headline, body, language, [])
    assert subjects
    for subject in subjects:
        assert subject["creator"] == "machine" and subject["rel"] == "about"
        assert isinstance(subject["confidence"], int) and 0 <= subject["confidence"] <= 100
        assert subject["uri"].startswith("http://cv.iptc.org/newscodes/mediatopic/")
        assert subject["name"]
    assert validate({"uri": "x", "subjects": subjects}) == 3
    assert validate({"uri": "x", "standard": {"name": "ninjs", "version": "3.1",
                                               "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"},
                     "subjects": subjects}) == 3


@pytest.mark.parametrize("existing", [
    [{"name": "sport", "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000"}],
    [{"name": "Sport", "literal": "medtop:15000000"}],
    [{"literal": "20001065", "rel": "about"}],
    [{"name": "Astana", "uri": "https://www.geonames.org/1526273"}, {"uri": "medtop:04000000"}],
])
def test_no_machine_subjects_when_the_source_names_a_media_topic(existing: list[dict[str, Any]]) -> None:
    headline, body, language = _examples()[0]
    assert machine_subjects(headline, body, language, existing) == []


def test_other_subjects_are_kept_and_media_topics_added_beside_them() -> None:
    headline, body, language = _examples()[0]
    place = {"name": "Astana", "uri": "https://www.geonames.org/1526273"}
    added = machine_subjects(headline, body, language, [place])
    assert [s["uri"] for s in added][:1] == ["http://cv.iptc.org/newscodes/mediatopic/15000000"]
    assert place not in added


def test_persian_with_arabic_letters_is_tagged_like_normalized_persian() -> None:
    normalized = [text for text, _ in _split("fa", "holdout")]
    arabic = [t.replace("ی", "\u064a").replace("ک", "\u0643") for t in normalized]
    assert sum(a != n for a, n in zip(arabic, normalized)) > len(normalized) // 2
    assert [tag(a, "fa") for a in arabic] == [tag(n, "fa") for n in normalized]
    assert tag("زلزله شديد در كرمان", "fa") == tag("زلزله شدید در کرمان", "fa")


def test_narrower_topics_follow_a_confident_parent() -> None:
    for language in LANGUAGES:
        for text, _ in _split(language, "holdout"):
            found = tag(text, language)
            top = {q: c for q, c in found if q in TOP_LEVEL}
            for qcode, confidence in found:
                if qcode in TOP_LEVEL:
                    continue
                parent = next(a for a in ancestors(qcode) if not vocabulary()[a].broader)
                assert top[parent] >= tagging.NARROWER_FLOOR and confidence < top[parent]


def test_confidences_are_probabilities_best_first() -> None:
    for text, body, language in _examples():
        found = tag(f"{text} {body}", language)
        top = [c for q, c in found if q in TOP_LEVEL]
        assert top == sorted(top, reverse=True) and all(tagging.FLOOR <= c <= 1 for c in top)


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("Землетрясение магнитудой 6,1 произошло у берегов Камчатки", None, "medtop:03000000"),
    ("Землетрясение магнитудой 6,1 произошло у берегов Камчатки", "ru-RU", "medtop:03000000"),
    ("Алматыда жер сілкінісі болды, үйлер қирады", None, "medtop:03000000"),
    ("زلزله در کرمان خانه‌ها را ویران کرد", None, "medtop:03000000"),
])
def test_language_tags_and_guessing(text: str, language: str | None, expected: str) -> None:
    assert tag(text, language)[0][0] == expected


@pytest.mark.parametrize(("text", "language"), [("Un séisme a frappé la région", "fr"), ("", "en"), ("12:30", None)])
def test_unsupported_languages_and_empty_text_get_nothing(text: str, language: str | None) -> None:
    assert tag(text, language) == []


def test_every_narrower_topic_is_a_known_descendant_with_stems_in_every_language() -> None:
    for qcode, spec in tagging.NARROWER.items():
        assert qcode in vocabulary() and not vocabulary()[qcode].retired
        assert set(spec) == set(LANGUAGES) and all(tagging.stems(spec[lang]) for lang in LANGUAGES)
    assert sorted(tagging.KEYWORDS) == list(range(1, 18))
