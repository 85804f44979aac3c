"""Cross-lingual search over what an organization received: its words (the stemmed index) and its
meaning (the items' multilingual embeddings, ``story_vectors``), fused in one order
(search/cross_lingual.py) for ``GET /api/v1/search?cross_lingual=true`` and the desk's toggle.

Access control is in the queries, as in desk/search.py: an item is found by meaning when the
vector of the version the viewer sees of it (the newest delivered to it or its holding, available
now: no embargoed or delayed version, no withdrawn item; ``visible_matches``, set-based) is close
to the query's, with the same filters. The comparison is an exact one, with numpy, over every
vector of the hub kept in memory (desk/vector_cache.py; this Python's sqlite3 cannot load
sqlite-vec, and PostgreSQL here has no pgvector); the database is then asked only which of the
closest items the viewer may see (:func:`found_by_meaning`), not for every item it may see.
Measured in bench/cross_lingual.py. An item whose vector the story worker has not computed yet is
found by its words only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.story_tables import story_members, story_vectors
from newsbridge.db.tables import item_versions
from newsbridge.desk.vector_cache import VectorCache
from newsbridge.desk.matches import (FACETS, FacetValue, SearchFilters, _Columns, _facet_conditions, _other_conditions,
                                     visible_matches)
from newsbridge.desk.search import Hit, _hit, facet_counts
from newsbridge.errors import InvalidInput
from newsbridge.ids import utcnow
from newsbridge.items.queries import ItemRecord, Received, inbox_page
from newsbridge.items.search import matching_versions
from newsbridge.search.cross_lingual import DEPTH, MIN_SIMILARITY, TextEmbedder, fuse
from newsbridge.search.query import parse

MAX_QUERY_CHARS = 500
FIRST_CHECK = 4 * DEPTH  # the closest vectors whose items are checked first; each next round checks 4 times more


@dataclass(frozen=True)
class CrossLingualHit:
    hit: Hit
    by_words: bool  # holds the query's words
    by_meaning: bool  # its meaning is near the query's (usually: written in another language)
    similarity: float | None
    by_story: bool = False  # in the same story as an item holding the words


@dataclass(frozen=True)
class CrossLingualResults:
    hits: list[CrossLingualHit]
    total: int  # items found by their words, plus those found by meaning or story only
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


VECTORS = VectorCache()


def found_by_meaning(conn: Connection, viewer: Organization, filters: SearchFilters, query: np.ndarray,
                     *, minimum: float = MIN_SIMILARITY, depth: int = DEPTH) -> list[tuple[tuple[str, int], float]]:
    """((item id, version), similarity) of the ``depth`` items the viewer may see (``filters``
    applied) whose visible version's vector is at least ``minimum`` similar to ``query``, most
    similar first.

    Every vector of the hub is compared (one matrix product over :data:`VECTORS`); then the items
    of the closest are checked against the access rule (desk/search.py's ``visible_matches``: the
    newest version that reached the viewer, available now, not withdrawn), ``FIRST_CHECK`` at
    first, four times more each round, until ``depth`` items are found that no unchecked vector
    could outrank. The similarity kept is that of the version the viewer sees, which may be a
    newer version than the one that was close."""
    vectors = VECTORS.current(conn)
    if not len(vectors.matrix):
        return []
    similarity = vectors.matrix @ query.astype(np.float32)
    close = np.flatnonzero(similarity >= minimum)
    close = close[np.argsort(-similarity[close], kind="stable")]
    found: dict[str, tuple[tuple[str, int], float]] = {}
    checked, step = 0, FIRST_CHECK
    while checked < len(close):
        rows = close[checked:checked + step]
        checked, step = checked + len(rows), step * 4
        among = sa.select(item_versions.c.item_id, item_versions.c.version).where(
            item_versions.c.id.in_([int(version_id) for version_id in vectors.version_ids[rows]]))
        for item_id, version, key in _visible(conn, viewer, filters, among):
            row = vectors.row(key)
            if item_id not in found and row is not None and similarity[row] >= minimum:
                found[item_id] = ((item_id, version), float(similarity[row]))
        floor = similarity[rows[-1]]  # no unchecked vector is closer than this one
        if sum(1 for _, value in found.values() if value >= floor) >= depth:
            break
    return sorted(found.values(), key=lambda entry: -entry[1])[:depth]


def _visible(conn: Connection, viewer: Organization, filters: SearchFilters,
             among: sa.Select) -> list[tuple[str, int, tuple[int, datetime]]]:
    """(item id, version, vector key) of the version the viewer sees of each item with a version
    in ``among`` (item id, version), when that version has a vector: one row per item."""
    query = (visible_matches(viewer, utcnow(), among, _other_conditions(filters), conn.dialect.name)
             .join(story_vectors, story_vectors.c.version_id == item_versions.c.id)
             .where(*_facet_conditions(filters, _Columns).values())
             .with_only_columns(item_versions.c.item_id, item_versions.c.version, story_vectors.c.version_id,
                                story_vectors.c.created_at))
    seen: dict[str, tuple[str, int, tuple[int, datetime]]] = {}
    for item_id, version, version_id, created_at in conn.execute(query):
        seen.setdefault(item_id, (item_id, version, (version_id, created_at)))
    return list(seen.values())


def story_siblings(conn: Connection, viewer: Organization, filters: SearchFilters,
                   item_ids: list[str]) -> list[tuple[str, int]]:
    """(item id, version seen) of the other items of the stories of ``item_ids`` that the viewer
    may see (``filters`` applied), in the order of the item whose story each shares; none of
    ``item_ids``."""
    if not item_ids:
        return []
    mine = story_members.alias("mine")
    rows = conn.execute(sa.select(mine.c.item_id, story_members.c.item_id)
                        .join(story_members, story_members.c.story_id == mine.c.story_id)
                        .where(mine.c.item_id.in_(item_ids), story_members.c.item_id.not_in(item_ids)))
    rank = {item_id: n for n, item_id in enumerate(item_ids)}
    order = {sibling: position for position, (_, sibling) in
             enumerate(sorted(rows, key=lambda row: (rank[row[0]], row[1])))}
    if not order:
        return []
    among = sa.select(item_versions.c.item_id, item_versions.c.version).where(item_versions.c.item_id.in_(list(order)))
    return sorted(((item_id, version) for item_id, version, _ in _visible(conn, viewer, filters, among)),
                  key=lambda key: order[key[0]])


def search_across_languages(conn: Connection, viewer: Organization, filters: SearchFilters,
                            embedder: TextEmbedder, *, limit: int = 20, facets: bool = True) -> CrossLingualResults:
    """The ``limit`` best items for ``filters.q`` by words and meaning fused (search/cross_lingual.py),
    each marked with how it was found; the total and facets over both match sets."""
    text = " ".join((filters.q or "").split())[:MAX_QUERY_CHARS]
    if not text:
        raise InvalidInput("a cross-lingual search needs words in q", field="q")
    query = parse(text)
    vector = np.asarray(embedder.embed([text]), dtype=np.float32).reshape(-1)
    where = [*_other_conditions(filters), *_facet_conditions(filters, _Columns).values()]
    words_among = matching_versions(conn.dialect.name, query) if query else None
    by_words: list[tuple[ItemRecord, Received]] = []
    if words_among is not None:
        by_words, _ = inbox_page(conn, viewer, limit=DEPTH, where=where, among=words_among)
    meaning = found_by_meaning(conn, viewer, filters, vector)
    siblings = story_siblings(conn, viewer, filters, [record.id for record, _ in by_words])
    ranked = fuse([record.id for record, _ in by_words], [(key[0], similarity) for key, similarity in meaning],
                  [item_id for item_id, _ in siblings])
    ranked = ranked[:limit]
    entries = {record.id: (record, how) for record, how in by_words}
    missing = [r.key for r in ranked if r.key not in entries]
    if missing:
        found, _ = inbox_page(conn, viewer, limit=len(missing), where=[*where, item_versions.c.item_id.in_(missing)])
        entries.update({record.id: (record, how) for record, how in found})
    hits = [CrossLingualHit(_hit(*entries[r.key], query), r.by_words, r.by_meaning, r.similarity, r.by_story)
            for r in ranked if r.key in entries]
    among = words_among
    if meaning or siblings:
        pairs = sa.tuple_(item_versions.c.item_id, item_versions.c.version)
        others = sa.select(item_versions.c.item_id, item_versions.c.version).where(
            pairs.in_([key for key, _ in meaning] + siblings))
        among = others if among is None else sa.union(among, others)
    if among is None:  # nothing matched either way
        return CrossLingualResults(hits, 0, {name: [] for name in FACETS} if facets else {})
    counts = facet_counts(conn, viewer, filters, among)
    [total] = counts.pop("total")
    return CrossLingualResults(hits, total.count, counts if facets else {})
