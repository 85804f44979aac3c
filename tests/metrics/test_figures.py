"""The figures service on both databases, against figures computed independently over a generated
18-month history (tests/metrics/history.py), in several time zones and granularities."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import fields
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.exchange.agreements import get_agreement
from newsbridge.metrics.delivery_times import bucket_of, value_of
from newsbridge.metrics.figures import SUMMED, Counts, agreement_figures
from newsbridge.metrics.periods import Granularity, Window, local_midnight, offsets, period_start
from tests.metrics.history import NOW, POLITICS, History, build, expected

FIELDS = ("items", "withdrawn", "corrections", "deliveries", "pending", "failed", "same_day", "picked_up",
          "pickups_declared", "pickups_detected")


def nearest_rank(values: list[int], q: float) -> int | None:
    """The exact nearest-rank percentile, for comparing with the histogram's."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1] if ordered else None


@pytest.fixture
def history(engine: Engine) -> Iterator[History]:
    with writing(engine) as conn:
        built = build(conn)
    yield built


def _figures(engine: Engine, history: History, agreement: str, viewer: str, window: Window, now: datetime):  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        found = get_agreement(conn, history.orgs[viewer], history.agreements[agreement])
        return agreement_figures(conn, found, window, now)


@pytest.mark.parametrize("zone, granularity, first, last", [
    ("Asia/Almaty", Granularity.MONTH, date(2024, 9, 1), date(2026, 2, 28)),
    ("Asia/Tehran", Granularity.MONTH, date(2024, 12, 1), date(2025, 3, 31)),
    ("Asia/Tehran", Granularity.WEEK, date(2025, 9, 17), date(2025, 11, 30)),
    ("Europe/Moscow", Granularity.DAY, date(2025, 12, 25), date(2026, 1, 5)),
    ("Europe/Berlin", Granularity.DAY, date(2025, 3, 28), date(2025, 4, 2)),  # a DST change inside the window
    ("UTC", Granularity.WEEK, date(2026, 2, 20), date(2026, 3, 10)),  # running into "now": pending deliveries
])
@pytest.mark.parametrize("agreement, viewer", [("kz_ir", "irna"), ("ir_ru", "ria"), ("kz_ir", "kazinform")])
def test_figures_match_an_independent_count(engine: Engine, history: History, agreement: str, viewer: str,
                                            zone: str, granularity: Granularity, first: date, last: date) -> None:
    now = NOW - timedelta(days=3)  # the last days' deliveries are still to come
    window = Window(first, last, ZoneInfo(zone), granularity)
    figures = _figures(engine, history, agreement, viewer, window, now)
    delays: dict = defaultdict(lambda: defaultdict(list))
    want = expected(history, history.agreements[agreement], first, last, zone, now,
                    lambda day: period_start(day, granularity), delays)
    assert {(d.source, d.recipient) for d in figures.directions} == set(want)
    assert sum(d.total.items for d in figures.directions) > 0
    for direction in figures.directions:
        assert list(direction.series) == window.periods()
        cells = want[(direction.source, direction.recipient)]
        for start, counts in direction.series.items():
            assert {f: getattr(counts, f) for f in FIELDS} == {f: cells.get(start, {}).get(f, 0) for f in FIELDS}, \
                (direction.source, direction.recipient, start)
            for q, got in ((0.5, counts.delivery_median_seconds), (0.9, counts.delivery_p90_seconds)):
                exact = nearest_rank(delays[(direction.source, direction.recipient)][start], q)
                assert (got is None) == (exact is None)
                if exact is not None:  # the bucket's value, within 8 % of the exact percentile
                    assert got == value_of(bucket_of(exact)) and abs(got - exact) <= 0.08 * exact + 1, (q, exact, got)
        everything = [d for period in delays[(direction.source, direction.recipient)].values() for d in period]
        assert direction.total.delivery_median_seconds == (
            value_of(bucket_of(nearest_rank(everything, 0.5))) if everything else None)
    assert sum(d.total.pickups_detected for d in figures.directions) > 0 or (last - first).days < 60


