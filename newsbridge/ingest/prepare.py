"""Normalize and enrich a parsed item before it is stored.

Order matters: every HTML field is sanitized first, whatever field it sits in (the HTML body,
and any body, description or headline with an HTML content type among the rest of what the
source sent, associations included), so nothing downstream ever reads raw markup, and markup
too complex to sanitize cheaply is refused before anything parses it. Then the language is
decided (declared, else detected on Persian-normalized text), because Persian letter
normalization must touch Persian text only. Then text fields are cleaned, the missing one of
text and HTML bodies is derived from the other, items naming no IPTC Media Topic get
machine-assigned ones (marked ``creator: machine`` with a confidence), and a content hash is
taken so a resent identical item can be recognized.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

from newsbridge.errors import HtmlTooComplex, InvalidInput
from newsbridge.formats.item import ITEM_TYPES, PUBSTATUSES, Item
from newsbridge.formats.markup import MarkupTooComplex, clean_html_fields
from newsbridge.formats.ninjs import to_ninjs3
from newsbridge.ingest.language import detect_language
from newsbridge.items.store import Prepared
from newsbridge.vocab.tagging import machine_subjects
from newsbridge.ingest.text import clean_line, clean_text, html_to_text, normalize_persian, sanitize_html, text_to_html

MAX_URI = 1000
MAX_LANGUAGE_TAG = 35  # BCP 47 tags are short; the column holds 35
TAG_CHARS = 600  # the topic tagger reads the headline and the start of the text


def _decide_language(item: Item, languages: tuple[str, ...], accuracy: str) -> tuple[str | None, str, float | None]:
    if item.language and item.language.strip():
        return item.language.strip(), "declared", None
    body = item.body_text or (html_to_text(item.body_html) if item.body_html else "")
    sample = "\n".join(part for part in (item.headline, item.description, body) if part)
    detection = detect_language(sample, languages, accuracy)
    normalized = normalize_persian(sample)
    if normalized != sample:
        # Arabic letters in the text: Persian typed on an Arabic keyboard reads as Persian only once
        # normalized, while real Arabic reads best as written. Keep the more confident reading.
        persian_reading = detect_language(normalized, languages, accuracy)
        if (persian_reading.confidence or 0) > (detection.confidence or 0):
            detection = persian_reading
    if detection.language is None:
        return None, "unknown", None
    return detection.language, "detected", detection.confidence


def _opt(value: str | None, clean: Any, persian: bool) -> str | None:
    if value is None:
        return None
    value = clean(value, persian=persian)
    return value or None


def _sanitize(markup: str, field: str) -> str:
    try:
        return sanitize_html(markup)
    except MarkupTooComplex as exc:
        raise HtmlTooComplex(exc.message, field=field) from None


def sanitize_all_html(item: Item) -> Item:
    """``item`` with every HTML field sanitized: the HTML body, and every ``value`` whose
    ``contentType`` is HTML in ``extra`` (other bodies, descriptions, headlines) and associations.
    Raises :class:`HtmlTooComplex` naming the field when markup is too complex to sanitize."""
    return replace(
        item,
        body_html=_sanitize(item.body_html, "body_html") if item.body_html else item.body_html,
        extra=clean_html_fields(item.extra, _sanitize, "extra"),
        associations=clean_html_fields(item.associations, _sanitize, "associations"),
    )


def content_hash(item: Item) -> str:
    """Hash of everything but the version: equal content gives equal hashes."""
    doc = to_ninjs3(replace(item, version=None))
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def prepare_item(item: Item, *, languages: tuple[str, ...], accuracy: str = "high") -> Prepared:
    """Check, normalize and enrich ``item`` (whose ``uri`` must already be set)."""
    if not item.uri or not item.uri.strip():
        raise InvalidInput("uri must not be empty: it identifies the item across versions", field="uri")
    if len(item.uri) > MAX_URI:
        raise InvalidInput(f"uri is longer than {MAX_URI} characters", field="uri")
    if item.pubstatus not in PUBSTATUSES:
        raise InvalidInput(f"pubstatus {item.pubstatus!r} must be one of {', '.join(PUBSTATUSES)}", field="pubstatus")
    if item.type not in ITEM_TYPES:
        raise InvalidInput(f"type {item.type!r} must be one of {', '.join(ITEM_TYPES)}", field="type")
    if item.language and len(item.language.strip()) > MAX_LANGUAGE_TAG:
        raise InvalidInput(f"language {item.language[:40]!r}... is not a language tag like en, kk or fa-IR",
                           field="language")
    item = sanitize_all_html(item)
    language, source, confidence = _decide_language(item, languages, accuracy)
    persian = (language or "").lower().startswith("fa")
    body_html = (normalize_persian(item.body_html) if persian and item.body_html else item.body_html) or None
    body_text = _opt(item.body_text, clean_text, persian)
    if body_text is None and body_html:
        body_text = html_to_text(body_html) or None
    if body_html is None and body_text:
        body_html = text_to_html(body_text)
    headline = _opt(item.headline, clean_line, persian)
    lead = (body_text or "")[:TAG_CHARS]
    subjects = list(item.subjects) + machine_subjects(headline or "", lead, language, item.subjects)
    cleaned = replace(
        item,
        subjects=subjects,
        uri=item.uri.strip(),
        language=language,
        headline=headline,
        description=_opt(item.description, clean_text, persian),
        byline=_opt(item.byline, clean_line, persian),
        located=_opt(item.located, clean_line, persian),
        body_text=body_text,
        body_html=body_html or None,
    )
    return Prepared(cleaned, source, confidence, content_hash(cleaned))
