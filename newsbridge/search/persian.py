"""A light Persian stemmer: plural, ezafe, comparative and pronoun endings stripped from a word.

Persian writes many endings after a zero-width non-joiner (``کتاب‌ها``, ``خانه‌ی``,
``بزرگ‌ترین``, ``رسانه‌ای``) and the same endings attached (``کتابها``, ``بزرگترین``). A word
is first written the one way (Arabic ye and kaf as Persian ones, diacritics and tatweel dropped,
see :func:`normalize`), then split at its non-joiners: endings after a non-joiner are dropped, the
verb prefix ``می‌``/``نمی‌`` too, and the remaining parts are stems of their own
(``راه‌آهن`` → ``راه``, ``آهن``). Attached endings are taken longest first, at most two, each
only when at least :data:`MIN_STEM` letters remain: ``ها/های/هایی``, ``ترین/تر``, ``ات``,
``ان`` (not in ``-ستان`` and ``-مان``: ``پاکستان``, ``سازمان``, and not when that would leave
three letters: ``ایران``, ``تهران``), ``گان`` back to ``ه`` (``نمایندگان`` → ``نماینده``),
``یان`` after a vowel (``دانشجویان`` → ``دانشجو``) and the ezafe/adjective ``ی``.
Tested against ``tests/data/stemming/fa.tsv``.
"""

from __future__ import annotations

import re

MIN_STEM = 3
ZWNJ = "\u200c"
_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9", "\u0629": "\u0647",
                          "\u06c0": "\u0647", "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627",
                          "\u0640": None})
_MARKS = re.compile("[\u064b-\u065f\u0670]")  # harakat, tanwin, shadda, sukun, superscript alef
# What needs rewriting at all: str.translate is slow on non-ASCII text, a search is not.
_TO_REWRITE = re.compile("[\u064a\u0649\u0643\u0629\u06c0\u0623\u0625\u0671\u0640\u064b-\u065f\u0670]")
# Endings written after a non-joiner: plural, ezafe, indefinite, comparative, pronouns, "to be".
DETACHED = frozenset(("ها", "های", "هایی", "هایم", "هایت", "هایش", "هایمان", "هایتان", "هایشان", "ی", "ای",
                      "ایی", "ام", "ات", "اش", "مان", "تان", "شان", "تر", "ترین", "هاست", "است", "اند", "ایم",
                      "اید"))
VERB_PREFIXES = ("می", "نمی")
ATTACHED = ("هایی", "های", "ها", "ترین", "تر", "ات")
VOWEL_LETTERS = ("ا", "و")
# -ان that is part of the word: country names (پاکستان) and nouns in -مان (سازمان, زمان, پیمان).
NOT_PLURAL = ("ستان", "مان")


def normalize(text: str) -> str:
    """Persian letter forms: Arabic ye/kaf/teh marbuta as Persian ones, no diacritics or tatweel."""
    if _TO_REWRITE.search(text) is None:
        return text
    return _MARKS.sub("", text.translate(_LETTERS))


def _strip_attached(word: str) -> str:
    for _ in range(2):
        before = word
        for ending in ATTACHED:
            if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
                word = word[: -len(ending)]
                break
        else:
            if word.endswith("گان") and len(word) - 3 >= MIN_STEM - 1:
                word = word[:-3] + "ه"
            elif word.endswith("یان") and word[:-3].endswith(VOWEL_LETTERS) and len(word) - 3 >= MIN_STEM - 1:
                word = word[:-3]
            elif word.endswith("ان") and len(word) - 2 > MIN_STEM and not word.endswith(NOT_PLURAL):
                word = word[:-2]
            elif word.endswith("ی") and len(word) - 1 >= MIN_STEM:
                word = word[:-1]
        if word == before:
            break
    return word


def stems(word: str) -> list[str]:
    """The stems of one normalized Persian word; a compound written with non-joiners gives one
    stem per part (``راه‌آهن`` → ``راه``, ``آهن``)."""
    parts = [part for part in word.split(ZWNJ) if part]
    while len(parts) > 1 and parts[-1] in DETACHED:
        parts.pop()
    if len(parts) > 1 and parts[0] in VERB_PREFIXES:
        parts.pop(0)
    return [_strip_attached(part) for part in parts]


def stem(word: str) -> str:
    """The stem of a single normalized Persian word (of a compound, its parts joined by a space)."""
    return " ".join(stems(word))
