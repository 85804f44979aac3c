"""The inbox: what partners delivered, newest first, each item once (its newest delivered
version), released by embargo and delay, followed by corrections and withdrawals, shared
with the recipient's outlets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading
from newsbridge.items import queries
from tests.databases import generic_plans

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}


def story(uri: str, headline: str, version: str = "1", **extra: object) -> dict[str, Any]:
    return {"uri": uri, "version": version, "type": "text", "language": "en", "subjects": [POLITICS],
            "headlines": [{"role": "main", "value": headline}], **extra}


def moment(**delta: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat(timespec="seconds")


@pytest.fixture
async def exchange(client, make_partner):  # type: ignore[no-untyped-def]
    """Alpha shares politics in English with beta under an active agreement; returns (a, b, agreement id)."""
    return await _exchange(client, make_partner)


async def _exchange(client, make_partner, **terms: object):  # type: ignore[no-untyped-def]
    a = make_partner("alpha", scopes=MANAGE, credit_name="Alpha News")
    b = make_partner("beta", scopes=MANAGE)
    created = await client.post("/api/v1/agreements", headers=a.headers, json={
        "title": "Alpha-Beta", "parties": ["alpha", "beta"],
        "terms": [{"from": "alpha", "topics": ["medtop:11000000"], "languages": ["en"], **terms}]})
    agreement_id = created.json()["id"]
    for partner, action in ((a, "propose"), (a, "sign"), (b, "sign")):
        assert (await client.post(f"/api/v1/agreements/{agreement_id}:{action}", headers=partner.headers)
                ).status_code == 200
    return a, b, agreement_id


async def publish(client, partner, doc: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def inbox(client, partner, **params: object) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/inbox", params=params, headers=partner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


def headlines(entries: list[dict[str, Any]]) -> list[str]:
    return [e["headlines"][0]["value"] for e in entries]


def later(monkeypatch: pytest.MonkeyPatch, **delta: float) -> None:
    """Read the inbox as if this much time had passed (routing already happened at publication)."""
    now = datetime.now(timezone.utc) + timedelta(**delta)
    monkeypatch.setattr(queries, "utcnow", lambda: now)


async def test_newest_first_with_since_and_limit(client, exchange) -> None:
    a, b, _ = exchange
    for n in range(1, 4):
        await publish(client, a, story(f"urn:alpha:{n}", f"Story {n}"))
    entries = await inbox(client, b)
    assert headlines(entries) == ["Story 3", "Story 2", "Story 1"]
    assert headlines(await inbox(client, b, limit=2)) == ["Story 3", "Story 2"]
    oldest = entries[-1]["received"]["availableFrom"]
    assert headlines(await inbox(client, b, since=oldest)) == ["Story 3", "Story 2"]
    assert await inbox(client, b, since=entries[0]["received"]["availableFrom"]) == []
    naive = datetime.fromisoformat(oldest).astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    assert headlines(await inbox(client, b, since=naive)) == ["Story 3", "Story 2"]  # naive means UTC


async def test_on_postgresql_the_inbox_is_planned_for_its_parameters(client, exchange,  # type: ignore[no-untyped-def]
                                                                      engine) -> None:
    """psycopg prepares a statement a connection ran 5 times, and PostgreSQL may then keep a generic plan for it:
    the inbox's page took 3.4 x with one at 20,000 items (bench/generic_plans.py), and the desk's first page, the
    same statement's kin, got one by itself and took 30 x. Here the session even asks for generic plans."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    a, _b, _ = exchange
    for n in range(1, 4):
        await publish(client, a, story(f"urn:alpha:{n}", f"Story {n}"))
    with reading(engine) as conn:
        beta = get_organization(conn, "beta")
        with generic_plans(conn):
            pages = [[record.latest.document["headlines"][0]["value"]
                      for record, _how in queries.inbox(conn, beta, limit=2)] for _ in range(12)]
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_custom_plan"
    assert pages == [["Story 3", "Story 2"]] * 12


@pytest.mark.parametrize("limit", [0, 501, "many"])
async def test_a_bad_limit_is_refused(client, exchange, limit) -> None:
    _, b, _ = exchange
    response = await client.get("/api/v1/inbox", params={"limit": limit}, headers=b.headers)
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("invalid", "limit")


