"""The hub's in-memory news item: ninjs-shaped, format-neutral.

Every parser in ``newsbridge.formats`` produces an :class:`Item`; every serializer takes
one. Field names follow IPTC ninjs 3.x in snake case. Whatever a source sent that has no
typed field here is kept in ``extra`` (as ninjs 3.x keys), so nothing a partner sent is
lost on the way through the hub.

Readers are liberal in what they accept: where a document bends its standard (a time without
a zone, an item class in an agency's own scheme, an empty urgency) the reader assumes what
it must and says so in ``warnings`` (:class:`IngestWarning`), which the hub stores with the
version. Warnings are not content: serializers never write them and they do not change the
content hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

PUBSTATUSES = ("usable", "withheld", "canceled")
ITEM_TYPES = ("text", "picture", "video", "audio", "graphic", "composite", "planning", "event", "component")


@dataclass(frozen=True)
class IngestWarning:
    """What a reader assumed to accept a document that bends its standard.

    ``code`` is stable (docs/formats.md lists every one), ``field`` names the place (an
    element path or a JSON path) and ``message`` says what was found and what was assumed.
    """

    code: str
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "message": self.message}


@dataclass
class Item:
    """One version of one news item, as the hub understands it.

    ``firstcreated`` may be a plain :class:`date` when a source gives only a day (the
    Kazinform wire does); every other time is timezone-aware.
    """

    uri: str | None = None
    type: str = "text"
    version: str | None = None
    firstcreated: datetime | date | None = None
    versioncreated: datetime | None = None
    pubstatus: str = "usable"
    embargoed: datetime | None = None
    language: str | None = None
    headline: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    description: str | None = None
    byline: str | None = None
    located: str | None = None
    subjects: list[dict[str, Any]] = field(default_factory=list)
    genres: list[dict[str, Any]] = field(default_factory=list)
    urgency: int | None = None
    copyrightholder: str | None = None
    copyrightnotice: str | None = None
    usageterms: str | None = None
    associations: list[dict[str, Any]] = field(default_factory=list)
    renditions: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[IngestWarning] = field(default_factory=list)  # what the reader assumed; not content
