"""Query parameter types the API validates strictly, so a partner's mistake is an error, not a guess.

Pydantic on its own reads a number as Unix time (``since=0.5`` meant 1970); a time here is
an ISO 8601 text and nothing else. A time without an offset is read as UTC (documented), and
every time is turned to UTC at the boundary, so a value at the calendar's edge is refused here
instead of overflowing in a later computation.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_HINT = "an ISO 8601 date-time like 2026-11-23T09:30:00+05:00 (without an offset: UTC)"


def iso_time(value: Any) -> datetime:
    """An ISO 8601 date-time (or day) text as an aware UTC datetime; ValueError otherwise."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not {_HINT}") from None
    else:
        raise ValueError(f"must be {_HINT}, not a number")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{value!s:.40} is outside the calendar the hub computes with") from None


IsoTime = Annotated[datetime, BeforeValidator(iso_time),
                    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-11-23T09:30:00+05:00"})]
