"""Language detection at ingest, on every labelled text we hold: right wherever lingua alone is right.

The texts: the topic classifier's labelled en/ru/kk/fa texts (tests/data/topics), the story sets'
items (tests/data/stories), the two source articles (../shared/fixtures/seeds); each whole, as
its first sentence only (short texts are where detectors err), and the Persian ones also typed with
Arabic yeh and kaf. The reference is what ingest did before the letters and the short sample
(ingest/language.py): lingua on the first 300 characters, read as written and Persian-normalized.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from newsbridge.formats.item import Item
from newsbridge.ingest.language import SAMPLE_CHARS, detector
from newsbridge.ingest.prepare import _decide_language
from newsbridge.ingest.text import normalize_persian
from tests.conftest import FIXTURES, REPO

LANGUAGES = ("en", "ru", "kk", "fa", "uk", "be", "mn", "ar", "tr")
ARABIC_KEYBOARD = str.maketrans({"ی": "ي", "ک": "ك"})
ARABIC = ["وزير الخارجية يلتقي نظيره الإيراني في الرياض لبحث العلاقات الثنائية",
          "البنك المركزي يرفع سعر الفائدة لكبح التضخم", "مجلس الوزراء يوافق على الميزانية الجديدة"]


def labelled() -> Iterator[tuple[str, str]]:
    for language in ("en", "ru", "kk", "fa"):
        for line in (REPO / "tests/data/topics" / f"{language}.jsonl").read_text(encoding="utf-8").splitlines():
            yield language, json.loads(line)["text"]
    for name in ("items", "eval", "held_out"):
        for item in json.loads((REPO / "tests/data/stories" / f"{name}.json").read_text(encoding="utf-8"))["items"]:
            yield item["lang"], f"{item['headline']}\n{item['body']}"
    for path in sorted((FIXTURES / "seeds").glob("*.txt")):
        yield "en", path.read_text(encoding="utf-8")
    for text in ARABIC:
        yield "ar", text


def cases() -> list[tuple[str, str]]:
    found = []
    for language, text in labelled():
        found += [(language, text), (language, text.split("\n")[0].split(". ")[0])]
        if language == "fa":
            found.append((language, text.translate(ARABIC_KEYBOARD)))
    return found


def lingua_alone(text: str, accuracy: str) -> str | None:
    """Ingest's detection before the letters and the short sample decided first."""
    def read(sample: str) -> tuple[str | None, float]:
        best = detector(LANGUAGES, accuracy).compute_language_confidence_values(sample[:SAMPLE_CHARS])[0]
        return (best.language.iso_code_639_1.name.lower(), best.value) if best.value > 0 else (None, 0.0)
    found = read(text)
    if (normalized := normalize_persian(text)) != text and (persian := read(normalized))[1] > found[1]:
        found = persian
    return found[0]


@pytest.mark.parametrize("accuracy", ["low", "high"])
def test_right_wherever_lingua_alone_is_right(accuracy: str) -> None:
    every = cases()
    assert len(every) == 2480  # 1,106 texts, whole and first sentence, and 268 Persian ones typed on an Arabic keyboard
    wrong = []
    for language, text in every:
        detected = _decide_language(Item(uri="urn:t", headline=text), None, LANGUAGES, accuracy, {})[0]
        if detected != language and lingua_alone(text, accuracy) == language:
            wrong.append((language, detected, text[:80]))
    assert wrong == []


def test_the_whole_texts_are_all_right() -> None:
    wrong = [(language, text[:80]) for language, text in labelled()
             if _decide_language(Item(uri="urn:t", body_text=text), None, LANGUAGES, "low", {})[0] != language]
    assert wrong == []
