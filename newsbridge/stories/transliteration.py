"""Names the gazetteer does not know, matched across scripts by one Latin key.

Tokayev, Токаев, Тоқаев and توکایف are one man; the gazetteer knows him, but a deputy minister,
a village or a company named once a year it cannot list. A name is written to a *consonant
skeleton*: transliterated to Latin letters (Cyrillic with the Kazakh letters, Persian), vowels and
the half-vowels y and w dropped (Persian writes few vowels, Russian spells -ayev as -аев), the
sounds the scripts render differently made one class (k, q, g, h, kh, gh, and Russian г for a
foreign h: Тегеран / Tehran / تهران; b and p, as Persian writes Nishapur نیشابور; f and v; s, th, ts;
z, dh, zh), doubled letters made one.
Tokayev, Токаев, Тоқаев and توکایف all give ``tkv``.

Which words are names: in Latin and Cyrillic text, a capitalized word that does not start a
sentence (the first word of a sentence is capitalized whatever it is); Persian has no capitals, so
every word of four letters or more is a candidate there, and a Persian key counts only when the
other text is in another script (two Persian texts share their common words too).
"""

from __future__ import annotations

import re

KEY_PREFIX = "~"  # a transliteration key among a profile's entities: "~tkv" (Latin, Cyrillic), "~fa:tkv" (Persian)
PERSIAN_PREFIX = KEY_PREFIX + "fa:"
MIN_CONSONANTS = 3  # shorter skeletons ("ptn") match too many other words

_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "o", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o",
    "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "kh",
    "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e",
    "ю": "yu", "я": "ya",
}
# Persian letters straight to their class (no digraphs: ت then ه is t, h; not "th")
_PERSIAN = {
    "ب": "b", "پ": "b", "ت": "t", "ث": "s", "ج": "c", "چ": "c", "ح": "k", "خ": "k", "د": "d", "ذ": "z",
    "ر": "r", "ز": "z", "ژ": "z", "س": "s", "ش": "s", "ص": "s", "ض": "z", "ط": "t", "ظ": "z", "غ": "k",
    "ف": "v", "ق": "k", "ک": "k", "ك": "k", "گ": "k", "ل": "l", "م": "m", "ن": "n", "ه": "k",
}
# Latin letters (and digraphs, first) to their class; what is not here is dropped (vowels, y, w)
_DIGRAPHS = (("kh", "k"), ("gh", "k"), ("zh", "z"), ("dh", "z"), ("th", "s"), ("ts", "s"), ("ch", "c"),
             ("sh", "s"), ("ph", "v"))
_CLASSES = {"b": "b", "p": "b", "t": "t", "d": "d", "k": "k", "q": "k", "g": "k", "h": "k", "c": "c", "j": "c",
            "f": "v", "v": "v", "s": "s", "x": "ks", "z": "z", "l": "l", "m": "m", "n": "n", "r": "r"}
_WORD = re.compile(r"[^\W\d_]+(?:[-'’\u200c][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?…:;«»\"“”(\[–—]\s*$")
# capitalized mid-sentence but not names
_NOT_NAMES = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "i", "the", "mr",
    "mrs", "ms", "dr", "president", "minister", "prime", "foreign", "deputy", "ministry", "government",
    "parliament", "national", "state", "republic", "news", "agency",
})
# case endings that end in a consonant (a vowel ending leaves the skeleton as it is): Russian -ым, -ом…,
# Kazakh -да, -нан, -мен… (their consonant would join the key); longest first. Not -ов/-ев (surnames end
# so), nor -на/-ны/-ды (Russian Астаны, Тегеране would lose a consonant of their own)
_ENDINGS = tuple(sorted({
    "ым", "им", "ом", "ем", "ой", "ей", "ам", "ям", "ами", "ями", "ах", "ях",
    "да", "де", "та", "те", "ға", "ге", "қа", "ке", "дан", "ден", "тан", "тен", "нан", "нен", "ның", "нің",
    "дың", "дің", "тың", "тің", "мен", "бен", "пен",
}, key=len, reverse=True))
_PERSIAN_LETTERS = re.compile(r"[\u0600-\u06ff]")
_UNIFIED = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه"})  # as the gazetteer normalizes


