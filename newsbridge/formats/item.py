"""The hub's in-memory news item: ninjs-shaped, format-neutral.

Every parser in ``newsbridge.formats`` produces an :class:`Item`; every serializer takes
one. Field names follow IPTC ninjs 3.x in snake case. Whatever a source sent that has no
typed field here is kept in ``extra`` (as ninjs 3.x keys), so nothing a partner sent is
lost on the way through the hub.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

PUBSTATUSES = ("usable", "withheld", "canceled")
ITEM_TYPES = ("text", "picture", "video", "audio", "graphic", "composite", "planning", "event", "component")


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
