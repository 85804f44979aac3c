"""Detected pickups: a partner's own item that republishes an item delivered to it.

When the story worker has stored a new item of organization P (its vector, names, duplicates and
story), it compares the item with what P (or its holding) received in the :data:`LOOK_BACK`
hours before P stored it, from other organizations: only items P had access to can be picked
up, so an organization that never received an item is never said to have republished it. A
match is recorded with ``desk.pickups.record_detected_pickup`` (kind ``detected``, its score and
evidence), counted apart from declared pickups in the metrics.

"Same story" is not "republished from": P's own coverage of the same event is not a pickup.
:func:`judge` decides, for one received item and P's item:

* **same_text** (same language): most of P's text is the received text — the share of P's word
  3-shingles found in the received item's (*containment*, so a shortened copy still counts) is at
  least :data:`CONTAINMENT`;
* **translation** (another language, or a rewrite in the same one): the two are the same story
  (the clustering score reaches its threshold) **and** either P's item credits the source — names
  it ("according to IRNA", "ИРНА хабарлайды", "به گزارش کازینفورم") — in a text no more than
  :data:`MAX_LENGTH_RATIO` times as long as the source (a long feature citing a wire is not its
  republication), or, without a credit, it is *faithful* to the source: it states at least
  :data:`MIN_FIGURES` of the source's figures (lone digits, a "4-2" score, count here), at least
  :data:`FIGURE_SHARE` of all the figures it states come from the source, and it is no more than
  :data:`MAX_FAITHFUL_RATIO` times as long. A translation keeps the figures and adds none; a
  partner's own coverage of the event brings its own (other quotes, counts, sums), so it stays
  "same story" only, and so does a copy under the partner's own byline or dateline (it names its
  own organization and not the source: "ТЕГЕРАН – РИА Новости", "told Trend"). Credited *and*
  faithful, a story score down to :data:`BOTH_FLOOR` does. Items its holding received count as
  items P received (an outlet republishes what reached its holding).

The score of a detection is its confidence between 0 and 1: the containment for same_text; for a
translation the clustering score's margin over its threshold, mapped onto 0.75-1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.story_tables import story_bands, story_members, story_vectors
from newsbridge.db.tables import deliveries, item_versions, items, organizations
from newsbridge.desk.pickups import record_detected_pickup
from newsbridge.stories import embeddings
from newsbridge.stories.clustering import BROAD_NAMES, THRESHOLD, Profile, pair_score
from newsbridge.stories.gazetteer import Gazetteer, numbers
from newsbridge.stories.near_duplicates import SHINGLE, words

LOOK_BACK = timedelta(hours=72)
CONTAINMENT = 0.5
MAX_LENGTH_RATIO = 2.5
# Uncredited republication (tuned on the "tune" half of tests/data/stories/pickups.json only)
MIN_FIGURES = 2  # one shared figure ("12 documents") is what any coverage of the event states
FIGURE_SHARE = 2 / 3  # of the copy's own figures, this share at least found in the source
MAX_FAITHFUL_RATIO = 1.5
BOTH_FLOOR = 0.90  # credited and faithful: the story score may fall this far below THRESHOLD
CANDIDATES = 200  # received items looked at, at most, per new item (the newest first)


@dataclass(frozen=True)
class Text:
    """One item as the detector sees it: its clustering profile, its text and the gazetteer keys
    that name its organization (what a credit line would mention in a received item; in the
    partner's own item, its byline)."""

    profile: Profile
    text: str
    credit_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PickupSignals:
    """Which signals :func:`judge` uses (all by default; ``bench/stories.py`` turns them off one by
    one to measure what each adds)."""

    same_text: bool = True  # containment of the copy's shingles in the source (same language)
    credit: bool = True  # the copy names the source's organization
    length: bool = True  # the copy at most MAX_LENGTH_RATIO times as long as the source
    story: bool = True  # the clustering score reaches its threshold
    figures: bool = True  # without a credit: the copy's figures are the source's (faithful)
    byline: bool = True  # ... unless the copy names its own organization ("ТЕГЕРАН – РИА Новости")


@dataclass(frozen=True)
class Detection:
    method: str  # same_text | translation
    score: float  # confidence, 0-1
    evidence: dict[str, object]


def shingles(text: str) -> set[str]:
    found = words(text)
    return {" ".join(found[i:i + SHINGLE]) for i in range(max(1, len(found) - SHINGLE + 1))} if found else set()


def containment(copy: str, source: str) -> float:
    """The share of ``copy``'s word 3-shingles that are in ``source`` (1.0: every passage of the copy
    comes from the source, however much of the source it left out)."""
    mine = shingles(copy)
    return len(mine & shingles(source)) / len(mine) if mine else 0.0


def credit_keys(gazetteer: Gazetteer, slug: str, *names: str) -> frozenset[str]:
    """The gazetteer keys that name the organization: its own key and the written names its name,
    credit name and slug contain, less country names ("Kazakh", "Iran") that any text may say."""
    return frozenset({f"org:{slug}", *gazetteer.entities(" ".join((slug, *names)))} - BROAD_NAMES)


def judge(received: Text, candidate: Text, use: PickupSignals = PickupSignals()) -> Detection | None:
    """Whether ``candidate`` (the partner's own item) republishes ``received``; see the module."""
    source, copy = received.profile, candidate.profile
    if source.organization_id == copy.organization_id:
        return None
    if use.same_text and source.language == copy.language:
        share = containment(candidate.text, received.text)
        if share >= CONTAINMENT:
            return Detection("same_text", round(share, 3), {"method": "same_text", "containment": round(share, 3),
                                                             "language": copy.language})
    credited = sorted(received.credit_keys & copy.entities)
    mine = numbers(candidate.text, digits_too=True)
    shared = mine & numbers(received.text, digits_too=True)
    own = sorted(candidate.credit_keys & copy.entities) if use.byline else []
    faithful = (use.figures and not own and len(shared) >= MIN_FIGURES
                and len(shared) >= FIGURE_SHARE * len(mine))
    if use.credit and not credited and not faithful:
        return None
    ratio = len(candidate.text) / max(1, len(received.text))
    if use.length and ratio > (MAX_LENGTH_RATIO if credited or not use.credit else MAX_FAITHFUL_RATIO):
        return None
    match = pair_score(copy, source)
    if match is None or (use.story and match.score < (BOTH_FLOOR if credited and faithful else THRESHOLD)):
        return None
    confidence = min(1.0, 0.75 + (match.score - THRESHOLD) * 2.5)
    return Detection("translation", round(confidence, 3),
                     {"method": "translation", "story_score": match.score, "credit": credited,
                      "faithful": faithful, "figures_from_source": f"{len(shared)}/{len(mine)}",
                      "length_ratio": round(ratio, 2), "languages": [source.language, copy.language],
                      **{k: v for k, v in match.evidence.items() if k in ("cosine", "entities", "numbers")}})


def _text(headline: str | None, body: str | None) -> str:
    return embeddings.passage(headline, body)


def _candidates(conn: Connection, picker: str, item_id: str, received_at: datetime,
                bands: Iterable[str]) -> list[sa.Row]:
    """What the picker (or its holding) received from others in the look-back window that is in
    the new item's story or shares a near-duplicate band with it: newest version, with its text."""
    holding = conn.execute(sa.select(organizations.c.parent_id).where(organizations.c.id == picker)).scalar()
    # arrived in the picker's inbox in the window (arrives_at: routed or available, whichever came
    # later; an item's own dates may be anything) and available by then (not under embargo)
    arrived = sa.func.coalesce(deliveries.c.arrives_at, deliveries.c.created_at)
    window = (arrived.between(received_at - LOOK_BACK, received_at), deliveries.c.available_from <= received_at)
    delivered = sa.select(deliveries.c.item_id).where(deliveries.c.recipient_id.in_([picker, holding or picker]),
                                                      *window)
    story = sa.select(story_members.c.story_id).where(story_members.c.item_id == item_id).scalar_subquery()
    in_story = sa.select(story_members.c.item_id).where(story_members.c.story_id == story)
    sharing = (sa.select(story_vectors.c.item_id)
               .join(story_bands, story_bands.c.version_id == story_vectors.c.version_id)
               .where(story_bands.c.band_key.in_(list(bands))))
    related = sa.or_(items.c.id.in_(in_story), items.c.id.in_(sharing)) if bands else items.c.id.in_(in_story)
    query = (sa.select(story_vectors, item_versions.c.headline, item_versions.c.body_text,
                       organizations.c.slug, organizations.c.name, organizations.c.credit_name)
             .join(item_versions, item_versions.c.id == story_vectors.c.version_id)
             .join(items, sa.and_(items.c.id == item_versions.c.item_id,
                                  items.c.latest_version == item_versions.c.version))
             .join(organizations, organizations.c.id == items.c.organization_id)
             .where(items.c.id.in_(delivered), items.c.organization_id != picker, items.c.id != item_id,
                    items.c.pubstatus == "usable", related)
             .order_by(story_vectors.c.published_at.desc()).limit(CANDIDATES))
    return list(conn.execute(query))


def detect_pickups(conn: Connection, gazetteer: Gazetteer, profile: Profile, text: str, received_at: datetime,
                   bands: Iterable[str]) -> list[str]:
    """Record the received items the new item (``profile``, stored at ``received_at``) republishes,
    the best match per source organization; returns the ids of the pickups recorded (none for a
    pair already recorded)."""
    bands = list(bands)
    me = conn.execute(sa.select(organizations.c.slug, organizations.c.name, organizations.c.credit_name)
                      .where(organizations.c.id == profile.organization_id)).one()
    mine = Text(profile, text, credit_keys(gazetteer, me.slug, me.name, me.credit_name))
    best: dict[str, tuple[str, Detection]] = {}  # per source organization: one republication is one pickup
    for row in _candidates(conn, profile.organization_id, profile.item_id, received_at, bands):
        source = Text(Profile(row.item_id, row.organization_id, row.language, row.published_at,
                              embeddings.unpack(row.vector) if row.vector is not None else None,
                              frozenset(row.entities.get("names", ())), frozenset(row.entities.get("numbers", ()))),
                      _text(row.headline, row.body_text), credit_keys(gazetteer, row.slug, row.name, row.credit_name))
        found = judge(source, mine)
        if found is not None and (row.organization_id not in best or found.score > best[row.organization_id][1].score):
            best[row.organization_id] = (row.item_id, found)
    recorded = []
    for item_id, found in best.values():
        pickup = record_detected_pickup(conn, item_id, profile.item_id, at=received_at, score=found.score,
                                        evidence=found.evidence)
        if pickup is not None:
            recorded.append(pickup)
    return recorded
