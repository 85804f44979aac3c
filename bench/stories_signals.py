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
from itertools import combinations_with_replacement
from pathlib import Path
from typing import Any

import numpy as np

from newsbridge.stories import russian_names
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


CONFIGS: list[tuple[str, str, Signals, str]] = [  # name, Russian names mode, signals, topics source
    ("as in use (capitalized-word rule)", "off", Signals(), "machine"),
    ("natasha instead of the rule", "replace", Signals(), "machine"),
    ("natasha beside the rule", "add", Signals(), "machine"),
    ("+ dateline place", "off", Signals(place=True), "machine"),
    ("+ Media Topics (tagger's)", "off", Signals(topics=True), "machine"),
    ("+ Media Topics (gold, ceiling)", "off", Signals(topics=True), "gold"),
]


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
    data = {name: load(path) for name, path in sets.items()}
    data["stream"] = [i for part in data.values() for i in part]
    natasha_cpu(data["stream"])
    vectors = {name: embedder.embed([passage(i["headline"], i["body"]) for i in items]) for name, items in data.items()}
    print("signals on and off (threshold 0.95 as tuned; P R F1 BCubed):")
    streams = {}
    for title, mode, use, topics in CONFIGS:
        line = []
        for name, items in data.items():
            found = cluster(profiles(items, embedder, vectors[name], russian_ner=mode, topics=topics), use)
            scores = pairwise(items, found)
            line.append(f"{name} {scores.precision:.3f} {scores.recall:.3f} {scores.f1:.3f} "
                        f"{bcubed_f1(items, found):.3f}")
            if name == "stream":
                streams[title] = found
        print(f"  {title:34}: " + " | ".join(line))
    print("per language pair, the three sets as one stream (P/R):")
    stream = data["stream"]
    for a, b in combinations_with_replacement(sorted({i["lang"] for i in stream}), 2):
        cells = []
        for title, found in streams.items():
            pair = pairwise(stream, found, frozenset((a, b)))
            cells.append(f"{pair.precision:.3f}/{pair.recall:.3f}")
        if pairwise(stream, streams[CONFIGS[0][0]], frozenset((a, b))).true_pairs:
            print(f"  {a}-{b}: " + "  ".join(cells))
    print("  (columns: " + "; ".join(title for title, *_ in CONFIGS) + ")")
    raw = json.loads(pickups.read_text("utf-8"))
    for mode in ("off", "replace", "add"):
        cases = pickup_cases(raw, embedder, mode)
        held = score_pickups(c for c in cases if c.split == "held_out")
        every = score_pickups(cases)
        print(f"pickups, Russian names {mode:7}: held-out P {held.precision:.3f} R {held.recall:.3f}; "
              f"all P {every.precision:.3f} R {every.recall:.3f}; missed {', '.join(every.missed) or '-'}; "
              f"wrong {', '.join(every.wrong) or '-'}")


def tune(embedder: CachedEmbedder, path: Path) -> None:
    """The place and topic weights on the tuning set only (items.json): pairwise F1 per weight."""
    from newsbridge.stories import clustering
    items = load(path)
    found = profiles(items, embedder)
    for name, attr in (("place", "PLACE_WEIGHT"), ("topics", "TOPIC_WEIGHT")):
        kept = getattr(clustering, attr)
        cells = []
        for weight in (0.01, 0.02, 0.04, 0.06):
            setattr(clustering, attr, weight)
            scores = pairwise(items, cluster(found, dataclasses.replace(Signals(), **{name: True})))
            cells.append(f"{weight}: P {scores.precision:.3f} R {scores.recall:.3f}")
        setattr(clustering, attr, kept)
        print(f"  tuning {name} weight on {path.name}: " + "; ".join(cells))
