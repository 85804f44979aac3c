"""The roadmap burn-down: how many commitments were still open at the end of each period.

Rebuilt from the agreement's history: every change of a commitment's status is recorded there
(``action = "commitment"`` with ``from`` and ``to`` when people move it; ``commitment_measured``
with ``status_from`` and ``status_to`` when the hub measures it), so a commitment's status on any past day
is its status now with the later changes undone, newest first. The hub keeps no day on which a
commitment was added, so each commitment counts from the window's start.

* **open**: neither done nor dropped at the end of the period;
* **due later**: of the commitments not dropped now, those whose due day falls after the end of
  the period (or that have none): what the plan itself allows to be still open, the line the
  open count should stay under;
* **done**: done at the end of the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from newsbridge.exchange.agreements import Event
from newsbridge.exchange.roadmap import Commitment, CommitmentStatus
from newsbridge.metrics.periods import Granularity, Window, local_midnight, period_start

CLOSED = (CommitmentStatus.DONE.value, CommitmentStatus.DROPPED.value)
BEFORE = {"commitment": "from", "commitment_measured": "status_from"}  # history action -> the status before


@dataclass(frozen=True)
class BurnPoint:
    period: date  # the period's first day
    end: date  # its last day in the window
    open: int
    due_later: int
    done: int


def _period_end(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.WEEK:
        return start + timedelta(days=6)
    if granularity is Granularity.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start


def status_at(commitment: Commitment, changes: Sequence[Event], moment: datetime) -> str:
    """The commitment's status at ``moment``: now, with every later recorded change undone."""
    status = commitment.status.value
    for event in sorted(changes, key=lambda e: e.at, reverse=True):
        if event.at < moment:
            break
        before = (event.details or {}).get(BEFORE.get(event.action, "from"))
        if isinstance(before, str):
            status = before
    return status


def burndown(commitments: Sequence[Commitment], events: Sequence[Event], window: Window) -> list[BurnPoint]:
    """One point per period of ``window``, counted at the end of the period's last local day (the
    window's last day for the last period)."""
    changes: dict[str, list[Event]] = {}
    for event in events:
        ref = (event.details or {}).get("commitment") if event.action in BEFORE else None
        if isinstance(ref, str):
            changes.setdefault(ref, []).append(event)
    planned = [c for c in commitments if c.status is not CommitmentStatus.DROPPED]
    points = []
    for start in window.periods():
        end = min(_period_end(start, window.granularity), window.last)
        moment = local_midnight(end + timedelta(days=1), window.zone)
        statuses = [status_at(c, changes.get(c.id, ()), moment) for c in commitments]
        points.append(BurnPoint(
            period=period_start(start, window.granularity), end=end,
            open=sum(1 for s in statuses if s not in CLOSED),
            due_later=sum(1 for c in planned if c.due is None or c.due > end),
            done=sum(1 for s in statuses if s == CommitmentStatus.DONE.value)))
    return points
