"""A correction made in the desk: the editor stays open on a published deliverable, a save sends it back
to review, and once all approved again the desk's Publish sends the new versions. Both databases."""

from __future__ import annotations

import httpx
import pytest

from tests.api.desk_session import sign_in
from tests.projects.joint import joint_world
from tests.projects.test_joint_corrections import approved_by_all, publish
from tests.projects.test_joint_publication import reviewed

pytestmark = pytest.mark.anyio


async def test_a_published_deliverable_is_corrected_in_the_desk(app, client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = await reviewed(client, world, kind="article")
    await approved_by_all(client, world, did)
    first = (await publish(client, world, did)).json()
    base = f"/projects/{world.project}/deliverables/{did}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "irna", role="editor")
        page = (await desk.get(f"{base}?language=fa")).text
        assert 'name="base_revision"' in page  # the editor is offered on the published deliverable
        saved = await desk.post(f"{base}/drafts/fa", {"headline": "راه کاروان", "body_html": "<p>بخش اول</p>",
                                                      "base_revision": "1"})
        assert saved.status_code == 303, saved.text
        shown = (await client.get(world.url(f"/deliverables/{did}"), headers=world.krtc.headers)).json()
        assert (shown["status"], shown["published_items"]) == ("in_review", first["items"])
        await approved_by_all(client, world, did)
        assert (await desk.post(f"{base}/publish")).status_code == 303
        stranger = await sign_in(http, engine, "bbc")
        assert (await stranger.get(base)).status_code == 404
    shown = (await client.get(world.url(f"/deliverables/{did}"), headers=world.krtc.headers)).json()
    assert shown["status"] == "published"
    assert {p["language"]: p["version"] for p in shown["publications"]} == {"fa": 2, "kk": 1}
    fa = (await client.get(f"/api/v1/items/{first['items']['fa']}", headers=world.irna.headers)).json()
    assert fa["version"] == "2"
