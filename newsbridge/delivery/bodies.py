"""Webhook bodies of one claimed batch, each item version serialized once and shared across partners.

A message body is ``envelope(event, render(record, version, fmt, how), when)``
(delivery/webhooks.py). Fanned out to a hundred partners, one item version gives a hundred bodies
that differ only in ``received`` (each partner's agreement, credit line and usage terms): the
rest (the hub's ``id``, ``source`` and ``hub`` fields, and the ninjs document, ~4 KB) is the
same JSON every time. :class:`Bodies` serializes those parts once per item version and format and
splices each partner's ``received`` between them; the bytes are exactly what ``envelope`` gives
(tests/delivery/test_bodies.py compares them). A version whose rendering can differ per partner in
more than ``received`` (media expanded and signed for the reader, a withdrawal notice for one
recipient, Superdesk's profile, a document that carries a key of the hub's own) is rendered whole.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from newsbridge.delivery.webhooks import envelope
from newsbridge.items.queries import ItemRecord, ItemVersion, Received
from newsbridge.items.render import hub_fields, received_json, render

SPLICED_FORMATS = ("ninjs3", "ninjs2")  # the hub's fields first, then the document's (items/render.py)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))  # as envelope() writes it


class Bodies:
    """The bodies of one batch, all stamped ``when`` (the batch's signing time)."""

    def __init__(self, when: datetime) -> None:
        self.when = when
        self._timestamp = _dumps(when.astimezone(timezone.utc).isoformat())
        # (item id, version, format, notice only, pubstatus) -> (JSON before ``received``, after it), or
        # None when this version is rendered whole
        self._parts: dict[tuple[str, int, str, bool, str], tuple[str, str] | None] = {}

    def item(self, event: str, record: ItemRecord, version: ItemVersion, fmt: str, how: Received,
             shared: bool) -> str:
        """The body of an item message. ``shared``: the version is the one every partner reads (no media
        expanded for this reader), so its JSON may be reused for the batch's other partners."""
        parts = self._split(record, version, fmt) if shared and fmt in SPLICED_FORMATS else None
        if parts is None:
            return envelope(event, render(record, version, fmt, how), self.when)  # type: ignore[arg-type]
        before, after = parts
        return (f'{{"type":{_dumps(event)},"timestamp":{self._timestamp},"data":{before},"received":'
                f'{_dumps(received_json(how))}{after}}}')

    def _split(self, record: ItemRecord, version: ItemVersion, fmt: str) -> tuple[str, str] | None:
        key = (record.id, version.version, fmt, bool(version.notice_only), version.pubstatus)
        if key not in self._parts:
            self._parts[key] = _parts(record, version, fmt)
        return self._parts[key]


def _parts(record: ItemRecord, version: ItemVersion, fmt: str) -> tuple[str, str] | None:
    """The item's JSON split where ``received`` goes: after the hub's fields, before the document's."""
    fields = hub_fields(record, version)
    plain = render(record, version, fmt)  # type: ignore[arg-type]
    document = {k: v for k, v in plain.items() if k not in fields}
    if "received" in document or any(plain.get(k) != v for k, v in fields.items()):
        return None  # the document has a key of the hub's own: render() decides who wins, so render whole
    before = _dumps(fields)[:-1]  # without the closing brace
    after = "," + _dumps(document)[1:] if document else "}"
    return before, after
