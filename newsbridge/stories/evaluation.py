"""Measuring clusters against a labelled set (``tests/data/stories/items.json``): pairwise
precision, recall and F1 (per language pair too) and BCubed F1; and detected pickups against the
labelled pairs (``tests/data/stories/pickups.json``) through ``stories.pickups.judge`` itself.
Used by ``bench/stories.py`` and the tests, so both score the same way."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from newsbridge.stories.clustering import Profile
from newsbridge.stories.embeddings import Embedder, passage
from newsbridge.stories.gazetteer import Gazetteer, numbers
from newsbridge.stories.pickups import PickupSignals, Text, credit_keys, judge
from newsbridge.vocab.mediatopics import ancestors
from newsbridge.vocab.tagging_embeddings import shipped_embedding_model

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


# The city an agency dates an item from when the text names none (Trend's Baku has too short a key)
HOME = {"kazinform": "Astana", "khabar": "Astana", "irna": "Tehran", "mehr": "Tehran", "tehran-times": "Tehran",
        "parstoday": "Tehran", "tass": "Moscow", "ria": "Moscow", "trend": "Baku"}
CITIES = ("astana", "almaty", "tehran", "moscow", "atyrau", "aktau", "baikonur", "ashgabat", "rasht", "astara")


def dateline(item: dict[str, Any], gazetteer: Gazetteer) -> str | None:
    """An item's dateline place: its ``located`` when the labelled item has one, else a rule the
    labelled sets stand in for datelines with (they were written without): the first city of the
    gazetteer the text names, else the agency's home city (:data:`HOME`). Mostly a place the text
    names already, so this measures the signal on datelines that repeat the text."""
    if item.get("located"):
        return gazetteer.place(item["located"])
    text = f"{item['headline']} {item['body']}"
    found = [(m.start(), key) for key in CITIES for m in [gazetteer.first(text, key)] if m is not None]
    return min(found)[1] if found else gazetteer.place(HOME.get(item["org"]))


def machine_topics(item: dict[str, Any], vector: np.ndarray) -> frozenset[str]:
    """The top-level Media Topics the worker's tagger gives the item (vocab/tagging_embeddings.py)."""
    text = passage(item["headline"], item["body"])
    tagged = shipped_embedding_model().tag(text, item["lang"], vector)
    return frozenset(q for qcode, _ in tagged for q in ancestors(qcode) if q.endswith("000000"))


def profiles(labelled: list[dict[str, Any]], embedder: Embedder, vectors: np.ndarray | None = None,
             russian_ner: str | None = None, topics: str = "machine") -> list[Profile]:
    """The labelled items as clustering sees them (``vectors``: embeddings computed before), with
    ``russian_ner`` as in ``Gazetteer.names``, and ``topics`` the tagger's ("machine") or the
    labelled set's own ("gold")."""
    gazetteer = Gazetteer()
    if vectors is None:
        vectors = embedder.embed([passage(i["headline"], i["body"]) for i in labelled])
    found = []
    for item, vector in zip(labelled, vectors, strict=True):
        text = f"{item['headline']} {item['body']}"
        tags = frozenset(item.get("topics", ())) if topics == "gold" else machine_topics(item, vector)
        found.append(Profile(item["id"], item["org"], item["lang"], START + timedelta(hours=item["hour"]), vector,
                             frozenset(gazetteer.names(text, item["lang"], russian_ner)), frozenset(numbers(text)),
                             dateline(item, gazetteer), tags))
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


@dataclass(frozen=True)
class PickupCase:
    """One labelled pair as the detector sees it: the received original and the partner's candidate."""

    pair: dict[str, Any]
    split: str  # tune | held_out (the original's)
    received: Text
    candidate: Text


def pickup_cases(data: dict[str, Any], embedder: Embedder, russian_ner: str | None = None) -> list[PickupCase]:
    """The pairs of ``tests/data/stories/pickups.json`` (its ``organizations``, ``originals`` and
    ``pairs``) as :func:`stories.pickups.judge` takes them, profiled as the story worker profiles
    items: the gazetteer knows the organizations (name, credit name, slug), names and numbers of
    headline and body (``russian_ner`` as in ``Gazetteer.names``), the embedding of the same text."""
    gazetteer = Gazetteer((f"org:{slug}", (name, credit, slug)) for slug, name, credit in data["organizations"])
    names = {slug: (name, credit) for slug, name, credit in data["organizations"]}
    originals = {o["id"]: o for o in data["originals"]}
    items = list(originals.values()) + data["pairs"]
    texts = [passage(i["headline"], i["body"]) for i in items]
    vectors = dict(zip((i["id"] for i in items), embedder.embed(texts), strict=True))

    def text(item: dict[str, Any], keys: frozenset[str] = frozenset()) -> Text:
        body = passage(item["headline"], item["body"])
        names = frozenset(gazetteer.names(body, item["lang"], russian_ner))
        return Text(Profile(item["id"], item["org"], item["lang"], START + timedelta(hours=item["hour"]),
                            vectors[item["id"]], names, frozenset(numbers(body))), body, keys)

    def keys(item: dict[str, Any]) -> frozenset[str]:
        return credit_keys(gazetteer, item["org"], *names[item["org"]])

    received = {o["id"]: text(o, keys(o)) for o in originals.values()}
    return [PickupCase(p, originals[p["original"]]["split"], received[p["original"]], text(p, keys(p)))
            for p in data["pairs"]]


@dataclass(frozen=True)
class PickupScores:
    precision: float
    recall: float
    pairs: int
    true: int
    found: int
    missed: list[str]  # ids of true pickups not detected
    wrong: list[str]  # ids of detections that are not pickups


def score_pickups(cases: Iterable[PickupCase], use: PickupSignals = PickupSignals()) -> PickupScores:
    """Precision and recall of :func:`stories.pickups.judge` (with ``use``'s signals) on the cases."""
    cases = list(cases)
    found = {c.pair["id"]: judge(c.received, c.candidate, use) is not None for c in cases}
    truth = {c.pair["id"]: bool(c.pair["pickup"]) for c in cases}
    both = sum(found[k] and truth[k] for k in truth)
    missed = [k for k in truth if truth[k] and not found[k]]
    wrong = [k for k in truth if found[k] and not truth[k]]
    return PickupScores(both / sum(found.values()) if any(found.values()) else 1.0,
                        both / sum(truth.values()) if any(truth.values()) else 1.0, len(cases), sum(truth.values()),
                        sum(found.values()), missed, wrong)
