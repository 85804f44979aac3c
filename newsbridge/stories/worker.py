"""The story worker: embeds newly stored item versions, finds their exact and near duplicates and
puts their items in stories, in the database (``db/story_tables.py``).

Runs beside the other workers inside ``newsbridge serve`` and in ``newsbridge worker``; never in
a request (an embedding costs ~10–250 ms of CPU). Each round takes the oldest versions that have
no ``story_vectors`` row yet, embeds them outside any transaction, then writes their rows, links,
story memberships and detected pickups (stories/pickups.py) in one short write transaction. A
version already done is skipped (the row is the mark), so running a round twice changes nothing;
an item keeps the story it joined unless a later item matching both merges that story with
another (stories/clustering.py).
Vectors are searched exactly within the candidate window (published within 48 hours, any
language; near-duplicates: same language, through the LSH band index): this Python's ``sqlite3``
cannot load extensions, so ``sqlite-vec`` is not used (``stories.VECTOR_SEARCH``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.db.engine import reading, writing
from newsbridge.db.planning import plan_each_time
from newsbridge.db.rollup_tables import mark_items_changed
from newsbridge.db.story_tables import near_duplicates, stories, story_bands, story_members, story_vectors
from newsbridge.db.tables import item_versions, items, organizations, version_topics
from newsbridge.exchange.deliveries import route_refined
from newsbridge.formats.ninjs import item_from_ninjs
from newsbridge.ids import new_id, utcnow
from newsbridge.stories import embeddings, near_duplicates as dup
from newsbridge.stories.clustering import WINDOW, Profile, matches
from newsbridge.stories.gazetteer import Gazetteer, numbers
from newsbridge.stories.pickups import detect_pickups
from newsbridge.stories.worker_priority import Yielding
from newsbridge.vocab.mediatopics import item_topics
from newsbridge.vocab.tagging_embeddings import refined_subjects

log = logging.getLogger(__name__)

@dataclass
class _Version:
    id: int
    item_id: str
    organization_id: str
    language: str | None
    pubstatus: str
    text: str
    published_at: datetime
    received_at: datetime


# Versions are looked for above the newest done less this many ids: an idle round then reads a short
# range of the primary key instead of every version ever stored, and a version whose transaction
# committed late (PostgreSQL sequences commit out of order) is still found unless 10,000 newer ones
# were done before it committed.
LOOK_BACK = 10_000

STORY_LOCK = 0x5707_1E5  # the advisory lock of story rounds on PostgreSQL


def _pending(conn: Connection, limit: int, item_ids: Sequence[str] | None = None) -> list[_Version]:
    done = sa.select(story_vectors.c.version_id).where(story_vectors.c.version_id == item_versions.c.id)
    newest = conn.execute(sa.select(sa.func.max(story_vectors.c.version_id))).scalar_one_or_none() or 0
    which = [item_versions.c.id > newest - LOOK_BACK] if item_ids is None else [item_versions.c.item_id.in_(item_ids)]
    rows = conn.execute(
        sa.select(item_versions.c.id, item_versions.c.item_id, items.c.organization_id, item_versions.c.language,
                  item_versions.c.pubstatus, item_versions.c.headline, item_versions.c.body_text,
                  sa.func.coalesce(item_versions.c.firstcreated, item_versions.c.versioncreated,
                                   item_versions.c.received_at), item_versions.c.received_at)
        .join(items, items.c.id == item_versions.c.item_id)
        .where(*which, ~sa.exists(done)).order_by(item_versions.c.id).limit(limit))
    return [_Version(r[0], r[1], r[2], r[3], r[4], embeddings.passage(r[5], r[6]), r[7], r[8]) for r in rows]


def hub_gazetteer(conn: Connection) -> Gazetteer:
    """The written gazetteer plus the hub's organizations (name, credit name and slug)."""
    rows = conn.execute(sa.select(organizations.c.slug, organizations.c.name, organizations.c.credit_name))
    return Gazetteer((f"org:{slug}", (name, credit, slug)) for slug, name, credit in rows)


def _profile(row: sa.Row) -> Profile:
    return Profile(row.item_id, row.organization_id, row.language, row.published_at,
                   embeddings.unpack(row.vector) if row.vector is not None else None,
                   frozenset(row.entities.get("names", ())), frozenset(row.entities.get("numbers", ())))


