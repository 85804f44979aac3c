"""The pace indicator: does a cooperation keep pace? Every part is shown with its value and target.

No black box: each component is a figure anyone can recompute from the metrics' series, a
target, and whether it is met. The state follows from the components alone (docs/metrics.md):

* **stalled**: the agreement is not active, or nothing was shared either way in the last 4 weeks;
* **slipping**: at least one scored component misses its target;
* **keeping pace**: every scored component meets its target.

Every target is the parties' own (``exchange.pace_targets.PaceTargets``, signed with the terms);
components without a target (by default same-day share and pickup rate) are shown and not scored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from newsbridge.exchange.roadmap import Commitment, progress
from newsbridge.exchange.pace_targets import PaceTargets
from newsbridge.metrics.figures import Figures

RECENT_DAYS = 28  # the last 4 weeks ...
EARLIER_DAYS = 84  # ... against the 12 weeks before them
SIGNIFICANCE = 0.05
WILSON_Z = 1.959963984540054  # 95 %
MIN_PICKUP_BASE = 20  # a pickup rate over fewer received items says nothing


class State(StrEnum):
    KEEPING_PACE = "keeping_pace"
    SLIPPING = "slipping"
    STALLED = "stalled"


Targets = PaceTargets  # what the parties aim at; defaults until an agreement names its own


@dataclass(frozen=True)
class Component:
    name: str  # volume_trend | balance | same_day_share | pickup_rate | topic_coverage | roadmap
    value: float | None
    target: str | None  # in words: ">= 0.5", "not falling"; None: shown, not scored
    met: bool | None  # None: not scored (no target, or not enough data)
    reason: str  # the figure in a sentence, English (pages translate it from the parts)
    details: Mapping[str, object]


@dataclass(frozen=True)
class Pace:
    state: State
    components: tuple[Component, ...]
    reasons: tuple[str, ...]  # why the state is what it is


def binomial_two_sided(k: int, n: int, p: float) -> float:
    """Exact two-sided binomial test: the probability of an outcome at most as likely as ``k``.

    The distribution rises to its mode and falls after it, so those outcomes are two tails: found
    by bisection on each side of the mode and summed outward from their inner ends until the terms
    no longer move the sum (a term per outcome, as before, cost the busiest agreement's page tens of
    milliseconds: the trend's 16 weeks hold thousands of items)."""
    if n == 0:
        return 1.0
    log_p, log_q, log_n = math.log(p), math.log1p(-p), math.lgamma(n + 1)

    def log_pmf(i: int) -> float:
        return log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q

    bound = log_pmf(k) + 1e-9
    mode = min(n, int((n + 1) * p))
    if log_pmf(mode) <= bound:
        return 1.0
    low, high = -1, mode  # the left tail is 0..low: the last i <= mode with log_pmf(i) <= bound
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if log_pmf(middle) <= bound else (low, middle)
    left = low
    low, high = mode, n + 1  # the right tail is high..n
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if log_pmf(middle) <= bound else (middle, high)
    total = 0.0
    for tail in (range(left, -1, -1), range(high, n + 1)):
        for i in tail:
            term = math.exp(log_pmf(i))
            total += term
            if term <= total * 1e-17:
                break
    return min(1.0, total)


def volume_change(recent: int, earlier: int) -> tuple[float | None, float]:
    """Rate of the last 4 weeks over the 12 weeks before (None when nothing came before), and the
    p-value of a Poisson test that both rates are equal: conditioned on the total, the recent count
    is binomial with p = 4/16."""
    rate = (recent / RECENT_DAYS) / (earlier / EARLIER_DAYS) if earlier else None
    share = RECENT_DAYS / (RECENT_DAYS + EARLIER_DAYS)
    return rate, binomial_two_sided(recent, recent + earlier, share)


def wilson(successes: int, n: int, z: float = WILSON_Z) -> tuple[float, float]:
    """Wilson score interval for a proportion."""
    phat = successes / n
    denominator = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denominator
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def coverage_by_month(figures: Figures) -> dict[date, float]:
    """Per month: agreed (direction, topic) pairs that carried at least one item, over all agreed
    pairs. Directions whose terms name no topics share everything and are left out."""
    cells: dict[date, list[bool]] = {}
    for direction in figures.directions:
        for months in direction.topic_months.values():
            for month, n in months.items():
                cells.setdefault(month, []).append(n > 0)
    return {month: sum(found) / len(found) for month, found in sorted(cells.items()) if found}


def _target(value: float | None) -> str | None:
    return None if value is None else f">= {value:g}"


def _volume(daily: Mapping[date, int], last: date, scored: bool = True) -> Component:
    recent_from = last - timedelta(days=RECENT_DAYS - 1)
    earlier_from = recent_from - timedelta(days=EARLIER_DAYS)
    recent = sum(n for day, n in daily.items() if recent_from <= day <= last)
    earlier = sum(n for day, n in daily.items() if earlier_from <= day < recent_from)
    rate, p_value = volume_change(recent, earlier)
    falling = rate is not None and rate < 1 and p_value < SIGNIFICANCE
    if rate is None:
        words = f"{recent} items in the last 4 weeks, none in the 12 weeks before"
    else:
        words = (f"{recent} items in the last 4 weeks against {earlier} in the 12 weeks before: "
                 f"{rate:.2f} times the earlier daily rate (p = {p_value:.3f})")
        words += ", a significant fall" if falling else ", no significant fall"
    return Component("volume_trend", rate, "not falling" if scored else None, not falling if scored else None, words,
                     {"recent": recent, "earlier": earlier, "p_value": p_value,
                      "recent_from": recent_from.isoformat(), "earlier_from": earlier_from.isoformat()})


def _balance(figures: Figures, targets: Targets) -> Component:
    value = figures.balance
    totals = {f"{d.source}>{d.recipient}": d.total.items for d in figures.directions}
    target = targets.balance
    if value is None:
        return Component("balance", None, _target(target), None if target is None else False,
                         "nothing was shared either way in the period", {"items": totals})
    least = min(d.total.items for d in figures.directions)
    thin = [f"{d.source} to {d.recipient}" for d in figures.directions if d.total.items == least]
    words = (f"the thinnest direction{'s' if len(thin) > 1 else ''} ({', '.join(thin)}) carried {value:.2f} "
             f"of the busiest")
    return Component("balance", value, _target(target), None if target is None else value >= target, words,
                     {"items": totals})


def _share(name: str, numerator: int, denominator: int, target: float | None, words: str,
           minimum: int = 1) -> Component:
    if denominator < minimum:
        return Component(name, None, _target(target), None,
                         f"too few items to tell ({denominator}, at least {minimum} needed)",
                         {"numerator": numerator, "denominator": denominator})
    value = numerator / denominator
    details: dict[str, object] = {"numerator": numerator, "denominator": denominator}
    if name == "pickup_rate":
        low, high = wilson(numerator, denominator)
        details["interval_95"] = [low, high]
    met = None if target is None else value >= target
    return Component(name, value, _target(target), met,
                     f"{numerator} of {denominator} {words}", details)


def _coverage(figures: Figures, targets: Targets) -> Component:
    by_month = coverage_by_month(figures)
    if not by_month:
        return Component("topic_coverage", None, None, None, "the terms name no topics", {})
    value = sum(by_month.values()) / len(by_month)
    empty = sorted({q for d in figures.directions for q, months in d.topic_months.items()
                    if not any(months.values())})
    words = f"on average {value:.0%} of the agreed topics carried items each month"
    if empty:
        words += f"; never in the period: {', '.join(empty)}"
    target = targets.topic_coverage
    return Component("topic_coverage", value, _target(target), None if target is None else value >= target, words, {"months": {m.isoformat(): v for m, v in by_month.items()}, "empty": empty})


def _roadmap(commitments: Sequence[Commitment], today: date) -> Component:
    done = progress(commitments, today)
    if not done.counted:
        return Component("roadmap", None, None, None, "the roadmap has no commitments", {})
    blocked = done.by_status["blocked"]
    words = f"{done.done} of {done.counted} commitments done, {done.overdue} overdue, {blocked} blocked"
    return Component("roadmap", done.done / done.counted, "none overdue or blocked",
                     done.overdue == 0 and blocked == 0, words,
                     {"done": done.done, "counted": done.counted, "overdue": done.overdue, "blocked": blocked,
                      "by_status": done.by_status})


def assess(figures: Figures, daily: Mapping[date, int], commitments: Sequence[Commitment], status: str,
           today: date, targets: Targets = Targets()) -> Pace:
    """Score the figures: ``daily`` holds items per day for at least the 16 weeks ending on the
    window's last day (``figures.daily_items``), ``status`` is the agreement's effective status."""
    total = _totals(figures)
    components = (
        _volume(daily, figures.window.last, targets.volume_not_falling),
        _balance(figures, targets),
        _share("same_day_share", total[1], total[0], targets.same_day_share,
               "shared items arrived on the day they were published"),
        _share("pickup_rate", total[2], total[0], targets.pickup_rate, "shared items were picked up",
               minimum=MIN_PICKUP_BASE),
        _coverage(figures, targets),
        _roadmap(commitments, today),
    )
    missed = [c for c in components if c.met is False]
    if status != "active":
        return Pace(State.STALLED, components, (f"the agreement is {status}",) + tuple(c.reason for c in missed))
    if components[0].details["recent"] == 0:
        return Pace(State.STALLED, components, ("nothing was shared either way in the last 4 weeks",))
    if missed:
        return Pace(State.SLIPPING, components, tuple(c.reason for c in missed))
    return Pace(State.KEEPING_PACE, components, ("every scored component meets its target",))


def _totals(figures: Figures) -> tuple[int, int, int]:
    """(shared items, same-day, picked up) over the window, every direction."""
    items = same_day = picked = 0
    for direction in figures.directions:
        total = direction.total
        items, same_day, picked = items + total.items, same_day + total.same_day, picked + total.picked_up
    return items, same_day, picked
