"""Media Topic labels in the languages our members write: Russian, Kazakh and Persian.

IPTC publishes Media Topics in English and a handful of European languages, not in ru, kk
or fa, so ``topic_labels.json`` carries our own newsroom terms for the top-level topics and
the commonly used narrower ones. Any other language comes from the vocabulary's prefLabel.
Whatever has no label in the asked language shows the IPTC English label, so a picker
never shows a bare qcode.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources

from newsbridge.vocab.mediatopics import ancestors, vocabulary

OWN_LANGUAGES = ("ru", "kk", "fa")
ENGLISH = "en-GB"
# The IPTC file tags Danish and Swedish with country codes; accept the language codes too.
_VOCAB_ALIASES = {"en": ENGLISH, "da": "dk", "sv": "se", "zh": "zh-Hans"}
# Persian keyboards and older text often give Arabic yeh and kaf; our labels use the Persian letters.
_PERSIAN_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9", "\u0649": "\u06cc"})
_ZWNJ = "\u200c"


@cache
def own_labels() -> dict[str, dict[str, str]]:
    """Our labels by qcode: ``{"medtop:11000000": {"en": ..., "ru": ..., "kk": ..., "fa": ...}}``."""
    raw = json.loads(resources.files("newsbridge.vocab").joinpath("topic_labels.json").read_text("utf-8"))
    return raw["labels"]


def _primary(lang: str) -> str:
    return lang.strip().replace("_", "-").split("-")[0].lower()


def _vocabulary_label(labels: dict[str, str], lang: str) -> str | None:
    lang = lang.strip().replace("_", "-")
    wanted = [lang, _VOCAB_ALIASES.get(lang, ""), _VOCAB_ALIASES.get(_primary(lang), "")]
    for key in wanted:
        if key and labels.get(key):
            return labels[key]
    primary = _primary(lang)  # "pt" or "de-AT": the first label of that language
    return next((text for key, text in sorted(labels.items()) if _primary(key) == primary and text), None)


def _label_in(qcode: str, lang: str) -> str | None:
    if (primary := _primary(lang)) in OWN_LANGUAGES:
        return own_labels().get(qcode, {}).get(primary) or None
    return _vocabulary_label(vocabulary()[qcode].labels, lang)


def label(qcode: str, lang: str) -> str:
    """The topic's label in ``lang`` (``ru``, ``kk-KZ``, ``fa``, ``de``, ``en`` ...).

    ru, kk and fa come from our own labels, every other language from the IPTC prefLabel
    (``en`` is ``en-GB``). Without a label in that language the IPTC English label is
    returned. An unknown qcode raises ``KeyError``.
    """
    topic = vocabulary()[qcode]
    return _label_in(qcode, lang) or topic.label


# Bounded: lang may come from a request, and each cached language holds ~1,200 labels.
@lru_cache(maxsize=32)
def _labels(lang: str) -> dict[str, str]:
    return {qcode: label(qcode, lang) for qcode, topic in vocabulary().items() if not topic.retired}


def labels_for(lang: str) -> dict[str, str]:
    """Every current (non-retired) topic's label in ``lang``, English where we have none."""
    return dict(_labels(lang))


def missing(lang: str) -> list[str]:
    """Top-level topics that have no label of their own in ``lang`` and would show English."""
    return sorted(qcode for qcode, topic in vocabulary().items()
                  if not topic.broader and not topic.retired and not _label_in(qcode, lang))


def normalize_query(text: str) -> str:
    """Fold case and the spelling variants people type: Arabic yeh/kaf for Persian ones, ё for е."""
    return text.translate(_PERSIAN_LETTERS).casefold().replace("ё", "е")


@lru_cache(maxsize=8192)
def _word_starts(text: str) -> tuple[str, frozenset[int]]:
    """The label folded for matching (ZWNJ dropped) and where its words start.

    A ZWNJ both joins and separates: "رسانه‌ها" matches the query "رسانهها" (typed
    without it) and also the words "رسانه" "ها" typed with a space.
    """
    folded, starts = [], set()
    for char in normalize_query(text):
        if char == _ZWNJ:
            starts.add(len(folded))
            continue
        if not folded or not folded[-1].isalnum():
            starts.add(len(folded))
        folded.append(char)
    return "".join(folded), frozenset(starts)


def _matches(words: list[str], text: str) -> bool:
    folded, starts = _word_starts(text)
    return all(any(folded.startswith(word, start) for start in starts) for word in words)


@lru_cache(maxsize=32)
def _index(lang: str) -> tuple[tuple[str, str, str], ...]:
    vocab = vocabulary()
    return tuple((qcode, text, vocab[qcode].label) for qcode, text in sorted(_labels(lang).items()))


def search(prefix: str, lang: str, limit: int = 20) -> list[tuple[str, str]]:
    """Topics for an autocomplete box: ``[(qcode, label in lang), ...]``, best first.

    Every word of ``prefix`` must begin a word of the topic's label in ``lang`` or of its
    English label, case-insensitively ("elec", "world cup", "пол", "سیا"). An exact label
    comes first, then labels that begin with the query, broader topics before narrower ones.
    """
    words = [w for w in normalize_query(prefix).replace(_ZWNJ, " ").split() if w]
    if not words or limit <= 0:
        return []
    first, query = words[0], " ".join(words)
    found = []
    for qcode, text, english in _index(lang):
        if _matches(words, text) or _matches(words, english):
            folded = (_word_starts(text)[0], _word_starts(english)[0])
            inexact = query not in folded
            later = not any(f.startswith(first) for f in folded)
            found.append((inexact, later, len(ancestors(qcode)), text.casefold(), qcode, text))
    found.sort()
    return [(qcode, text) for *_, qcode, text in found[:limit]]
