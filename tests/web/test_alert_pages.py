"""The alert centre over HTTP on both databases: what raises an alert, the unread count, read and
dismissed state, settings, saved searches, and that an alert is only ever the member's own."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from newsbridge.accounts.members import list_members
from newsbridge.accounts.organizations import get_organization
from newsbridge.alerts.feed import alerts_for
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import endpoints
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.ingest.sources import Poll, add_source, get_source, record_poll
from tests.conftest import active_agreement
from tests.databases import generic_plans

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")
KEY = re.compile(r'data-key="([^"]+)"')


def story(uri: str, headline: str, version: str = "1", **extra: Any) -> dict[str, Any]:
    return {"uri": uri, "version": version, "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": f"{headline}. Text."}], **extra}


@pytest.fixture
async def world(client, make_partner, sign_in):  # type: ignore[no-untyped-def]
    kazinform = make_partner("kazinform", scopes=MANAGE, name="Kazinform")
    irna = make_partner("irna", scopes=MANAGE, name="IRNA")
    make_partner("stranger", scopes=MANAGE, name="Stranger Daily")
    agreement = await active_agreement(client, kazinform, irna, {})

    async def publish(doc: dict[str, Any]) -> str:
        response = await client.post("/api/v1/items", json=doc, headers=kazinform.headers)
        assert response.status_code in (200, 201), response.text
        return response.json()["id"]

    return {"publish": publish, "irna": await sign_in("irna", "editor"), "kazinform": kazinform, "irna_key": irna,
            "agreement": agreement}


async def summary(desk) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = await desk.get("/alerts/summary")
    assert answer.status_code == 200
    return answer.json()


async def test_a_withdrawal_of_a_picked_up_item_is_a_loud_alert_with_the_url_to_take_down(world) -> None:  # type: ignore[no-untyped-def]
    irna = world["irna"]
    item_id = await world["publish"](story("kz-1", "Budget approved"))
    await world["publish"](story("kz-2", "Weather today"))
    assert (await summary(irna))["count"] == 0  # arrivals alone alert nobody
    picked = await irna.post(f"/items/{item_id}/pickup", {"url": "https://irna.example/en/news/42", "note": ""})
    assert picked.status_code == 303
    await world["publish"](story("kz-1", "Budget approved", version="2", pubStatus="canceled"))
    found = await summary(irna)
    assert found["count"] == 1 and found["label"] == "1 unread alert"
    assert found["notify"] == [{"key": f"withdrawn:{item_id}:2", "title": "Withdrawn: take your republication down",
                                "body": "Budget approved", "url": f"/alerts/open?key=withdrawn%3A{item_id}%3A2"}]
    page = (await irna.get("/alerts")).text
    assert "alert-entry kind-withdrawn unread loud" in page
    assert 'href="https://irna.example/en/news/42"' in page and "Take down:" in page
    opened = await irna.get(found["notify"][0]["url"])
    assert opened.status_code == 303 and opened.headers["location"] == f"/items/{item_id}"
    assert (await summary(irna))["count"] == 0
    assert "alert-entry kind-withdrawn loud" in (await irna.get("/alerts")).text  # read, still listed


async def test_on_postgresql_the_alerts_are_planned_for_their_parameters(  # type: ignore[no-untyped-def]
        world, engine) -> None:
    """psycopg prepares a statement a connection ran 5 times, and PostgreSQL chose a generic plan for the
    picked-up items' statement: 72 ms against 4.4 with 20 pickups at 20,000 items (bench/statement_plans.py),
    and every open page asks for the unread count. Here the session even asks for generic plans."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    irna = world["irna"]
    item_id = await world["publish"](story("kz-1", "Budget approved"))
    await irna.post(f"/items/{item_id}/pickup", {"url": "https://irna.example/1", "note": ""})
    await world["publish"](story("kz-1", "Budget approved after a second vote", version="2"))
    with reading(engine) as conn:
        org, [member] = get_organization(conn, "irna"), list_members(conn, "irna")
        with generic_plans(conn):
            found = [[alert.key for alert in alerts_for(conn, org, member)] for _ in range(12)]
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_custom_plan"
    assert found == [[f"corrected:{item_id}:2"]] * 12