def _link_duplicates(conn: Connection, version: _Version, key: str | None, signature: np.ndarray | None,
                     bands: list[str], now: datetime) -> None:
    """Links the item to earlier items of the same language with the same (exact) or nearly the same text."""
    found: dict[str, tuple[str, float]] = {}
    if key is not None:
        same = conn.execute(sa.select(story_vectors.c.item_id).where(
            story_vectors.c.content_key == key, story_vectors.c.item_id != version.item_id,
            story_vectors.c.language.is_not_distinct_from(version.language)))
        found.update({item_id: ("exact", 1.0) for (item_id,) in same})
    if signature is not None and bands:
        rows = conn.execute(
            sa.select(story_vectors.c.item_id, story_vectors.c.minhash).distinct()
            .join(story_bands, story_bands.c.version_id == story_vectors.c.version_id)
            .where(story_bands.c.band_key.in_(bands), story_vectors.c.item_id != version.item_id))
        for item_id, packed in rows:
            similarity = dup.jaccard(signature, dup.unpack(packed))
            if item_id not in found and similarity >= dup.NEAR_JACCARD:
                found[item_id] = ("near", round(similarity, 3))
    for other, (kind, similarity) in found.items():
        exists = conn.execute(sa.select(near_duplicates.c.item_id).where(
            near_duplicates.c.item_id == version.item_id, near_duplicates.c.duplicate_of == other)).first()
        if exists is None:
            conn.execute(near_duplicates.insert().values(item_id=version.item_id, duplicate_of=other, kind=kind,
                                                         similarity=similarity, found_at=now))


def _refine_topics(conn: Connection, version: _Version, vector: np.ndarray) -> None:
    """Replaces the Media Topics ingest tagged on this version with those of naive Bayes and the
    embedding together (vocab/tagging_embeddings.py, ``creator: "machine:worker"``), in the stored
    document and the desk's ``version_topics``; the metrics re-roll the item's days. Deliveries made at
    ingest stay, and a partner the new topics cover that ingest did not reach gets the version now
    (``exchange.deliveries.route_refined``; docs/topics.md)."""
    where = item_versions.c.id == version.id
    document = conn.execute(sa.select(item_versions.c.document).where(where)).scalar_one()
    subjects = refined_subjects(version.text, version.language, vector, document.get("subjects", []))
    if subjects is None:
        return
    conn.execute(item_versions.update().where(where).values(document={**document, "subjects": subjects}))
    number = conn.execute(sa.select(item_versions.c.version).where(where)).scalar_one()
    mine = sa.and_(version_topics.c.item_id == version.item_id, version_topics.c.version == number)
    conn.execute(version_topics.delete().where(mine))
    if topics := sorted(item_topics(subjects)):
        conn.execute(version_topics.insert(), [{"item_id": version.item_id, "version": number, "qcode": q}
                                               for q in topics])
    mark_items_changed(conn, [version.item_id], utcnow())
    source = get_organization_by_id(conn, version.organization_id)
    route_refined(conn, source, version.item_id, number, item_from_ninjs({**document, "subjects": subjects}))


def _join_story(conn: Connection, profile: Profile, now: datetime) -> None:
    """Puts the item in the story of its best match within the window, or in a new story; the other
    stories it matches items of are merged into that one (their members move, the emptied stories
    go)."""
    if conn.execute(sa.select(story_members.c.story_id).where(story_members.c.item_id == profile.item_id)).first():
        return
    newest = (sa.select(story_vectors, story_members.c.story_id)
              .join(item_versions, item_versions.c.id == story_vectors.c.version_id)
              .join(items, sa.and_(items.c.id == item_versions.c.item_id,
                                   items.c.latest_version == item_versions.c.version))
              .join(story_members, story_members.c.item_id == story_vectors.c.item_id)
              .where(story_vectors.c.published_at.between(profile.published_at - WINDOW, profile.published_at + WINDOW),
                     story_vectors.c.item_id != profile.item_id, story_vectors.c.vector.is_not(None),
                     items.c.pubstatus == "usable"))
    rows = conn.execute(newest).all()
    story_of = {row.item_id: row.story_id for row in rows}
    found = matches(profile, [_profile(row) for row in rows])
    if not found:
        story_id, matched, score, evidence = new_id(), None, None, None
        conn.execute(stories.insert().values(id=story_id, created_at=now, updated_at=now))
    else:
        best, match = found[0]
        story_id, matched, score, evidence = story_of[best.item_id], best.item_id, match.score, match.evidence
        conn.execute(stories.update().where(stories.c.id == story_id).values(updated_at=now))
        merged = sorted({story_of[other.item_id] for other, _ in found} - {story_id})
        if merged:
            conn.execute(story_members.update().where(story_members.c.story_id.in_(merged)).values(story_id=story_id))
            conn.execute(stories.delete().where(stories.c.id.in_(merged)))
    conn.execute(story_members.insert().values(item_id=profile.item_id, story_id=story_id, matched_item_id=matched,
                                               score=score, signals=evidence, joined_at=now))