def test_month_boundaries_follow_the_viewer_zone(engine: Engine, history: History) -> None:
    """Items published at 23:50 and 00:10 local time around 1 January 2026 fall into December and
    January in Almaty; the same instants are both in one month elsewhere."""
    window = Window(date(2025, 12, 1), date(2026, 1, 31), ZoneInfo("Asia/Almaty"), Granularity.MONTH)
    figures = _figures(engine, history, "kz_ir", "irna", window, NOW)
    edge = [r for r in history.rows if r.agreement == history.agreements["kz_ir"] and r.source == "krtc"
            and r.published.astimezone(ZoneInfo("Asia/Almaty")).replace(tzinfo=None) in
            (datetime(2025, 12, 31, 23, 50), datetime(2026, 1, 1, 0, 10))]
    assert len(edge) == 2
    assert local_midnight(date(2026, 1, 1), ZoneInfo("Asia/Almaty")) == datetime(2025, 12, 31, 19, tzinfo=timezone.utc)
    assert sum(d.total.items + d.total.withdrawn for d in figures.directions if d.source == "krtc") == len(
        [r for r in history.rows if r.agreement == history.agreements["kz_ir"] and r.source == "krtc"
         and date(2025, 12, 1) <= r.published.astimezone(ZoneInfo("Asia/Almaty")).date() <= date(2026, 1, 31)])


def test_topic_coverage_cells_count_agreed_topics_per_month(engine: Engine, history: History) -> None:
    window = Window(date(2025, 1, 1), date(2025, 6, 30), ZoneInfo("Asia/Almaty"), Granularity.MONTH)
    figures = _figures(engine, history, "kz_ir", "krtc", window, NOW)
    krtc = figures.direction("krtc", "irna")
    assert krtc.topics == (POLITICS, "medtop:04000000")
    for qcode, months in krtc.topic_months.items():
        for month, n in months.items():
            want = sum(1 for r in history.rows if r.agreement == history.agreements["kz_ir"] and r.source == "krtc"
                       and not r.withdrawn and qcode in r.topics
                       and r.published.astimezone(ZoneInfo("Asia/Almaty")).date().replace(day=1) == month)
            assert n == want, (qcode, month)
    assert figures.direction("irna", "krtc").topic_months == {}  # irna's terms name no topics


def test_empty_period_and_an_ended_agreement(engine: Engine, history: History) -> None:
    window = Window(date(2023, 1, 1), date(2023, 3, 31), ZoneInfo("Asia/Tehran"), Granularity.MONTH)
    figures = _figures(engine, history, "kz_ir", "irna", window, NOW)
    assert all(d.total.items == 0 and d.total.deliveries == 0 for d in figures.directions)
    assert figures.balance is None
    ended = _figures(engine, history, "ended", "irna", window, NOW)
    assert [(d.source, d.recipient, d.total.items) for d in ended.directions] == [("ria", "irna", 0)]


def test_balance_is_smaller_direction_over_larger(engine: Engine, history: History) -> None:
    window = Window(date(2025, 1, 1), date(2025, 12, 31), ZoneInfo("UTC"), Granularity.MONTH)
    figures = _figures(engine, history, "kz_ir", "irna", window, NOW)
    totals = [d.total.items for d in figures.directions]
    assert figures.balance == min(totals) / max(totals)


@pytest.mark.parametrize("zone, year, changes", [
    ("Europe/Moscow", 2025, 0),  # no daylight saving since 2014
    ("Asia/Tehran", 2025, 0),  # none since 2022
    ("Asia/Tehran", 2021, 2),
    ("Asia/Almaty", 2025, 0),
    ("Europe/Berlin", 2025, 2),
])
def test_offsets_find_every_transition_to_the_second(zone: str, year: int, changes: int) -> None:
    where = ZoneInfo(zone)
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    found = offsets(where, start, start.replace(year=year + 1))
    assert len(found) == changes + 1
    for at, offset in found[1:]:
        assert (at.astimezone(where).utcoffset() or timedelta()).total_seconds() == offset
        assert ((at - timedelta(seconds=1)).astimezone(where).utcoffset() or timedelta()).total_seconds() != offset


def test_counts_add_every_summed_field() -> None:
    assert {f.name for f in fields(Counts)} == {*SUMMED, "delays"}
    one = Counts(**{name: n for n, name in enumerate(SUMMED, start=1)}, delays={3: 2})
    total = Counts()
    total.add(one)
    total.add(one)
    assert total == Counts(**{name: 2 * n for n, name in enumerate(SUMMED, start=1)}, delays={3: 4})
