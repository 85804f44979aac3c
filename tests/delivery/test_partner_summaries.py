"""What a source sees of its items' deliveries, per partner (``delivery/status.py``): read for a whole page
of items in two statements (/outgoing's 50 rows asked two each before), each item's partners as one
item's summary gives them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading, writing
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery.outbox import sequence
from newsbridge.delivery.status import partner_summaries, partner_summary
from newsbridge.ids import utcnow
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
ECONOMY = {"name": "economy", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}


async def publish(client, partner, uri: str, language: str,  # type: ignore[no-untyped-def]
                  subject: dict[str, str], **extra: object) -> str:
    doc = {"uri": uri, "version": "1", "type": "text", "language": language, "subjects": [subject],
           "headlines": [{"role": "main", "value": uri}], **extra}
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def shown(summary: list[dict[str, Any]]) -> list[tuple[str, int, str, dict[str, int]]]:
    return [(p["slug"], p["version"], p["status"], p["webhooks"]) for p in summary]


async def test_a_page_of_items_is_summed_up_in_two_statements_each_item_as_alone(client, make_partner,
                                                                                  engine) -> None:
    alpha = make_partner("alpha", scopes=MANAGE)
    beta, gamma = make_partner("beta-daily", scopes=MANAGE), make_partner("gamma-radio", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {"topics": ["medtop:11000000"], "languages": ["en"]})
    await active_agreement(client, alpha, gamma, {"languages": ["en"]}, title="Alpha-Gamma")
    with writing(engine) as conn:  # beta has a webhook endpoint; gamma reads its feed
        create_endpoint(conn, get_organization(conn, "beta-daily"), "http://127.0.0.1:9/hook", None, "3",
                        ("127.0.0.0/8",))
    until = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    both = await publish(client, alpha, "urn:alpha:both", "en", POLITICS)
    gamma_only = await publish(client, alpha, "urn:alpha:economy", "en", ECONOMY)
    embargoed = await publish(client, alpha, "urn:alpha:embargo", "en", POLITICS, embargoedUntil=until.isoformat())
    nobody = await publish(client, alpha, "urn:alpha:french", "fr", POLITICS)
    with writing(engine) as conn:
        sequence(conn, utcnow())

    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    with reading(engine) as conn:
        event.listen(conn, "before_cursor_execute", count)
        try:
            found = partner_summaries(conn, [both, gamma_only, embargoed, nobody, both])
        finally:
            event.remove(conn, "before_cursor_execute", count)
        alone = {item_id: partner_summary(conn, item_id) for item_id in (both, gamma_only, embargoed, nobody)}
    assert len(statements) == 2
    pending = f"pending until {until.isoformat()}"
    assert {item_id: shown(summary) for item_id, summary in found.items()} == {
        both: [("beta-daily", 1, "available", {"pending": 1}), ("gamma-radio", 1, "available", {})],
        gamma_only: [("gamma-radio", 1, "available", {})],
        embargoed: [("beta-daily", 1, pending, {}), ("gamma-radio", 1, pending, {})],
        nobody: [],
    }
    assert found == alone
    assert [p["name"] for p in found[both]] == ["Beta-Daily", "Gamma-Radio"]


def test_no_items_ask_nothing(engine) -> None:
    statements: list[str] = []
    with reading(engine) as conn:
        event.listen(conn, "before_cursor_execute", lambda *args: statements.append(args[2]))
        assert partner_summaries(conn, []) == {}
    assert statements == []
