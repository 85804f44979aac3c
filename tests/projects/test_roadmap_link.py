"""A roadmap commitment measured by joint projects' deliverables, on both databases."""

from __future__ import annotations

import pytest

from newsbridge.db.engine import writing
from newsbridge.ids import utcnow
from newsbridge.metrics.indicators import measure_agreement
from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio


async def roadmap(client, world) -> dict:  # type: ignore[no-untyped-def,type-arg]
    with writing(world.engine) as conn:
        measure_agreement(conn, world.agreement, utcnow())
    answer = await client.get(f"/api/v1/agreements/{world.agreement}/roadmap", headers=world.irna.headers)
    return answer.json()["commitments"][0]


async def test_a_commitment_counts_the_published_deliverables_of_its_projects(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    world.engine = engine  # type: ignore[attr-defined]
    added = await client.post(f"/api/v1/agreements/{world.agreement}/roadmap", headers=world.krtc.headers, json={
        "title": "A documentary on the cultural ties between Kazakhstan and Iran", "owner": "krtc",
        "indicator": {"kind": "deliverables", "at_least": 1, "by": "2999-12-31", "projects": [world.project]}})
    assert added.status_code == 201, added.text
    waiting = await roadmap(client, world)
    assert waiting["measure"]["state"] == "waiting"
    first = (await deliverable(client, world, kind="article", due="2999-01-01"))["id"]
    await deliverable(client, world, kind="article", title="Episode 2", due="2020-01-01")
    late = await roadmap(client, world)
    assert late["measure"]["state"] == "off_track"
    assert late["measure"]["evidence"]["deliverables"] == {"done": 0, "total": 2}
    assert "0 of 2 joint-project deliverables published (at least 1 by 2999-12-31), 1 overdue" in \
        late["measure"]["sentence"]
    await save(client, world, world.krtc, first, "kk", 0, headline="Керуен", body_text="Мәтін")
    await save(client, world, world.irna, first, "fa", 0, headline="کاروان", body_text="متن")
    await client.post(world.url(f"/deliverables/{first}:move"), headers=world.krtc.headers, json={"to": "in_review"})
    for partner, email in ((world.krtc, "aigerim@krtc.kz"), (world.irna, "reza@irna.ir")):
        await client.post(world.url(f"/deliverables/{first}:approve"), headers=partner.headers, json={"member": email})
    items = (await client.post(world.url(f"/deliverables/{first}:publish"), headers=world.krtc.headers,
                               json={"member": "aigerim@krtc.kz"})).json()["items"]
    done = await roadmap(client, world)
    assert (done["measure"]["state"], done["status"], done["measure"]["value"]) == ("done", "done", 1.0)
    assert sorted(done["measure"]["evidence"]["items"]) == sorted(items.values())
    assert done["measure"]["evidence"]["projects"] == [world.project]
    correcting = await save(client, world, world.irna, first, "fa", 1, headline="کاروان‌ها", body_text="متن")
    assert correcting.status_code == 200  # a correction in review: the deliverable stays published evidence
    still = await roadmap(client, world)
    assert (still["measure"]["state"], still["measure"]["evidence"]["deliverables"]) == ("done", {"done": 1,
                                                                                                  "total": 2})
    other = await client.post(f"/api/v1/agreements/{world.agreement}/roadmap", headers=world.krtc.headers, json={
        "title": "x", "indicator": {"kind": "deliverables", "at_least": 1, "by": "2999-12-31", "projects": []}})
    assert other.status_code == 422 and other.json()["error"]["field"].endswith("projects")
