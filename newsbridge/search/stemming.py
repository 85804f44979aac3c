"""Words and their stems per language, written the same way when a version is stored and when a
query is read, so that "Казахстана" finds "Казахстан" and "کتاب‌ها" finds "کتاب".

* English and Russian: the Snowball stemmers (PyStemmer);
* Kazakh and Persian: the light stemmers of this package (search/kazakh.py, search/persian.py).

A word's stemmer is chosen by its script and, for Cyrillic, by the version's language: Latin
words are stemmed as English, Arabic-script words as Persian, Cyrillic words as Kazakh when the
version is in Kazakh or the word holds a letter only Kazakh has (ә ғ қ ң ө ұ ү һ і), else as
Russian. A query's language is not known, so a query word gets every stem it could have been
stored under (:func:`query_stems`), and a stored stem is found when it *starts* with one of them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

from newsbridge.search import kazakh, persian

MAX_WORD = 64
ZWNJ = persian.ZWNJ
# A word: letters and digits, kept together across non-joiners (Persian endings are then stripped).
WORD = re.compile(rf"[^\W_]+(?:{ZWNJ}[^\W_]+)*")
KAZAKH_LETTERS = frozenset("әғқңөұүһі")
_ENGLISH = Stemmer.Stemmer("english")
_RUSSIAN = Stemmer.Stemmer("russian")


def normalize(text: str) -> str:
    """Text as the index compares it: NFC, case-folded, ё as е, Persian letter forms, no diacritics
    of Arabic script (Latin accents are kept: the databases' own rules differ there)."""
    return persian.normalize(unicodedata.normalize("NFC", text).casefold().replace("ё", "е"))


def script(word: str) -> str:
    """``latin``, ``cyrillic``, ``arabic`` or ``other``, by the word's first letter."""
    for letter in word:
        if letter.isdigit():
            continue
        point = ord(letter)
        if 0x0400 <= point <= 0x04FF:
            return "cyrillic"
        if 0x0600 <= point <= 0x06FF or 0xFB50 <= point <= 0xFEFF:
            return "arabic"
        if point < 0x0250 and letter.isalpha():
            return "latin"
        return "other"
    return "other"


@lru_cache(maxsize=200_000)
def _stem(word: str, stemmer: str) -> str:
    if stemmer == "en":
        return _ENGLISH.stemWord(word)
    if stemmer == "ru":
        return _RUSSIAN.stemWord(word)
    if stemmer == "kk":
        return kazakh.stem(word)
    if stemmer == "fa":
        return persian.stem(word)
    return word


def _stemmer(word: str, language: str | None) -> str:
    kind = script(word)
    if kind == "latin":
        return "en"
    if kind == "arabic":
        return "fa"
    if kind == "cyrillic":
        kazakh_text = (language or "").lower().startswith("kk") or not KAZAKH_LETTERS.isdisjoint(word)
        return "kk" if kazakh_text else "ru"
    return "none"


# Without "_" and non-joiners in the text, WORD's matches are the runs of word characters, which
# this simpler pattern finds a quarter faster (most text: only Persian uses non-joiners).
_PLAIN_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The normalized words of ``text`` (each at most :data:`MAX_WORD` characters)."""
    text = normalize(text)
    found = (WORD if "_" in text or ZWNJ in text else _PLAIN_WORD).findall(text)
    if max(map(len, found), default=0) <= MAX_WORD:  # the common case, checked in C
        return found
    return [word[:MAX_WORD] for word in found]


# Stems of words already seen, per kind of version (Kazakh or not): news repeats its words, and
# a dictionary look-up is what keeps stemming at store time to a few microseconds a word.
_SEEN: tuple[dict[str, str], dict[str, str]] = ({}, {})
_SEEN_MAX = 500_000


def _kazakh(language: str | None) -> bool:
    return (language or "").lower().startswith("kk")


def _stems(found: list[str], kazakh_text: bool) -> list[str]:
    seen = _SEEN[kazakh_text]
    if len(seen) > _SEEN_MAX:
        seen.clear()
    try:
        return list(map(seen.__getitem__, found))  # every word seen before: the common case at store time
    except KeyError:
        pass
    out = []
    for word in found:
        stemmed = seen.get(word)
        if stemmed is None:
            stemmed = seen[word] = _stem(word, _stemmer(word, "kk" if kazakh_text else None))
        out.append(stemmed)
    return out


def stem(word: str, language: str | None) -> str:
    """The stem a normalized word is stored under in a version in ``language`` (of a Persian
    compound written with non-joiners, the stems of its parts joined by a space)."""
    return _stems([word], _kazakh(language))[0]


# The stems of each whitespace-separated token as it is written ("Kazakhstan," -> "kazakhstan", "U.S."
# -> "u s", "—" -> ""), per kind of version. Normalizing a text and splitting it into words with
# \w+ cost ~35 µs of a 1 kB news text, a third of storing it (bench/ingest.py); splitting it at
# whitespace costs a third of that, and a wire's tokens repeat as its words do. Every step of
# :func:`words` keeps to a token: no word character is whitespace, NFC composes nothing across a
# space, case folding and the Persian letters map a character at a time and never make or remove
# whitespace (tests/search/test_stemming_tokens.py checks every code point, and the result against
# the whole-text reading on the test data, the fixtures and fuzzed text).
_TOKENS: tuple[dict[str, str], dict[str, str]] = ({}, {})
_TOKENS_MAX = 100_000  # ~16 MiB a kind when full of unseen Cyrillic tokens (the stems are shared with _SEEN)


def _text_stems(text: str, kazakh_text: bool, parts: set[str] | None) -> str:
    """The stems of one text, separated by spaces (see :func:`index_text`)."""
    if not unicodedata.is_normalized("NFC", text):  # rare: read as a whole, as the words are defined
        stems = " ".join(_stems(words(text), kazakh_text))
        if parts is not None:
            parts.add(stems)
        return stems
    known = _TOKENS[kazakh_text]
    if len(known) > _TOKENS_MAX:
        known.clear()
    tokens = text.split()
    try:
        found = list(map(known.__getitem__, tokens))  # every token seen before: the common case
    except KeyError:
        found = []
        for token in tokens:
            stems = known.get(token)
            if stems is None:
                stems = known[token] = " ".join(_stems(words(token), kazakh_text))
            found.append(stems)
    if parts is not None:
        parts.update(found)
    return " ".join(filter(None, found))  # a token of no word ("—", "-") adds nothing


def index_text(language: str | None, *texts: str | None, parts: set[str] | None = None) -> str:
    """What the search index holds for a version: the stems of its texts, in order, separated by
    spaces (so that phrases can be matched), one text per line. ``parts``, when given, receives
    the pieces the result is made of (each token's stems): joined by spaces and line ends, in
    some order and as often as they occur, they are the result, so split at spaces they give its
    words without splitting the whole text (the store lists a batch's words so, items/store.py)."""
    kazakh_text = _kazakh(language)
    return "\n".join(_text_stems(text, kazakh_text, parts) for text in texts if text)


def query_stems(word: str) -> list[str]:
    """Every stem a normalized query word may have been stored under, none the start of another
    (each is matched as the start of a stored stem). Snowball's Russian stemmer takes one ending
    at a time and reads a final "-ан/-ян" as a verb's: "Ираном" → "иран", while "Иран" itself is
    stored as "ира"; so a Russian stem ending in "н" brings its own stem along. A Cyrillic word
    may also be Kazakh: its Kazakh stem comes too."""
    kind = _stemmer(word, None)
    found = [_stem(word, kind)]
    if kind == "ru":
        if found[0].endswith("н"):
            found.append(_stem(found[0], kind))
        found.append(_stem(word, "kk"))
    found = sorted(set(found), key=len)
    return [form for n, form in enumerate(found) if not any(form.startswith(shorter) for shorter in found[:n])]
