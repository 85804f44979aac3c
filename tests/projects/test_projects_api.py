"""Projects over HTTP on both databases: creation under an agreement or by acceptance, observers, who sees what."""

from __future__ import annotations

import pytest

from tests.projects.joint import joint_world

pytestmark = pytest.mark.anyio
PART = {"title": "Part 1", "kind": "series_part"}


async def test_a_project_under_an_agreement_is_active_with_its_participants(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    shown = await client.get(world.url(), headers=world.irna.headers)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["status"], body["lead"], body["agreement"]) == ("active", "krtc", world.agreement)
    assert [(p["slug"], p["lead"], p["accepted"]) for p in body["participants"]] == \
        [("irna", False, True), ("krtc", True, True)]
    assert body["credit_line"] == "Kazinform and IRNA joint project"
    assert body["deliverables"] == [] and body["progress"] == {"done": 0, "total": 0, "overdue": 0}
    listed = await client.get("/api/v1/projects", headers=world.krtc.headers)
    assert [p["id"] for p in listed.json()["projects"]] == [world.project]


async def test_strangers_and_parties_that_do_not_take_part_see_nothing(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    for outsider in (world.tass, world.bbc):
        assert (await client.get(world.url(), headers=outsider.headers)).status_code == 404
        assert (await client.get("/api/v1/projects", headers=outsider.headers)).json() == {"projects": []}
        refused = await client.post(world.url("/deliverables"), headers=outsider.headers,
                                    json={"title": "x", "kind": "article"})
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"


async def test_an_invited_observer_reads_but_does_not_write(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    stranger = await client.post(world.url("/observers"), headers=world.krtc.headers, json={"organization": "bbc"})
    assert stranger.status_code == 422 and stranger.json()["error"]["field"] == "organization"
    invited = await client.post(world.url("/observers"), headers=world.irna.headers, json={"organization": "tass"})
    assert invited.status_code == 200, invited.text
    assert invited.json()["observers"] == ["tass"]
    assert (await client.get(world.url(), headers=world.tass.headers)).status_code == 200
    refused = await client.post(world.url("/deliverables"), headers=world.tass.headers,
                                json={"title": "x", "kind": "article"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


async def test_a_project_between_organizations_waits_until_all_accept(client, make_partner, engine) -> None:
    a, b, c = make_partner("alpha"), make_partner("beta"), make_partner("gamma")
    made = await client.post("/api/v1/projects", headers=a.headers, json={
        "title": "Three-way series", "participants": ["alpha", "beta", "gamma"], "languages": ["en", "ru"]})
    assert made.status_code == 201, made.text
    project = made.json()
    assert project["status"] == "pending"
    url = f"/api/v1/projects/{project['id']}"
    waiting = await client.post(f"{url}/deliverables", headers=a.headers, json=PART)
    assert waiting.status_code == 409 and "beta" in waiting.json()["error"]["message"]
    assert (await client.post(f"{url}:accept", headers=b.headers)).json()["status"] == "pending"
    assert (await client.post(f"{url}:accept", headers=c.headers)).json()["status"] == "active"
    types = [e["type"] for e in (await client.get(f"{url}/events", headers=c.headers)).json()["events"]]
    assert types == ["project.created", "project.accepted", "project.accepted", "project.activated"]
    planned = await client.post(f"{url}/deliverables", headers=a.headers, json=PART)
    assert planned.status_code == 201 and planned.json()["status"] == "idea"


@pytest.mark.parametrize(("body", "field"), [
    ({"participants": ["krtc"]}, "participants"),
    ({"participants": ["bbc", "krtc"]}, "participants"),
    ({"languages": []}, "languages"),
    ({"ends": "2025-01-01"}, "ends"),
    ({"lead": "tass"}, "lead"),
    ({"observers": ["irna"]}, "observers"),
    ({"observers": ["bbc"]}, "observers"),
])
async def test_a_wrong_project_is_refused_with_the_field(client, make_partner, engine, body, field) -> None:
    world = await joint_world(client, make_partner, engine)
    base = {"title": "x", "agreement": world.agreement, "participants": ["krtc", "irna"], "languages": ["kk"],
            "starts": "2026-01-01"}
    refused = await client.post("/api/v1/projects", headers=world.krtc.headers, json={**base, **body})
    if body == {"participants": ["krtc"]}:  # a project of one party under the agreement is allowed
        assert refused.status_code == 201
        return
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == field