class _Derived(NamedTuple):
    """What a version's text gives without the database: its exact-duplicate key, MinHash signature,
    names found by the gazetteer, figures, and LSH band keys."""
    key: str | None
    signature: np.ndarray | None
    names: list[str]
    figures: list[str]
    bands: list[str]


def _derive(version: _Version, gazetteer: Gazetteer) -> _Derived:
    signature = dup.signature(version.text)
    return _Derived(dup.content_key(version.text), signature, sorted(gazetteer.names(version.text, version.language)),
                    sorted(numbers(version.text)),
                    dup.band_keys(signature, version.language) if signature is not None else [])


class StoryWorker:
    """Takes up to ``batch`` versions a round; sleeps ``idle`` seconds when there are none."""

    def __init__(self, engine: Engine, embedder: embeddings.Embedder | None = None, batch: int = 16,
                 idle: float = 2.0) -> None:
        self.engine, self.batch, self.idle = engine, batch, idle
        self.embedder = embedder or Yielding(embeddings.E5Embedder())  # below requests (worker_priority.py)

    def run_once(self, item_ids: Sequence[str] | None = None) -> int:
        """One round: how many versions were done (of these items only, when given)."""
        with reading(self.engine) as conn:
            plan_each_time(conn)
            pending = _pending(conn, self.batch, item_ids)
            gazetteer = hub_gazetteer(conn) if pending else None
        if not pending or gazetteer is None:
            return 0
        with_text = [v for v in pending if v.text]
        vectors = dict(zip((v.id for v in with_text), self.embedder.embed([v.text for v in with_text]), strict=True))
        # What needs no database is worked out before any write turn: on SQLite the process's writers
        # (publishes, the delivery worker's sequencing) wait for each turn, so a turn holds only the reads
        # and writes of one version (bench/load.py: a batch's turn had held them for its whole Python work).
        derived = [_derive(version, gazetteer) for version in pending]
        for version, facts in zip(pending, derived, strict=True):
            with writing(self.engine) as conn:
                # Its statements ask for a time window or an item over tables that grow with the hub; with the
                # generic plan PostgreSQL chose for them after a few rounds, the pickup candidates read every item
                # (4-6 ms against 1.6 at 20,000 items, growing with the hub: bench/statement_plans.py). The
                # planning is nothing beside a version's embedding.
                plan_each_time(conn)
                if conn.dialect.name == "postgresql":
                    # several worker processes: one stores at a time, and sees what the other stored (SQLite's
                    # writer is one at a time already); without it both passed the check below and one round
                    # failed on the unique keys, its embeddings wasted
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORY_LOCK})
                if conn.execute(sa.select(story_vectors.c.version_id)
                                .where(story_vectors.c.version_id == version.id)).first():
                    continue  # another worker did it meanwhile
                self._store(conn, version, vectors.get(version.id), facts, gazetteer, utcnow())
        return len(pending)

    def _store(self, conn: Connection, version: _Version, vector: np.ndarray | None, facts: _Derived,
               gazetteer: Gazetteer, now: datetime) -> None:
        key, signature, names, figures, bands = facts
        _link_duplicates(conn, version, key, signature, bands, now)
        conn.execute(story_vectors.insert().values(
            version_id=version.id, item_id=version.item_id, organization_id=version.organization_id,
            language=version.language, published_at=version.published_at, content_key=key,
            vector=embeddings.pack(vector) if vector is not None else None,
            minhash=dup.pack(signature) if signature is not None else None,
            entities={"names": names, "numbers": figures}, created_at=now))
        if bands:
            conn.execute(story_bands.insert(), [{"version_id": version.id, "band_key": b} for b in sorted(set(bands))])
        if vector is not None:
            _refine_topics(conn, version, vector)
        if vector is not None and version.pubstatus == "usable":
            profile = Profile(version.item_id, version.organization_id, version.language, version.published_at,
                              vector, frozenset(names), frozenset(figures))
            _join_story(conn, profile, now)
            detect_pickups(conn, gazetteer, profile, version.text, version.received_at, bands)

    def run_items(self, item_ids: Sequence[str]) -> int:
        """Every pending version of these items, oldest first, now (the demo's story, before the
        hub serves; the worker reaches the other items in its own rounds). How many were done."""
        done = 0
        while found := self.run_once(item_ids):
            done += found
        return done

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await asyncio.to_thread(self.run_once)
            except Exception:  # a bad round must not stop the hub's other workers; the versions stay pending
                log.exception("story round failed")
                done = 0
            if done:
                continue
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.idle)
            except TimeoutError:
                pass
