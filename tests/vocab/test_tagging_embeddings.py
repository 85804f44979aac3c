"""The story worker's topic tagger: naive Bayes and a regression on the item's embedding together.

The labelled lines' embeddings come from tests/vocab/topic_embeddings.npz (written by
``bench/topics_eval.py --retrain``); a sample is re-embedded here with the real model to show
the file holds what the model gives, and the text hashes show it belongs to today's lines.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsbridge.formats.ninjs import validate
from newsbridge.stories.embeddings import E5Embedder
from newsbridge.vocab import tagging, tagging_embeddings
from newsbridge.vocab.mediatopics import ancestors, topic_subject, vocabulary
from newsbridge.vocab.tagging import LANGUAGES, TOP_LEVEL
from newsbridge.vocab.tagging_embeddings import WORKER_CREATOR, refined_subjects, shipped_embedding_model

DATA = Path(__file__).resolve().parents[1] / "data" / "topics"
EMBEDDINGS = Path(__file__).resolve().parent / "topic_embeddings.npz"
ISSUE_TARGET = 0.85  # issue 16: top-level micro-F1 in every language on the held-out split


def _rows(language: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / f"{language}.jsonl").read_text("utf-8").splitlines() if line]


def _lines() -> list[tuple[str, dict[str, Any]]]:
    return [(language, row) for language in LANGUAGES for row in _rows(language)]


def _vectors() -> np.ndarray:
    saved = np.load(EMBEDDINGS)
    hashes = [hashlib.sha256(row["text"].encode("utf-8")).hexdigest() for _, row in _lines()]
    assert saved["sha256"].tolist() == hashes, "labelled lines changed: run bench/topics_eval.py --retrain"
    return saved["vectors"]


def _micro_f1(gold: list[list[str]], predicted: list[list[str]]) -> float:
    hits = sum(len(set(g) & set(p)) for g, p in zip(gold, predicted))
    return 2 * hits / (sum(map(len, predicted)) + sum(map(len, gold)))


def test_the_embeddings_file_holds_what_the_model_gives_for_every_labelled_line() -> None:
    vectors, lines = _vectors(), _lines()
    assert vectors.shape == (len(lines), 384) and vectors.dtype == np.float32
    sample = list(range(0, len(lines), 97))  # every language, train and holdout lines
    fresh = E5Embedder().embed([lines[i][1]["text"] for i in sample])
    # the same vectors, as far as the CPU lets them be: the model's kernels differ by instruction set (an
    # AMD EPYC with AVX-512 VNNI gives up to 0.002 apart per component, cosine 0.9999, from the file written on
    # an AVX2 machine), while two different labelled lines are 0.7-0.9 apart in cosine
    stored = vectors[sample]
    cosine = (fresh * stored).sum(axis=1) / (np.linalg.norm(fresh, axis=1) * np.linalg.norm(stored, axis=1))
    assert cosine.min() > 0.999 and np.abs(fresh - stored).max() < 0.01


def test_the_shipped_regression_is_exactly_what_the_train_split_gives() -> None:
    # the holdout lines are in the file too, but only train lines reach train()
    vectors, lines = _vectors(), _lines()
    examples: dict[str, list[tuple[np.ndarray, list[str]]]] = {lang: [] for lang in LANGUAGES}
    for vector, (language, row) in zip(vectors, lines):
        if row["split"] == "train":
            examples[language].append((vector, row["topics"]))
    rebuilt = json.loads(json.dumps(tagging_embeddings.train(examples)))
    shipped = json.loads((Path(tagging.__file__).parent / tagging_embeddings.MODEL_FILE).read_text("utf-8"))
    arrays = ("mean", "scale", "weights", "bias")
    def settings(model: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in model.items() if k not in arrays}
    assert settings(rebuilt) == settings(shipped)
    for name in arrays:  # the last stored digit may differ with another BLAS
        assert np.allclose(rebuilt[name], shipped[name], rtol=0, atol=2e-6), name
    assert shipped["examples"] == {lang: sum(r["split"] == "train" for r in _rows(lang)) for lang in LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_holdout_micro_f1_of_the_worker_tagger_meets_the_issue_target(language: str) -> None:
    model, vectors = shipped_embedding_model(), _vectors()
    gold, predicted = [], []
    for vector, (lang, row) in zip(vectors, _lines()):
        if lang == language and row["split"] == "holdout":
            gold.append(row["topics"])
            predicted.append([q for q, _ in model.tag(row["text"], language, vector) if q in TOP_LEVEL])
    f1 = _micro_f1(gold, predicted)
    assert f1 >= ISSUE_TARGET, f"{language}: holdout micro-F1 {f1:.3f} < {ISSUE_TARGET}"


def test_combined_confidences_are_probabilities_and_narrower_topics_follow_a_confident_parent() -> None:
    model, vectors = shipped_embedding_model(), _vectors()
    narrower = 0
    for vector, (language, row) in list(zip(vectors, _lines()))[3::4]:
        combined = model.combined(tagging.shipped_model().top_level(row["text"], language), vector)
        assert abs(sum(combined) - 1) < 1e-9 and min(combined) >= 0
        found = model.tag(row["text"], language, vector)
        top = {q: c for q, c in found if q in TOP_LEVEL}
        assert list(top.values()) == sorted(top.values(), reverse=True)
        for qcode, confidence in found:
            if qcode not in TOP_LEVEL:
                narrower += 1
                parent = next(a for a in ancestors(qcode) if not vocabulary()[a].broader)
                assert top[parent] >= tagging.NARROWER_FLOOR and confidence < top[parent]
    assert narrower > 20


def _holdout_item(language: str = "en") -> tuple[str, np.ndarray]:
    vectors = _vectors()
    index, (_, row) = next((i, line) for i, line in enumerate(_lines())
                           if line[0] == language and line[1]["split"] == "holdout")
    return row["text"], vectors[index]


def test_refined_subjects_replace_the_ingest_topics_and_keep_the_senders_own() -> None:
    text, vector = _holdout_item()
    place = {"name": "Astana", "uri": "https://www.geonames.org/1526273"}
    ingest = tagging.machine_subjects(text, "", "en", [place])
    wrong = {**topic_subject("medtop:15000000"), "rel": "about", "creator": "machine", "confidence": 80}  # sport
    refined = refined_subjects(text, "en", vector, [place, *ingest, wrong])
    assert refined is not None and refined[0] == place
    assert all(s["creator"] == WORKER_CREATOR for s in refined[1:]) and len(refined) > 1
    expected = [q for q, _ in shipped_embedding_model().tag(text, "en", vector)]
    assert [s["uri"].rsplit("/", 1)[1] for s in refined[1:]] == [q.removeprefix("medtop:") for q in expected]
    assert wrong["uri"] not in [s["uri"] for s in refined]
    assert validate({"uri": "x", "subjects": refined}) == 3
    assert refined_subjects(text, "en", vector, refined) is None  # a second pass changes nothing


@pytest.mark.parametrize(("language", "existing"), [
    ("en", [{"name": "sport", "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000"}]),
    ("en", [{"literal": "medtop:04000000", "creator": "editor"}]),
    ("fr", []),
    ("de-DE", [{"name": "Astana", "uri": "https://www.geonames.org/1526273"}]),
])
def test_nothing_changes_when_the_sender_named_a_topic_or_the_language_is_not_tagged(
        language: str, existing: list[dict[str, Any]]) -> None:
    text, vector = _holdout_item()
    assert refined_subjects(text, language, vector, existing) is None
