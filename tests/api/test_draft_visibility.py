"""A draft is its creator's own until proposed: naming an organization in one shows that
organization nothing, and makes neither side the other's partner.

Alpha (a key with ``manage``) drafts an agreement naming beta. Beta (the organization named),
beta's outlet and gamma (a stranger) get exactly the answer of a missing id, over the API and
on the desk; nobody becomes anybody's partner until alpha proposes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import desk_app, sign_in  # noqa: F401 (desk fixtures: members signed in through /login)

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
TITLE = "Beta shares everything with Alpha"
MISSING = "01NOSUCHTHING0000000000000"
DRAFT = {"title": TITLE, "parties": ["alpha", "beta"], "terms": [{"from": "beta"}],
         "roadmap": [{"title": "Beta sends its archive", "owner": "beta"}]}
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}


@pytest.fixture
async def world(client, make_partner) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    alpha = make_partner("alpha", scopes=MANAGE, name="Alpha Agency")
    beta = make_partner("beta", scopes=MANAGE, name="Beta Broadcasting", country="IR", credit_name="Beta Wire")
    outlet = make_partner("beta-radio", scopes=MANAGE, parent="beta", name="Beta Radio")
    gamma = make_partner("gamma", scopes=MANAGE, name="Gamma")
    created = await client.post("/api/v1/agreements", json=DRAFT, headers=alpha.headers)
    assert created.status_code == 201, created.text
    agreement = created.json()
    return {"alpha": alpha, "beta": beta, "outlet": outlet, "gamma": gamma, "id": agreement["id"],
            "commitment": agreement["roadmap"]["commitments"][0]["id"]}


def api_reads(agreement_id: str) -> list[str]:
    return [f"/api/v1/agreements/{agreement_id}", f"/api/v1/agreements/{agreement_id}/history",
            f"/api/v1/agreements/{agreement_id}/roadmap"]


def api_writes(agreement_id: str, commitment_id: str) -> list[tuple[str, str, Any]]:
    base = f"/api/v1/agreements/{agreement_id}"
    return [("POST", f"{base}:{action}", None) for action in ("propose", "sign", "suspend", "end")] + [
        ("POST", f"{base}:amend", DRAFT), ("POST", f"{base}/roadmap", {"title": "Taken over"}),
        ("PATCH", f"{base}/roadmap/{commitment_id}", {"status": "done"})]


async def assert_hidden_over_the_api(client, world, who: str) -> None:  # type: ignore[no-untyped-def]
    """``who`` meets the draft exactly like an id that does not exist."""
    headers = world[who].headers
    for path in api_reads(world["id"]):
        theirs, nothing = await client.get(path, headers=headers), await client.get(
            path.replace(world["id"], MISSING), headers=headers)
        assert (theirs.status_code, nothing.status_code) == (404, 404), (who, path, theirs.text)
        assert theirs.json()["error"]["code"] == "not_found" and TITLE not in theirs.text
    for method, path, data in api_writes(world["id"], world["commitment"]):
        answer = await client.request(method, path, json=data, headers=headers)
        assert answer.status_code == 404, (who, path, answer.text)
    listed = (await client.get("/api/v1/agreements", headers=headers)).json()["agreements"]
    assert world["id"] not in [a["id"] for a in listed]


@pytest.mark.parametrize("who", ["beta", "outlet", "gamma"])
async def test_the_named_organization_its_outlet_and_a_stranger_do_not_see_a_draft(client, world, who) -> None:
    await assert_hidden_over_the_api(client, world, who)
    mine = await client.get(f"/api/v1/agreements/{world['id']}", headers=world["alpha"].headers)
    assert mine.status_code == 200 and mine.json()["status"] == "draft"
    # nothing the others tried changed it
    events = (await client.get(f"/api/v1/agreements/{world['id']}/history", headers=world["alpha"].headers)).json()
    assert [e["action"] for e in events["events"]] == ["create"]


async def test_a_draft_ended_unproposed_stays_its_creators(client, world) -> None:
    ended = await client.post(f"/api/v1/agreements/{world['id']}:end", headers=world["alpha"].headers)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    await assert_hidden_over_the_api(client, world, "beta")


async def test_proposing_shows_it_to_the_parties_and_never_to_a_stranger(client, world, sign_in) -> None:  # noqa: F811
    proposed = await client.post(f"/api/v1/agreements/{world['id']}:propose", headers=world["alpha"].headers)
    assert proposed.status_code == 200
    for who in ("beta", "outlet"):
        shown = await client.get(f"/api/v1/agreements/{world['id']}", headers=world[who].headers)
        assert shown.status_code == 200 and shown.json()["status"] == "proposed"
    await assert_hidden_over_the_api(client, world, "gamma")
    alpha, beta = await sign_in("alpha"), await sign_in("beta")
    assert "Beta Broadcasting" in (await alpha.get("/partners")).text
    assert (await alpha.get("/partners/beta")).status_code == 200
    assert (await beta.get("/partners/alpha")).status_code == 200
    assert TITLE in (await beta.get("/agreements")).text
    assert '<option value="beta"' in (await alpha.get("/desk")).text


async def test_the_routing_report_of_the_named_organization_does_not_show_the_draft(client, world) -> None:
    item = {"uri": "urn:beta:1", "language": "en", "subjects": [POLITICS], "headlines": [{"value": "Beta news"}]}
    published = await client.post("/api/v1/items", json=item, headers=world["beta"].headers)
    assert published.status_code == 201, published.text
    report = await client.get(f"/api/v1/items/{published.json()['id']}/routing", headers=world["beta"].headers)
    assert report.status_code == 200 and report.json()["partners"] == []
    assert TITLE not in report.text


# --- the desk ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", [("beta", "admin"), ("beta-radio", "admin"), ("gamma", "admin"), ("beta", "viewer")])
async def test_desk_pages_answer_a_draft_like_a_missing_id(world, sign_in, who) -> None:  # noqa: F811
    desk = await sign_in(*who)
    pages = [f"/agreements/{world['id']}"]
    forms = [(f"/agreements/{world['id']}/{action}", {"revision": "1"})
             for action in ("propose", "sign", "suspend", "end")] + [
        (f"/agreements/{world['id']}/roadmap", {"title": "Taken over"}),
        (f"/agreements/{world['id']}/roadmap/{world['commitment']}", {"status": "done"})]
    for path in pages:
        theirs, nothing = await desk.get(path), await desk.get(path.replace(world["id"], MISSING))
        assert theirs.status_code == nothing.status_code == 404, path
        assert TITLE not in theirs.text and "nothing your organization may see" in theirs.text
    if who[1] == "admin":
        for path, form in forms:
            answer = await desk.post(path, form)
            assert answer.status_code == 404, (path, answer.status_code)
            assert TITLE not in answer.text
    assert TITLE not in (await desk.get("/agreements")).text


async def test_naming_an_organization_does_not_make_it_a_partner(world, sign_in) -> None:  # noqa: F811
    """Neither the drafter nor the organization named sees the other's profile through a draft."""
    alpha, beta = await sign_in("alpha"), await sign_in("beta")
    assert TITLE in (await alpha.get("/agreements")).text  # the drafter keeps its draft
    for desk, other, name in ((alpha, "beta", "Beta Broadcasting"), (beta, "alpha", "Alpha Agency")):
        profile = await desk.get(f"/partners/{other}")
        assert profile.status_code == 404 and name not in profile.text
        listed = await desk.get("/partners")
        assert listed.status_code == 200 and name not in listed.text and f"/partners/{other}\"" not in listed.text
    assert "Beta Wire" not in (await alpha.get("/partners/beta")).text
    assert '<option value="beta"' not in (await alpha.get("/desk")).text  # nor a partner to filter the desk by
