"""Outlets taking part, and two saves at once, on both databases (drafts with media: test_joint_media.py)."""

from __future__ import annotations

import asyncio

import pytest

from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio


async def test_an_outlet_takes_part_for_its_holding_and_its_sister_outlets_see_it(client, make_partner,
                                                                                  engine) -> None:
    world = await joint_world(client, make_partner, engine)
    kazinform = make_partner("kazinform", parent="krtc", credit_name="Kazinform")
    jibek = make_partner("jibek-joly", parent="krtc")
    made = await client.post("/api/v1/projects", headers=kazinform.headers, json={
        "title": "Outlet series", "agreement": world.agreement, "participants": ["kazinform", "irna"],
        "languages": ["kk"]})
    assert made.status_code == 201, made.text
    assert made.json()["lead"] == "kazinform" and made.json()["credit_line"] == "Kazinform and IRNA joint project"
    url = f"/api/v1/projects/{made.json()['id']}"
    assert (await client.get(url, headers=world.irna.headers)).status_code == 200
    assert (await client.get(url, headers=world.krtc.headers)).status_code == 404  # the holding is not in it
    assert (await client.get(url, headers=jibek.headers)).status_code == 404
    # the holding's own project is seen by its outlets, which act for it
    assert (await client.get(world.url(), headers=jibek.headers)).status_code == 200
    planned = await client.post(world.url("/deliverables"), headers=jibek.headers,
                                json={"title": "By an outlet", "kind": "article"})
    assert planned.status_code == 201


async def test_two_saves_on_the_same_revision_at_once_make_one_revision_and_one_conflict(client, make_partner,
                                                                                        engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = (await deliverable(client, world))["id"]
    await save(client, world, world.krtc, did, "kk", 0, headline="Бастапқы")
    for round_ in range(3):
        base = round_ + 1
        answers = await asyncio.gather(
            save(client, world, world.krtc, did, "kk", base, headline=f"Kazinform {round_}"),
            save(client, world, world.irna, did, "kk", base, headline=f"IRNA {round_}"))
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    revisions = (await client.get(world.url(f"/deliverables/{did}/drafts/kk/revisions"),
                                  headers=world.krtc.headers)).json()["revisions"]
    assert [r["revision"] for r in revisions] == [1, 2, 3, 4]