async def test_the_inbox_entry_says_how_the_item_came(client, exchange) -> None:
    a, b, agreement_id = exchange
    item = await publish(client, a, story("urn:alpha:1", "Parliament votes"))
    [entry] = await inbox(client, b)
    assert (entry["id"], entry["source"]["slug"], entry["uri"]) == (item["id"], "alpha", "urn:alpha:1")
    assert entry["received"]["agreement"] == {"id": agreement_id, "title": "Alpha-Beta"}
    assert entry["received"]["creditLine"] == "Alpha News via Newsbridge"
    assert "Politics" in entry["received"]["reason"] or "politics" in entry["received"]["reason"]
    [as2] = await inbox(client, b, format="ninjs2")
    assert as2["pubstatus"] == "usable" and "pubStatus" not in as2


async def test_an_embargoed_item_appears_only_after_its_embargo(client, exchange, monkeypatch) -> None:
    a, b, _ = exchange
    passed = await publish(client, a, story("urn:alpha:passed", "Embargo passed", embargoedUntil=moment(seconds=-5)))
    tomorrow = moment(days=1)
    held = await publish(client, a, story("urn:alpha:held", "Embargo tomorrow", embargoedUntil=tomorrow))
    assert headlines(await inbox(client, b)) == ["Embargo passed"]
    assert (await client.get(f"/api/v1/items/{held['id']}", headers=b.headers)).status_code == 404
    assert (await client.get(f"/api/v1/items/{passed['id']}", headers=b.headers)).status_code == 200

    later(monkeypatch, days=1, minutes=1)
    entries = await inbox(client, b)
    assert headlines(entries) == ["Embargo tomorrow", "Embargo passed"]
    assert datetime.fromisoformat(entries[0]["received"]["availableFrom"]) == datetime.fromisoformat(tomorrow)
    assert (await client.get(f"/api/v1/items/{held['id']}", headers=b.headers)).status_code == 200


async def test_a_delay_in_the_terms_holds_an_item_back(client, make_partner, monkeypatch) -> None:
    a, b, _ = await _exchange(client, make_partner, delay_minutes=30)
    item = await publish(client, a, story("urn:alpha:1", "Thirty minutes later"))
    assert await inbox(client, b) == []
    assert (await client.get(f"/api/v1/items/{item['id']}", headers=b.headers)).status_code == 404
    later(monkeypatch, minutes=29)
    assert await inbox(client, b) == []
    later(monkeypatch, minutes=31)
    [entry] = await inbox(client, b)
    assert entry["id"] == item["id"]
    available = datetime.fromisoformat(entry["received"]["availableFrom"])
    published = datetime.fromisoformat(entry["hub"]["receivedAt"])
    assert abs(available - published - timedelta(minutes=30)) < timedelta(seconds=5)


async def test_a_correction_replaces_the_delivered_version(client, exchange) -> None:
    a, b, _ = exchange
    item = await publish(client, a, story("urn:alpha:1", "Parliament votes on budget"))
    await publish(client, a, story("urn:alpha:2", "Another story"))
    await publish(client, a, story("urn:alpha:1", "Parliament passes the budget", version="2"))
    entries = await inbox(client, b)
    assert sorted(headlines(entries)) == ["Another story", "Parliament passes the budget"]
    [corrected] = [e for e in entries if e["id"] == item["id"]]
    assert (corrected["version"], corrected["hub"]["version"]) == ("2", 2)
    read = (await client.get(f"/api/v1/items/{item['id']}", headers=b.headers)).json()
    assert read["headlines"][0]["value"] == "Parliament passes the budget"
    versions = (await client.get(f"/api/v1/items/{item['id']}/versions", headers=b.headers)).json()
    assert [v["headlines"][0]["value"] for v in versions["versions"]] == ["Parliament votes on budget",
                                                                           "Parliament passes the budget"]


async def test_a_later_version_under_embargo_waits_while_the_delivered_one_stays(client, exchange,
                                                                               monkeypatch) -> None:
    a, b, _ = exchange
    item = await publish(client, a, story("urn:alpha:1", "Budget talks continue"))
    await publish(client, a, story("urn:alpha:1", "Budget agreed", version="2", embargoedUntil=moment(hours=2)))
    assert headlines(await inbox(client, b)) == ["Budget talks continue"]
    read = (await client.get(f"/api/v1/items/{item['id']}", headers=b.headers)).json()
    assert (read["headlines"][0]["value"], read["hub"]["version"]) == ("Budget talks continue", 1)
    versions = (await client.get(f"/api/v1/items/{item['id']}/versions", headers=b.headers)).json()
    assert [v["version"] for v in versions["versions"]] == ["1"]
    assert "Budget agreed" not in (await client.get(f"/api/v1/items/{item['id']}/versions",
                                                    headers=b.headers)).text
    later(monkeypatch, hours=2, minutes=1)
    assert headlines(await inbox(client, b)) == ["Budget agreed"]



