"""The story signals issue 16 names beside the ones in use, each measured on and off: natasha's
Russian named entities (beside or instead of the capitalized-word rule), the dateline place and the
Media Topics (the tagger's, and the labelled sets' own as a ceiling). Pairwise P/R/F1 and BCubed F1
on each labelled set, per language pair on the three sets as one stream, and detected pickups with
each Russian-names mode; natasha's CPU per Russian item. Called by ``bench/stories.py --signals``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import combinations_with_replacement
from pathlib import Path
from typing import Any

import numpy as np

from newsbridge.stories import clustering, russian_names
from newsbridge.stories.clustering import Signals, cluster
from newsbridge.stories.embeddings import MAX_CHARS, E5Embedder, passage
from newsbridge.stories.evaluation import bcubed_f1, load, pairwise, pickup_cases, profiles, score_pickups
from newsbridge.stories.gazetteer import Gazetteer


class CachedEmbedder(E5Embedder):
    """The real model, with its vectors kept in an .npz file between runs (``--vectors-cache``): the
    machine is shared, and the texts do not change between runs."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.seen: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            with np.load(path) as stored:
                self.seen = {key: stored[key] for key in stored.files}
        self.computed = 0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text[:MAX_CHARS].encode("utf-8")).hexdigest()

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if self.key(t) not in self.seen]
        if missing:
            self.seen.update(zip(map(self.key, missing), super().embed(missing), strict=True))
            self.computed += len(missing)
            if self.path is not None:
                np.savez(self.path, **self.seen)
        return np.stack([self.seen[self.key(t)] for t in texts]) if texts else super().embed([])


# name, Russian names mode, signals, topics source, clustering weights changed for the run
CONFIGS: list[tuple[str, str, Signals, str, dict[str, float]]] = [
    ("as in use (capitalized-word rule)", "off", Signals(), "machine", {}),
    ("natasha instead of the rule", "replace", Signals(), "machine", {}),
    ("natasha beside the rule", "add", Signals(), "machine", {}),
    ("+ dateline place (+0.02)", "off", Signals(place=True), "machine", {}),
    ("+ Media Topics, tagger's (+0.02/-0.03)", "off", Signals(topics=True), "machine", {}),
    ("+ Media Topics, tagger's (-0.03 only)", "off", Signals(topics=True), "machine", {"TOPIC_WEIGHT": 0.0}),
    ("+ Media Topics, gold (+0.02/-0.03)", "off", Signals(topics=True), "gold", {}),
]


@contextmanager
def weights(changed: dict[str, float]) -> Iterator[None]:
    """The clustering module's weights changed for a run (the worker never changes them)."""
    kept = {name: getattr(clustering, name) for name in changed}
    for name, value in changed.items():
        setattr(clustering, name, value)
    try:
        yield
    finally:
        for name, value in kept.items():
            setattr(clustering, name, value)


def natasha_cpu(items: list[dict[str, Any]]) -> None:
    """CPU seconds to load natasha, then per Russian item (best of 3 passes)."""
    started = time.process_time()
    russian_names.russian_names("Токаев прибыл в Тегеран.")
    print(f"natasha: model loaded in {time.process_time() - started:.2f} s CPU")
    texts = [passage(i["headline"], i["body"]) for i in items if i["lang"] == "ru"]
    best = min(_cpu(lambda: [russian_names.russian_names(t) for t in texts]) for _ in range(3))
    gazetteer = Gazetteer()
    rule = min(_cpu(lambda: [gazetteer.names(t, "ru", "off") for t in texts]) for _ in range(3))
    print(f"natasha: {best / len(texts) * 1000:.1f} ms CPU per Russian item ({len(texts)} items, best of 3); "
          f"the gazetteer and the capitalized-word rule {rule / len(texts) * 1000:.2f} ms (ratio {best / rule:.0f}x)")


def _cpu(run: Any) -> float:
    started = time.process_time()
    run()
    return time.process_time() - started


def signals(embedder: CachedEmbedder, sets: dict[str, Path], pickups: Path) -> None:
    """Each configuration at the threshold in use (0.95) and at the threshold re-tuned for it on the
    tuning set (the first of ``sets``: the best F1 there, the nearest to 0.95 among equals)."""
    data = {name: load(path) for name, path in sets.items()}
    tuning = next(iter(data))
    data["stream"] = [i for part in data.values() for i in part]
    natasha_cpu(data["stream"])
    vectors = {name: embedder.embed([passage(i["headline"], i["body"]) for i in items]) for name, items in data.items()}
    print(f"signals on and off (P R F1 BCubed; 'tuned': threshold re-tuned on {tuning} for the signal):")
    streams = {}
    for title, mode, use, topics, changed in CONFIGS:
        with weights(changed):
            built = {name: profiles(items, embedder, vectors[name], russian_ner=mode, topics=topics)
                     for name, items in data.items()}
            steps = sorted(range(880, 1051, 5), key=lambda t: abs(t - 950))
            best = max(steps, key=lambda t: pairwise(data[tuning], cluster(
                built[tuning], dataclasses.replace(use, threshold=t / 1000))).f1) / 1000
            for threshold in dict.fromkeys((use.threshold, best)):
                line = []
                for name, items in data.items():
                    found = cluster(built[name], dataclasses.replace(use, threshold=threshold))
                    scores = pairwise(items, found)
                    line.append(f"{name} {scores.precision:.3f} {scores.recall:.3f} {scores.f1:.3f} "
                                f"{bcubed_f1(items, found):.3f}")
                    if name == "stream" and threshold == use.threshold:
                        streams[title] = found
                what = "0.95" if threshold == use.threshold else f"tuned {threshold:.3f}"
                print(f"  {title:40} {what:12}: " + " | ".join(line))
    print("per language pair, the three sets as one stream, threshold 0.95 (P/R):")
    stream = data["stream"]
    for a, b in combinations_with_replacement(sorted({i["lang"] for i in stream}), 2):
        if pairwise(stream, streams[CONFIGS[0][0]], frozenset((a, b))).true_pairs:
            cells = [pairwise(stream, found, frozenset((a, b))) for found in streams.values()]
            print(f"  {a}-{b}: " + "  ".join(f"{c.precision:.3f}/{c.recall:.3f}" for c in cells))
    print("  (columns: " + "; ".join(title for title, *_ in CONFIGS) + ")")
    raw = json.loads(pickups.read_text("utf-8"))
    for mode in ("off", "replace", "add"):
        cases = pickup_cases(raw, embedder, mode)
        held = score_pickups(c for c in cases if c.split == "held_out")
        every = score_pickups(cases)
        print(f"pickups, Russian names {mode:7}: held-out P {held.precision:.3f} R {held.recall:.3f}; "
              f"all P {every.precision:.3f} R {every.recall:.3f}; missed {', '.join(every.missed) or '-'}; "
              f"wrong {', '.join(every.wrong) or '-'}")
