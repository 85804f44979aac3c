"""A light Kazakh stemmer: the case, possessive and plural endings of nouns stripped, in that order.

Kazakh adds endings to a stem in a fixed order (stem + plural + possessive + case), each ending in
several forms chosen by vowel harmony and by the sound before it: ``Қазақстан-ның``,
``қала-лар-ы-на``, ``министр-лер-і-мен``. Stripping them from the outside in, each layer at most
once, and only where the sound before the ending allows that form (``-та`` after a voiceless
consonant, ``-да`` after a vowel or a voiced one, ``-нда`` after the possessive ``-ы/-і``), brings
the forms of a noun to one stem without cutting ``Астана`` or ``Алматы``. It is *light* on
purpose: verbs are left alone, and at least :data:`MIN_STEM` letters with a vowel remain.

Endings that are only a vowel (the third-person possessive ``-ы/-і``) are also the last letter of
many stems (``елші``, ``Алматы``), so they are taken only before another ending that needs them
(``қаласының`` → ``қала``, ``жерлері`` → ``жер``); a bare form typed in a search still finds the
longer ones, because a search matches the start of a stem. Tested against
``tests/data/stemming/kk.tsv``.
"""

from __future__ import annotations

MIN_STEM = 2
VOWELS = frozenset("аәеиоөұүуыіэюя")
VOICELESS = frozenset("пткқсшфхцчщ")
NASALS = frozenset("мнң")

# What the stem must end in for each ending: a vowel (V), a nasal (N), another voiced consonant
# (Z), a voiceless consonant (S), the possessive -ы/-і (P), or anything (*).
_CASE = {
    "ның": "VN", "нің": "VN", "дың": "Z", "дің": "Z", "тың": "S", "тің": "S",
    "нан": "NP", "нен": "NP", "дан": "VZ", "ден": "VZ", "тан": "S", "тен": "S",
    "нда": "P", "нде": "P", "да": "VNZ", "де": "VNZ", "та": "S", "те": "S",
    "ндағы": "P", "ндегі": "P", "дағы": "VNZ", "дегі": "VNZ", "тағы": "S", "тегі": "S",
    "ға": "VNZ", "ге": "VNZ", "қа": "S", "ке": "S", "на": "P", "не": "P",
    "ны": "V", "ні": "V", "ды": "ZN", "ді": "ZN", "ты": "S", "ті": "S",
    "менен": "*", "бенен": "*", "пенен": "*", "мен": "*", "бен": "*", "пен": "*",
}
CASE = sorted(_CASE, key=len, reverse=True)
POSSESSIVE = ("ымыз", "іміз", "ыңыз", "іңіз", "мыз", "міз", "ңыз", "ңіз", "сы", "сі")
PLURAL = ("лар", "лер", "дар", "дер", "тар", "тер")
PLURAL_POSSESSIVE = tuple(plural + vowel for plural in PLURAL for vowel in "ыі")  # жер-лер-і
# Country and region names end in -стан, which looks like the ablative -тан after a voiceless "с".
NOT_ABLATIVE = ("стан", "стен")


def _sounds(letter: str) -> str:
    """How the endings see the last letter of a stem: у and й take consonant endings (кездесу-дің),
    and в of Russian names takes either (Тоқаев-тың, Тоқаев-пен)."""
    if letter == "в":
        return "SZ"
    if letter in VOWELS and letter != "у":
        return "V"
    if letter in NASALS:
        return "N"
    return "S" if letter in VOICELESS else "Z"


def _allowed(stem: str, where: str) -> bool:
    if len(stem) < MIN_STEM or not any(letter in VOWELS for letter in stem):
        return False
    if where == "*":
        return True
    if "P" in where and stem.endswith(("ы", "і")) and len(stem) > MIN_STEM:
        return True
    return any(sound in where for sound in _sounds(stem[-1]))


def _strip_case(word: str) -> tuple[str, str | None]:
    for ending in CASE:
        if word.endswith(ending) and not (ending in ("тан", "тен") and word.endswith(NOT_ABLATIVE)):
            stem = word[: -len(ending)]
            if _allowed(stem, _CASE[ending]):
                return stem, ending
    return word, None


def stem(word: str) -> str:
    """The stem of a lower-cased Kazakh word (the word itself when no ending is recognised)."""
    word, case = _strip_case(word)
    if case is not None and _CASE[case] in ("P", "NP") and word.endswith(("ы", "і")) \
            and not word.endswith(("сы", "сі")) and _allowed(word[:-1], "*"):
        word = word[:-1]  # қала-сы-ның is handled below; жер-і-нің here
    elif case is not None and case[0] in "мбп" and word.endswith(PLURAL_POSSESSIVE):
        word = word[:-1]  # министр-лер-і-мен
    for ending in POSSESSIVE:
        if word.endswith(ending) and _allowed(word[: -len(ending)], "*"):
            word = word[: -len(ending)]
            break
    else:
        if word.endswith(PLURAL_POSSESSIVE):
            word = word[:-1]
    for ending in PLURAL:
        if word.endswith(ending) and _allowed(word[: -len(ending)], "*"):
            return word[: -len(ending)]
    return word
