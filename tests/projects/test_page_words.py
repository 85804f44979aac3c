"""How the project pages set their words, on both databases: names and titles of another script are isolated in a
Persian line (on the page and on its live events), and the list counts a deliverable under correction as
published, as the API's progress does."""

from __future__ import annotations

import httpx
import pytest

from newsbridge.web.project_pages import isolated_actor
from tests.api.desk_session import sign_in
from tests.projects.joint import deliverable, joint_world, save
from tests.projects.test_joint_corrections import approved_by_all, publish
from tests.projects.test_joint_publication import reviewed
from tests.web.test_project_live import live_events

pytestmark = pytest.mark.anyio
FSI, PDI = "\u2068", "\u2069"


async def test_latin_titles_and_names_are_isolated_in_a_persian_page(app, client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine, description="A series on the caravan roads.")
    made = await deliverable(client, world, title="Episode 1: The caravan roads?")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "irna", role="editor")
        assert (await desk.post("/account/preferences", {"locale": "fa"})).status_code in (200, 303)
        page = (await desk.get(f"/projects/{world.project}")).text
    assert 'dir="rtl"' in page
    assert '<p dir="auto">A series on the caravan roads.</p>' in page
    assert f"{FSI}Kazinform{PDI}" not in page  # participants are named by their names, each isolated
    assert f"{FSI}TV and Radio Complex{PDI}" in page and f"{FSI}IRNA{PDI}" in page
    activity = page[page.index('id="activity-h"'):]
    assert f"«{FSI}Episode 1: The caravan roads?{PDI}»" in activity
    assert f"{FSI}api key " in activity  # the actor too
    assert isolated_actor("رضا تهرانی (irna)") == f"{FSI}رضا تهرانی{PDI} ({FSI}irna{PDI})"  # name and side apart
    assert made["id"]


async def test_the_live_activity_line_is_isolated_alike(app, client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    made = await deliverable(client, world, title="Episode 1: The caravan roads")
    await save(client, world, world.krtc, made["id"], "kk", 0, headline="Керуен", body_text="Мәтін")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "irna", role="editor")
        status, events = await live_events(app, desk, f"/projects/{world.project}/live", b"after=0")
    assert status == 200
    texts = [e["data"]["text"] for e in events if e["event"] == "project.deliverable_added"]
    assert texts and f"{FSI}Episode 1: The caravan roads{PDI}" in texts[0]


async def test_the_list_counts_a_deliverable_under_correction_as_published(app, client, make_partner,
                                                                          engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = await reviewed(client, world, kind="article")
    await approved_by_all(client, world, did)
    assert (await publish(client, world, did)).status_code == 200
    correcting = await save(client, world, world.irna, did, "fa", 1, headline="راه کاروان", body_text="بخش اول")
    assert correcting.status_code == 200
    api = (await client.get(world.url(), headers=world.irna.headers)).json()
    assert api["deliverables"][0]["status"] == "in_review" and api["progress"]["done"] == 1
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "irna", role="editor")
        listed = (await desk.get("/projects")).text
    assert "1 of 1 published" in listed