def skeleton(word: str) -> str:
    """The consonant skeleton of a word in any of the hub's scripts ("Tokayev" -> "tkv")."""
    word = word.lower()
    if _PERSIAN_LETTERS.search(word):
        # a he ending a word or a part of one (قره‌بایف: qare-bayef) is mostly a vowel
        classes = [_PERSIAN.get(ch, "") for ch in re.sub("ه(?=\u200c|$)", "", word)]
    else:
        latin = "".join(_CYRILLIC.get(ch, ch) for ch in word)
        for pair, single in _DIGRAPHS:
            latin = latin.replace(pair, single)
        classes = [_CLASSES.get(ch, "") for ch in latin]
    out: list[str] = []
    for cls in classes:
        if cls and (not out or out[-1] != cls):
            out.append(cls)
    return "".join(out)


def _stem(word: str) -> str:
    """A Russian or Kazakh name without its case ending (Ашикбаевым, Нишапурда: Ашикбаев, Нишапур)."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[:-len(ending)]
    return word


def name_keys(text: str, known: frozenset[str] = frozenset()) -> set[str]:
    """The transliteration keys of the names ``text`` mentions (see the module's docstring); ``known``
    are lower-case words the gazetteer matched already (their keys would only repeat its own)."""
    keys: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group(0)
        lower = word.lower().translate(_UNIFIED)
        if lower in known or lower in _NOT_NAMES:
            continue
        if _PERSIAN_LETTERS.search(word):
            if len(word) < 4:
                continue
            prefix = PERSIAN_PREFIX
        else:
            if not word[0].isupper() or word.isupper():  # lower case, or an acronym (its letters are no sounds)
                continue
            before = text[:match.start()]
            if not before.strip() or _SENTENCE_END.search(before):
                continue  # the first word of a sentence
            prefix = KEY_PREFIX
        keys |= _word_keys(word, prefix)
    return keys


def _word_keys(word: str, prefix: str = KEY_PREFIX) -> set[str]:
    """The keys of one name word: its skeleton, and (Latin, Cyrillic) that of its stem."""
    forms = (word, _stem(word.lower())) if prefix == KEY_PREFIX else (word,)
    return {prefix + key for key in map(skeleton, forms) if len(key) >= MIN_CONSONANTS}


def span_keys(spans: list[str], known: frozenset[str] = frozenset()) -> set[str]:
    """The transliteration keys of names found by a recognizer (stories/russian_names.py) or a
    dateline: every capitalized (or caseless: Persian) word of a span, wherever it stands (a
    sentence's first word too), not its common words ("банк" of "Национальный банк": the event and
    its hard negative share the bank, and "банк" alone merged them on items.json); ``known`` as for
    :func:`name_keys`."""
    keys: set[str] = set()
    for span in spans:
        for match in _WORD.finditer(span):
            word = match.group(0)
            if not word[0].islower() and not word.isupper() and word.lower() not in known | _NOT_NAMES:
                keys |= _word_keys(word)
    return keys


def shared_names(a: frozenset[str], b: frozenset[str]) -> set[str]:
    """The skeletons two texts share: Latin/Cyrillic names with each other or with Persian words, never
    Persian with Persian."""
    def split(keys: frozenset[str]) -> tuple[set[str], set[str]]:
        return ({k[len(KEY_PREFIX):] for k in keys if k.startswith(KEY_PREFIX) and not k.startswith(PERSIAN_PREFIX)},
                {k[len(PERSIAN_PREFIX):] for k in keys if k.startswith(PERSIAN_PREFIX)})
    (a_names, a_persian), (b_names, b_persian) = split(a), split(b)
    return (a_names & b_names) | (a_names & b_persian) | (a_persian & b_names)
