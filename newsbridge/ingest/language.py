"""Language identification with lingua, restricted to a configured set of languages.

lingua ships its models inside the package, so nothing is downloaded. Restricting the set
(default en, ru, kk, fa and the look-alikes uk, be, mn, ar, tr) makes it faster, more
accurate and smaller in memory; ``docs/operations.md`` lists measured memory per setting.
Persian text must be normalized (see ``ingest.text``) before it is detected.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from newsbridge.errors import InvalidInput

MIN_LETTERS = 3
SAMPLE_CHARS = 300  # a headline and the first sentences decide; more text costs time, not accuracy


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


def _has_letters(sample: str) -> bool:
    """At least :data:`MIN_LETTERS` letters in ``sample`` (stops counting there: text starts with letters)."""
    found = 0
    for ch in sample:
        if ch.isalpha():
            found += 1
            if found >= MIN_LETTERS:
                return True
    return False


def detect_language(text: str, languages: tuple[str, ...], accuracy: str = "high") -> Detection:
    """The most likely language of ``text`` among ``languages``, with lingua's confidence (0..1)."""
    sample = text[:SAMPLE_CHARS]
    if not _has_letters(sample):
        return Detection(None, None)
    values = detector(languages, accuracy).compute_language_confidence_values(sample)
    if not values or values[0].value <= 0:
        return Detection(None, None)
    best = values[0]
    return Detection(best.language.iso_code_639_1.name.lower(), round(float(best.value), 4))
