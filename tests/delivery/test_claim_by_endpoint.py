"""A claim beside endpoints with no room walks the endpoints with room one by one (delivery/claim_queries.py,
issue 17): on PostgreSQL whenever some endpoint has none, on SQLite from ``WALK_PAST`` of their messages due.

A partner slow or down for hours gathers messages due before everyone's new ones; the walk of the whole queue
passed over all of them at every claim (40 ms on PostgreSQL with 20,000 waiting, bench/slow_claim.py). The
endpoints' walk, by ``ix_outbox_endpoint_due``, must take exactly what the queue's walk takes, in the same order,
whatever the budgets, leases, retries and version order say; read none of the held backlog; and leave what
another worker's claim holds locked to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

import newsbridge.delivery.outbox as outbox_module
from newsbridge.db.outbox_tables import FINISHED_STATES, OUTBOX_AFTER_FINISHED, UNFINISHED_STATES
from newsbridge.db.tables import endpoints, organizations, outbox
from newsbridge.delivery.claim_queries import WALK_PAST, _due, still_due
from newsbridge.delivery.outbox import claim
from newsbridge.retries import State

from test_claim_plan import plan_nodes, explained_claim
from test_outbox import T0

BACKLOG = WALK_PAST + 200  # the held endpoints' messages due: over the line


def _endpoints(conn: Connection, count: int) -> None:
    """Organizations o0.., each with one endpoint e0..; e1 is failing, e2 paused by its partner, e3 turned off."""
    conn.execute(organizations.insert(), [dict(id=f"o{n}", slug=f"o{n}", name="O", languages=[], timezone="UTC",
                                               credit_name="O", created_at=T0) for n in range(count)])
    conn.execute(endpoints.insert(), [dict(id=f"e{n}", organization_id=f"o{n}", url="https://p.example/hook",
                                           events=["item.published"], ninjs_version="3", format="ninjs3",
                                           secret="s", enabled=n != 3, created_at=T0,
                                           failing_since=T0 - timedelta(hours=1) if n == 1 else None,
                                           paused_until=T0 + timedelta(minutes=5) if n == 2 else None)
                                      for n in range(count)])


def _message(endpoint: int, name: str, due: timedelta, *, state: str = "pending", item: str | None = None,
             version: int = 1, lease: timedelta | None = None) -> dict[str, Any]:
    return dict(endpoint_id=f"e{endpoint}", event="item.published", message_id=name, state=state, attempts=0,
                next_attempt_at=T0 - due, created_at=T0 - due, item_id=item or name, version=version,
                lease_until=None if lease is None else T0 + lease, claimed_by=None if lease is None else "other")


def _outbox(conn: Connection) -> None:
    """Backlogs of the endpoints with no room, due first; and around them every case the claim decides."""
    rows = [_message(0, f"full{n}", timedelta(hours=2, seconds=-n)) for n in range(BACKLOG // 2)]
    rows += [_message(0, f"full-held{n}", timedelta(hours=3), state="in_flight", lease=timedelta(minutes=5))
             for n in range(8)]  # e0's budget, on its way under another worker's live lease
    rows += [_message(1, f"failing{n}", timedelta(hours=2, seconds=-n)) for n in range(BACKLOG // 4)]
    rows.append(_message(1, "probe", timedelta(hours=3), state="in_flight", lease=timedelta(minutes=5)))
    rows += [_message(2, f"paused{n}", timedelta(hours=2, seconds=-n)) for n in range(BACKLOG // 4)]
    for n in range(4, 40):  # the healthy: a few due each, some more than their room
        rows += [_message(n, f"h{n}.{k}", timedelta(minutes=n, seconds=k)) for k in range(n % 11)]
    rows += [_message(5, "later", timedelta(minutes=-10), state="retrying"),  # its retry not yet due
             _message(6, "lease-lapsed", timedelta(hours=1), state="in_flight", lease=timedelta(minutes=-1)),
             _message(7, "lease-live", timedelta(hours=1), state="in_flight", lease=timedelta(minutes=1)),
             _message(8, "v1", timedelta(minutes=90), item="story"),  # versions in order: v2 waits for v1
             _message(8, "v2", timedelta(minutes=95), item="story", version=2),
             _message(9, "old-v1", timedelta(minutes=90), state="in_flight", item="old", lease=timedelta(minutes=1)),
             _message(9, "old-v2", timedelta(minutes=95), item="old", version=2),
             _message(10, "delivered", timedelta(hours=4), state="delivered"),
             _message(10, "dead", timedelta(hours=4), state="dead"),
             _message(11, "failed", timedelta(hours=4), state="failed")]
    conn.execute(sa.insert(outbox), rows)
    conn.commit()


def _claimed(conn: Connection, walk: str, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> list[str]:
    """The message ids a claim takes (rolled back), by the walk of the ``queue`` or by the claim's own choice."""
    with monkeypatch.context() as patched:
        if walk == "queue":
            patched.setattr(outbox_module, "_walks_endpoints", lambda *_args: False)
        taken = claim(conn, "w", T0, **kwargs)
    names = dict(conn.execute(sa.select(outbox.c.id, outbox.c.message_id)).all())
    conn.rollback()
    return [names[c.outbox_id] for c in taken]


