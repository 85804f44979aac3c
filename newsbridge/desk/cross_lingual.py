"""Cross-lingual search over what an organization received: its words (the stemmed index) and its
meaning (the items' multilingual embeddings, ``story_vectors``), fused in one order
(search/cross_lingual.py) for ``GET /api/v1/search?cross_lingual=true`` and the desk's toggle.

Access control is in the queries, as in desk/search.py: the vectors compared are those of the
newest version of each item in the viewer's inbox (delivered to it or its holding, available now:
no embargoed or delayed version, no withdrawn item; ``visible_matches``, set-based), with the same
filters. The comparison is an
exact scan with numpy over those vectors (this Python's sqlite3 cannot load sqlite-vec, and
PostgreSQL here has no pgvector). The vectors themselves are kept in memory once read
(:class:`VectorCache`): a query reads which versions are visible, not 1.5 KB of vector for each.
Measured in bench/cross_lingual.py. An item whose vector the story worker has not computed yet is found by its
words only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.story_tables import story_vectors
from newsbridge.db.tables import deliveries, item_versions, items
from newsbridge.desk.matches import (FACETS, FacetValue, SearchFilters, _Columns, _facet_conditions, _other_conditions,
                                     visible_matches)
from newsbridge.desk.search import Hit, _hit, facet_counts
from newsbridge.errors import InvalidInput
from newsbridge.ids import utcnow
from newsbridge.items.queries import ItemRecord, Received, inbox_page
from newsbridge.items.search import matching_versions
from newsbridge.search.cross_lingual import DEPTH, TextEmbedder, fuse, nearest
from newsbridge.search.query import parse

DIMENSIONS = 384
MAX_QUERY_CHARS = 500


@dataclass(frozen=True)
class CrossLingualHit:
    hit: Hit
    by_words: bool  # holds the query's words
    by_meaning: bool  # its meaning is near the query's (usually: written in another language)
    similarity: float | None


@dataclass(frozen=True)
class CrossLingualResults:
    hits: list[CrossLingualHit]
    total: int  # items found by their words, plus those found by meaning only
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


class VectorCache:
    """Item vectors kept in memory between queries, so that a search reads which versions are
    visible (a few bytes a row) and not their vectors (1.5 KB a row). A row of ``story_vectors`` is
    never changed once written; it is known by its database, version id and creation time (a
    version id may come back after rows are deleted, its creation time does not). Past
    ``capacity`` vectors the cache starts again empty."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._rows: dict[tuple[str, int, object], int] = {}
        self._matrix = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._lock = threading.Lock()

    def rows(self, conn: Connection, keys: list[tuple[int, object]]) -> tuple[np.ndarray, list[int]]:
        """The cached matrix and, per key (version id, created at), its row; missing ones read now
        (a key without a usable vector gets -1)."""
        database = conn.engine.url.render_as_string(hide_password=True)
        with self._lock:
            missing = [key for key in keys if (database, *key) not in self._rows]
            if len(self._rows) + len(missing) > self.capacity:
                self._rows, self._matrix = {}, np.zeros((0, DIMENSIONS), dtype=np.float32)
                missing = list(keys)
            found: list[tuple[tuple[int, object], bytes]] = []
            for start in range(0, len(missing), 500):
                wanted = {version_id for version_id, _ in missing[start:start + 500]}
                found += [((version_id, created), vector) for version_id, created, vector in conn.execute(
                    sa.select(story_vectors.c.version_id, story_vectors.c.created_at, story_vectors.c.vector)
                    .where(story_vectors.c.version_id.in_(wanted)))
                    if vector is not None and len(vector) == DIMENSIONS * 4]
            if found:
                start = len(self._matrix)
                added = np.frombuffer(b"".join(vector for _, vector in found), dtype="<f4")
                self._matrix = np.concatenate([self._matrix, added.reshape(len(found), DIMENSIONS)])
                self._rows.update({(database, *key): start + n for n, (key, _) in enumerate(found)})
            return self._matrix, [self._rows.get((database, *key), -1) for key in keys]


VECTORS = VectorCache()


def visible_vectors(conn: Connection, viewer: Organization, filters: SearchFilters) \
        -> tuple[list[tuple[str, int]], np.ndarray]:
    """(item id, version) and the vector of the version the viewer sees of each item it may see
    (the access rule of desk/search.py's ``visible_matches``, as sets; withdrawn items left out),
    with ``filters`` applied: one row per item."""
    query = (visible_matches(viewer, utcnow(), None, _other_conditions(filters))
             .join(story_vectors, story_vectors.c.version_id == item_versions.c.id)
             # withdrawn items are never found: their words and meaning are no longer the viewer's to read
             .where(items.c.pubstatus != "canceled", deliveries.c.event != "item.withdrawn",
                    story_vectors.c.vector.is_not(None), *_facet_conditions(filters, _Columns).values())
             .with_only_columns(item_versions.c.item_id, item_versions.c.version, story_vectors.c.version_id,
                                story_vectors.c.created_at))
    keys: list[tuple[str, int]] = []
    versions: list[tuple[int, object]] = []
    seen: set[str] = set()
    for item_id, version, version_id, created_at in conn.execute(query):
        if item_id not in seen:
            seen.add(item_id)
            keys.append((item_id, version))
            versions.append((version_id, created_at))
    matrix, rows = VECTORS.rows(conn, versions)
    kept = [n for n, row in enumerate(rows) if row >= 0]
    return [keys[n] for n in kept], matrix[np.asarray([rows[n] for n in kept], dtype=np.int64)]


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
    keys, matrix = visible_vectors(conn, viewer, filters)
    meaning = [(keys[row], similarity) for row, similarity in nearest(matrix, vector)]
    ranked = fuse([record.id for record, _ in by_words], [(key[0], similarity) for key, similarity in meaning])
    ranked = ranked[:limit]
    entries = {record.id: (record, how) for record, how in by_words}
    missing = [r.key for r in ranked if r.key not in entries]
    if missing:
        found, _ = inbox_page(conn, viewer, limit=len(missing), where=[*where, item_versions.c.item_id.in_(missing)])
        entries.update({record.id: (record, how) for record, how in found})
    hits = [CrossLingualHit(_hit(*entries[r.key], query), r.by_words, r.by_meaning, r.similarity)
            for r in ranked if r.key in entries]
    among = words_among
    if meaning:
        pairs = sa.tuple_(item_versions.c.item_id, item_versions.c.version)
        found_by_meaning = sa.select(item_versions.c.item_id, item_versions.c.version).where(
            pairs.in_([key for key, _ in meaning]))
        among = found_by_meaning if among is None else sa.union(among, found_by_meaning)
    if among is None:  # nothing matched either way
        return CrossLingualResults(hits, 0, {name: [] for name in FACETS} if facets else {})
    counts = facet_counts(conn, viewer, filters, among)
    [total] = counts.pop("total")
    return CrossLingualResults(hits, total.count, counts if facets else {})
