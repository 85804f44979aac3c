"""Time from publication to delivery: a histogram with fixed buckets, and percentiles read from it.

Percentiles do not add up: a week's median is not a sum of its days' medians. So every day keeps
the count of its items per delivery-time bucket (``metrics_delays``, or the same grouping over the
raw rows), a period adds its days' buckets, and the median and p90 are read from that bounded
histogram, never from the items themselves. Buckets are one second wide below 10 s, then grow by
15 % each (108 buckets up to 90 days); the value given for a bucket is its geometric middle, so
a percentile is within 8 % of the exact one. The same SQL puts a delivery in its
bucket on SQLite and PostgreSQL (a balanced ``CASE`` on whole seconds, no floating point).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence

import sqlalchemy as sa

GROWTH = 1.15
LAST = 90 * 86400  # everything later lands in the last bucket


def _edges() -> tuple[int, ...]:
    found = [0]
    x = 1.0
    while found[-1] < LAST:
        if round(x) > found[-1]:
            found.append(round(x))
        x *= GROWTH
    return tuple(found)


EDGES = _edges()  # lower edge (seconds, included) of each bucket


def bucket_of(seconds: int) -> int:
    """The bucket of a delivery time (negative times, a clock ahead of the hub, count as 0)."""
    return max(0, bisect_right(EDGES, max(0, seconds)) - 1)


def value_of(bucket: int) -> int:
    """The seconds a bucket stands for: its only value when one second wide, else its geometric
    middle."""
    low = EDGES[bucket]
    high = EDGES[bucket + 1] if bucket + 1 < len(EDGES) else low
    return low if high - low <= 1 else round(math.sqrt(max(low, 1) * high))


def bucket_sql(seconds: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    """SQL for ``bucket_of``: a binary search written as nested ``CASE`` (depth ~7)."""

    def node(low: int, high: int) -> sa.ColumnElement[int]:  # buckets low..high-1
        if high - low == 1:
            return sa.literal(low, sa.Integer)
        middle = (low + high) // 2
        return sa.case((seconds < EDGES[middle], node(low, middle)), else_=node(middle, high))

    return node(0, len(EDGES))


def percentile(histogram: Mapping[int, int], q: float) -> int | None:
    """The nearest-rank ``q`` percentile (0 < q <= 1) of a bucket histogram, in seconds; None when empty."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return value_of(bucket)
    raise AssertionError("unreachable: rank <= total")


def merge(into: dict[int, int], other: Mapping[int, int] | Sequence[tuple[int, int]]) -> None:
    for bucket, n in (other.items() if isinstance(other, Mapping) else other):
        into[bucket] = into.get(bucket, 0) + n
