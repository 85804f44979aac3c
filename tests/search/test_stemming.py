"""Stems per language, against the word lists in tests/data/stemming: every form of a word,
searched for, finds every other form as it is stored (a stored stem starts with one of the
query's stems); the light Kazakh and Persian stemmers bring the forms to one stem; and words
that are different stay apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsbridge.search import kazakh, persian
from newsbridge.search.stemming import index_text, normalize, query_stems, stem, words

LISTS = Path(__file__).resolve().parents[1] / "data" / "stemming"
LANGUAGES = ("en", "ru", "kk", "fa")


def _groups(name: str) -> list[list[str]]:
    lines = (LISTS / name).read_text("utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def _found(query: str, stored: str, language: str) -> bool:
    """Whether a search for the word ``query`` finds the word ``stored`` in a version in ``language``."""
    [query_word], [stored_word] = words(query), words(stored)
    return any(stem(stored_word, language).startswith(form) for form in query_stems(query_word))


CASES = [(language, group) for language in LANGUAGES for group in _groups(f"{language}.tsv")]


@pytest.mark.parametrize(("language", "group"), CASES, ids=lambda v: v if isinstance(v, str) else v[0])
def test_every_form_finds_every_other(language: str, group: list[str]) -> None:
    missed = [(q, s) for q in group for s in group if not _found(q, s, language)]
    assert missed == []


@pytest.mark.parametrize("group", _groups("kk.tsv"), ids=lambda g: g[0])
def test_kazakh_forms_share_one_stem(group: list[str]) -> None:
    assert len({kazakh.stem(normalize(word)) for word in group}) == 1


@pytest.mark.parametrize("group", _groups("fa.tsv"), ids=lambda g: g[0])
def test_persian_forms_share_one_stem(group: list[str]) -> None:
    assert len({persian.stem(normalize(word)) for word in group}) == 1


@pytest.mark.parametrize(("name", "stemmer"), [("kk-apart.tsv", kazakh.stem), ("fa-apart.tsv", persian.stem)])
def test_different_words_stay_apart(name: str, stemmer) -> None:  # type: ignore[no-untyped-def]
    [apart] = _groups(name)
    stems = [stemmer(normalize(word)) for word in apart]
    assert len(set(stems)) == len(apart), dict(zip(apart, stems))


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("ru", "Казахстана и Казахстан", "казахста и казахста"),
    ("kk", "Қазақстанның министрлері Астанада", "қазақстан министр астана"),
    # compounds split at the non-joiner, endings after it dropped, Arabic letters made Persian
    ("fa", "همکاری‌های رسانه‌ای در راه‌آهن ايران", "همکار رسانه در راه آهن ایران"),
    ("en", "Media cooperation", "media cooper"),
    # a Cyrillic word with a Kazakh letter is Kazakh whatever the version says; Latin is English
    ("ru", "Қазақстанда NATO summits", "қазақстан nato summit"),
])
def test_index_text(language: str, text: str, expected: str) -> None:
    assert index_text(language, text) == expected


def test_index_text_keeps_one_line_per_text_and_skips_empty_ones() -> None:
    assert index_text("en", "Meetings", None, "", "Agencies") == "meet\nagenc"


def test_words_are_bounded_and_normalized() -> None:
    assert words("x" * 100) == ["x" * 64]
    assert words("ЁЛКА_Ёлка") == ["елка", "елка"]
    assert words("كتابِ") == ["کتاب"]  # Arabic kaf and a kasra: Persian kaf, no mark