async def test_a_correction_of_a_picked_up_item_alerts_and_a_new_one_alerts_again(world) -> None:  # type: ignore[no-untyped-def]
    irna = world["irna"]
    item_id = await world["publish"](story("kz-1", "Budget approved"))
    await irna.post(f"/items/{item_id}/pickup", {"url": "https://irna.example/1", "note": ""})
    await world["publish"](story("kz-1", "Budget approved after a second vote", version="2"))
    page = (await irna.get("/alerts")).text
    assert KEY.findall(page) == [f"corrected:{item_id}:2"]
    assert "Corrected: update your republication" in page and "Budget approved after a second vote" in page
    assert (await irna.post("/alerts/read", {"key": f"corrected:{item_id}:2"})).status_code == 303
    assert (await summary(irna))["count"] == 0
    await world["publish"](story("kz-1", "Budget approved after a third vote", version="3"))
    assert (await summary(irna))["count"] == 1
    assert (await irna.post("/alerts/dismiss", {"key": f"corrected:{item_id}:3"})).status_code == 303
    assert KEY.findall((await irna.get("/alerts")).text) == []  # one alert per item: the newest version's
    await world["publish"](story("kz-1", "Budget approved after a fourth vote", version="4"))
    assert KEY.findall((await irna.get("/alerts")).text) == [f"corrected:{item_id}:4"]
    # picking the corrected version up again settles it
    await irna.post(f"/items/{item_id}/pickup", {"url": "https://irna.example/1", "note": "updated"})
    assert KEY.findall((await irna.get("/alerts")).text) == []


async def test_an_agreement_awaiting_our_signature(world, client) -> None:  # type: ignore[no-untyped-def]
    kazinform, irna = world["kazinform"], world["irna"]
    created = await client.post("/api/v1/agreements", headers=kazinform.headers, json={
        "title": "Photo exchange", "parties": ["kazinform", "irna"], "terms": [{"from": "kazinform"}]})
    agreement_id = created.json()["id"]
    assert (await summary(irna))["count"] == 0  # a draft is not ours to sign yet
    await client.post(f"/api/v1/agreements/{agreement_id}:propose", headers=kazinform.headers)
    page = (await irna.get("/alerts")).text
    assert KEY.findall(page) == [f"signature:{agreement_id}:1"] and "Awaiting your signature" in page
    assert "Kazinform" in page
    await client.post(f"/api/v1/agreements/{agreement_id}:sign", headers=world["irna_key"].headers)
    assert (await summary(irna))["count"] == 0


async def test_roadmap_commitments_due_within_a_week_or_overdue(world, client) -> None:  # type: ignore[no-untyped-def]
    irna, agreement = world["irna"], world["agreement"]
    today = date.today()
    for title, due in (("Share photos", today + timedelta(days=3)), ("Translate weekly", today - timedelta(days=2)),
                       ("Joint podcast", today + timedelta(days=30))):
        added = await client.post(f"/api/v1/agreements/{agreement['id']}/roadmap", headers=world["irna_key"].headers,
                                  json={"title": title, "owner": "irna", "due": due.isoformat()})
        assert added.status_code in (200, 201), added.text
    await client.post(f"/api/v1/agreements/{agreement['id']}/roadmap", headers=world["irna_key"].headers,
                      json={"title": "Kazinform's own task", "owner": "kazinform", "due": today.isoformat()})
    page = (await irna.get("/alerts")).text
    assert "Share photos" in page and "Translate weekly" in page
    assert "Joint podcast" not in page and "Kazinform's own task" not in page
    assert "alert-entry kind-roadmap unread overdue" in page


async def test_failing_endpoints_and_sources(world, engine) -> None:  # type: ignore[no-untyped-def]
    irna = world["irna"]
    with writing(engine) as conn:
        endpoint, _ = create_endpoint(conn, world["irna_key"].org, "https://93.184.216.34/hook")
        conn.execute(endpoints.update().where(endpoints.c.id == endpoint.id)
                     .values(failing_since=datetime.now(timezone.utc) - timedelta(hours=1)))
        source = add_source(conn, world["irna_key"].org, "https://93.184.216.35/feed.xml")
        record_poll(conn, source, Poll(datetime.now(timezone.utc), "error", 500, 0, 0, 0, "HTTP 500", 12))
    page = (await irna.get("/alerts")).text
    assert "Webhook endpoint failing" in page and "https://93.184.216.34/hook" in page
    assert "Feed failing" in page and "HTTP 500" in page
    with writing(engine) as conn:
        record_poll(conn, get_source(conn, world["irna_key"].org, source.id),
                    Poll(datetime.now(timezone.utc), "ok", 200, 1, 0, 0, None, 10))
    assert "Feed failing" not in (await irna.get("/alerts")).text


