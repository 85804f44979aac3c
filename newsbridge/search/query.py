"""A search query as typed, read into what the index is asked: words and quoted phrases, stemmed.

``media "joint production" Казахстана`` holds two words and one phrase. A version matches when it
holds every word and every phrase. A word matches a stored stem that starts with one of the
word's stems (so ``coop`` still finds "cooperation", and "Казахстана" finds "Казахстан"); a
phrase matches its words next to each other in that order, each in any of its forms. A word of one
letter ("о", "в", "و") is left out beside other words (alone, it is asked). Operators and
punctuation are ignored rather than refused; an unclosed quote quotes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsbridge.search.stemming import query_stems, words

MAX_WORDS = 16
_PHRASE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class Query:
    """``terms``: per word, the stems it may have been stored under (a stem that holds a space is
    a Persian compound: its parts in a row); ``phrases``: per phrase, one stem per word in order,
    each to be matched as the start of a stored stem."""

    terms: tuple[tuple[str, ...], ...]
    phrases: tuple[tuple[str, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)

    def stems(self) -> set[str]:
        """Every stem the query looks for (what a snippet marks)."""
        found = {part for forms in self.terms for form in forms for part in form.split()}
        return found | {stem for phrase in self.phrases for stem in phrase}


def _phrase_stems(word: str) -> list[str]:
    # The shortest of a word's stems, as a prefix, covers the others that start with it.
    return min(query_stems(word), key=len).split()


def parse(text: str | None) -> Query:
    """The words and phrases of a query (at most :data:`MAX_WORDS` words in all)."""
    text = text or ""
    budget = MAX_WORDS
    phrases: list[tuple[str, ...]] = []
    for quoted in _PHRASE.findall(text):
        found = words(quoted)[:budget]
        budget -= len(found)
        phrase = tuple(stem for word in found for stem in _phrase_stems(word))
        if len(found) == 1:
            text += f" {found[0]}"  # a quoted single word is a word
        elif phrase and phrase not in phrases:
            phrases.append(phrase)
    terms: list[tuple[str, ...]] = []
    for word in words(_PHRASE.sub(" ", text))[:max(budget, 0)]:
        forms = tuple(query_stems(word))
        if forms not in terms:
            terms.append(forms)
    if any(not _one_letter(forms) for forms in terms) or phrases:
        # beside other words, a one-letter word ("о", "в", "و", "a") is left out: as the start of a
        # stored stem it holds nearly every text, and it would mark every word it starts
        terms = [forms for forms in terms if not _one_letter(forms)]
    return Query(tuple(terms), tuple(phrases))


def _one_letter(forms: tuple[str, ...]) -> bool:
    return all(len(form) == 1 for form in forms)
