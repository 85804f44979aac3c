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
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from newsbridge.db.engine import writing
from newsbridge.delivery.outbox import claim

from test_outbox import OK, T0, Hub, hub  # noqa: F401  (hub: the fixture)

AUTO_EXPLAIN = ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0", "SET auto_explain.log_analyze = on",
                "SET auto_explain.log_format = json", "SET auto_explain.log_level = notice")
HISTORY = 400  # delivered messages of the endpoint: ix_outbox_endpoint_id_state spans pages, the queue does not


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan] + [n for child in plan.get("Plans", ()) for n in _nodes(child)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_claim_is_planned_for_each_claim_and_its_guard_reads_only_the_item(hub: Hub) -> None:
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
        for n in range(10):  # ... and 10 messages due
            hub.publish(f"urn:plan:due:{n}")
        hub.sequence(T0)
        for statement in AUTO_EXPLAIN:
            conn.exec_driver_sql(statement)
        conn.commit()
        notices: list[str] = []
        raw.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        taken = claim(conn, "w", T0, 200, per_endpoint=None)
        conn.rollback()
    assert len(taken) == 10
    plans = [json.loads(n.split("plan:", 1)[1])["Plan"] for n in notices if "FOR UPDATE OF outbox" in n]
    assert plans
    for plan in plans:
        conditions = json.dumps([{k: v for k, v in n.items() if k != "Plans"} for n in _nodes(plan)])
        assert "$1" not in conditions  # the claim's own time in the plan: planned for this claim, not a generic plan
        guard = [n for n in _nodes(plan) if n.get("Alias") == "earlier"]
        # the guard read the candidate's own item: none of the endpoint's history examined and thrown away
        assert guard and sum(n.get("Rows Removed by Filter", 0) * n.get("Actual Loops", 1) for n in guard) == 0, \
            json.dumps(guard)
