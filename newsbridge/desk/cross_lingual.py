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
from functools import lru_cache

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.planning import plan_each_time
from newsbridge.db.story_tables import story_members, story_vectors
from newsbridge.db.tables import deliveries, item_versions
from newsbridge.desk.vector_cache import VectorCache
from newsbridge.desk.matches import (FACETS, NOW, FacetValue, SearchFilters, _Columns, _facet_conditions,
                                     _other_conditions, parameters, shape, visible_matches)
from newsbridge.desk.hits import hit_list_value, listed_ids, listed_versions
from newsbridge.desk.search import Hit, _hit, facet_counts, hits, page_ids
from newsbridge.errors import InvalidInput
from newsbridge.ids import utcnow
from newsbridge.items.queries import MAX_LIMIT, ItemRecord, Received, inbox_rows_query, read_inbox_rows
from newsbridge.search.cross_lingual import DEPTH, MIN_SIMILARITY, STORY_SEEDS, TextEmbedder, fuse
from newsbridge.search.query import parse

MAX_QUERY_CHARS = 500
FIRST_CHECK = 4 * DEPTH  # the closest vectors whose items are checked first; each next round checks 4 times more


@dataclass(frozen=True)
class CrossLingualHit:
    hit: Hit
    by_words: bool  # holds the query's words
    by_meaning: bool  # its meaning is near the query's (usually: written in another language)
    similarity: float | None
    by_story: bool = False  # in the same story as an item holding the words or one of the closest by meaning


@dataclass(frozen=True)
class CrossLingualResults:
    hits: list[CrossLingualHit]
    total: int  # items found by their words, plus those found by meaning or story only
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    total_is_lower_bound: bool = False  # the words matched more than the ordinary search counts ("1,000+")


VECTORS = VectorCache()


@dataclass(frozen=True)
class Seen:
    """The version the viewer sees of an item, and its delivery."""

    item_id: str
    version: int
    version_id: int
    created_at: datetime  # its vector's (with ``version_id``, the vector's key in :data:`VECTORS`)
    delivery_id: int


