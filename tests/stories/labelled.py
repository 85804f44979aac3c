"""The labelled same-story set (tests/data/stories/items.json) and its items as ninjs documents. Its tests embed
with the real model (``E5Embedder``), which the test process runs once a text (tests/remembered_embeddings.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "stories" / "items.json"


def ninjs(item: dict[str, Any], uri: str | None = None) -> dict[str, Any]:
    """A labelled item as a ninjs 3.x document (published at its hour of 2026-11-02)."""
    hours = item["hour"]
    when = f"2026-11-{2 + hours // 24:02d}T{hours % 24:02d}:00:00Z"
    return {"uri": uri or f"urn:test:{item['id']}", "version": "1", "type": "text", "language": item["lang"],
            "firstCreated": when, "versionCreated": when,
            "headlines": [{"role": "main", "value": item["headline"]}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": item["body"]}]}
