"""Measuring clusters against a labelled set (``tests/data/stories/items.json``): pairwise
precision, recall and F1 (per language pair too) and BCubed F1. Used by ``bench/stories.py`` and
the tests, so both score the same way."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from newsbridge.stories.clustering import Profile
from newsbridge.stories.embeddings import Embedder, passage
from newsbridge.stories.gazetteer import Gazetteer, numbers

START = datetime(2026, 11, 2, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    found_pairs: int


def load(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text("utf-8"))["items"]


def profiles(labelled: list[dict[str, Any]], embedder: Embedder,
             vectors: np.ndarray | None = None) -> list[Profile]:
    """The labelled items as clustering sees them (``vectors``: embeddings computed before)."""
    gazetteer = Gazetteer()
    if vectors is None:
        vectors = embedder.embed([passage(i["headline"], i["body"]) for i in labelled])
    found = []
    for item, vector in zip(labelled, vectors, strict=True):
        text = f"{item['headline']} {item['body']}"
        found.append(Profile(item["id"], item["org"], item["lang"], START + timedelta(hours=item["hour"]), vector,
                             frozenset(gazetteer.entities(text)), frozenset(numbers(text))))
    return found


def pairwise(labelled: list[dict[str, Any]], clusters: dict[str, int],
             languages: frozenset[str] | None = None) -> Scores:
    """Pairs of items put together against pairs that belong together (only pairs whose languages
    are ``languages``, a set of one or two, when given)."""
    true = found = both = 0
    for a, b in combinations(labelled, 2):
        if languages is not None and frozenset((a["lang"], b["lang"])) != languages:
            continue
        same = a["event"] == b["event"]
        joined = clusters[a["id"]] == clusters[b["id"]]
        true, found, both = true + same, found + joined, both + (same and joined)
    precision = both / found if found else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, true, found)


def bcubed_f1(labelled: list[dict[str, Any]], clusters: dict[str, int]) -> float:
    events = Counter(i["event"] for i in labelled)
    sizes = Counter(clusters.values())
    together = Counter((i["event"], clusters[i["id"]]) for i in labelled)
    precision = sum(together[(i["event"], clusters[i["id"]])] / sizes[clusters[i["id"]]] for i in labelled)
    recall = sum(together[(i["event"], clusters[i["id"]])] / events[i["event"]] for i in labelled)
    precision, recall = precision / len(labelled), recall / len(labelled)
    return 2 * precision * recall / (precision + recall)


def near_duplicate_pairs(labelled: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], list[bool]]:
    """Text pairs for near-duplicate detection made from the labelled items: each item against a copy
    with case and punctuation changed (exact), against an edited copy (a word replaced, a clause
    added: near), and against every other item of its language (not duplicates, same-story ones
    included: a story in one language is not a duplicate)."""
    pairs: list[tuple[str, str]] = []
    truth: list[bool] = []
    for item in labelled:
        text = f"{item['headline']}. {item['body']}"
        words = text.split()
        edited = " ".join(words[:-2] + ["(updated)"] + words[-1:]) + " " + " ".join(words[:4])
        pairs += [(text, text.upper().replace(".", "!")), (text, edited)]
        truth += [True, True]
        for other in labelled:
            if other["id"] > item["id"] and other["lang"] == item["lang"]:
                pairs.append((text, f"{other['headline']}. {other['body']}"))
                truth.append(False)
    return pairs, truth
