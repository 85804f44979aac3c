"""Suspending an organization (accounts/suspension.py), on both databases: its keys fail with
``organization_suspended``, its feeds and streams stop, publishing is refused, routing skips it as a
recipient, webhook messages to it are held (not dropped), and reactivation restores all of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from newsbridge.accounts import audit
from newsbridge.accounts.api_keys import key_active
from newsbridge.accounts.suspension import OrganizationSuspended, reactivate, suspend, suspended_ids
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import deliveries, outbox
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery.feeds import create_feed_token, open_feed
from newsbridge.delivery.outbox import claim, sequence
from newsbridge.formats.item import Item
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import Ingestor
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}


def _story(uri: str) -> dict[str, object]:
    return {"uri": uri, "language": "en", "headlines": [{"value": f"Story {uri}"}], "subjects": [POLITICS]}


def _delivered_to(engine, org_id: str) -> int:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(deliveries)
                            .where(deliveries.c.recipient_id == org_id)).scalar_one()


@pytest.fixture
async def pair(client, make_partner):  # type: ignore[no-untyped-def]
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta = make_partner("beta", scopes=("publish", "read", "manage"))
    await active_agreement(client, alpha, beta, {"topics": ["medtop:11000000"]})
    return alpha, beta


async def test_a_suspended_organizations_keys_fail_and_say_whom_to_contact(client, engine, pair) -> None:
    alpha, beta = pair
    assert (await client.get("/api/v1/inbox", headers=beta.headers)).status_code == 200
    with writing(engine) as conn:
        suspend(conn, beta.org, "unpaid invoices", actor="op@hub.example")
    for method, path in (("GET", "/api/v1/inbox"), ("GET", "/api/v1/feed"), ("GET", "/api/v1/organization"),
                         ("POST", "/api/v1/items")):
        answer = await client.request(method, path, headers=beta.headers, json=_story("urn:beta:1"))
        assert answer.status_code == 403, (path, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "organization_suspended" and "hub operator" in error["message"]
    assert (await client.get("/api/v1/inbox", headers=alpha.headers)).status_code == 200  # others go on
    with writing(engine) as conn:
        reactivate(conn, beta.org, actor="op@hub.example")
    assert (await client.get("/api/v1/inbox", headers=beta.headers)).status_code == 200


async def test_publishing_is_refused_even_past_the_api(engine, settings, pair) -> None:
    alpha, _beta = pair
    with writing(engine) as conn:
        suspend(conn, alpha.org, "compromised systems", actor="op@hub.example")
    ingestor = Ingestor(engine, settings)
    with pytest.raises(OrganizationSuspended):  # a source poll or the desk goes through the same pipeline
        ingestor.ingest_item(alpha.org, Item(uri="urn:alpha:polled", language="en", headline="Polled"))
    with writing(engine) as conn:
        reactivate(conn, alpha.org, actor="op@hub.example")
    assert ingestor.ingest_item(alpha.org, Item(uri="urn:alpha:polled", language="en", headline="Polled")).created


async def test_routing_skips_a_suspended_recipient_until_it_is_reactivated(client, engine, pair) -> None:
    alpha, beta = pair
    with writing(engine) as conn:
        suspend(conn, beta.org, "audit", actor="op@hub.example")
        assert suspended_ids(conn) == {beta.org.id}
    assert (await client.post("/api/v1/items", headers=alpha.headers, json=_story("urn:alpha:1"))).status_code == 201
    assert _delivered_to(engine, beta.org.id) == 0
    with writing(engine) as conn:
        reactivate(conn, beta.org, actor="op@hub.example")
    assert (await client.post("/api/v1/items", headers=alpha.headers, json=_story("urn:alpha:2"))).status_code == 201
    assert _delivered_to(engine, beta.org.id) == 1


async def test_webhook_messages_to_a_suspended_organization_are_held_not_dropped(client, engine, pair) -> None:
    alpha, beta = pair
    with writing(engine) as conn:
        create_endpoint(conn, beta.org, "https://93.184.216.34/hook")
    assert (await client.post("/api/v1/items", headers=alpha.headers, json=_story("urn:alpha:1"))).status_code == 201
    now = utcnow() + timedelta(seconds=1)
    with writing(engine) as conn:
        sequence(conn, now)
        suspend(conn, beta.org, "audit", actor="op@hub.example")
    with writing(engine) as conn:
        assert claim(conn, "worker", now) == []
        assert conn.execute(sa.select(outbox.c.state)).scalars().all() == ["pending"]  # still there
    with writing(engine) as conn:
        reactivate(conn, beta.org, actor="op@hub.example")
    with writing(engine) as conn:
        assert len(claim(conn, "worker", now)) == 1


async def test_feeds_and_streams_of_a_suspended_organization_stop(engine, pair) -> None:
    _alpha, beta = pair
    key_id = beta.key.split("_")[1]
    with writing(engine) as conn:
        raw = create_feed_token(conn, beta.org)
        suspend(conn, beta.org, "audit", actor="op@hub.example")
    with reading(engine) as conn:
        assert not key_active(conn, key_id)  # an open live stream asks this every few seconds, and closes
        with pytest.raises(OrganizationSuspended):
            open_feed(conn, raw)
    with writing(engine) as conn:
        reactivate(conn, beta.org, actor="op@hub.example")
    with reading(engine) as conn:
        assert key_active(conn, key_id) and open_feed(conn, raw)[0].id == beta.org.id


async def test_suspension_and_reactivation_are_on_both_audit_logs(engine, pair) -> None:
    _alpha, beta = pair
    with writing(engine) as conn:
        suspend(conn, beta.org, "audit", actor="op@hub.example", address="192.0.2.9")
        reactivate(conn, beta.org, actor="op@hub.example")
    with reading(engine) as conn:
        hub = [(e.action, e.target) for e in audit.hub_entries(conn, operator_only=True)]
        own = [e.action for e in audit.entries(conn, beta.org.id)]
    assert hub[:2] == [("operator.organization_reactivated", "beta"), ("operator.organization_suspended", "beta")]
    assert own[:2] == ["organization.reactivated", "organization.suspended"]


async def test_a_reason_is_required_and_suspending_twice_is_a_conflict(engine, pair) -> None:
    _alpha, beta = pair
    with writing(engine) as conn:
        with pytest.raises(Exception) as missing:
            suspend(conn, beta.org, "  ", actor="op@hub.example")
    assert missing.value.field == "reason"  # type: ignore[attr-defined]
    with writing(engine) as conn:
        suspend(conn, beta.org, "audit", actor="op@hub.example")
    with writing(engine) as conn:
        with pytest.raises(Exception) as twice:
            suspend(conn, beta.org, "again", actor="op@hub.example")
    assert twice.value.status == 409  # type: ignore[attr-defined]
