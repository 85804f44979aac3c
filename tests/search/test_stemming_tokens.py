"""stemming.index_text reads a text a whitespace-separated token at a time, each token's stems kept
(search/stemming.py): the same stems as reading the whole text into words, as it did before."""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbridge.search import stemming
from newsbridge.search.stemming import index_text, normalize, stem, words
from tests.conftest import FIXTURES

DATA = Path(__file__).resolve().parents[1] / "data"
LANGUAGES = (None, "en", "ru", "kk", "fa")  # Kazakh versions stem their Cyrillic words otherwise
WORD_CHAR = re.compile(r"\w")


def _whole(language: str | None, *texts: str | None) -> str:
    """index_text as it was: each text normalized and split into words whole, then stemmed."""
    return "\n".join(" ".join(stem(word, language) for word in words(text)) for text in texts if text)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _corpus() -> list[str]:
    """Every text of tests/data and the shared fixtures: each file whole, each line, and every string
    of the JSON ones."""
    texts = []
    for path in sorted([*DATA.rglob("*"), *FIXTURES.rglob("*")]):
        try:
            text = path.read_text(encoding="utf-8") if path.is_file() else None
        except UnicodeDecodeError:
            continue
        if text is None:
            continue
        texts += [text, *text.splitlines()]
        if path.suffix == ".json":
            texts += list(_strings(json.loads(text)))
        elif path.suffix == ".jsonl":
            texts += [string for line in text.splitlines() if line.strip() for string in _strings(json.loads(line))]
    return texts


def _fresh_tokens() -> None:
    for known in stemming._TOKENS:
        known.clear()


def test_every_code_point_keeps_whitespace_apart_from_words() -> None:
    """What reading a token at a time relies on: a whitespace character is never part of a word and
    normalizing leaves it whitespace (U+2000 becomes U+2002); normalizing anything else never makes
    whitespace."""
    for point in range(sys.maxunicode + 1):
        if 0xD800 <= point <= 0xDFFF:
            continue
        char = chr(point)
        if char.isspace():
            assert WORD_CHAR.match(char) is None and normalize(char).isspace(), hex(point)
        else:
            assert not any(c.isspace() for c in normalize(char)), hex(point)


def test_nfc_composes_nothing_across_whitespace() -> None:
    for point in range(sys.maxunicode + 1):
        if 0xD800 <= point <= 0xDFFF or unicodedata.combining(chr(point)) == 0:
            continue
        for space in (" ", "\n", "\t", "\u00a0", "\u3000"):
            assert unicodedata.normalize("NFC", space + chr(point)).startswith(space), hex(point)


@pytest.mark.parametrize("language", LANGUAGES)
def test_test_data_and_fixtures_give_the_same_stems(language: str | None) -> None:
    texts = _corpus()
    assert len(texts) > 10_000
    _fresh_tokens()
    for text in texts:
        assert index_text(language, text) == _whole(language, text), text[:200]
    for text in texts:  # again, every token now known
        assert index_text(language, text) == _whole(language, text), text[:200]


CHARS = ["a", "Z", "é", "e\u0301", "Қ", "ә", "ё", "Ё", "й", "и\u0306", "ی", "ي", "ك", "ه", "\u200c", "\u200d", "_", "-",
         " ", "  ", "\n", "\r\n", "\t", "\u00a0", "\u2028", "\x1c", "\x85", "\u3000", "1", "٣", "۴", "²", "\u064b", "\u0640",
         "\u0301", "\u0306", "'", ".", ",", "«", "»", "—", "😀", "ß", "ẞ", "İ", "Σ", "ς", "ﬁ", "\u0345", "ǅ", "\ufeff"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_fuzzed_text_gives_the_same_stems(language: str | None) -> None:
    rng = random.Random(29)
    _fresh_tokens()
    for _ in range(20_000):
        text = "".join(rng.choice(CHARS) for _ in range(rng.randint(0, 30)))
        if rng.random() < 0.05:
            text += "ж" * rng.randint(60, 70)  # past MAX_WORD
        other = "".join(rng.choice(CHARS) for _ in range(rng.randint(0, 10)))
        assert index_text(language, text, other) == _whole(language, text, other), (text, other)


def test_a_token_is_read_once_per_kind_of_version(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    monkeypatch.setattr(stemming, "words", lambda text: read.append(text) or words(text))
    _fresh_tokens()
    assert index_text("en", "Kazakhstan, Kazakhstan, Kazakhstan,") == "kazakhstan kazakhstan kazakhstan"
    assert index_text("ru", "Kazakhstan,") == "kazakhstan"
    assert read == ["Kazakhstan,"]
    assert index_text("kk", "Kazakhstan, Қазақстан") == _whole("kk", "Kazakhstan, Қазақстан")
    assert read == ["Kazakhstan,", "Kazakhstan,", "Қазақстан"]


def test_the_cache_of_tokens_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stemming, "_TOKENS_MAX", 10)
    _fresh_tokens()
    text = " ".join(f"word{n}" for n in range(50))
    for _ in range(3):
        assert index_text("en", text) == _whole("en", text)
        assert len(stemming._TOKENS[False]) <= 10 + 50
