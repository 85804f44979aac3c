"""The figures the database sums from the rollup (metrics/sums.py) equal the raw rows' day figures
summed in Python, on both databases: by day, week and month, in zones the rollup holds and one it
does not, with marks the worker has not taken yet, after the agreed topics changed; and the
overview's one read for every agreement equals a scorecard per agreement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.rollup_tables import metrics_built
from newsbridge.exchange.agreements import load_agreement
from newsbridge.metrics.days import Day, Days, live_days, raw_days
from newsbridge.metrics.figures import agreement_figures, figures_of_days
from newsbridge.metrics.overview import overview
from newsbridge.metrics.periods import Granularity, Window, day_number, day_of
from newsbridge.metrics.rollups import agreed_topics, refresh
from newsbridge.metrics.scorecard import scorecard, scorecard_json
from newsbridge.metrics.sums import month_sql, period_sql
from tests.metrics.history import NOW, History, built_once, restore
from tests.metrics.test_rollups import _change_history

TODAY = NOW.date()
WINDOWS = [  # zone, first, last: Tehran and Almaty are held for kz_ir, Moscow for ir_ru only, Kathmandu never
    ("Asia/Tehran", date(2024, 9, 1), date(2026, 3, 2)), ("Asia/Almaty", date(2025, 1, 29), date(2025, 3, 3)),
    ("Europe/Moscow", date(2025, 12, 20), TODAY), ("Asia/Kathmandu", date(2025, 9, 30), date(2025, 11, 2)),
]


@pytest.fixture(scope="module")
def built(migrated_engine: Engine) -> Iterator[tuple[History, list[str]]]:
    """The history and its rollup, built once per database for the module (~4 s on PostgreSQL, most
    of it the rollup's nine builds) and kept in the database to be written back for each test."""
    yield from built_once(migrated_engine, rollup=True)


@pytest.fixture
def history(engine: Engine, built: tuple[History, list[str]]) -> Iterator[History]:
    """The module's history and rollup, written back for each test (the ``engine`` fixture empties the tables)."""
    with writing(engine) as conn:
        restore(conn, built[1])
    yield built[0]


def _raw_days(conn: Connection, agreement_id: str, window: Window) -> Days:
    """The window's days from the raw rows and the live counts (its granularity plays no part)."""
    agreement = load_agreement(conn, agreement_id)
    days = raw_days(conn, agreement, window, agreed_topics(agreement))
    for key, cell in live_days(conn, agreement, window, NOW).items():
        days.setdefault(key, type(cell)()).add(cell)
    return days


def _assert_summed_equal_raw(engine: Engine, history: History) -> None:
    with reading(engine) as conn:
        for name, agreement_id in history.agreements.items():
            agreement = load_agreement(conn, agreement_id)
            for zone_name, first, last in WINDOWS:
                days = _raw_days(conn, agreement_id, Window(first, last, ZoneInfo(zone_name)))
                for granularity in Granularity:  # the raw days are the same for each: read once, summed thrice
                    window = Window(first, last, ZoneInfo(zone_name), granularity)
                    summed = agreement_figures(conn, agreement, window, NOW)
                    assert summed == figures_of_days(agreement, window, days), (name, zone_name, granularity)
                    assert any(d.total.items for d in summed.directions) or name == "ended"


def test_summed_figures_equal_the_raw_days(engine: Engine, history: History) -> None:
    _assert_summed_equal_raw(engine, history)
    _change_history(engine, history)  # marks the worker has not taken: their days are read raw
    _assert_summed_equal_raw(engine, history)
    with writing(engine) as conn:
        while refresh(conn, NOW):
            pass
        # the terms' topics as the rollup counted them differ from today's: topics come from the raw rows
        conn.execute(metrics_built.update().values(topics=["medtop:99999999"]))
    _assert_summed_equal_raw(engine, history)


def test_trend_days_come_with_the_figures(engine: Engine, history: History) -> None:
    from newsbridge.metrics.figures import daily_items

    with reading(engine) as conn:
        agreement = load_agreement(conn, history.agreements["ir_ru"])
        short = Window(TODAY - timedelta(days=83), TODAY, ZoneInfo("Asia/Tehran"), Granularity.WEEK)
        trend = Window(TODAY - timedelta(days=111), TODAY, ZoneInfo("Asia/Tehran"), Granularity.DAY)
        figures = agreement_figures(conn, agreement, short, NOW, daily=(trend.first, trend.last))
        assert figures.daily_span == (trend.first, trend.last)
        reused = daily_items(conn, agreement, trend, NOW, figures)
        assert reused == daily_items(conn, agreement, trend, NOW) and sum(reused.values()) > 20
        assert min(reused) < short.first  # the trend reaches before the 12 weeks shown


@pytest.mark.parametrize("granularity", list(Granularity))
def test_period_of_a_day_in_sql(engine: Engine, granularity: Granularity) -> None:
    window = Window(date(2023, 12, 20), date(2025, 3, 10), ZoneInfo("UTC"), granularity)
    numbers = sa.select(sa.literal(day_number(window.first), sa.Integer).label("day")).cte("days", recursive=True)
    numbers = numbers.union_all(sa.select((numbers.c.day + 1).label("day")).where(
        numbers.c.day < day_number(window.last)))
    query = sa.select(numbers.c.day, period_sql(numbers.c.day, window), month_sql(numbers.c.day, window))
    with reading(engine) as conn:
        found = conn.execute(query).all()
    assert len(found) == 447
    for day, period, month in found:
        assert (period, month) == (day_number(window.period_of(day)), day_number(day_of(day).replace(day=1)))


def test_overview_reads_every_agreement_at_once(engine: Engine, history: History) -> None:
    viewer = history.orgs["irna"]  # a party of all three agreements
    window = Window(TODAY - timedelta(weeks=26) + timedelta(days=1), TODAY, ZoneInfo("Asia/Tehran"),
                    Granularity.WEEK)
    rollup_reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM metrics_" in statement and "metrics_marks" not in statement and "metrics_built" not in statement:
            rollup_reads.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with reading(engine) as conn:
            cards = overview(conn, viewer, window, NOW, TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(cards) == 3 and len(rollup_reads) == 4  # days, delays, breakdowns, trend: for all three
    with reading(engine) as conn:
        one_by_one = [scorecard(conn, viewer, card.agreement.id, window, NOW, TODAY) for card in cards]
    assert [scorecard_json(c) for c in cards] == [scorecard_json(c) for c in one_by_one]
    assert {c.pace.state.value for c in cards} >= {"stalled"}  # the ended agreement


def test_open_days_in_three_queries_equal_the_eight_grouped_ones(engine: Engine, history: History) -> None:
    """A few days (a page's open days, the worker's refresh) are read in one query for shared,
    delivery times, breakdowns, deliveries and failed, plus pickups and topics: the same figures
    as the eight queries that group by day in SQL, over changed history (corrections and
    withdrawals arriving today, a delivery still to come), a month boundary in Tehran and a zone
    no party uses."""
    _change_history(engine, history)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    seen = Day()
    with reading(engine) as conn:
        for agreement_id in history.agreements.values():
            agreement = load_agreement(conn, agreement_id)
            topics = agreed_topics(agreement)
            for zone_name, first, days in (("Asia/Tehran", TODAY - timedelta(days=1), 4),
                                           ("Asia/Tehran", date(2025, 2, 27), 5), ("Asia/Kathmandu", TODAY, 1),
                                           ("UTC", date(2025, 6, 1), 35)):
                window = Window(first, first + timedelta(days=days - 1), ZoneInfo(zone_name), Granularity.DAY)
                grouped = raw_days(conn, agreement, window, topics, few=False)
                statements.clear()
                event.listen(engine, "before_cursor_execute", count)
                try:
                    few = raw_days(conn, agreement, window, topics, few=True)
                finally:
                    event.remove(engine, "before_cursor_execute", count)
                assert few == grouped, (agreement.title, zone_name, first)
                assert len(statements) == 2 + bool(topics)
                for cell in few.values():
                    seen.add(cell)
    assert seen.items and seen.withdrawn and seen.corrections and seen.failed and seen.same_day and seen.picked_up
    assert seen.pickups_declared and any(k[0] == "topic" for k in seen.keys) and len(seen.delays) > 3
