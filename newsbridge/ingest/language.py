"""Language identification with lingua, restricted to a configured set of languages.

lingua ships its models inside the package, so nothing is downloaded. Restricting the set
(default en, ru, kk, fa and the look-alikes uk, be, mn, ar, tr) makes it faster, more
accurate and smaller in memory; ``docs/operations.md`` lists measured memory per setting.
Persian text must be normalized (see ``ingest.text``) before it is detected.

lingua's cost grows with the text it reads (~0.6 µs a character, in either accuracy mode), and
what it reads first is mostly redundant, so the letters decide first where they can
(:func:`detect_language`): the script most of them are written in leaves the configured
languages written in it, and when that is one language it is the answer, as lingua's own script
rule would say; letters only one of those languages writes (Kazakh ә ғ қ ң ұ һ, Persian پ چ ژ گ
ی ک), in a quarter of the words (a Russian article quoting Kazakh names has far fewer), decide too.
Otherwise lingua reads the first :data:`SHORT_CHARS` characters, and the first
:data:`SAMPLE_CHARS` only when that reading is not sure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from newsbridge.errors import InvalidInput

MIN_LETTERS = 3
SAMPLE_CHARS = 300  # a headline and the first sentences decide; more text costs time, not accuracy
SHORT_CHARS = 120  # lingua reads this much first (in high accuracy, shorter texts take its slower path)
SURE = 0.99  # lingua's confidence on the short reading that makes the longer one unnecessary
DOMINANT_SHARE = 0.8  # of the letters, in one script, for the script to narrow the languages
MARKER_SHARE = 0.25  # of the words holding a language's own letters, for them to decide
MARKER_MIN = 3  # words

# Letters that only one language writes among lingua's languages of its script, and the languages
# that share them: with one of those configured, the letters decide nothing. Kazakh's ө ү і are
# left out: Mongolian writes the first two, Ukrainian and Belarusian the third. Persian's ی ک are
# its own yeh and keheh (Arabic writes ي ك); Urdu writes all six.
MARKERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "kk": (frozenset("әғқңұһӘҒҚҢҰҺ"), frozenset()),
    "fa": (frozenset("\u067e\u0686\u0698\u06af\u06cc\u06a9"), frozenset({"ur"})),
}


@dataclass(frozen=True)
class Detection:
    language: str | None
    confidence: float | None


def lingua_language(code: str) -> Language:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        raise InvalidInput(f"language {code!r} is not one lingua can detect; use ISO 639-1 codes like en, ru, kk, fa",
                           field="NEWSBRIDGE_LANGUAGES") from None


@cache
def detector(languages: tuple[str, ...], accuracy: str = "high") -> LanguageDetector:
    """One detector per (languages, accuracy), built once per process and reused."""
    chosen = [lingua_language(code) for code in languages]
    if len(chosen) < 2:
        raise InvalidInput("NEWSBRIDGE_LANGUAGES needs at least two languages to choose among",
                           field="NEWSBRIDGE_LANGUAGES")
    builder = LanguageDetectorBuilder.from_languages(*chosen).with_preloaded_language_models()
    if accuracy == "low":
        builder = builder.with_low_accuracy_mode()
    return builder.build()


@cache
def _script_languages(languages: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The configured languages lingua knows written in Latin, Cyrillic and Arabic letters."""
    written = {"LATIN": Language.all_with_latin_script(), "CYRILLIC": Language.all_with_cyrillic_script(),
               "ARABIC": Language.all_with_arabic_script()}
    return {script: tuple(code for code in languages if lingua_language(code) in members)
            for script, members in written.items()}


