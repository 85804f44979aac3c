"""Calendar periods in the viewer's time zone, and the SQL that puts a timestamp on its local day.

Figures are counted per local day in SQL and only then summed into weeks and months here, so
one aggregation serves every granularity. Neither SQLite nor our PostgreSQL columns know the
viewer's zone, so the zone's UTC offsets over the window are found here (with every transition,
to the second) and written into the query as a ``CASE``: ``local_day(ts) = (epoch(ts) +
offset(ts)) // 86400``, the number of days since 1970-01-01 on the viewer's wall clock. That is
exact across daylight saving and across a zone's change of rules (Tehran dropped DST in 2022).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from newsbridge.errors import InvalidInput

EPOCH = date(1970, 1, 1)
DAY_SECONDS = 86400
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9000, 12, 31)  # what a window may ask for
MAX_DAYS = 3 * 366  # a window longer than this is a bulk export, not a meeting's figures


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday
    MONTH = "month"


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_of(number: int) -> date:
    return EPOCH + timedelta(days=number)


def period_start(day: date, granularity: Granularity) -> date:
    """The first day of the period holding ``day``."""
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    return day


def next_period(start: date, granularity: Granularity) -> date:
    """The first day of the period after the one starting on ``start``."""
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    if granularity is Granularity.MONTH:
        return (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    return start + timedelta(days=1)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"no time zone {name!r}; use an IANA name like Asia/Almaty", field="tz") from None


@dataclass(frozen=True)
class Window:
    """Local days ``first`` to ``last`` (both included) in ``zone``, cut into periods."""

    first: date
    last: date
    zone: ZoneInfo
    granularity: Granularity = Granularity.DAY

    @classmethod
    def parse(cls, first: str | None, last: str | None, zone_name: str, granularity: str | None,
              today: date) -> Window:
        """The window an API call or page asks for; by default the 12 weeks up to ``today``."""
        try:
            kind = Granularity(granularity or "week")
        except ValueError:
            raise InvalidInput("granularity must be day, week or month", field="granularity") from None
        end = _day(last, "to") or today
        start = _day(first, "from") or end - timedelta(days=83)
        if start > end:
            raise InvalidInput("from must not be after to", field="from")
        if (end - start).days >= MAX_DAYS:
            raise InvalidInput(f"ask for at most {MAX_DAYS} days at once", field="to")
        return cls(start, end, zone(zone_name), kind)

    @property
    def start_utc(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end_utc(self) -> datetime:  # excluded
        return local_midnight(self.last + timedelta(days=1), self.zone)

    def periods(self) -> list[date]:
        """The start of every period that meets the window (the first may start before ``first``):
        stepped period by period (day by day cost a page ~10 ms on 18 months)."""
        found: list[date] = []
        start = period_start(self.first, self.granularity)
        while start <= self.last:
            found.append(start)
            start = next_period(start, self.granularity)
        return found

    def period_of(self, number: int) -> date:
        return period_start(day_of(number), self.granularity)

    def local_day(self, column: sa.ColumnElement[datetime], dialect: str,
                  margin: timedelta = timedelta(days=400)) -> sa.ColumnElement[int]:
        """SQL: the local day number of ``column``. Offsets are exact from ``margin`` before the
        window to ``margin`` after it (deliveries arrive after publication; pickups come later)."""
        return local_day_sql(column, dialect, self.zone, self.start_utc - margin, self.end_utc + margin)


def months(window: Window) -> list[date]:
    """The calendar months the window meets (topic coverage is counted per month)."""
    found: list[date] = []
    day = window.first.replace(day=1)
    while day <= window.last:
        found.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        found = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a day like 2026-01-31", field=field) from None
    if not FIRST_DAY <= found <= LAST_DAY:  # beyond these, local midnights (and margins) leave datetime's range
        raise InvalidInput(f"{field} must be a day from {FIRST_DAY} to {LAST_DAY}", field=field)
    return found


def local_midnight(day: date, where: ZoneInfo) -> datetime:
    """The UTC instant the local day begins (a day that starts in a DST gap begins when the clock
    jumps: zoneinfo's fold=0 reading, then normalized)."""
    return datetime.combine(day, time(0), tzinfo=where).astimezone(timezone.utc)


def _offset(where: ZoneInfo, instant: datetime) -> int:
    delta = instant.astimezone(where).utcoffset()
    assert delta is not None
    return int(delta.total_seconds())


@lru_cache(maxsize=512)
def offsets(where: ZoneInfo, start: datetime, end: datetime) -> tuple[tuple[datetime, int], ...]:
    """The zone's UTC offset in force from each instant on: the first entry is at ``start``, each
    later one is a transition found to the second (zones change at most a few times a year and
    never twice within 12 hours). Cached: every figure of a window asks for the same offsets."""
    found = [(start, _offset(where, start))]
    step = timedelta(hours=12)
    at = start
    while at < end:
        following = min(at + step, end)
        if _offset(where, following) != found[-1][1]:
            low, high = at, following  # the change lies in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(where, middle) == found[-1][1]:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            found.append((high, _offset(where, high)))
        at = following
    return tuple(found)


def _epoch_seconds(column: sa.ColumnElement[datetime], dialect: str) -> sa.ColumnElement[int]:
    if dialect == "sqlite":  # naive UTC text; strftime('%s') reads it as UTC
        return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return sa.cast(sa.func.floor(sa.func.extract("epoch", column)), sa.BigInteger)


def local_day_sql(column: sa.ColumnElement[datetime], dialect: str, where: ZoneInfo, start: datetime,
                  end: datetime) -> sa.ColumnElement[int]:
    """SQL for the local day number (days since 1970-01-01 on the wall clock of ``where``)."""
    changes = offsets(where, start, end)
    if len(changes) == 1:
        offset: sa.ColumnElement[int] = sa.literal(changes[0][1], sa.BigInteger)
    else:
        whens = [(column < changes[i + 1][0], sa.literal(changes[i][1], sa.BigInteger))
                 for i in range(len(changes) - 1)]
        offset = sa.case(*whens, else_=sa.literal(changes[-1][1], sa.BigInteger))
    return (_epoch_seconds(column, dialect) + offset) // DAY_SECONDS