@pytest.mark.parametrize("limit", [200, 40, 7])
def test_walking_the_endpoints_takes_what_walking_the_queue_takes(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                                   limit: int) -> None:
    with engine.connect() as conn:
        _endpoints(conn, 40)
        _outbox(conn)
        by_queue = _claimed(conn, "queue", monkeypatch, limit=limit)
        with _statements(engine) as ran:
            by_endpoint = _claimed(conn, "chosen", monkeypatch, limit=limit)
    assert by_endpoint == by_queue
    assert len(by_queue) == limit if limit < 200 else 100 < len(by_queue) < 200
    assert not {name for name in by_queue if name.startswith(("full", "failing", "paused", "probe"))}
    assert {"v1", "lease-lapsed"} <= set(by_queue)  # due first among those that may go
    assert not {"later", "lease-live", "v2", "old-v2", "delivered", "dead", "failed"} & set(by_queue)
    assert _walks(ran), ran  # the second claim did walk the endpoints


def test_the_unfinished_states_sort_after_every_finished_one() -> None:
    """The endpoints' walk says "unfinished" as ``ix_outbox_endpoint_due``'s predicate does: after the last
    finished state. In any collation: every unfinished state's first letter comes after every finished one's."""
    assert set(UNFINISHED_STATES) | set(FINISHED_STATES) == {state.value for state in State}
    assert max(state[0] for state in FINISHED_STATES) < min(state[0] for state in UNFINISHED_STATES)
    assert f"> '{max(FINISHED_STATES)}'" in OUTBOX_AFTER_FINISHED


def test_the_lock_checks_in_python_what_the_walk_asked_in_sql(engine: Engine) -> None:
    """A message the endpoints' walk chose may be taken by another worker before this claim locks it: the lock
    asks by id alone (claim_queries.LOCK_CHOSEN) and ``still_due`` decides, as the walk's own conditions do."""
    with engine.connect() as conn:
        _endpoints(conn, 40)
        _outbox(conn)
        due = set(conn.execute(sa.select(outbox.c.id).where(_due(OUTBOX_AFTER_FINISHED)), {"now": T0}).scalars())
        every = conn.execute(sa.select(outbox.c.id, outbox.c.state, outbox.c.next_attempt_at,
                                       outbox.c.lease_until)).all()
        conn.rollback()
    assert {row.id for row in every if still_due(row, T0)} == due
    assert 0 < len(due) < len(every)  # some of each: lapsed and live leases, retries not yet due, finished ones


def _walks(ran: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(s, p) for s, p in ran if "LATERAL" in s or s.startswith("SELECT outbox.id") and "endpoint_due" in s]


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    ran: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        ran.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        yield ran
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)


