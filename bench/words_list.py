"""The cross-lingual search's words list: its first 100 entries read with their items (the search's
page) against read as ids (``desk/search.py`` ``page_ids``, what desk/cross_lingual.py reads), on a
hub bench/search.py or bench/search_build.py built. p50 / p95 ms of ``--repeat`` runs per query.

    .venv/bin/python bench/words_list.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_search_1m
    .venv/bin/python bench/words_list.py --db /tmp/search20k.db
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from search import built, percentiles  # bench/search.py

from newsbridge.db.engine import create_engine, reading
from newsbridge.db.planning import plan_each_time
from newsbridge.desk.matches import SearchFilters
from newsbridge.desk.search import hits, page, page_ids
from newsbridge.search.query import parse

QUERIES = ("cooperation", "сотрудничество", "zeppelin")
DEPTH = 100


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a hub built by bench/search.py or bench/search_build.py")
    parser.add_argument("--db", type=Path, help="the same, a SQLite file")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    if not args.db and not args.database_url:
        parser.error("give --db or --database-url")
    engine = create_engine(args.database_url or f"sqlite:///{args.db}")
    beta, _member = built(engine)
    with reading(engine) as conn:
        for text in QUERIES:
            query, filters = parse(text), SearchFilters(q=text)
            plan_each_time(conn)
            found = hits(conn, query)
            documents = percentiles(lambda: page(conn, beta, filters, query, found, DEPTH), args.repeat)
            ids = percentiles(lambda: page_ids(conn, beta, filters, query, found, DEPTH), args.repeat)
            print(f"{text}: {len(found.ids)} hits listed; with the items {documents[0]:.1f} / {documents[1]:.1f} ms, "
                  f"as ids {ids[0]:.1f} / {ids[1]:.1f} ms (p50 / p95)")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
