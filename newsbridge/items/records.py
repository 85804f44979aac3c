"""What the item readers (items/queries.py) answer: an item as a viewer sees it, and how it reached it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from newsbridge.items.withdrawal import withdrawal_notice


@dataclass(frozen=True)
class SourceRef:
    id: str
    slug: str
    name: str
    credit_name: str


@dataclass(frozen=True)
class ItemVersion:
    item_id: str
    version: int
    pubstatus: str
    language_source: str
    language_confidence: float | None
    received_at: datetime
    stored: dict[str, Any] | str  # the stored ninjs 3.x document, or its JSON text as read (decoded on use)
    notice_only: bool = False  # the item is withdrawn for the viewer: only its notice may be shown
    # the hub media the document names, as the viewer may see them: {"id", "c2pa"} (media/links.py)
    hub_media: tuple[dict[str, Any], ...] = ()

    @cached_property
    def document(self) -> dict[str, Any]:
        """The ninjs 3.x document as the viewer may see it: once the item is withdrawn for a
        recipient, the withdrawal notice alone (see :func:`notice_only`)."""
        stored = json.loads(self.stored) if isinstance(self.stored, str) else self.stored
        return withdrawal_notice(stored) if self.notice_only else stored

    def document_json(self) -> str:
        """The document as JSON text, without decoding it when it was read as text."""
        if isinstance(self.stored, str) and not self.notice_only:
            return self.stored
        return json.dumps(self.document, ensure_ascii=False)


@dataclass(frozen=True)
class ItemRecord:
    id: str
    uri: str
    source: SourceRef
    latest: ItemVersion  # the newest version the viewer may see
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Received:
    """How an item reached a recipient: the delivery of the version the recipient sees. A joint
    project's item reaches its co-producers under the project's agreement, or (a project made without
    one) under none: ``agreement_id`` is None and ``project_id`` says why it came."""

    agreement_id: str | None
    agreement_title: str | None
    reason: str
    credit_line: str
    usage_terms: str
    available_from: datetime
    project_id: str | None = None
    project_title: str | None = None
