"""Attempts with retries: the state machine and schedule that webhook messages (delivery/outbox.py) and
pushes of originals to partners' buckets (media/push.py) share, so both behave alike and one test
holds them.

pending -> in_flight -> delivered | retrying -> (in_flight again) ... -> dead after the last retry;
failed when the target refused for good or was turned off. dead, failed and delivered can be
replayed (back to pending).
"""

from __future__ import annotations

import random
from datetime import timedelta
from enum import StrEnum

from newsbridge.errors import Conflict

# Seconds to wait after each failed attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
RETRY_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
DISABLE_AFTER = timedelta(days=5)  # a target failing this long is turned off


class State(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    DEAD = "dead"
    FAILED = "failed"


TRANSITIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.IN_FLIGHT, State.FAILED}),
    State.IN_FLIGHT: frozenset({State.DELIVERED, State.RETRYING, State.DEAD, State.FAILED, State.IN_FLIGHT}),
    State.RETRYING: frozenset({State.IN_FLIGHT, State.FAILED}),
    State.DELIVERED: frozenset({State.PENDING}),  # replay
    State.DEAD: frozenset({State.PENDING}),  # replay
    State.FAILED: frozenset({State.PENDING}),  # replay
}


def check_transition(current: State, target: State, what: str = "message") -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a {current.value} {what} cannot become {target.value}", field="state")


def next_delay(attempts: int, rng: random.Random = random.Random()) -> float | None:
    """Seconds before the next try after ``attempts`` failed tries (the first retry is immediate), with
    ±10 % jitter; None once every retry of the schedule was used (1 try + 10 retries)."""
    if attempts > len(RETRY_SCHEDULE):
        return None
    return RETRY_SCHEDULE[attempts - 1] * rng.uniform(0.9, 1.1)
