"""Reading the date-times agencies really send, for every reader.

Standards ask for ISO 8601 with a UTC offset (``2019-04-15T11:12:24+03:00``). Real wires send
that, and also: no zone at all (STT ``2019-04-15T11:12:24``, Scoop ``2016-01-12 12:35:40``),
an offset without a colon (``+0100``), the basic format (NITF ``20170102T222800+0000``), a
bare day, an empty element, or a template left unfilled (``YYYYMMDD000000-HHMM``).

:class:`TimeReader` reads them all. A time without a zone takes the source's zone (the
organization's ``timezone`` setting, else UTC) and records ``time_zone_assumed``; a bare day
where a moment is needed becomes its start in that zone (``time_day_only``); what cannot be
read is dropped (``time_unreadable``), never refused: a wrong timestamp should not cost the
whole story.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsbridge.formats.item import IngestWarning

_DAY = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}")  # ASCII digits: date.fromisoformat reads no others
_ZONE_WORDS = re.compile(r"\s*(?:UTC|GMT)\s*$")  # "2018-01-03 20:13:08 GMT" names the zone in words


@lru_cache(maxsize=64)  # every reader asks once per document, for the same few zones
def zone_named(name: str | None) -> tuple[tzinfo, str]:
    """(the zone, its name) for an IANA name; unknown or missing names mean UTC."""
    try:
        return ZoneInfo(name or "UTC"), name or "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC"), "UTC"


class TimeReader:
    """Reads time fields for one item, collecting what it assumed into ``warnings``."""

    __slots__ = ("zone", "zone_name", "warnings")

    def __init__(self, zone: str | None, warnings: list[IngestWarning]) -> None:
        self.zone, self.zone_name = zone_named(zone)
        self.warnings = warnings

    def read(self, raw: str | None, field: str, *, allow_day: bool = False) -> datetime | date | None:
        """The time in ``raw`` (aware), or with ``allow_day`` a bare day as a :class:`date`; None if absent."""
        if raw is None:
            return None
        text = raw.strip()
        if not text:
            self.warnings.append(IngestWarning("time_empty", field, "the time is empty; read as not given"))
            return None
        if len(text) <= 10 and _DAY.fullmatch(text):  # the length first: most times are moments
            try:
                day = date.fromisoformat(text if "-" in text else f"{text[:4]}-{text[4:6]}-{text[6:]}")
            except ValueError:  # 2019-13-45
                day = None
            if day is not None:
                if allow_day:
                    return day
                self.warnings.append(IngestWarning(
                    "time_day_only", field, f"{text!r} is a day without a time; read as its start in {self.zone_name}"))
                return datetime(day.year, day.month, day.day, tzinfo=self.zone)
        words = _ZONE_WORDS.search(text) if text.endswith(("UTC", "GMT")) else None  # a search tries every position
        try:
            value = datetime.fromisoformat(text[:words.start()] + "+00:00" if words else text)
        except ValueError:
            self.warnings.append(IngestWarning(
                "time_unreadable", field, f"{text[:60]!r} is not a date-time (ISO 8601, like "
                "2019-04-15T11:12:24+03:00); left out"))
            return None
        if value.tzinfo is None:
            self.warnings.append(IngestWarning(
                "time_zone_assumed", field, f"{text!r} has no time zone; read in the source's zone, {self.zone_name}"))
            value = value.replace(tzinfo=self.zone)
        return value

    def moment(self, raw: str | None, field: str) -> datetime | None:
        """Like :meth:`read` for fields that need a moment, never a bare day."""
        value = self.read(raw, field)
        return value if isinstance(value, datetime) or value is None else None