def found_by_meaning(conn: Connection, viewer: Organization, filters: SearchFilters, query: np.ndarray,
                     *, minimum: float = MIN_SIMILARITY, depth: int = DEPTH) -> list[tuple[Seen, float]]:
    """The ``depth`` items the viewer may see (``filters`` applied) whose visible version's
    vector is at least ``minimum`` similar to ``query``, with that similarity, most similar first.

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
    found: dict[str, tuple[Seen, float]] = {}
    checked, step = 0, FIRST_CHECK
    while checked < len(close):
        rows = close[checked:checked + step]
        checked, step = checked + len(rows), step * 4
        for seen in _visible(conn, viewer, filters, [int(version_id) for version_id in vectors.version_ids[rows]]):
            row = vectors.row((seen.version_id, seen.created_at))
            if seen.item_id not in found and row is not None and similarity[row] >= minimum:
                found[seen.item_id] = (seen, float(similarity[row]))
        floor = similarity[rows[-1]]  # no unchecked vector is closer than this one
        if sum(1 for _, value in found.values() if value >= floor) >= depth:
            break
    return sorted(found.values(), key=lambda entry: -entry[1])[:depth]


def _visible(conn: Connection, viewer: Organization, filters: SearchFilters, version_ids: list[int]) -> list[Seen]:
    """The version the viewer sees of each item with one of ``version_ids``, when that version has
    a vector: one per item."""
    if not version_ids:
        return []
    values = {**parameters(filters, utcnow()), "hit_list": hit_list_value(conn.dialect.name, version_ids)}
    seen: dict[str, Seen] = {}
    for row in conn.execute(_visible_statement(viewer, shape(filters), conn.dialect.name), values):
        seen.setdefault(row[0], Seen(*row))
    return list(seen.values())


@lru_cache(maxsize=256)
def _visible_statement(viewer: Organization, filters: SearchFilters, dialect: str) -> sa.Select:
    """:func:`_visible`'s statement, kept per viewer and :func:`shape` of filters (building it cost
    more than running it); the versions are the parameter ``hit_list``."""
    return (visible_matches(viewer, NOW, listed_versions(dialect, None), _other_conditions(filters, parameters=True),
                            dialect)
            .join(story_vectors, story_vectors.c.version_id == item_versions.c.id)
            .where(*_facet_conditions(filters, _Columns).values())
            .with_only_columns(item_versions.c.item_id, item_versions.c.version, story_vectors.c.version_id,
                               story_vectors.c.created_at, deliveries.c.id))


@lru_cache(maxsize=256)
def _chosen_statement(viewer: Organization, dialect: str) -> sa.Select:
    """The inbox entries of the deliveries of the parameter ``chosen`` (found by meaning or story),
    kept per viewer."""
    return inbox_rows_query(viewer, NOW, limit=MAX_LIMIT + 1, chosen=listed_ids(dialect, "chosen"))


def story_siblings(conn: Connection, viewer: Organization, filters: SearchFilters, item_ids: list[str],
                   leave_out: frozenset[str] = frozenset()) -> list[Seen]:
    """The items of the stories of ``item_ids`` that the viewer may see (``filters`` applied), in the
    order of the first other item of ``item_ids`` whose story each shares: one of ``item_ids`` is
    listed only through another (never through itself); none of ``leave_out``."""
    if not item_ids:
        return []
    rank = {item_id: n for n, item_id in enumerate(item_ids)}
    seeds: dict[str, list[int]] = {}  # each story's seeds' ranks: the story read once, however many seeds it holds
    for item_id, story_id in conn.execute(sa.select(story_members.c.item_id, story_members.c.story_id)
                                          .where(story_members.c.item_id.in_(item_ids))):
        seeds.setdefault(story_id, []).append(rank[item_id])
    if not seeds:
        return []
    rows = conn.execute(sa.select(story_members.c.story_id, story_members.c.item_id, item_versions.c.id)
                        .join(item_versions, item_versions.c.item_id == story_members.c.item_id)
                        .where(story_members.c.story_id.in_(list(seeds)))).all()
    order: dict[str, int] = {}
    for story_id, member, _ in rows:
        through = [n for n in seeds[story_id] if n != rank.get(member)]
        if through and member not in leave_out:
            order[member] = min(order.get(member, len(rank)), min(through))
    found = _visible(conn, viewer, filters, sorted({version_id for _, member, version_id in rows if member in order}))
    return sorted(found, key=lambda seen: (order[seen.item_id], seen.item_id))


@lru_cache(maxsize=1024)
def query_vector(embedder: TextEmbedder, text: str) -> np.ndarray:
    """``text`` embedded, kept: the next page, a facet chosen or the same search from another desk
    does not embed it again (15-30 ms of CPU on these cores; 1.5 KB a query kept)."""
    vector = np.asarray(embedder.embed([text]), dtype=np.float32).reshape(-1)
    vector.flags.writeable = False
    return vector


def search_across_languages(conn: Connection, viewer: Organization, filters: SearchFilters,
                            embedder: TextEmbedder, *, limit: int = 20, facets: bool = True) -> CrossLingualResults:
    """The ``limit`` best items for ``filters.q`` by words, meaning and story fused
    (search/cross_lingual.py), each marked with how it was found; the total and facets over the
    three lists (the words' counted as the ordinary search counts them: up to ``COUNTED`` hits)."""
    text = " ".join((filters.q or "").split())[:MAX_QUERY_CHARS]
    if not text:
        raise InvalidInput("a cross-lingual search needs words in q", field="q")
    query = parse(text)
    vector = query_vector(embedder, text)
    plan_each_time(conn)
    found = hits(conn, query) if query else None
    # the words' list as ids: only the entries the fusion keeps are read, with the others' below
    by_words = page_ids(conn, viewer, filters, query, found, DEPTH) if found is not None and found.ids else []
    meaning = found_by_meaning(conn, viewer, filters, vector)
    # the stories of the words' items and of the closest few by meaning (a report found by meaning alone brings
    # its story's other languages, which a short query's vector is not near enough to find: search.md)
    words = [item_id for _, item_id in by_words]
    seeds = list(dict.fromkeys([*words, *(seen.item_id for seen, _ in meaning[:STORY_SEEDS])]))
    siblings = story_siblings(conn, viewer, filters, seeds, frozenset(words))
    ranked = fuse(words, [(seen.item_id, similarity) for seen, similarity in meaning],
                  [seen.item_id for seen in siblings])[:limit]
    delivered = {seen.item_id: seen.delivery_id for seen, _ in meaning} | \
        {seen.item_id: seen.delivery_id for seen in siblings} | \
        {item_id: delivery_id for delivery_id, item_id in by_words}  # the words' own delivery first
    entries: dict[str, tuple[ItemRecord, Received]] = {}
    if ranked:  # looked up by delivery, not by walking the inbox
        read = read_inbox_rows(conn, _chosen_statement(viewer, conn.dialect.name), {
            "search_now": utcnow(), "chosen": hit_list_value(conn.dialect.name, [delivered[r.key] for r in ranked])})
        entries = {record.id: (record, how) for record, how, _ in read}
    others = {seen.item_id: seen for seen in siblings} | {seen.item_id: seen for seen, _ in meaning}
    hits_shown = [CrossLingualHit(_hit(*entries[r.key], query), r.by_words, r.by_meaning, r.similarity, r.by_story)
                  for r in ranked if r.key in entries]
    counted = list(dict.fromkeys([*(found.counted_ids if found is not None else []),
                                  *(seen.version_id for seen in others.values())]))
    if not counted:  # nothing matched any way
        return CrossLingualResults(hits_shown, 0, {name: [] for name in FACETS} if facets else {})
    counts = facet_counts(conn, viewer, filters, None, among_ids=counted)
    [total] = counts.pop("total")
    return CrossLingualResults(hits_shown, total.count, counts if facets else {},
                               found is not None and found.capped)
