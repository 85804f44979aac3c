"""Build bench/search.py's hub in bulk: a million received items in minutes, not the ingest's 40.

The ingest pipeline stores ~450 items/s here, most of it in checks and enrichment a generated
history does not need (language detection confirming a declared language, the machine topic
tagger: ~0.5 ms an item). This builder writes the same history bench/search.py generates (same
seed, same items in the same order) with the store's own code: ``store_first_versions`` (the
items, versions with their ``search_stems`` from search/stemming.py, topics) and
``route_first_versions`` (the deliveries to beta under the same agreement), as multi-row inserts
of ``--batch`` items per transaction. The full-text index is kept by the database as at ingest
(SQLite's FTS5 triggers; PostgreSQL's index, and the stored ``tsvector`` of migration 0046).

What differs from ingest, on purpose: the documents are built from the generated item without
the ingest's cleaning (the generated text is clean already), and the Media Topics are taken from
what the machine tagger gave the first items of each language (a realistic spread for the topic
facet, without running the tagger a million times).

    nice -n 10 .venv/bin/python bench/search_build.py -n 1000000 --db /tmp/search1m.db
    nice -n 10 .venv/bin/python bench/search_build.py -n 1000000 --database-url postgresql+psycopg://...
    .venv/bin/python bench/search.py --db /tmp/search1m.db --reuse --scale
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa
from search import analyze, generated, setup_hub  # bench/search.py

from newsbridge.db.engine import create_engine, writing
from newsbridge.exchange.deliveries import load_rules, route_first_versions
from newsbridge.formats.item import Item
from newsbridge.ids import utcnow
from newsbridge.ingest.text import text_to_html
from newsbridge.items.hashing import hash_document, unversioned_document
from newsbridge.items.store import Prepared, store_first_versions
from newsbridge.vocab.tagging import machine_subjects

SAMPLE = 300  # items per language tagged by the machine tagger; their topics are dealt out to the rest
# Items between two ANALYZEs on PostgreSQL. This machine's server runs without autovacuum: planned from the
# statistics of an emptier table, the store's look-up of a batch's URIs (``uri IN (...)``) ran for 4 minutes at
# 900,000 items (ANALYZE by hand ended it).
ANALYZE_EVERY = 100_000


def analyze_tables(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE items, item_versions, deliveries")


def topic_pool(rng: random.Random) -> dict[str, list[list[dict[str, object]]]]:
    """What the tagger gives the bench's generated items, per language (a sample of them)."""
    pool: dict[str, list[list[dict[str, object]]]] = {}
    for item in generated(0, 3 * SAMPLE, rng):
        found = machine_subjects(item.headline or "", item.body_text or "", item.language, [])
        pool.setdefault(item.language or "", []).append(found)
    return pool


def prepared(item: Item, subjects: list[dict[str, object]]) -> Prepared:
    """``item`` as the store receives it from prepare_item, for a clean generated item."""
    ready = replace(item, subjects=subjects, body_html=text_to_html(item.body_text or ""))
    content = unversioned_document(ready)
    return Prepared(ready, "declared", None, hash_document(content), content)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="the SQLite file to build (must not exist)")
    parser.add_argument("--database-url", help="an empty database instead of --db")
    parser.add_argument("--batch", type=int, default=10_000, help="items per transaction (default 10,000)")
    args = parser.parse_args(argv)
    if not args.db and not args.database_url:
        parser.error("give --db or --database-url")
    if args.db and args.db.exists():
        parser.error(f"{args.db} exists: build into a new file")
    engine = create_engine(args.database_url or f"sqlite:///{args.db}")
    alpha, _, _ = setup_hub(engine)
    pool = topic_pool(random.Random(11))
    deal = random.Random(13)
    rng = random.Random(7)  # bench/search.py's seed: the same items
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, args.items, args.batch):
        batch = [prepared(item, deal.choice(pool[item.language or ""]))
                 for item in generated(start, min(start + args.batch, args.items), rng)]
        with writing(engine) as conn:
            table = load_rules(conn, alpha, utcnow().date())
            stored = store_first_versions(conn, alpha.id, batch)
            assert len(stored) == len(batch), "the history must be new to alpha"
            routed = route_first_versions(conn, alpha, [(s.item_id, s.version, batch[i].item)
                                                         for i, s in stored.items()], table)
            assert routed == len(batch), (routed, len(batch))
        done = start + len(batch)
        if engine.dialect.name == "postgresql" and done % ANALYZE_EVERY == 0:
            analyze_tables(engine)  # autovacuum's part, where the server runs none
        elapsed = time.perf_counter() - started
        print(f"{done:,} items, {done / elapsed:,.0f} items/s, {(time.process_time() - cpu) / done * 1e3:.2f} ms CPU "
              f"an item (this process), load {os.getloadavg()[0]:.1f}", flush=True)
    analyze(engine)
    print(f"built {args.items:,} items in {time.perf_counter() - started:,.0f} s")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
