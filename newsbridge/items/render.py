"""An item as partners receive it: ninjs (3.x, 2.x, or Superdesk's 1.x) with the hub's fields beside it.

The API, webhooks and feeds all use :func:`render`, so a partner sees the same shape on
every channel. Stripping the hub's own fields (``id``, ``source``, ``hub``, ``received``) from a
ninjs 3.x or 2.x answer leaves a document valid against IPTC's schema with format checking on:
whatever the hub says about the item (that it was withdrawn, its ingest warnings) sits under
``hub``, and a day-only ``firstCreated`` (plain-text wires) is written as the start of that day,
UTC. The Superdesk profile (``ninjs1-superdesk``) is the document Superdesk's NINJS parser
reads, with the hub's fields under one ``newsbridge`` key (Superdesk reads ``source`` itself).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Literal

from newsbridge.formats import ninjs
from newsbridge.formats.markup import clean_html_fields, safe_html
from newsbridge.formats.newsml_g2_out import to_newsml
from newsbridge.formats.newsml_g2_package import media_type as newsml_media_type  # for the callers of render_newsml
from newsbridge.formats.newsml_g2_package import to_newsml_package
from newsbridge.formats.ninjs1_out import to_superdesk_ninjs
from newsbridge.ids import utcnow
from newsbridge.items.queries import ItemRecord, ItemVersion, Received
from newsbridge.items.withdrawal import NOTICE_KEYS  # who sees only a notice is decided there, for every channel
from newsbridge.vocab.subjectcodes import SUBJECTCODE_PREFIX, subject_code, subject_code_subjects

Format = Literal["ninjs3", "ninjs2", "ninjs1-superdesk"]
FORMATS: tuple[str, ...] = ("ninjs3", "ninjs2", "ninjs1-superdesk")
NEWSML_FORMATS = {"newsml-g2": "standard", "newsml-g2-superdesk": "superdesk"}  # format -> NewsML-G2 profile
# What a withdrawal leaves in Superdesk's ninjs 1.x: enough for it to take the item down.
SUPERDESK_NOTICE_KEYS = ("guid", "uri", "type", "version", "versioncreated", "pubstatus", "headline", "language")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# a stored document whose JSON text holds a day-only firstCreated cannot be sent as stored
DAY_ONLY_FIRST_CREATED = re.compile(rb'"firstCreated"\s*:\s*"\d{4}-\d{2}-\d{2}"')


def hub_fields(record: ItemRecord, version: ItemVersion, how: Received | None = None,
               warnings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the hub adds beside the ninjs document: id, source, hub (with the version's ingest ``warnings``
    where the caller read them, and ``withdrawn: true`` once the item is withdrawn for the viewer); for a
    recipient also received."""
    fields = {
        "id": record.id,
        "source": {"id": record.source.id, "slug": record.source.slug, "name": record.source.name,
                   "creditName": record.source.credit_name},
        "hub": {"version": version.version, "receivedAt": version.received_at.isoformat(),
                "languageSource": version.language_source, "languageConfidence": version.language_confidence},
    }
    if warnings is not None:
        fields["hub"]["warnings"] = warnings  # type: ignore[index]
    if version.hub_media:  # each hub media's C2PA provenance (docs/media.md): beside the ninjs, not in it
        fields["hub"]["media"] = [dict(m) for m in version.hub_media]  # type: ignore[index]
    if version.notice_only:  # the item is withdrawn for this recipient: said beside the notice, not in it
        fields["hub"]["withdrawn"] = True  # type: ignore[index]
    if how is not None:
        fields["received"] = received_json(how)
    return fields


def received_json(how: Received) -> dict[str, Any]:
    """The terms a recipient got the version under; a joint project's item also names the project, and
    reaches a co-producer of a project made without an agreement under none (``agreement`` null)."""
    found: dict[str, Any] = {
        "agreement": {"id": how.agreement_id, "title": how.agreement_title} if how.agreement_id else None,
        "reason": how.reason, "creditLine": how.credit_line, "usageTerms": how.usage_terms,
        "availableFrom": how.available_from.isoformat()}
    if how.project_id:
        found["project"] = {"id": how.project_id, "title": how.project_title}
    return found


def as_moments(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with a day-only ``firstCreated``/``firstcreated`` as a date-time (the day's start, UTC):
    ninjs says date-time, and receivers that check formats refuse a bare day."""
    for key in ("firstCreated", "firstcreated"):
        value = doc.get(key)
        if isinstance(value, str) and _DAY.fullmatch(value):
            doc = {**doc, key: f"{value}T00:00:00+00:00"}
    return doc


def render(record: ItemRecord, version: ItemVersion | None = None, fmt: Format = "ninjs3",
           how: Received | None = None, warnings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The item as ninjs (3.x or 2.x) with the hub's ``id``, ``source`` and ``hub`` fields beside it;
    for a recipient also ``received``: the agreement, credit line and usage terms it came under.
    ``ninjs1-superdesk``: Superdesk's ninjs 1.x, the hub's fields under ``newsbridge``."""
    version = version or record.latest
    withdrawn = version.pubstatus == "canceled" or version.notice_only
    if fmt == "ninjs1-superdesk":
        item = ninjs.item_from_ninjs(version.document)
        # Superdesk orders versions by versioncreated: without the source's, when the hub stored this one
        item = replace(item, versioncreated=item.versioncreated or version.received_at)
        doc = to_superdesk_ninjs(item, subject_code_subjects(item.subjects))
        if withdrawn:
            doc = {**{k: v for k, v in doc.items() if k in SUPERDESK_NOTICE_KEYS}, "pubstatus": "canceled"}
        return {**doc, "newsbridge": hub_fields(record, version, how, warnings)}
    doc = version.document if fmt == "ninjs3" else ninjs.to_ninjs2(ninjs.item_from_ninjs(version.document))
    if withdrawn:
        doc = {k: v for k, v in doc.items() if k in NOTICE_KEYS}
    return {**hub_fields(record, version, how, warnings), **as_moments(doc)}


def render_newsml(version: ItemVersion, profile: str = "standard") -> bytes:
    """The version as a NewsML-G2 newsItem (withdrawn versions as a notice, like everywhere else), valid
    against IPTC's schema; a text with media associations (expanded for the reader by media/links.py) as a
    newsMessage with its package (``formats/newsml_g2_package.py``; its media type:
    ``newsml_g2_package.media_type``). ``profile="superdesk"`` adds the Subject Codes of its Media Topics
    and writes the body as Superdesk's parser reads it completely (see ``formats/newsml_g2_out.py``): a
    single newsItem, without the associations."""
    doc = version.document
    if version.pubstatus == "canceled":
        doc = {k: v for k, v in doc.items() if k in NOTICE_KEYS}
    # every HTML field sanitized again on the way out, whatever was stored
    item = ninjs.item_from_ninjs(clean_html_fields(doc, _resanitize))
    item = replace(item, body_html=safe_html(item.body_html) or None)
    if profile == "superdesk":
        # the Subject Codes the item lacks, after its own subjects (those it has are written already)
        own = {subject_code(s) for s in item.subjects}
        item = replace(item, subjects=item.subjects + [s for s in subject_code_subjects(item.subjects)
                                                       if s["uri"].removeprefix(SUBJECTCODE_PREFIX) not in own])
        return to_newsml(item, created=version.received_at, profile=profile)
    return to_newsml_package(item, created=version.received_at, sent=utcnow())  # the message's transmission time


def _resanitize(markup: str, _path: str) -> str:
    return safe_html(markup)
