"""Agreements over HTTP: drafting, signing by every party, amending, suspending, ending;
their history and roadmap; what routing makes of them; and the errors partners meet."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.db.engine import writing

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
SPORT = {"name": "sport", "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000"}
TITLE = "Alpha-Beta politics exchange"
USAGE = "Republication with credit; no resale."


def agreement(**changes: object) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": TITLE, "parties": ["alpha", "beta"], "valid_from": "2020-01-01", "valid_until": "2099-12-31",
        "terms": [{"from": "alpha", "topics": ["medtop:11000000"], "languages": ["en"],
                   "credit_line": "{source} via Newsbridge", "usage_terms": USAGE}],
        "roadmap": [{"title": "Exchange news daily", "owner": "beta", "due": "2099-06-30", "status": "planned"}]}
    body.update(changes)
    return body


def story(uri: str, headline: str, subject: dict[str, str] = POLITICS) -> dict[str, Any]:
    return {"uri": uri, "version": "1", "type": "text", "language": "en", "subjects": [subject],
            "headlines": [{"role": "main", "value": headline}]}


@pytest.fixture
def parties(make_partner):  # type: ignore[no-untyped-def]
    """A (the source, credited as "Alpha News"), B, and C that has no agreement with anyone."""
    return (make_partner("alpha", scopes=MANAGE, credit_name="Alpha News"), make_partner("beta", scopes=MANAGE),
            make_partner("gamma", scopes=MANAGE))


async def act(client, agreement_id: str, action: str, partner, body: object = None):  # type: ignore[no-untyped-def]
    return await client.post(f"/api/v1/agreements/{agreement_id}:{action}", headers=partner.headers, json=body)


async def active_agreement(client, a, b, **changes: object) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    created = await client.post("/api/v1/agreements", json=agreement(**changes), headers=a.headers)
    assert created.status_code == 201, created.text
    for partner, action in ((a, "propose"), (a, "sign"), (b, "sign")):
        done = await act(client, created.json()["id"], action, partner)
        assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"
    return done.json()


async def publish(client, partner, uri: str, headline: str,  # type: ignore[no-untyped-def]
                  subject: dict[str, str] = POLITICS) -> str:
    response = await client.post("/api/v1/items", json=story(uri, headline, subject), headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def inbox_headlines(client, partner) -> list[str]:  # type: ignore[no-untyped-def]
    body = (await client.get("/api/v1/inbox", headers=partner.headers)).json()
    return [i["headlines"][0]["value"] for i in body["items"]]


def signatures(body: dict[str, Any]) -> dict[str, bool]:
    return {p["slug"]: p["signed"] for p in body["parties"]}


async def test_the_full_lifecycle(client, parties) -> None:
    a, b, _ = parties
    created = await client.post("/api/v1/agreements", json=agreement(), headers=a.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    agreement_id = body["id"]
    assert created.headers["location"] == f"/api/v1/agreements/{agreement_id}"
    assert (body["status"], body["title"], body["created_by"], body["terms_revision"]) == ("draft", TITLE, "alpha", 1)
    assert signatures(body) == {"alpha": False, "beta": False}
    assert body["terms"][0]["from"] == "alpha" and body["terms"][0]["topic_labels"] == {"medtop:11000000": "politics"}
    await publish(client, a, "urn:alpha:draft", "Sent while a draft")

    assert (await act(client, agreement_id, "propose", b)).status_code == 404  # a draft is alpha's own until proposed
    assert (await act(client, agreement_id, "propose", a)).json()["status"] == "proposed"
    signed_by_a = (await act(client, agreement_id, "sign", a)).json()
    assert signed_by_a["status"] == "proposed"
    assert signatures(signed_by_a) == {"alpha": True, "beta": False}
    await publish(client, a, "urn:alpha:half", "Sent with one signature")
    assert await inbox_headlines(client, b) == []

    active = (await act(client, agreement_id, "sign", b)).json()
    assert active["status"] == "active"
    assert signatures(active) == {"alpha": True, "beta": True}
    assert all(p["signed_at"] and p["signed_by"].startswith("api key ") for p in active["parties"])
    x = await publish(client, a, "urn:alpha:x", "Sent under the active agreement")
    [delivered] = (await client.get("/api/v1/inbox", headers=b.headers)).json()["items"]
    assert delivered["id"] == x
    assert delivered["received"]["agreement"] == {"id": agreement_id, "title": TITLE}
    assert delivered["received"]["creditLine"] == "Alpha News via Newsbridge"
    assert delivered["received"]["usageTerms"] == USAGE

    amended = await act(client, agreement_id, "amend", b, agreement(title="Alpha-Beta exchange, revised"))
    assert amended.status_code == 200, amended.text
    assert (amended.json()["status"], amended.json()["terms_revision"]) == ("proposed", 2)
    assert signatures(amended.json()) == {"alpha": False, "beta": False}
    await publish(client, a, "urn:alpha:amended", "Sent while the amendment waits")
    assert await inbox_headlines(client, b) == ["Sent under the active agreement"]
    await act(client, agreement_id, "sign", a)
    assert (await act(client, agreement_id, "sign", b)).json()["status"] == "active"
    await publish(client, a, "urn:alpha:resigned", "Sent after signing again")
    assert await inbox_headlines(client, b) == ["Sent after signing again", "Sent under the active agreement"]

    assert (await act(client, agreement_id, "suspend", a)).json()["status"] == "suspended"
    await publish(client, a, "urn:alpha:suspended", "Sent while suspended")
    assert (await act(client, agreement_id, "end", b)).json()["status"] == "ended"
    await publish(client, a, "urn:alpha:ended", "Sent after the end")
    assert await inbox_headlines(client, b) == ["Sent after signing again", "Sent under the active agreement"]
    for action, data in (("propose", None), ("suspend", None), ("end", None), ("amend", agreement())):
        refused = await act(client, agreement_id, action, a, data)
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "conflict"), action

    events = (await client.get(f"/api/v1/agreements/{agreement_id}/history", headers=b.headers)).json()["events"]
    assert [(e["action"], e["organization"], e["from_status"], e["to_status"]) for e in events] == [
        ("create", "alpha", None, "draft"), ("propose", "alpha", "draft", "proposed"),
        ("sign", "alpha", "proposed", "proposed"), ("sign", "beta", "proposed", "active"),
        ("amend", "beta", "active", "proposed"), ("sign", "alpha", "proposed", "proposed"),
        ("sign", "beta", "proposed", "active"), ("suspend", "alpha", "active", "suspended"),
        ("end", "beta", "suspended", "ended")]
    assert events[2]["details"] == {"revision": 1, "waiting_for": ["beta"]}
    assert all(e["actor"].startswith("api key ") and e["at"] for e in events)


@pytest.mark.parametrize("action", ["propose", "sign", "suspend", "end", "amend"])
async def test_nothing_happens_to_an_ended_agreement(client, parties, action) -> None:
    a, b, _ = parties
    agreement_id = (await client.post("/api/v1/agreements", json=agreement(), headers=a.headers)).json()["id"]
    await act(client, agreement_id, "propose", a)
    await act(client, agreement_id, "sign", a)
    await act(client, agreement_id, "end", a)
    refused = await act(client, agreement_id, action, b, agreement() if action == "amend" else None)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "conflict")
    assert "ended" in refused.json()["error"]["message"]


async def test_signing_an_ended_agreement_one_signed_already_is_a_conflict(client, parties) -> None:
    a, _, _ = parties
    agreement_id = (await client.post("/api/v1/agreements", json=agreement(), headers=a.headers)).json()["id"]
    await act(client, agreement_id, "propose", a)
    await act(client, agreement_id, "sign", a)
    await act(client, agreement_id, "end", a)
    refused = await act(client, agreement_id, "sign", a)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "conflict")


@pytest.mark.parametrize("steps, action, status, code", [
    ([], "sign", 409, "conflict"),
    ([], "suspend", 409, "conflict"),
    (["propose"], "propose", 409, "conflict"),
    (["propose", "sign"], "sign", 422, "invalid"),
], ids=["sign-a-draft", "suspend-a-draft", "propose-twice", "sign-twice"])
async def test_the_state_machine_refuses_what_it_does_not_allow(client, parties, steps, action, status, code) -> None:
    a, _, _ = parties
    agreement_id = (await client.post("/api/v1/agreements", json=agreement(), headers=a.headers)).json()["id"]
    for step in steps:
        assert (await act(client, agreement_id, step, a)).status_code == 200
    refused = await act(client, agreement_id, action, a)
    assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)


async def test_an_outlet_of_a_party_reads_but_cannot_act(client, parties, make_partner) -> None:
    a, b, _ = parties
    outlet = make_partner("beta-radio", scopes=MANAGE, parent="beta")
    agreement_id = (await client.post("/api/v1/agreements", json=agreement(), headers=a.headers)).json()["id"]
    await act(client, agreement_id, "propose", a)
    assert (await client.get(f"/api/v1/agreements/{agreement_id}", headers=outlet.headers)).status_code == 200
    refused = await act(client, agreement_id, "sign", outlet)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    patched = await client.post(f"/api/v1/agreements/{agreement_id}/roadmap", json={"title": "x"},
                                headers=outlet.headers)
    assert (patched.status_code, patched.json()["error"]["code"]) == (403, "forbidden")


async def test_the_roadmap_and_its_progress(client, parties) -> None:
    a, b, _ = parties
    agreement_id = (await client.post("/api/v1/agreements", json=agreement(), headers=a.headers)).json()["id"]
    await act(client, agreement_id, "propose", a)
    url = f"/api/v1/agreements/{agreement_id}/roadmap"
    start = (await client.get(url, headers=b.headers)).json()
    assert start["progress"]["percent"] == 0 and start["progress"]["counted"] == 1
    assert [(c["title"], c["owner"], c["due"], c["status"]) for c in start["commitments"]] == [
        ("Exchange news daily", "beta", "2099-06-30", "planned")]
    one = await client.post(url, json={"title": "Joint coverage of the summit", "owner": "alpha"}, headers=b.headers)
    assert one.status_code == 201, one.text
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    many = await client.post(url, headers=a.headers, json=[
        {"title": "Translate 20 stories a week", "owner": "beta", "status": "in_progress"},
        {"title": "Reporter exchange", "owner": "alpha", "due": yesterday}])
    assert many.status_code == 201, many.text
    commitments = (await client.get(url, headers=a.headers)).json()["commitments"]
    assert [c["position"] for c in commitments] == [1, 2, 3, 4]
    first, second = commitments[0]["id"], commitments[1]["id"]

    done = await client.patch(f"{url}/{first}", json={"status": "done", "notes": "since March"}, headers=b.headers)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["notes"]) == ("done", "since March")
    progress = (await client.get(url, headers=a.headers)).json()["progress"]
    assert (progress["done"], progress["counted"], progress["percent"], progress["overdue"]) == (1, 4, 25, 1)
    await client.patch(f"{url}/{second}", json={"status": "dropped"}, headers=a.headers)
    progress = (await client.get(url, headers=a.headers)).json()["progress"]
    assert (progress["done"], progress["counted"], progress["percent"]) == (1, 3, 33)
    assert progress["by_status"] == {"planned": 1, "in_progress": 1, "done": 1, "blocked": 0, "dropped": 1}
    shown = (await client.get(f"/api/v1/agreements/{agreement_id}", headers=b.headers)).json()
    # roadmap changes need no signatures
    assert shown["roadmap"]["progress"]["percent"] == 33 and shown["status"] == "proposed"


@pytest.mark.parametrize("body, field", [
    ({"title": "x", "owner": "gamma"}, "roadmap[0].owner"),
    ({"title": ""}, "roadmap[0].title"),
    ({"title": "x", "status": "finished"}, "roadmap[0].status"),
    ({"title": "x", "due": "soon"}, "roadmap[0].due"),
])
async def test_bad_commitments_are_refused_with_the_field(client, parties, body, field) -> None:
    a, _, _ = parties
    agreement_id = (await client.post("/api/v1/agreements", json=agreement(), headers=a.headers)).json()["id"]
    refused = await client.post(f"/api/v1/agreements/{agreement_id}/roadmap", json=body, headers=a.headers)
    assert refused.status_code == 422
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == ("invalid", field)


async def test_an_unknown_commitment_is_not_found(client, parties) -> None:
    a, _, _ = parties
    agreement_id = (await client.post("/api/v1/agreements", json=agreement(), headers=a.headers)).json()["id"]
    missing = await client.patch(f"/api/v1/agreements/{agreement_id}/roadmap/01NOSUCHCOMMITMENT00000000",
                                 json={"status": "done"}, headers=a.headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize("changes, field", [
    ({"terms": [{"from": "alpha", "topics": ["medtop:99999999"]}]}, "terms[0].topics"),
    ({"terms": [{"from": "alpha", "topics": ["politics"]}]}, "terms[0].topics"),
    ({"terms": [{"from": "gamma"}]}, "terms[0].from"),
    ({"terms": [{"from": "alpha", "languages": ["english"]}]}, "terms[0].languages"),
    ({"terms": [{"from": "alpha", "credit_line": "{publisher}"}]}, "terms[0].credit_line"),
    ({"terms": [{"from": "alpha", "delay_minutes": -5}]}, "terms[0].delay_minutes"),
    ({"terms": []}, "terms"),
    ({"parties": ["alpha", "nosuch"]}, "parties"),
    ({"parties": ["alpha"]}, "parties"),
    ({"parties": ["beta", "gamma"], "terms": [{"from": "beta"}], "roadmap": []}, "parties"),
    ({"title": " "}, "title"),
    ({"valid_from": "2026-05-01", "valid_until": "2026-04-30"}, "valid_until"),
    ({"valid_from": "May 1st"}, "valid_from"),
], ids=["unknown-topic", "topic-not-a-qcode", "terms-from-a-stranger", "bad-language", "bad-credit-placeholder",
        "negative-delay", "no-terms", "unknown-party", "one-party", "creator-not-a-party", "no-title",
        "ends-before-it-starts", "bad-day"])
async def test_invalid_agreements_are_refused_with_the_field(client, parties, changes, field) -> None:
    a, _, _ = parties
    refused = await client.post("/api/v1/agreements", json=agreement(**changes), headers=a.headers)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == ("invalid", field)
    assert (await client.get("/api/v1/agreements", headers=a.headers)).json() == {"agreements": []}


@pytest.mark.parametrize("scopes", [("read",), ("publish", "read")], ids=["read-only", "no-manage"])
async def test_agreement_changes_need_the_manage_scope(client, parties, engine, scopes) -> None:
    a, b, _ = parties
    with writing(engine) as conn:
        _key, raw = create_api_key(conn, "alpha", scopes)
    weak = {"Authorization": f"Bearer {raw}"}
    agreement_id = (await active_agreement(client, a, b))["id"]
    commitment_id = (await client.get(f"/api/v1/agreements/{agreement_id}/roadmap",
                                      headers=a.headers)).json()["commitments"][0]["id"]
    calls = [("POST", "/api/v1/agreements", agreement()),
             *[("POST", f"/api/v1/agreements/{agreement_id}:{action}", agreement() if action == "amend" else None)
               for action in ("propose", "sign", "suspend", "end", "amend")],
             ("POST", f"/api/v1/agreements/{agreement_id}/roadmap", {"title": "x"}),
             ("PATCH", f"/api/v1/agreements/{agreement_id}/roadmap/{commitment_id}", {"status": "done"})]
    for method, url, body in calls:
        refused = await client.request(method, url, json=body, headers=weak)
        assert refused.status_code == 403, (method, url)
        error = refused.json()["error"]
        assert (error["code"], error["field"]) == ("forbidden", "Authorization")
        assert "manage" in error["message"]
    assert (await client.get(f"/api/v1/agreements/{agreement_id}", headers=weak)).status_code == 200
    unchanged = (await client.get(f"/api/v1/agreements/{agreement_id}/history", headers=a.headers)).json()
    assert len(unchanged["events"]) == 4


async def test_routing_explains_who_received_an_item_and_why(client, parties) -> None:
    a, b, _ = parties
    await active_agreement(client, a, b)
    shared = await publish(client, a, "urn:alpha:vote", "Parliament votes")
    kept = await publish(client, a, "urn:alpha:cup", "Cup final", SPORT)
    report = (await client.get(f"/api/v1/items/{shared}/routing", headers=a.headers)).json()
    assert report["id"] == shared and report["version"] == 1
    [beta] = report["partners"]  # gamma has no agreement with alpha: it is not even listed
    assert (beta["slug"], beta["delivered"]) == ("beta", True)
    assert TITLE in beta["reason"] and "medtop:11000000" in beta["reason"]
    report = (await client.get(f"/api/v1/items/{kept}/routing", headers=a.headers)).json()
    [beta] = report["partners"]
    assert (beta["slug"], beta["delivered"], beta["agreement"]) == ("beta", False, None)
    assert TITLE in beta["reason"] and "medtop:15000000" in beta["reason"] and "medtop:11000000" in beta["reason"]


@pytest.mark.parametrize("status_steps, expected", [
    ([], "is draft"), (["propose"], "is proposed"), (["propose", "sign-a", "sign-b", "suspend"], "is suspended"),
])
async def test_routing_says_when_the_agreement_is_not_active(client, parties, status_steps, expected) -> None:
    a, b, _ = parties
    agreement_id = (await client.post("/api/v1/agreements", json=agreement(), headers=a.headers)).json()["id"]
    for step in status_steps:
        action, _, who = step.partition("-")
        assert (await act(client, agreement_id, action, b if who == "b" else a)).status_code == 200
    item_id = await publish(client, a, "urn:alpha:vote", "Parliament votes")
    [beta] = (await client.get(f"/api/v1/items/{item_id}/routing", headers=a.headers)).json()["partners"]
    assert beta["delivered"] is False
    assert beta["reason"] == f"agreement '{TITLE}' {expected}"
    assert await inbox_headlines(client, b) == []