@pytest.mark.parametrize("case", ["new-item-created-before-the-poll", "correction-keeping-firstCreated",
                                  "withdrawal-after-suspension"])
async def test_a_partner_polling_with_since_gets_every_later_delivery(client, exchange, case) -> None:
    a, b, agreement_id = exchange
    created = moment(minutes=-10)  # written at the source ten minutes ago, sent to the hub now
    if case == "new-item-created-before-the-poll":
        await publish(client, a, story("urn:alpha:1", "First story"))
        [seen] = await inbox(client, b)
        await publish(client, a, story("urn:alpha:2", "Written earlier, sent later", firstCreated=created))
        expected = ["Written earlier, sent later"]
    elif case == "correction-keeping-firstCreated":
        await publish(client, a, story("urn:alpha:1", "Parliament votes on budget", firstCreated=created))
        [seen] = await inbox(client, b)
        await publish(client, a, story("urn:alpha:1", "Parliament passes the budget", version="2",
                                       firstCreated=created))
        expected = ["Parliament passes the budget"]
    else:
        await publish(client, a, story("urn:alpha:1", "Parliament votes"))
        [seen] = await inbox(client, b)
        await client.post(f"/api/v1/agreements/{agreement_id}:suspend", headers=a.headers)
        await publish(client, a, story("urn:alpha:1", "Parliament votes", version="2", pubStatus="canceled"))
        expected = ["Parliament votes"]
    assert expected[0] in headlines(await inbox(client, b))  # delivered: only `since` loses it
    polled = await inbox(client, b, since=seen["received"]["availableFrom"])
    assert headlines(polled) == expected


async def test_a_withdrawal_reaches_the_recipient_after_the_agreement_was_suspended(client, exchange) -> None:
    a, b, agreement_id = exchange
    item = await publish(client, a, story("urn:alpha:1", "Parliament votes"))
    suspended = await client.post(f"/api/v1/agreements/{agreement_id}:suspend", headers=a.headers)
    assert suspended.json()["status"] == "suspended"
    await publish(client, a, story("urn:alpha:1", "Parliament votes", version="2", pubStatus="canceled"))
    await publish(client, a, story("urn:alpha:2", "Sent while suspended"))
    [entry] = await inbox(client, b)
    assert (entry["id"], entry["pubStatus"], entry["hub"]["version"]) == (item["id"], "canceled", 2)
    read = (await client.get(f"/api/v1/items/{item['id']}", headers=b.headers)).json()
    assert read["pubStatus"] == "canceled"
    assert "corrections and withdrawals always follow" in read["received"]["reason"]


async def test_a_withdrawal_reaches_the_recipient_after_the_agreement_ended(client, exchange) -> None:
    a, b, agreement_id = exchange
    item = await publish(client, a, story("urn:alpha:1", "Parliament votes"))
    assert (await client.post(f"/api/v1/agreements/{agreement_id}:end", headers=b.headers)).status_code == 200
    await publish(client, a, story("urn:alpha:1", "Parliament votes", version="2", pubStatus="canceled"))
    [entry] = await inbox(client, b)
    assert (entry["id"], entry["pubStatus"]) == (item["id"], "canceled")


async def test_an_outlet_of_the_recipient_sees_its_inbox(client, exchange, make_partner) -> None:
    a, b, agreement_id = exchange
    outlet = make_partner("beta-radio", parent="beta")
    item = await publish(client, a, story("urn:alpha:1", "Parliament votes"))
    await publish(client, a, story("urn:alpha:2", "Embargoed", embargoedUntil=moment(days=1)))
    [entry] = await inbox(client, outlet)
    assert (entry["id"], entry["received"]["agreement"]["id"]) == (item["id"], agreement_id)
    assert entry["received"]["creditLine"] == "Alpha News via Newsbridge"
    assert (await client.get(f"/api/v1/items/{item['id']}", headers=outlet.headers)).status_code == 200
    assert await inbox(client, a) == []  # the source's own items are not in its inbox