def _byte_classes() -> bytes:
    """A ``bytes.translate`` table from UTF-8 bytes to the script of the character they start: ``L``
    (ASCII letters; leading bytes of U+00C0-U+02FF, Latin with accents), ``C`` (U+0400-U+04FF,
    Cyrillic), ``A`` (U+0600-U+06FF, Arabic), ``O`` (leading bytes of the other alphabets' blocks:
    Greek, Armenian, Hebrew, Syriac and beyond, Indic, CJK, Hangul), a space for the rest (digits,
    punctuation, the bytes that continue a character, U+2000-U+2FFF punctuation and symbols)."""
    table = bytearray(b" " * 256)
    for byte in (*range(ord("A"), ord("Z") + 1), *range(ord("a"), ord("z") + 1), *range(0xC3, 0xCC)):
        table[byte] = ord("L")
    for byte in range(0xD0, 0xD4):
        table[byte] = ord("C")
    for byte in range(0xD8, 0xDC):
        table[byte] = ord("A")
    for byte in (*range(0xCD, 0xD0), *range(0xD4, 0xD8), *range(0xDC, 0xE2), *range(0xE3, 0xEF), 0xF0):
        table[byte] = ord("O")
    return bytes(table)


_BYTE_CLASSES = _byte_classes()
_MARKED_WORDS = {code: re.compile(f"[{''.join(sorted(marks))}]\\w*") for code, (marks, _shared) in MARKERS.items()}


def _has_letters(sample: str) -> bool:
    """At least :data:`MIN_LETTERS` letters in ``sample`` (stops counting there: text starts with letters)."""
    found = 0
    for ch in sample:
        if ch.isalpha():
            found += 1
            if found >= MIN_LETTERS:
                return True
    return False


def _by_letters(sample: str, languages: tuple[str, ...]) -> str | None:
    """The language ``sample``'s letters alone decide among ``languages`` (see the module), or None.
    Scripts are counted on the UTF-8 bytes (:func:`_byte_classes`): a few C loops over 300 bytes
    where a count per character cost as much as lingua reading 120 characters."""
    classes = sample.encode("utf-8", "replace").translate(_BYTE_CLASSES)
    counts = {"LATIN": classes.count(b"L"), "CYRILLIC": classes.count(b"C"), "ARABIC": classes.count(b"A")}
    script = max(counts, key=counts.__getitem__)
    if counts[script] < DOMINANT_SHARE * (sum(counts.values()) + classes.count(b"O")):
        return None
    candidates = _script_languages(languages)[script]
    if len(candidates) == 1:
        return candidates[0]
    words = 0
    for code in candidates:
        if code not in MARKERS or not MARKERS[code][1].isdisjoint(languages):
            continue
        words = words or len(sample.split())
        marked = len(_MARKED_WORDS[code].findall(sample))
        if marked >= MARKER_MIN and marked >= MARKER_SHARE * words:
            return code
    return None


def _lingua(sample: str, languages: tuple[str, ...], accuracy: str) -> Detection:
    values = detector(languages, accuracy).compute_language_confidence_values(sample)
    if not values or values[0].value <= 0:
        return Detection(None, None)
    best = values[0]
    return Detection(best.language.iso_code_639_1.name.lower(), round(float(best.value), 4))


def detect_language(text: str, languages: tuple[str, ...], accuracy: str = "high", *,
                    by_letters: bool = True) -> Detection:
    """The most likely language of ``text`` among ``languages``, with a confidence (0..1): lingua's,
    or 1.0 when the letters decide (as lingua's confidence is when its rules do). ``by_letters``
    False leaves the letters out of it (Persian-normalized text has yeh and keheh wherever Arabic
    text had its own)."""
    sample = text[:SAMPLE_CHARS]
    if not _has_letters(sample):
        return Detection(None, None)
    detector(languages, accuracy)  # the configuration is checked whatever decides
    if by_letters and (decided := _by_letters(sample, languages)) is not None:
        return Detection(decided, 1.0)
    if len(sample) > SHORT_CHARS:
        first = _lingua(sample[:SHORT_CHARS], languages, accuracy)
        if first.confidence is not None and first.confidence >= SURE:
            return first
    return _lingua(sample, languages, accuracy)
