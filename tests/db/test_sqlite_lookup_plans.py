"""Lookups by item that SQLite, which keeps no statistics here, planned through an organization's whole history.

Timed on hubs of 20,000 and 100,000 items (``bench/generic_plans.py --auto-only``), three routes grew with the
history on SQLite and not on PostgreSQL: a recipient reading one item (10.9 -> 70 ms; the item page 44 -> 215),
the publisher's /outgoing (22 -> 58) and the alerts page (13 -> 45). In each, SQLite took the index on the
organization (the recipient's deliveries, the publisher's items) over the item's, and read every row of it.
SQLite chooses without statistics, so a small hub gets the same plans: each statement's plan is checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import get_organization
from newsbridge.alerts.feed import alerts_for
from newsbridge.db.engine import reading, writing
from newsbridge.desk.pickups import pickups_by_partners, record_pickup
from newsbridge.items.queries import get_item, list_versions, received
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
Exchanged = tuple[list[str], Any]  # alpha's three items, beta's editor


def plans(engine: Engine, conn: Connection, work: Callable[[], Any], table: str) -> list[list[str]]:
    """SQLite's plan of each statement ``work`` ran that reads ``table``."""
    ran: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if f" {table} " in statement or f"{table}." in statement:
            ran.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        work()
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert ran, f"nothing read {table}"
    return [[row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p)] for s, p in ran]


def searches(found: list[list[str]], table: str, by: str) -> list[str]:
    return [step for plan in found for step in plan if step.startswith(f"SEARCH {table} ") and f"({by}" in step]


@pytest.fixture
async def exchanged(client, make_partner, engine):  # type: ignore[no-untyped-def]
    """alpha published three items to beta; beta picked one up and alpha corrected it since."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner without statistics")
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {"languages": ["en"]})
    ids = []
    for n, version in ((1, "1"), (2, "1"), (3, "1"), (1, "2")):
        sent = await client.post("/api/v1/items", headers=alpha.headers, json={
            "uri": f"urn:alpha:{n}", "version": version, "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": f"Story {n} v{version}"}]})
        assert sent.status_code in (200, 201), sent.text
        ids.append(sent.json()["id"])
        if (n, version) == (1, "1"):
            with writing(engine) as conn:
                org = get_organization(conn, "beta")
                record_pickup(conn, org, None, ids[0], "https://beta.example/1")
    with writing(engine) as conn:
        member = add_member(conn, "beta", "editor@beta.example", "Editor", "editor", "a-long-password-1")
    return ids[:3], member


async def test_a_recipient_reads_an_item_by_the_items_deliveries(engine: Engine, exchanged: Exchanged) -> None:
    ids, _member = exchanged
    with reading(engine) as conn:
        beta = get_organization(conn, "beta")
        found = plans(engine, conn, lambda: get_item(conn, beta, ids[1]), "deliveries")
        found += plans(engine, conn, lambda: list_versions(conn, beta, ids[0]), "deliveries")
        assert [v.version for v in list_versions(conn, beta, ids[0])] == [1, 2]
    assert not searches(found, "deliveries", "recipient_id"), found
    assert searches(found, "deliveries", "item_id"), found


async def test_how_a_recipient_received_an_item_is_read_from_the_items_deliveries(engine: Engine,
                                                                                  exchanged: Exchanged) -> None:
    ids, _member = exchanged
    with reading(engine) as conn:
        beta = get_organization(conn, "beta")
        how: list[Any] = []
        found = plans(engine, conn, lambda: how.append(received(conn, beta, ids[0])), "deliveries")
    assert how[0] is not None and how[0].credit_line
    assert not searches(found, "deliveries", "recipient_id"), found


async def test_the_publishers_page_reads_the_pickups_of_its_rows_only(engine: Engine, exchanged: Exchanged) -> None:
    ids, _member = exchanged
    with reading(engine) as conn:
        alpha = get_organization(conn, "alpha")
        picked: dict[str, Any] = {}
        page = ids + [f"01NOSUCHITEM{n:014d}" for n in range(47)]  # a page of /outgoing: 50 rows (3 it read well)
        found = plans(engine, conn, lambda: picked.update(pickups_by_partners(conn, alpha, page)), "pickups")
    assert list(picked) == [ids[0]] and picked[ids[0]][0].url == "https://beta.example/1"
    assert not searches(found, "items", "organization_id"), found


async def test_the_alerts_read_the_picked_items_deliveries(engine: Engine, exchanged: Exchanged) -> None:
    ids, member = exchanged
    with reading(engine) as conn:
        beta = get_organization(conn, "beta")
        alerts: list[Any] = []
        found = plans(engine, conn, lambda: alerts.extend(alerts_for(conn, beta, member)), "pickups")
    assert [(a.kind, a.link) for a in alerts if a.kind == "corrected"] == [("corrected", f"/items/{ids[0]}")]
    assert not searches(found, "deliveries", "recipient_id"), found
