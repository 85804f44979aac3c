"""Drafts with media from the media store, outlets taking part, and two saves at once, on both databases."""

from __future__ import annotations

import asyncio

import pytest

from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio
PHOTO = b"\xff\xd8\xff\xe0" + bytes(60) + b"\xff\xd9"  # sniffed as a JPEG


async def upload(client, partner) -> str:  # type: ignore[no-untyped-def]
    """A finished tus upload of the partner's."""
    tus = {**partner.headers, "Tus-Resumable": "1.0.0"}
    created = await client.post("/api/v1/uploads", headers={**tus, "Upload-Length": str(len(PHOTO))})
    assert created.status_code == 201, created.text
    done = await client.patch(created.headers["location"], content=PHOTO, headers={
        **tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert done.status_code == 204, done.text
    return created.headers["location"].rsplit("/", 1)[1]


async def test_media_in_drafts_reach_the_published_item_when_they_are_the_leads(client, make_partner,
                                                                                 engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = (await deliverable(client, world, kind="photo_set"))["id"]
    ours, theirs = await upload(client, world.krtc), await upload(client, world.irna)
    stranger = await save(client, world, world.krtc, did, "kk", 0, headline="Суреттер", media=[{"upload": theirs}])
    assert stranger.status_code == 422 and stranger.json()["error"]["field"] == "media"  # not krtc's upload
    saved = await save(client, world, world.krtc, did, "kk", 0, headline="Суреттер", body_text="Мәтін",
                       media=[{"upload": ours, "title": "Caravanserai"}])
    assert saved.status_code == 200, saved.text
    [entry] = saved.json()["media"]
    assert entry["href"].startswith("urn:newsbridge:media:") and entry["title"] == "Caravanserai"
    persian = await save(client, world, world.irna, did, "fa", 0, headline="عکس‌ها", body_text="متن",
                         media=[{"upload": theirs}])
    assert persian.status_code == 200, persian.text
    await client.post(world.url(f"/deliverables/{did}:move"), headers=world.krtc.headers, json={"to": "in_review"})
    for partner, email in ((world.krtc, "aigerim@krtc.kz"), (world.irna, "reza@irna.ir")):
        await client.post(world.url(f"/deliverables/{did}:approve"), headers=partner.headers, json={"member": email})
    result = (await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.krtc.headers,
                                json={"member": "aigerim@krtc.kz"})).json()
    assert result["media_left_out"] == [persian.json()["media"][0]["href"].rsplit(":", 1)[1]]
    kk = (await client.get(f"/api/v1/items/{result['items']['kk']}", headers=world.krtc.headers)).json()
    assert kk["type"] == "composite"
    [association] = kk["associations"]
    assert association["renditions"], "the lead's media, expanded into signed renditions"
    assert all("/media/" in r["href"] for r in association["renditions"])


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