@pytest.mark.parametrize("analyzed", ["never", "drained", "queued"])
def test_the_claim_reads_the_endpoints_with_room_and_not_the_backlog(engine: Engine, analyzed: str) -> None:
    """PostgreSQL's plans whatever its statistics: none, taken over a delivered history before the queue came
    (autovacuum on a drained outbox), or taken with the queue there."""
    if engine.dialect.name == "sqlite" and analyzed != "never":
        pytest.skip("SQLite plans without statistics here")
    with engine.connect() as conn:
        _endpoints(conn, 40)
        if analyzed == "drained":
            conn.execute(sa.insert(outbox), [_message(n % 40, f"history{n}", timedelta(days=1), state="delivered")
                                             for n in range(4_000)])
            conn.exec_driver_sql("ANALYZE outbox")
        _outbox(conn)
        if conn.dialect.name == "sqlite":
            with _statements(engine) as ran:
                taken = claim(conn, "w", T0)
            conn.rollback()
            reads = [(s, p) for s, p in ran if "ix_outbox_endpoint_due" in s]
            assert len(reads) == 1 + 36  # the held backlog counted, then each enabled endpoint with room walked
            for statement, parameters in reads[:2]:
                plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                searches = [step for step in plan if step.startswith("SEARCH outbox")]
                assert searches and "ix_outbox_endpoint_due (endpoint_id=? AND next_attempt_at<?)" in searches[0], plan
                assert not [step for step in plan if "TEMP B-TREE" in step], plan
        else:
            if analyzed == "queued":
                conn.exec_driver_sql("ANALYZE outbox")
                conn.commit()
            taken, plans = explained_claim(conn)
            walked = [p["Plan"] for p in plans if "LATERAL" in p["Query Text"]]
            assert len(walked) == 1, [p["Query Text"][:80] for p in plans]
            # neither the walk nor the lock of what it chose reads the queue's index (the budgets' count of
            # messages in flight may, planned with statistics from a drained outbox, until the worker's refresh)
            queue = [p for p in plans if "ix_outbox_due" in json.dumps(p) and "GROUP BY" not in p["Query Text"]]
            assert not queue, json.dumps(queue)
            scans = [n for n in plan_nodes(walked[0])
                     if n.get("Relation Name") == "outbox" and n.get("Alias") == "outbox"]
            assert scans and all(n.get("Index Name") == "ix_outbox_endpoint_due" for n in scans), walked
            # each endpoint's walk read its own due messages only: none of the held backlog
            assert sum(n["Actual Rows"] * n["Actual Loops"] for n in scans) <= 36 * 8, walked
    assert taken and all(c.endpoint_id not in ("e0", "e1", "e2", "e3") for c in taken)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_walking_the_endpoints_take_different_messages(engine: Engine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The second worker's claim, while the first's transaction still holds its messages, takes others (SKIP
    LOCKED), nothing twice, and the two together no more of an endpoint than its budget."""
    with engine.connect() as conn:
        _endpoints(conn, 40)
        _outbox(conn)
    with engine.connect() as first, engine.connect() as second:
        one = claim(first, "w1", T0, limit=20)  # the transaction stays open: its messages locked
        two = claim(second, "w2", T0, limit=200)
        first.commit()
        second.commit()
    assert len(one) == 20 and two
    assert not {c.outbox_id for c in one} & {c.outbox_id for c in two}
    with engine.connect() as conn:
        per_endpoint = conn.execute(sa.select(outbox.c.endpoint_id, sa.func.count())
                                    .where(outbox.c.claimed_by.in_(["w1", "w2"])).group_by(outbox.c.endpoint_id)).all()
    # within one budget, not one each: the second claim's candidates were the first 8 of each endpoint too, and
    # those the first claim held locked it passed over, not past (the queue's walk may take 8 more: claim's doc)
    assert max(n for _e, n in per_endpoint) <= 8
