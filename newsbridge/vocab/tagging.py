"""Automatic IPTC Media Topic tagging for items that arrive without subjects.

One multinomial naive Bayes model per language (en, ru, kk, fa) over word unigrams and
character 4-6-grams of each word, trained on the train split of the labelled headlines and
leads in ``tests/data/topics`` together with the keyword lists below, which count as extra
training documents with a high weight (with ~13 examples per topic the keywords carry most of
the prior knowledge; the examples teach the model the rest of the vocabulary). Confidences are
the model's posteriors softened by a temperature fitted by cross-validation on the train split.
The trained counts ship in ``topic_model.json`` and are read once per process; ``train`` (run
by ``bench/topics_eval.py --retrain``) rebuilds them. docs/topics.md has the measurements that
chose this method over a keyword baseline and logistic regression. The story worker later
re-tags each version with these confidences and the item's embedding together
(``tagging_embeddings``), which is the tagger that meets issue 16's target.

A top-level topic is assigned when its confidence clears ``FLOOR`` (a second one when it
clears ``SECOND``). A narrower topic is added only under a top-level topic assigned with at
least ``NARROWER_FLOOR`` confidence, and only when one of its keywords occurs in the text.
Subjects made here carry ``creator: "machine"`` and a confidence of 0-100; an item that
already names a Media Topic gets none.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from newsbridge.vocab.mediatopics import ancestors, subject_qcode, topic_subject, vocabulary

MODEL_FILE = "topic_model.json"
LANGUAGES = ("en", "ru", "kk", "fa")
TOP_LEVEL = tuple(f"medtop:{n:02d}000000" for n in range(1, 18))
CREATOR = "machine"
FLOOR = 0.2  # below this the best topic is a guess: assign nothing
SECOND = 0.4  # a second top-level topic needs this much confidence of its own
NARROWER_FLOOR = 0.5
NARROWER_SHARE = 0.9  # a keyword-picked narrower topic is a little less certain than its parent
TEXT_CHARS = 600  # headline and lead decide; the rest of a long body only dilutes them
# Training settings chosen by cross-validation on the train split (docs/topics.md).
ALPHA = 1.0  # additive smoothing
NGRAMS = (4, 6)  # character n-gram lengths
KEYWORD_WEIGHT = 32  # each keyword document counts this many times
FOLDS = 5

# The same letters as newsbridge.ingest.text.PERSIAN_LETTERS (vocab does not import ingest):
# Arabic yeh, alef maksura and kaf are written as Persian yeh and keheh.
PERSIAN_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})
_WORD = re.compile(r"[^\W\d_]+")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_KAZAKH_LETTERS = re.compile("[әғқңөұүһі]")

# The keyword tables are data files beside this module (topic_keywords.txt, topic_narrower.txt):
# readable by reviewers, and every language's newsroom words in one place.



def _rows(name: str) -> list[str]:
    """The rows of a keyword table file: ``#`` lines are comments, indented lines continue a row."""
    rows: list[str] = []
    for line in resources.files("newsbridge.vocab").joinpath(name).read_text("utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.startswith(" ") and rows:
            rows[-1] += " " + line.strip()
        elif line.strip():
            rows.append(line.strip())
    return rows


def _keyword_table() -> dict[int, dict[str, str]]:
    table: dict[int, dict[str, str]] = {}
    for row in _rows("topic_keywords.txt"):
        number, language, stems = row.split(" ", 2)
        table.setdefault(int(number), {})[language] = stems
    return table


KEYWORDS = _keyword_table()
NARROWER = {"medtop:" + code: dict(zip(LANGUAGES, (part.strip() for part in rest.split("|"))))
            for code, rest in (row.split(" ", 1) for row in _rows("topic_narrower.txt"))}


def normalize(text: str) -> str:
    """Text as the model sees it: NFC, Persian letters, ZWNJ as a word break, lower case."""
    text = unicodedata.normalize("NFC", text).translate(PERSIAN_LETTERS)
    return text.replace("\u200c", " ").lower().replace("ё", "е")


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def features(text: str, ngrams: Sequence[int] = NGRAMS) -> set[str]:
    """Word unigrams (``w`` + word) and the character n-grams of each word with its edges."""
    low, high = ngrams
    found: set[str] = set()
    for word in words(text):
        if len(word) >= 2:
            found.add("w" + word)
        padded = f" {word} "
        for n in range(low, high + 1):
            found.update(padded[i:i + n] for i in range(len(padded) - n + 1))
    return found


def guess_language(text: str) -> str | None:
    """en, ru, kk or fa from the script alone, for items that do not say (None: none of them)."""
    if _ARABIC_SCRIPT.search(text):
        return "fa"
    if _CYRILLIC.search(text):
        return "kk" if _KAZAKH_LETTERS.search(text.lower()) else "ru"
    return "en" if re.search("[A-Za-z]", text) else None


def tagged_language(language: str | None, text: str) -> str | None:
    """en, ru, kk or fa for a BCP 47 tag (None guesses from ``text``'s script); None when untagged."""
    if not language:
        return guess_language(text)
    primary = language.split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else None


def stems(spec: str) -> list[str]:
    """The stems of a KEYWORDS or NARROWER entry, normalized like text."""
    return [stem for stem in words(spec) if len(stem) >= 2]


def matches(word: str, stem: str) -> bool:
    return word == stem or (len(stem) >= 3 and word.startswith(stem))


# -- training ---------------------------------------------------------------------------


def _count(docs: Iterable[tuple[set[str], Sequence[int], int]]) -> dict[str, Any]:
    classes = len(TOP_LEVEL)
    counts: dict[str, dict[int, int]] = {}
    docs_per_class, totals = [0] * classes, [0] * classes
    for feats, classes_of_doc, weight in docs:
        for c in classes_of_doc:
            docs_per_class[c] += 1
            totals[c] += len(feats) * weight
            for f in feats:
                row = counts.setdefault(f, {})
                row[c] = row.get(c, 0) + weight
    return {"docs": docs_per_class, "totals": totals,
            "features": {f: [x for c in sorted(row) for x in (c, row[c])] for f, row in sorted(counts.items())}}


def _keyword_docs(language: str, ngrams: Sequence[int], weight: int) -> list[tuple[set[str], list[int], int]]:
    return [(features(KEYWORDS[n][language], ngrams), [n - 1], weight) for n in range(1, len(TOP_LEVEL) + 1)]


def _example_docs(examples: Iterable[tuple[str, Sequence[str]]], ngrams: Sequence[int]
                  ) -> list[tuple[set[str], list[int], int]]:
    return [(features(text, ngrams), [TOP_LEVEL.index(t) for t in topics], 1) for text, topics in examples]


def train(examples: Mapping[str, Sequence[tuple[str, Sequence[str]]]], *, alpha: float = ALPHA,
          ngrams: Sequence[int] = NGRAMS, keyword_weight: int = KEYWORD_WEIGHT,
          folds: int = FOLDS) -> dict[str, Any]:
    """The model file's content from labelled ``(text, top-level qcodes)`` examples per language.

    Pass only the train split: the temperature is fitted by ``folds``-fold cross-validation on
    these examples (the lowest log-loss of the gold topics), so nothing outside them is looked at.
    """
    model: dict[str, Any] = {"format": 1, "method": "multinomial naive Bayes, word unigrams + char n-grams",
                             "alpha": alpha, "ngrams": list(ngrams), "keyword_weight": keyword_weight,
                             "languages": {}}
    for language, rows in sorted(examples.items()):
        keyword_docs = _keyword_docs(language, ngrams, keyword_weight) if keyword_weight else []
        docs = _example_docs(rows, ngrams)
        held_out: list[tuple[list[float], list[int]]] = []
        for k in range(folds):
            fold = _Model.from_counts(_count(keyword_docs + [d for i, d in enumerate(docs) if i % folds != k]),
                                      alpha, 1.0)
            held_out += [(fold.scores(d[0]), d[1]) for i, d in enumerate(docs) if i % folds == k]
        counts = _count(keyword_docs + docs)
        model["languages"][language] = {"examples": len(docs), "temperature": _fit_temperature(held_out), **counts}
    return model


def _fit_temperature(held_out: Sequence[tuple[list[float], list[int]]]) -> float:
    def log_loss(t: float) -> float:
        return -sum(math.log(max(sum(_softmax(s, t)[c] for c in gold), 1e-12)) for s, gold in held_out)
    return min((float(t) for t in range(1, 41)), key=log_loss) if held_out else 1.0


def _softmax(scores: Sequence[float], temperature: float) -> list[float]:
    top = max(scores)
    exps = [math.exp((s - top) / temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


# -- the shipped model ------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    base: tuple[float, ...]  # log prior per topic
    per_feature: tuple[float, ...]  # log normalizer per topic, paid once for each known feature
    weights: dict[str, tuple[tuple[int, float], ...]]  # only the topics that saw the feature
    temperature: float

    @classmethod
    def from_counts(cls, counts: Mapping[str, Any], alpha: float, temperature: float) -> _Model:
        vocabulary_size = len(counts["features"])
        total_docs = sum(counts["docs"])
        base = tuple(math.log((d + 1) / (total_docs + len(TOP_LEVEL))) for d in counts["docs"])
        per_feature = tuple(math.log(t + alpha * vocabulary_size) for t in counts["totals"])
        log_alpha = math.log(alpha)
        weights = {f: tuple((flat[i], math.log(flat[i + 1] + alpha) - log_alpha) for i in range(0, len(flat), 2))
                   for f, flat in counts["features"].items()}
        return cls(base, per_feature, weights, temperature)

    def scores(self, feats: Iterable[str]) -> list[float]:
        rows = [row for f in feats if (row := self.weights.get(f)) is not None]
        scores = [b - len(rows) * p for b, p in zip(self.base, self.per_feature)]
        for row in rows:
            for c, w in row:
                scores[c] += w
        return scores

    def confidences(self, feats: Iterable[str]) -> list[float]:
        return _softmax(self.scores(feats), self.temperature)


class TopicModel:
    """A trained model (the content of the model file): ``tag`` per language with the rules above."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.ngrams: tuple[int, int] = tuple(raw["ngrams"])  # type: ignore[assignment]
        self.languages = {lang: _Model.from_counts(counts, raw["alpha"], counts["temperature"])
                          for lang, counts in raw["languages"].items()}

    def top_level(self, text: str, language: str) -> list[float]:
        """The confidence of each of the 17 top-level topics (TOP_LEVEL order)."""
        return self.languages[language].confidences(features(text[:TEXT_CHARS], self.ngrams))

    def tag(self, text: str, language: str | None) -> list[tuple[str, float]]:
        text = text[:TEXT_CHARS]
        lang = tagged_language(language, text)
        if lang not in self.languages:
            return []
        return self.decide(self.top_level(text, lang), text, lang)

    def decide(self, confidences: Sequence[float], text: str, lang: str) -> list[tuple[str, float]]:
        """The topics the rules above assign from the 17 top-level confidences (also used by
        ``tagging_embeddings``, which sharpens the confidences with an item's embedding)."""
        text = text[:TEXT_CHARS]
        order = sorted(range(len(TOP_LEVEL)), key=lambda c: -confidences[c])
        if confidences[order[0]] < FLOOR:
            return []
        chosen = [order[0]] + ([order[1]] if confidences[order[1]] >= SECOND else [])
        found, text_words = [], words(text)
        for c in chosen:
            qcode, confidence = TOP_LEVEL[c], confidences[c]
            found.append((qcode, round(confidence, 3)))
            if confidence < NARROWER_FLOOR:
                continue
            for narrower, narrower_stems in _narrower_by_parent(lang).get(qcode, ()):
                if any(matches(w, stem) for w in text_words for stem in narrower_stems):
                    found.append((narrower, round(confidence * NARROWER_SHARE, 3)))
                    break
        return found


@cache
def shipped_model() -> TopicModel:
    """The model in the package's ``topic_model.json`` (read once per process)."""
    return TopicModel(json.loads(resources.files("newsbridge.vocab").joinpath(MODEL_FILE).read_text("utf-8")))


@cache
def _narrower_by_parent(language: str) -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    found: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for qcode, spec in NARROWER.items():
        parent = next(a for a in ancestors(qcode) if not vocabulary()[a].broader)
        found.setdefault(parent, []).append((qcode, tuple(stems(spec[language]))))
    return {parent: tuple(entries) for parent, entries in found.items()}


def tag(text: str, language: str | None) -> list[tuple[str, float]]:
    """Media Topics for ``text`` with a confidence of 0-1, best first, each narrower after its parent.

    ``language`` is a BCP 47 tag (only en, ru, kk and fa are tagged; anything else gives []);
    None guesses one of the four from the script. Only the first ``TEXT_CHARS`` characters count.
    """
    return shipped_model().tag(text, language)


def machine_subjects(headline: str, text: str, language: str | None,
                     existing: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """ninjs subjects to add to an item that names no Media Topic itself (else [])."""
    if any(subject_qcode(dict(subject)) for subject in existing):
        return []
    lead = " ".join(part.strip() for part in (headline, text) if part and part.strip())
    return [{**topic_subject(qcode), "rel": "about", "creator": CREATOR, "confidence": round(confidence * 100)}
            for qcode, confidence in tag(lead, language)]
