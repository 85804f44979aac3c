"""ninjs 1.x out, as Superdesk's NINJS feed parser reads it (the ``ninjs1-superdesk`` profile).

Superdesk (superdesk-core's ``NINJSFeedParser``) reads ninjs 1.x with its own habits: the item
is identified by ``guid`` (without it the parser makes one from ``uri`` as if it were a URL; it
does not read ``version``, so the guid is ``<uri>:<version>``, as Superdesk's own NewsML-G2 parser
makes it, and ``uri`` names the item across versions),
texts are ``headline``/``body_html``/``body_text``/``description_text``, subjects are
``{"code", "name"}`` taken as IPTC **Subject Codes** when they name no scheme, and times are read
only as UTC without fractions (``2026-03-21T09:30:15+0000``, ``...Z`` or ``...+00:00``): any
other time makes it fail. :func:`to_superdesk_ninjs` writes exactly that. Apart from ``guid``
(which Superdesk adds to ninjs), the document is valid ninjs 1.6 (times as ``...Z``, which both
RFC 3339 and Superdesk read). Subject Codes come from the caller (``subject_codes``: ninjs
subjects with ``http://cv.iptc.org/newscodes/subjectcode/`` URIs); the Media Topics themselves
are not written, since Superdesk would file them among its Subject Codes.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from newsbridge.formats.item import Item

SUBJECTCODE_PREFIX = "http://cv.iptc.org/newscodes/subjectcode/"
SUPERDESK_ONLY_KEYS = ("guid",)  # what Superdesk reads beyond the ninjs 1.6 schema


def superdesk_time(when: datetime | date | None) -> str | None:
    """UTC, whole seconds, ``Z``: the only shapes Superdesk's parser reads (a day alone: its start, UTC)."""
    if when is None:
        return None
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day, tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def to_superdesk_ninjs(item: Item, subject_codes: list[dict[str, Any]]) -> dict[str, Any]:
    """One version as Superdesk's ninjs 1.x (see the module's docstring)."""
    codes = [{"code": s["uri"].removeprefix(SUBJECTCODE_PREFIX), "name": s.get("name") or ""}
             for s in subject_codes if str(s.get("uri", "")).startswith(SUBJECTCODE_PREFIX)]
    genres = [{"code": g.get("literal") or g.get("uri") or g.get("name"), "name": g.get("name") or ""}
              for g in item.genres if g.get("literal") or g.get("uri") or g.get("name")]
    renditions = {r["name"]: {k: v for k, v in (("href", r.get("href")), ("mimetype", r.get("contentType")),
                                                 ("width", r.get("width")), ("height", r.get("height")),
                                                 ("sizeinbytes", r.get("sizeInBytes"))) if v is not None}
                  for r in item.renditions if r.get("name") and r.get("href")}
    doc: dict[str, Any] = {
        "guid": f"{item.uri}:{item.version}" if item.version else item.uri, "uri": item.uri, "version": item.version,
        "type": item.type,
        "versioncreated": superdesk_time(item.versioncreated), "firstcreated": superdesk_time(item.firstcreated),
        "embargoed": superdesk_time(item.embargoed), "pubstatus": item.pubstatus, "urgency": item.urgency,
        "language": item.language, "headline": item.headline, "slugline": item.extra.get("slugline"),
        "byline": item.byline, "located": item.located, "description_text": item.description,
        "body_html": item.body_html, "body_text": item.body_text, "subject": codes or None, "genre": genres or None,
        "copyrightholder": item.copyrightholder, "copyrightnotice": item.copyrightnotice,
        "usageterms": item.usageterms, "renditions": renditions or None,
    }
    return {k: v for k, v in doc.items() if v not in (None, "")}
