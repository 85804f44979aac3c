"""An item as partners receive it: ninjs (3.x or 2.x) with the hub's fields beside it.

The API, webhooks and feeds all use :func:`render`, so a partner sees the same shape on
every channel.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from newsbridge.formats import newsml_g2, ninjs
from newsbridge.formats.markup import clean_html_fields, safe_html
from newsbridge.items.queries import ItemRecord, ItemVersion, Received
from newsbridge.items.withdrawal import NOTICE_KEYS  # who sees only a notice is decided there, for every channel

Format = Literal["ninjs3", "ninjs2"]


def hub_fields(record: ItemRecord, version: ItemVersion, how: Received | None = None,
               warnings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the hub adds beside the ninjs document: id, source, hub (with the version's ingest ``warnings``
    where the caller read them); for a recipient also received."""
    fields = {
        "id": record.id,
        "source": {"id": record.source.id, "slug": record.source.slug, "name": record.source.name,
                   "creditName": record.source.credit_name},
        "hub": {"version": version.version, "receivedAt": version.received_at.isoformat(),
                "languageSource": version.language_source, "languageConfidence": version.language_confidence},
    }
    if warnings is not None:
        fields["hub"]["warnings"] = warnings  # type: ignore[index]
    if how is not None:
        fields["received"] = received_json(how)
    return fields


def received_json(how: Received) -> dict[str, Any]:
    return {"agreement": {"id": how.agreement_id, "title": how.agreement_title}, "reason": how.reason,
            "creditLine": how.credit_line, "usageTerms": how.usage_terms,
            "availableFrom": how.available_from.isoformat()}


def render(record: ItemRecord, version: ItemVersion | None = None, fmt: Format = "ninjs3",
           how: Received | None = None, warnings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The item as ninjs (3.x or 2.x) with the hub's ``id``, ``source`` and ``hub`` fields beside it;
    for a recipient also ``received``: the agreement, credit line and usage terms it came under."""
    version = version or record.latest
    doc = version.document if fmt == "ninjs3" else ninjs.to_ninjs2(ninjs.item_from_ninjs(version.document))
    if version.pubstatus == "canceled" or version.notice_only:
        doc = {k: v for k, v in doc.items() if k in NOTICE_KEYS}
    if version.notice_only:  # the item is withdrawn for this recipient: say so beside the notice
        doc["withdrawn"] = True
    return {**hub_fields(record, version, how, warnings), **doc}


def render_newsml(version: ItemVersion) -> bytes:
    """The version as a NewsML-G2 newsItem (withdrawn versions as a notice, like everywhere else)."""
    doc = version.document
    if version.pubstatus == "canceled":
        doc = {k: v for k, v in doc.items() if k in NOTICE_KEYS}
    # every HTML field sanitized again on the way out, whatever was stored
    item = ninjs.item_from_ninjs(clean_html_fields(doc, _resanitize))
    return newsml_g2.to_newsml(replace(item, body_html=safe_html(item.body_html) or None))


def _resanitize(markup: str, _path: str) -> str:
    return safe_html(markup)
