"""A change of a deliverable's languages after an approval changes what is published: it drops the approvals
with the notice, as a draft change does; a change of its title, due day or assignee does not. Both databases."""

from __future__ import annotations

import pytest

from tests.projects.joint import joint_world
from tests.projects.test_joint_corrections import approved_by_all
from tests.projects.test_joint_publication import reviewed

pytestmark = pytest.mark.anyio


async def test_dropping_a_language_after_the_approvals_needs_them_again(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = await reviewed(client, world, kind="article")
    await approved_by_all(client, world, did)
    url = world.url(f"/deliverables/{did}")
    kept = await client.patch(url, headers=world.krtc.headers, json={"title": "Episode 1, final", "due": "2099-01-01"})
    assert kept.status_code == 200, kept.text
    assert (kept.json()["status"], len(kept.json()["approvals"])) == ("approved", 2)  # nothing published changed
    same = await client.patch(url, headers=world.krtc.headers, json={"languages": ["fa", "kk"]})
    assert (same.json()["status"], len(same.json()["approvals"])) == ("approved", 2)  # the same languages
    only_kk = await client.patch(url, headers=world.krtc.headers, json={"languages": ["kk"]})
    assert only_kk.status_code == 200, only_kk.text
    assert (only_kk.json()["status"], only_kk.json()["approvals"], only_kk.json()["waiting_for"]) == \
        ("in_review", [], ["irna", "krtc"])
    events = (await client.get(world.url("/events"), headers=world.irna.headers)).json()["events"]
    notice = [e for e in events if e["type"] == "project.approvals_reset"][-1]
    assert notice["data"] == {"reason": "the languages changed (kk)", "cleared": ["irna", "krtc"]}
    early = await client.post(f"{url}:publish", headers=world.krtc.headers, json={"member": "aigerim@krtc.kz"})
    assert early.status_code == 409  # IRNA has not agreed to a Kazakh-only publication
    await approved_by_all(client, world, did)
    done = await client.post(f"{url}:publish", headers=world.krtc.headers, json={"member": "aigerim@krtc.kz"})
    assert done.status_code == 200 and sorted(done.json()["items"]) == ["kk"]