async def test_settings_choose_kinds_and_partners_but_withdrawals_stay_on(world, sign_in, client, make_partner) -> None:  # type: ignore[no-untyped-def]
    irna = world["irna"]
    item_id = await world["publish"](story("kz-1", "Budget approved"))
    other_id = await world["publish"](story("kz-2", "Harvest record"))
    for picked in (item_id, other_id):
        await irna.post(f"/items/{picked}/pickup", {"url": f"https://irna.example/{picked}", "note": ""})
    await world["publish"](story("kz-1", "Budget approved again", version="2"))
    await world["publish"](story("kz-2", "Harvest record", version="2", pubStatus="canceled"))
    assert (await summary(irna))["count"] == 2
    form = await irna.get("/alerts/settings")
    assert form.status_code == 200 and 'value="withdrawn" checked disabled' in form.text
    saved = await irna.post("/alerts/settings", {"kinds": ["signature", "search"], "digest": "on"})
    assert saved.status_code == 303
    assert KEY.findall((await irna.get("/alerts")).text) == [f"withdrawn:{other_id}:2"]
    # a partner filter that leaves Kazinform out: still the withdrawal
    await irna.post("/alerts/settings", {"kinds": ["corrected"], "partners": ["stranger"]})
    assert KEY.findall((await irna.get("/alerts")).text) == [f"withdrawn:{other_id}:2"]
    await irna.post("/alerts/settings", {"kinds": ["corrected"], "partners": ["kazinform"]})
    assert len(KEY.findall((await irna.get("/alerts")).text)) == 2
    refused = await irna.post("/alerts/settings", {"kinds": ["gossip"]})
    assert refused.status_code == 422 and "unknown alert kind" in refused.text.lower()


async def test_saved_searches_alert_on_new_matches_only(world) -> None:  # type: ignore[no-untyped-def]
    irna = world["irna"]
    await world["publish"](story("kz-0", "Football cup draw"))  # before the search: no alert
    saved = await irna.post("/alerts/searches", {"q": "football", "name": "Football"})
    assert saved.status_code == 303
    settings = (await irna.get("/alerts/settings")).text
    assert 'href="/desk?q=football"' in settings
    await world["publish"](story("kz-1", "Football: Kazakhstan beat Iran"))
    await world["publish"](story("kz-2", "Wheat harvest"))
    page = (await irna.get("/alerts")).text
    assert "Football: Kazakhstan beat Iran" in page and "Wheat harvest" not in page
    assert "Football cup draw" not in page and "New match for a saved search" in page
    search_id = re.search(r'action="/alerts/searches/(\w+)/alerts"', settings)[1]
    assert (await irna.post(f"/alerts/searches/{search_id}/alerts", {})).status_code == 303  # stop alerts
    assert (await summary(irna))["count"] == 0
    nothing = await irna.post("/alerts/searches", {"name": "Empty"})
    assert nothing.status_code == 422


async def test_a_stranger_gets_404_for_every_alert_route_with_someone_elses_ids(world, sign_in) -> None:  # type: ignore[no-untyped-def]
    irna = world["irna"]
    item_id = await world["publish"](story("kz-1", "Budget approved"))
    await irna.post(f"/items/{item_id}/pickup", {"url": "https://irna.example/1", "note": ""})
    await world["publish"](story("kz-1", "Budget approved", version="2", pubStatus="canceled"))
    await irna.post("/alerts/searches", {"q": "budget"})
    search_id = re.search(r'action="/alerts/searches/(\w+)/alerts"', (await irna.get("/alerts/settings")).text)[1]
    key = f"withdrawn:{item_id}:2"
    for stranger in (await sign_in("stranger", "admin"), await sign_in("kazinform", "admin")):
        assert (await stranger.get("/alerts/open?" + urlencode({"key": key}))).status_code == 404
        for path in ("/alerts/read", "/alerts/dismiss"):
            assert (await stranger.post(path, {"key": key})).status_code == 404
        for path in (f"/alerts/searches/{search_id}/alerts", f"/alerts/searches/{search_id}/delete"):
            assert (await stranger.post(path, {})).status_code == 404
        assert "Budget approved" not in (await stranger.get("/alerts")).text
        assert (await summary(stranger))["count"] == 0
    # a colleague in the same organization shares the organization's alerts, not the saved search
    colleague = await sign_in("irna", "viewer")
    assert (await summary(colleague))["count"] == 1
    assert (await colleague.post(f"/alerts/searches/{search_id}/delete", {})).status_code == 404
    assert (await irna.post(f"/alerts/searches/{search_id}/delete", {})).status_code == 303


async def test_the_navigation_links_the_alert_centre_in_the_members_language(sign_in, make_partner) -> None:  # type: ignore[no-untyped-def]
    make_partner("irna")
    for locale, word in (("ru", "Оповещения"), ("kk", "Хабарламалар"), ("fa", "هشدارها")):
        member = await sign_in("irna", "editor", locale=locale)
        desk = (await member.get("/desk")).text
        assert f'<a href="/alerts" id="alerts-link">{word} ' in desk
        assert '<script src="/static/js/alerts.js" defer></script>' in desk
