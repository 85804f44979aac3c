"""The outbox's budget per endpoint (newsbridge.delivery.outbox.claim): at most ``per_endpoint`` of one
endpoint's messages on their way at once, one while it is failing, and a full endpoint never keeps the
others' messages out of a claim. On real SQLite and PostgreSQL, with the clock passed in."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from test_outbox import BROKEN, LEASE, OK, T0, Hub, hub  # noqa: F401  (hub: the fixture)

from newsbridge.delivery.outbox import Outcome


def test_an_endpoint_has_at_most_its_budget_on_the_way(hub: Hub) -> None:
    hub.ready(*(f"urn:budget:{n}" for n in range(12)))
    first = hub.claim("w1", T0, per_endpoint=8)
    assert len(first) == 8
    assert hub.claim("w2", T0, per_endpoint=8) == []  # whichever worker asks: the endpoint's room is used up
    for claimed in first[:3]:
        hub.record(claimed, OK, T0)
    assert len(hub.claim("w2", T0, per_endpoint=8)) == 3  # three answered: three more may go
    assert hub.claim("w1", T0, per_endpoint=None) != []  # without a budget, the last one goes too


def test_expired_leases_do_not_count(hub: Hub) -> None:
    hub.ready(*(f"urn:lease:{n}" for n in range(10)))
    crashed = hub.claim("crashed", T0, per_endpoint=4)
    assert len(crashed) == 4
    later = T0 + LEASE + timedelta(microseconds=1)  # the crashed worker's sends are due again ...
    taken = hub.claim("other", later, per_endpoint=4)
    assert {c.outbox_id for c in taken} == {c.outbox_id for c in crashed}  # ... and are the ones taken over


def test_a_failing_endpoint_gets_one_probe_until_it_answers(hub: Hub) -> None:
    endpoint = hub.ready(*(f"urn:probe:{n}" for n in range(6)))
    [first] = hub.claim("w", T0, limit=1)
    hub.record(first, BROKEN, T0)  # failing now; its first retry is immediate
    assert hub.endpoint_now(endpoint).failing_since == T0
    now = T0 + timedelta(seconds=1)
    [probe] = hub.claim("w", now)  # one message, while six are due
    assert hub.claim("w", now) == []
    hub.record(probe, OK, now)  # it answered: the endpoint is healthy again ...
    assert hub.endpoint_now(endpoint).failing_since is None
    assert len(hub.claim("w", now)) == 5  # ... and has its full budget (the other five)


def test_a_full_endpoint_does_not_keep_the_others_out_of_a_claim(hub: Hub) -> None:
    busy, _ = hub.endpoint("http://127.0.0.1:9/busy")
    for n in range(20):  # twenty messages to the busy endpoint come first in due order
        hub.publish(f"urn:busy:{n}")
    hub.sequence(T0)
    quiet, _ = hub.endpoint("http://127.0.0.1:9/quiet")
    for n in range(3):  # then three items to both endpoints
        hub.publish(f"urn:both:{n}")
    hub.sequence(T0)
    taken = Counter(c.endpoint_id for c in hub.claim("w", T0, limit=10, per_endpoint=4))
    # the first look finds only the busy endpoint's messages, takes four and looks again past it
    assert taken == {busy.id: 4, quiet.id: 3}


def test_retry_after_pauses_the_whole_endpoint(hub: Hub) -> None:
    endpoint = hub.ready(*(f"urn:busy-partner:{n}" for n in range(4)))
    [first] = hub.claim("w", T0, limit=1)
    hub.record(first, Outcome(429, "HTTP 429: slow down", retry_after=60), T0)
    assert hub.endpoint_now(endpoint).paused_until == T0 + timedelta(seconds=60)
    # three other messages are due, and the failing endpoint's probe would go: the partner asked to wait
    assert hub.claim("w", T0 + timedelta(seconds=59)) == []
    [probe] = hub.claim("w", T0 + timedelta(seconds=60))  # then one probe (the endpoint is failing) ...
    hub.record(probe, OK, T0 + timedelta(seconds=61))
    assert hub.endpoint_now(endpoint).paused_until is None  # ... whose 2xx ends the pause and the failure
    assert len(hub.claim("w", T0 + timedelta(seconds=61))) == 3
