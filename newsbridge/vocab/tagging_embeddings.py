"""Media Topics sharpened with an item's sentence embedding (issue 16), for the story worker.

The naive Bayes model of ``tagging`` runs at ingest on the words alone. Once the story worker has
embedded a version (multilingual-e5-small, 384 values, ``stories/embeddings.py``), this module
combines the naive Bayes confidences with those of a softmax (multinomial logistic) regression
on the embedding: ``log p = NB_WEIGHT * log p_nb + (1 - NB_WEIGHT) * log p_embedding``,
normalized. The embedding space is shared by the four languages, so one regression learns from
the train lines of en, ru, kk and fa together. The decision rules are ``tagging``'s (``FLOOR``,
``SECOND``, the keyword-picked narrower topics).

The regression ships in ``topic_model_embeddings.json`` (standardization, weights, temperature),
rebuilt by ``bench/topics_eval.py --retrain``; docs/topics.md has the cross-validation that chose
it. numpy only: this module is imported by the worker, never at ingest.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from newsbridge.vocab import tagging
from newsbridge.vocab.mediatopics import subject_qcode, topic_subject
from newsbridge.vocab.tagging import TOP_LEVEL

MODEL_FILE = "topic_model_embeddings.json"
WORKER_CREATOR = "machine:worker"  # the subjects the story worker wrote (ingest's say "machine")
# Settings chosen by 5-fold cross-validation on the train split (docs/topics.md).
L2 = 0.01  # weight decay of the regression, on standardized embeddings
EPOCHS = 300  # full-batch gradient steps
RATE = 0.5
NB_WEIGHT = 0.4  # the naive Bayes share of the combined log-confidence
FOLDS = 5
DIGITS = 6  # stored precision of the weights
_TEMPERATURES = [t / 10 for t in range(1, 41)]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _targets(labels: Sequence[Sequence[str]]) -> np.ndarray:
    y = np.zeros((len(labels), len(TOP_LEVEL)))
    for i, topics in enumerate(labels):
        for t in topics:
            y[i, TOP_LEVEL.index(t)] = 1.0 / len(topics)
    return y


def _fit(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Standardization and softmax regression weights (full-batch gradient descent from zero)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    w, b = np.zeros((x.shape[1], len(TOP_LEVEL))), np.zeros(len(TOP_LEVEL))
    for _ in range(EPOCHS):
        g = (_softmax(z @ w + b) - y) / len(x)
        w -= RATE * (z.T @ g + L2 * w)
        b -= RATE * g.sum(axis=0)
    return {"mean": mean, "scale": scale, "weights": w, "bias": b}


def _logits(fit: Mapping[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    return ((x - fit["mean"]) / fit["scale"]) @ fit["weights"] + fit["bias"]


def train(examples: Mapping[str, Sequence[tuple[Sequence[float], Sequence[str]]]]) -> dict[str, Any]:
    """The model file's content from ``(embedding, top-level qcodes)`` train examples per language.

    All languages are pooled. The temperature is fitted by ``FOLDS``-fold cross-validation (fold
    ``i % FOLDS`` of each language's list), the lowest log-loss of the gold topics.
    """
    rows = [(np.asarray(v, dtype=np.float64), t, i % FOLDS)
            for _, items in sorted(examples.items()) for i, (v, t) in enumerate(items)]
    x = np.stack([r[0] for r in rows])
    y = _targets([r[1] for r in rows])
    folds = np.array([r[2] for r in rows])
    held_out = np.zeros_like(y)
    for k in range(FOLDS):
        held_out[folds == k] = _logits(_fit(x[folds != k], y[folds != k]), x[folds == k])
    gold = y > 0

    def log_loss(t: float) -> float:
        return float(-np.log(np.maximum((_softmax(held_out / t) * gold).sum(axis=1), 1e-12)).sum())

    fit = _fit(x, y)
    return {"format": 1, "method": "softmax regression on multilingual-e5-small embeddings, all languages pooled",
            "examples": {lang: len(items) for lang, items in sorted(examples.items())},
            "l2": L2, "epochs": EPOCHS, "nb_weight": NB_WEIGHT, "temperature": min(_TEMPERATURES, key=log_loss),
            **{name: np.round(value, DIGITS).tolist() for name, value in fit.items()}}


class EmbeddingTopicModel:
    """The trained regression (the model file's content) and the combined tagger."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.fit = {name: np.asarray(raw[name], dtype=np.float64) for name in ("mean", "scale", "weights", "bias")}
        self.temperature = float(raw["temperature"])
        self.nb_weight = float(raw["nb_weight"])

    def confidences(self, vector: Sequence[float] | np.ndarray) -> list[float]:
        """The regression's confidence of each top-level topic (TOP_LEVEL order) alone."""
        x = np.asarray(vector, dtype=np.float64).reshape(1, -1)
        return [float(p) for p in _softmax(_logits(self.fit, x)[0] / self.temperature)]

    def combined(self, nb: Sequence[float], vector: Sequence[float] | np.ndarray) -> list[float]:
        """The combined confidences from naive Bayes confidences and the item's embedding."""
        mixed = [self.nb_weight * math.log(max(a, 1e-12)) + (1 - self.nb_weight) * math.log(max(b, 1e-12))
                 for a, b in zip(nb, self.confidences(vector), strict=True)]
        return [float(p) for p in _softmax(np.array(mixed))]

    def tag(self, text: str, language: str | None, vector: Sequence[float] | np.ndarray,
            nb: tagging.TopicModel | None = None) -> list[tuple[str, float]]:
        """Like ``tagging.tag`` (same rules, same order), with the embedding of the item's text."""
        nb = nb or tagging.shipped_model()
        text = text[:tagging.TEXT_CHARS]
        lang = tagging.tagged_language(language, text)
        if lang not in nb.languages:
            return []
        return nb.decide(self.combined(nb.top_level(text, lang), vector), text, lang)


@cache
def shipped_embedding_model() -> EmbeddingTopicModel:
    """The regression in the package's ``topic_model_embeddings.json`` (read once per process)."""
    return EmbeddingTopicModel(json.loads(resources.files("newsbridge.vocab").joinpath(MODEL_FILE)
                                          .read_text("utf-8")))


def refined_subjects(text: str, language: str | None, vector: Sequence[float] | np.ndarray,
                     subjects: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
    """A version's subjects with its machine Media Topics replaced by the combined tagger's.

    ``text`` is the headline and text (only the first ``TEXT_CHARS`` count). The sender's own
    subjects are kept in place; the Media Topics tagged at ingest (``creator: "machine"``) are
    dropped and the combined tagger's are appended with ``creator: "machine:worker"``. None when
    nothing changes: the sender named a Media Topic, the language is not tagged, or the topics
    and confidences are the ones already there.
    """
    def machine(subject: Mapping[str, Any]) -> bool:
        return subject.get("creator") in (tagging.CREATOR, WORKER_CREATOR) and subject_qcode(dict(subject)) is not None
    own = [dict(s) for s in subjects if not machine(s)]
    if any(subject_qcode(s) for s in own):
        return None
    if tagging.tagged_language(language, text[:tagging.TEXT_CHARS]) is None:
        return None
    refined = own + [{**topic_subject(qcode), "rel": "about", "creator": WORKER_CREATOR,
                      "confidence": round(confidence * 100)}
                     for qcode, confidence in shipped_embedding_model().tag(text, language, vector)]
    return None if refined == [dict(s) for s in subjects] else refined
