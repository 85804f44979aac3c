"""stemming.words takes a simpler pattern for text without "_" and non-joiners (search/stemming.py):
fuzzed against the full pattern."""

from __future__ import annotations

import random

from newsbridge.search.stemming import MAX_WORD, WORD, normalize, words

CHARS = ["a", "Z", "é", "Қ", "ә", "ё", "й", "ی", "ك", "ه", "\u200c", "\u200d", "_", "-", " ", "\n", "1", "٣", "۴", "²",
         "\u064b", "\u0301", "'", ".", "«", "😀", "ß", "İ", "\u00a0", "\t"]


def _previous(text: str) -> list[str]:
    found = WORD.findall(normalize(text))
    return [word[:MAX_WORD] for word in found]


def test_fuzzed_text_gives_the_words_of_the_full_pattern() -> None:
    rng = random.Random(17)
    for _ in range(30_000):
        text = "".join(rng.choice(CHARS) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.05:
            text += "ж" * rng.randint(60, 70)  # past MAX_WORD
        assert words(text) == _previous(text), repr(text)


def test_real_sentences() -> None:
    for text in ("Президент Казахстана провёл встречу", "کتاب‌ها و راه‌آهن", "snake_case and plain words",
                 "Қазақстан құрамасы алтын медаль", ""):
        assert words(text) == _previous(text)
