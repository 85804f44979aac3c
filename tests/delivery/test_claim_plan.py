"""The claim's plan on PostgreSQL is made for the outbox as it is at each claim (newsbridge.delivery.outbox.claim).

psycopg prepares a statement a connection has run 5 times, and PostgreSQL may then keep one generic plan for
it. In bench/slow_partner.py (auto_explain) the plan the worker's connections kept had the ordering guard probe
``ix_outbox_endpoint_id_state``, which reads every message the endpoint ever had, for each candidate: 0.4 ms a
probe, 85 ms for a claim whose first look met 200 of a slow partner's backlog (issue 17). Here the session asks
for generic plans and psycopg prepares at once, the first claims run on an all but empty outbox, then the
endpoint gets a history: the claim's SELECT must be planned for its own parameters (the code before failed
this: its plan was generic), and its guard must read the candidate's own item only: rows examined, from the
plan PostgreSQL ran (auto_explain), not a timing. (With 400 messages the old generic plan happened to probe
the right index here; what it chooses depends on the sizes when it was made, which is the point.)

The same holds whatever statistics the planner has: none yet, taken when the history was delivered and the
queue empty (autovacuum on a drained outbox: with the guard saying "unfinished" like ``ix_outbox_due``, the
planner walked that index, the whole queue, for every candidate; migration 0058), or taken with the queue there.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.db.tables import endpoints, organizations, outbox
from newsbridge.delivery.claim_queries import WALK_PAST
from newsbridge.delivery.outbox import Claim, claim

from test_outbox import OK, T0, Hub, hub  # noqa: F401  (hub: the fixture)

AUTO_EXPLAIN = ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0", "SET auto_explain.log_analyze = on",
                "SET auto_explain.log_format = json", "SET auto_explain.log_level = notice")
HISTORY = 400  # delivered messages of the endpoint: ix_outbox_endpoint_id_state spans pages, the queue does not


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan] + [n for child in plan.get("Plans", ()) for n in plan_nodes(child)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("analyzed", ["as_left", "drained", "queued"])
def test_the_claim_is_planned_for_each_claim_and_its_guard_reads_only_the_item(hub: Hub, analyzed: str) -> None:
    with hub.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM FULL outbox")  # compact whatever earlier tests left: sizes decide the plan
    hub.ready("urn:plan:first")
    with hub.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.prepare_threshold = 0  # psycopg prepares every statement (by default from its 5th run on a connection)
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")  # as PostgreSQL chose in the bench
        conn.commit()
        for _ in range(3):  # the worker's first claims, on an all but empty outbox
            claim(conn, "w", T0, 200, per_endpoint=None)
            conn.rollback()
        for n in range(HISTORY // 50):  # then the endpoint's history: delivered messages ...
            for uri in range(n * 50, n * 50 + 50):
                hub.publish(f"urn:plan:{uri}")
            hub.sequence(T0)
            for claimed in hub.claim("history", T0, per_endpoint=None):
                hub.record(claimed, OK, T0)
        _analyze(conn, analyzed == "drained")
        for n in range(10):  # ... and 10 messages due
            hub.publish(f"urn:plan:due:{n}")
        hub.sequence(T0)
        _analyze(conn, analyzed == "queued")
        taken, plans = _explained_claim(conn)
    assert taken == 10
    assert plans
    for plan in plans:
        conditions = json.dumps([{k: v for k, v in n.items() if k != "Plans"} for n in plan_nodes(plan)])
        assert "$1" not in conditions  # the claim's own time in the plan: planned for this claim, not a generic plan
        guard = [n for n in plan_nodes(plan) if n.get("Alias") == "earlier"]
        # the guard searched an index by the candidate's own item: none of the queue or of the endpoint's history
        # examined and thrown away; at most the candidate itself, where the index holds finished messages too
        assert guard, json.dumps(plan)
        for node in guard:
            assert node["Node Type"] in ("Index Scan", "Index Only Scan"), json.dumps(node)
            searched = node.get("Index Cond", "")
            assert "endpoint_id" in searched and "item_id" in searched, json.dumps(node)
            assert node.get("Rows Removed by Filter", 0) <= 1, json.dumps(node)


def _explained_claim(conn: Connection) -> tuple[int, list[dict[str, Any]]]:
    """Claim (rolled back) with auto_explain on: how many were taken, and the plans PostgreSQL ran for the claim's
    SELECT (one a pass)."""
    taken, ran = explained_claim(conn, per_endpoint=None)
    return len(taken), [p["Plan"] for p in ran if "FOR UPDATE OF outbox" in p["Query Text"]]


def explained_claim(conn: Connection, **claiming: Any) -> tuple[list[Claim], list[dict[str, Any]]]:
    """Claim (rolled back) with auto_explain on: what was taken, and what PostgreSQL logged of each statement it
    ran for the claim (``Query Text`` and ``Plan``)."""
    for statement in AUTO_EXPLAIN:
        conn.exec_driver_sql(statement)
    conn.commit()
    notices: list[str] = []
    conn.connection.dbapi_connection.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    taken = claim(conn, "w", T0, 200, **claiming)
    conn.rollback()
    return taken, [json.loads(n.split("plan:", 1)[1]) for n in notices if "plan:" in n]


def _fifty_endpoints(conn: Connection) -> None:
    """Organizations o0-o49, each with one endpoint, e0-e49."""
    conn.execute(organizations.insert(), [dict(id=f"o{n}", slug=f"o{n}", name="O", languages=[], timezone="UTC",
                                               credit_name="O", created_at=T0) for n in range(50)])
    conn.execute(endpoints.insert(), [dict(id=f"e{n}", organization_id=f"o{n}", url="https://p.example/hook",
                                           events=["item.published"], ninjs_version="3", format="ninjs3",
                                           secret="s", enabled=True, created_at=T0) for n in range(50)])


def _messages(state: str, count: int, first: int) -> list[dict[str, Any]]:
    return [dict(endpoint_id=f"e{n % 50}", event="item.published", message_id=f"m{first + n}", state=state, attempts=0,
                 next_attempt_at=T0 - timedelta(seconds=n), created_at=T0, item_id=f"i{first + n}", version=1)
            for n in range(count)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("analyzed", ["drained", "queued"])
def test_the_claim_walks_the_due_order_and_stops_at_its_batch(engine: Engine, analyzed: str) -> None:
    """5,000 messages due to 50 endpoints, over a delivered history: the claim's SELECT walks ``ix_outbox_due``
    and stops at its 200, with statistics from before the queue or with it (the code before read the whole
    queue, tested every message and sorted it: 122 ms a claim with 30,000 queued, bench/claim_plans.py)."""
    with engine.connect() as conn:
        _fifty_endpoints(conn)
        conn.execute(sa.insert(outbox), _messages("delivered", 2_000, 0))
        conn.commit()
        _analyze(conn, analyzed == "drained")
        conn.execute(sa.insert(outbox), _messages("pending", 5_000, 10_000))
        conn.commit()
        _analyze(conn, analyzed == "queued")
        taken, plans = _explained_claim(conn)
    assert taken == 200 and len(plans) == 1
    plan = plans[0]
    nodes = plan_nodes(plan)
    assert not [n for n in nodes if n["Node Type"] == "Sort"], json.dumps(plan)
    scan = next(n for n in nodes if n.get("Alias") == "outbox")
    assert (scan["Node Type"], scan.get("Index Name")) == ("Index Scan", "ix_outbox_due"), json.dumps(plan)
    assert scan["Actual Rows"] == 200, json.dumps(scan)


def _analyze(conn: Any, now: bool) -> None:
    if now:
        conn.exec_driver_sql("ANALYZE outbox")
        conn.commit()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_on_sqlite_the_claim_walks_the_due_index_past_a_full_endpoints_backlog(engine: Engine) -> None:
    """A slow partner's endpoint at its budget with 900 messages due before the 49 healthy partners' new ones
    (under ``WALK_PAST``: from there the claim walks the endpoints with room, test_claim_by_endpoint.py).
    SQLite, without statistics, read every due message by the index on state, looked each one's row up for its
    endpoint and sorted them: 72-86 ms a claim with 20,000 waiting (bench/slow_claim.py, issue 17). The claim
    must walk ``ix_outbox_due`` in due order, with no sort, and that index must name the endpoint, so the
    backlog is passed over in the index (migration 0060: 10 ms with 20,000 waiting). The plan SQLite made for
    the claim's own statement, as it ran, is what is checked; and the claim takes the healthy messages only."""
    with engine.connect() as conn:
        _fifty_endpoints(conn)
        slow = [dict(endpoint_id="e0", event="item.published", message_id=f"s{n}", attempts=0, created_at=T0,
                     item_id=f"s{n}", version=1, state="pending", next_attempt_at=T0 - timedelta(hours=1, seconds=n),
                     lease_until=None, claimed_by=None) for n in range(WALK_PAST - 100 + 8)]
        for held in slow[:8]:  # its budget, on its way under a live lease
            held.update(state="in_flight", lease_until=T0 + timedelta(minutes=5), claimed_by="other")
        healthy = [dict(endpoint_id=f"e{n}", event="item.published", message_id=f"h{n}", attempts=0, created_at=T0,
                        item_id=f"h{n}", version=1, state="pending", next_attempt_at=T0, lease_until=None,
                        claimed_by=None) for n in range(1, 50)]
        conn.execute(sa.insert(outbox), slow + healthy)
        conn.commit()
        ran: list[tuple[str, Any]] = []

        def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
            if statement.startswith("SELECT outbox.id, outbox.endpoint_id"):
                ran.append((statement, parameters))

        sa.event.listen(engine, "before_cursor_execute", seen)
        try:
            taken = claim(conn, "w", T0, 200, per_endpoint=8)
        finally:
            sa.event.remove(engine, "before_cursor_execute", seen)
        conn.rollback()
        assert sorted(c.endpoint_id for c in taken) == sorted(f"e{n}" for n in range(1, 50))
        statement, parameters = ran[0]
        plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
        walked = [conn.exec_driver_sql("PRAGMA index_info(ix_outbox_due)").all()]
    assert plan[0].startswith("SEARCH outbox USING INDEX ix_outbox_due"), plan
    assert not [step for step in plan if "TEMP B-TREE" in step], plan
    assert [row[2] for row in walked[0]] == ["next_attempt_at", "id", "endpoint_id"]
