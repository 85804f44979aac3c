"""The roadmap burn-down, rebuilt from the history of status changes: open and due-later commitments at
the end of each period, in the viewer's time zone."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from newsbridge.exchange.agreements import Event
from newsbridge.exchange.roadmap import Commitment, CommitmentStatus
from newsbridge.metrics.burndown import burndown, status_at
from newsbridge.metrics.periods import Granularity, Window

UTC = timezone.utc


def commitment(cid: str, status: str, due: date | None) -> Commitment:
    return Commitment(cid, 1, cid, None, due, CommitmentStatus(status), "", (), datetime(2026, 1, 1, tzinfo=UTC))


def change(cid: str, before: str, after: str, at: datetime) -> Event:
    return Event("commitment", "krtc", "test", "active", "active",
                 {"commitment": cid, "title": cid, "from": before, "to": after}, at)


COMMITMENTS = [commitment("a", "done", date(2025, 2, 15)), commitment("b", "dropped", date(2025, 1, 31)),
               commitment("c", "in_progress", date(2025, 3, 31)), commitment("d", "planned", None)]
EVENTS = [
    change("a", "planned", "in_progress", datetime(2025, 1, 10, tzinfo=UTC)),
    change("a", "in_progress", "done", datetime(2025, 2, 28, 21, 0, tzinfo=UTC)),  # 1 March 00:30 in Tehran
    change("b", "planned", "dropped", datetime(2025, 2, 3, tzinfo=UTC)),
    change("c", "planned", "blocked", datetime(2025, 1, 20, tzinfo=UTC)),
    change("c", "blocked", "in_progress", datetime(2025, 3, 5, tzinfo=UTC)),
    # measured by the hub: the state changed, the status did not (still in progress)
    Event("commitment_measured", "krtc", "hub", "active", "active",
          {"commitment": "c", "from": "on_track", "to": "behind", "status_from": "in_progress",
           "status_to": "in_progress"}, datetime(2025, 3, 20, tzinfo=UTC)),
    Event("sign", "krtc", "test", "proposed", "active", None, datetime(2025, 1, 1, tzinfo=UTC)),  # not a commitment
]


def test_a_past_status_undoes_the_later_changes() -> None:
    a = COMMITMENTS[0]
    changes = [e for e in EVENTS if e.details and e.details.get("commitment") == "a"]
    assert status_at(a, changes, datetime(2025, 1, 1, tzinfo=UTC)) == "planned"
    assert status_at(a, changes, datetime(2025, 2, 1, tzinfo=UTC)) == "in_progress"
    assert status_at(a, changes, datetime(2025, 3, 1, tzinfo=UTC)) == "done"


def test_the_hubs_own_measurements_move_statuses_too() -> None:
    d = commitment("d", "done", None)
    measured = [Event("commitment_measured", "krtc", "hub", "active", "active",
                      {"commitment": "d", "from": "on_track", "to": "done", "status_from": "in_progress",
                       "status_to": "done"}, datetime(2025, 2, 10, tzinfo=UTC))]
    window = Window(date(2025, 1, 1), date(2025, 2, 28), ZoneInfo("UTC"), Granularity.MONTH)
    assert [(p.open, p.done) for p in burndown([d], measured, window)] == [(1, 0), (0, 1)]


@pytest.mark.parametrize("zone, february_open", [("UTC", 2), ("Asia/Tehran", 3)])
def test_open_and_due_later_per_month(zone: str, february_open: int) -> None:
    """``a`` was done at 21:00 UTC on 28 February: still February in UTC, already March in Tehran."""
    window = Window(date(2025, 1, 1), date(2025, 3, 31), ZoneInfo(zone), Granularity.MONTH)
    points = burndown(COMMITMENTS, EVENTS, window)
    assert [p.period for p in points] == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert [p.end for p in points] == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    # January: all four open. February: b dropped, and a done in UTC's February, in Tehran's March.
    assert [p.open for p in points] == [4, february_open, 2]
    assert [p.done for p in points] == [0, 4 - 1 - february_open, 1]
    # due later (b is dropped now and never counts): a (15 Feb), c (31 Mar), d (no due day)
    assert [p.due_later for p in points] == [3, 2, 1]


def test_the_last_period_ends_with_the_window() -> None:
    window = Window(date(2025, 2, 1), date(2025, 2, 20), ZoneInfo("UTC"), Granularity.WEEK)
    points = burndown(COMMITMENTS, EVENTS, window)
    assert points[0].period == date(2025, 1, 27) and points[-1].end == date(2025, 2, 20)
    assert points[-1].due_later == 2  # c and d: a was due on 15 February, before the window's end
