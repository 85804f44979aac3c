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

from dataclasses import replace
from typing import Any

from newsbridge.errors import HtmlTooComplex, InvalidInput
from newsbridge.formats.item import ITEM_TYPES, PUBSTATUSES, Item
from newsbridge.formats.markup import MarkupTooComplex, clean_html_fields
from newsbridge.ingest.language import detect_language
from newsbridge.items.hashing import content_hash, hash_document, unversioned_document
from newsbridge.items.store import Prepared
from newsbridge.vocab.tagging import machine_subjects
from newsbridge.ingest.text import clean_line, clean_text, html_to_text, normalize_persian, sanitize_html, text_to_html

MAX_URI = 1000
MAX_LANGUAGE_TAG = 35  # BCP 47 tags are short; the column holds 35
TAG_CHARS = 600  # the topic tagger reads the headline and the start of the text


__all__ = ["content_hash", "prepare_item", "sanitize_all_html"]


def _decide_language(item: Item, body_html: str | None, languages: tuple[str, ...], accuracy: str,
                     derived: dict[str, str]) -> tuple[str | None, str, float | None]:
    """(language, how it was found, confidence) of ``item`` with its sanitized ``body_html``;
    ``derived`` keeps the text read from the HTML body when it had to be read, so preparing does
    not read it twice."""
    if item.language and item.language.strip():
        return item.language.strip(), "declared", None
    body = item.body_text or ""
    if not body and body_html:
        body = derived[body_html] = html_to_text(body_html)
    sample = "\n".join(part for part in (item.headline, item.description, body) if part)
    detection = detect_language(sample, languages, accuracy)
    normalized = normalize_persian(sample)
    if normalized != sample:
        # Arabic letters in the text: Persian typed on an Arabic keyboard reads as Persian only once
        # normalized, while real Arabic reads best as written. Keep the more confident reading. The
        # normalized text's yeh and keheh are the normalizer's, not the source's: lingua decides it.
        persian_reading = detect_language(normalized, languages, accuracy, by_letters=False)
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


def _sanitized(item: Item) -> tuple[str | None, dict[str, Any], list[dict[str, Any]]]:
    """(body_html, extra, associations) of ``item``, every HTML in them sanitized."""
    return (_sanitize(item.body_html, "body_html") if item.body_html else item.body_html,
            clean_html_fields(item.extra, _sanitize, "extra"),
            clean_html_fields(item.associations, _sanitize, "associations"))


def sanitize_all_html(item: Item) -> Item:
    """``item`` with every HTML field sanitized: the HTML body, and every ``value`` whose
    ``contentType`` is HTML in ``extra`` (other bodies, descriptions, headlines) and associations.
    Raises :class:`HtmlTooComplex` naming the field when markup is too complex to sanitize."""
    body_html, extra, associations = _sanitized(item)
    return replace(item, body_html=body_html, extra=extra, associations=associations)


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
    sanitized_html, extra, associations = _sanitized(item)  # first: nothing below reads raw markup
    derived: dict[str, str] = {}
    language, source, confidence = _decide_language(item, sanitized_html, languages, accuracy, derived)
    persian = (language or "").lower().startswith("fa")
    body_html = (normalize_persian(sanitized_html) if persian and sanitized_html else sanitized_html) or None
    body_text = _opt(item.body_text, clean_text, persian)
    if body_text is None and body_html:
        body_text = (derived[body_html] if body_html in derived else html_to_text(body_html)) or None
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
        extra=extra,
        associations=associations,
    )
    content = unversioned_document(cleaned)  # hashed, and stored with the hub's version (items/hashing.py)
    return Prepared(cleaned, source, confidence, hash_document(content), content)
