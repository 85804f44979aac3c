"""The pace indicator's parts: the Poisson test of the volume trend, the Wilson interval, the state."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newsbridge.exchange.roadmap import Commitment, CommitmentStatus
from newsbridge.metrics.figures import Counts, Direction, Figures
from newsbridge.metrics.pace import State, assess, binomial_two_sided, coverage_by_month, volume_change, wilson
from newsbridge.metrics.periods import Granularity, Window

LAST = date(2026, 3, 31)
WINDOW = Window(date(2026, 3, 1), LAST, ZoneInfo("Asia/Almaty"), Granularity.MONTH)


def _binomial_reference(k: int, n: int, p: float) -> float:
    pmf = [math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(n + 1)]
    return min(1.0, sum(v for v in pmf if v <= pmf[k] * (1 + 1e-7)))


@pytest.mark.parametrize("k, n", [(0, 0), (5, 20), (0, 20), (10, 40), (3, 60), (30, 60), (15, 60)])
def test_binomial_test_matches_the_definition(k: int, n: int) -> None:
    assert binomial_two_sided(k, n, 0.25) == pytest.approx(_binomial_reference(k, n, 0.25) if n else 1.0, rel=1e-6)


@pytest.mark.parametrize("k, n", [(2900, 11000), (2750, 11000), (2500, 11000), (0, 5000), (5000, 5000), (1, 3)])
def test_binomial_test_sums_only_the_tails_yet_equals_every_term(k: int, n: int) -> None:
    """The tails summed outward from the mode's sides give what a term per outcome gives."""
    def log_pmf(i: int) -> float:
        return math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * math.log(0.25) + \
            (n - i) * math.log(0.75)

    every = sum(math.exp(log_pmf(i)) for i in range(n + 1) if log_pmf(i) <= log_pmf(k) + 1e-9)
    assert binomial_two_sided(k, n, 0.25) == pytest.approx(min(1.0, every), rel=1e-9)


@pytest.mark.parametrize("recent, earlier, significant", [
    (40, 120, False),  # the same daily rate
    (30, 120, False),  # a little less: noise
    (10, 120, True),  # a third of the rate
    (0, 30, True),
    (2, 3, False),  # too few to tell
    (80, 120, True),  # a rise is significant too (not a fall)
])
def test_volume_change_flags_only_significant_changes(recent: int, earlier: int, significant: bool) -> None:
    rate, p_value = volume_change(recent, earlier)
    assert rate == pytest.approx((recent / 28) / (earlier / 84))
    assert (p_value < 0.05) is significant


def test_wilson_interval_known_values() -> None:
    low, high = wilson(10, 40)  # by hand: centre 0.2719, half-width 0.1300
    assert (round(low, 4), round(high, 4)) == (0.1419, 0.4019)
    assert wilson(0, 20)[0] == 0.0


def _direction(source: str, recipient: str, items: int, topics: dict[str, int] | None = None,
               same_day: int = 0, picked: int = 0) -> Direction:
    counts = Counts(items=items, same_day=same_day, picked_up=picked)
    months = {q: {date(2026, 3, 1): n} for q, n in (topics or {}).items()}
    return Direction(source, recipient, {date(2026, 3, 1): counts}, topics=tuple(topics or ()), topic_months=months)


def _daily(recent_per_day: float, earlier_per_day: float) -> dict[date, int]:
    found = {}
    for offset in range(112):
        day = LAST - timedelta(days=offset)
        found[day] = round(recent_per_day if offset < 28 else earlier_per_day)
    return found


def _commitment(status: CommitmentStatus, due: date | None = None) -> Commitment:
    return Commitment("c", 1, "Exchange news daily", "irna", due, status, "", (), datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_keeping_pace_when_every_scored_component_meets_its_target() -> None:
    figures = Figures("a", WINDOW, [_direction("krtc", "irna", 60, {"medtop:11000000": 5, "medtop:04000000": 2}),
                                    _direction("irna", "krtc", 40)])
    pace = assess(figures, _daily(3, 3), [_commitment(CommitmentStatus.DONE)], "active", LAST)
    assert pace.state is State.KEEPING_PACE
    parts = {c.name: c for c in pace.components}
    assert list(parts) == ["volume_trend", "balance", "same_day_share", "pickup_rate", "topic_coverage", "roadmap"]
    assert parts["balance"].value == pytest.approx(40 / 60) and parts["balance"].met
    assert parts["topic_coverage"].value == 1.0
    assert parts["same_day_share"].met is None  # shown, not scored: no target set


def test_slipping_says_why() -> None:
    figures = Figures("a", WINDOW, [_direction("irna", "ria", 90, {"medtop:11000000": 3, "medtop:04000000": 0}),
                                    _direction("ria", "irna", 10)])
    pace = assess(figures, _daily(1, 4), [_commitment(CommitmentStatus.PLANNED, date(2026, 1, 1))], "active", LAST)
    assert pace.state is State.SLIPPING
    missed = {c.name for c in pace.components if c.met is False}
    assert missed == {"volume_trend", "balance", "topic_coverage", "roadmap"}
    assert any("significant fall" in r for r in pace.reasons)
    assert any("medtop:04000000" in r for r in pace.reasons)
    assert any("1 overdue" in r for r in pace.reasons)


@pytest.mark.parametrize("status, daily", [("suspended", _daily(3, 3)), ("active", _daily(0, 3))])
def test_stalled_when_not_active_or_nothing_shared_for_four_weeks(status: str, daily: dict[date, int]) -> None:
    figures = Figures("a", WINDOW, [_direction("krtc", "irna", 5), _direction("irna", "krtc", 5)])
    assert assess(figures, daily, [], status, LAST).state is State.STALLED


def test_pickup_rate_needs_twenty_received_items() -> None:
    few = Figures("a", WINDOW, [_direction("krtc", "irna", 19, picked=5)])
    many = Figures("a", WINDOW, [_direction("krtc", "irna", 20, picked=5)])
    rate = {c.name: c for c in assess(few, _daily(1, 1), [], "active", LAST).components}["pickup_rate"]
    assert rate.value is None
    rate = {c.name: c for c in assess(many, _daily(1, 1), [], "active", LAST).components}["pickup_rate"]
    assert rate.value == 0.25 and rate.details["interval_95"] == list(wilson(5, 20))


def test_coverage_counts_each_agreed_topic_per_month() -> None:
    figures = Figures("a", WINDOW, [_direction("krtc", "irna", 5, {"a": 1, "b": 0, "c": 2, "d": 0, "e": 7})])
    assert coverage_by_month(figures) == {date(2026, 3, 1): 0.6}
