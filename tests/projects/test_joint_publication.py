"""Approval by every participant, its reset on change, and joint publication with its routing, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.projects.joint import agreement, deliverable, joint_world, save

pytestmark = pytest.mark.anyio
SHOTS = [{"start": "00:00:05", "description": "Caravanserai at dawn"}]


async def reviewed(client, world, **fields: Any) -> str:  # type: ignore[no-untyped-def]
    did = (await deliverable(client, world, **fields))["id"]
    kind = fields.get("kind", "documentary_episode")
    shots = [{"start": "00:00:05", "description": "Caravanserai at dawn"}] if kind != "article" else None
    assert (await save(client, world, world.krtc, did, "kk", 0, headline="Керуен жолдары",
                       lead="Қазақстан мен Иран", body_text="Бірінші бөлім", shot_list=shots)).status_code == 200
    assert (await save(client, world, world.irna, did, "fa", 0, headline="راه‌های کاروان",
                       lead="قزاقستان و ایران", body_text="بخش اول", shot_list=shots)).status_code == 200
    moved = await client.post(world.url(f"/deliverables/{did}:move"), headers=world.krtc.headers,
                              json={"to": "in_review"})
    assert moved.status_code == 200, moved.text
    return did


async def approve(client, world, partner, email: str, did: str):  # type: ignore[no-untyped-def]
    return await client.post(world.url(f"/deliverables/{did}:approve"), headers=partner.headers,
                             json={"member": email})


async def test_approval_needs_every_participant_and_an_editor(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = await reviewed(client, world)
    nobody = await client.post(world.url(f"/deliverables/{did}:approve"), headers=world.irna.headers)
    assert nobody.status_code == 422 and nobody.json()["error"]["field"] == "member"
    viewer = await approve(client, world, world.irna, "sara@irna.ir", did)
    assert viewer.status_code == 403 and "viewer" in viewer.json()["error"]["message"]
    other_org = await approve(client, world, world.irna, "aigerim@krtc.kz", did)
    assert other_org.status_code == 422
    first = await approve(client, world, world.irna, "reza@irna.ir", did)
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["waiting_for"]) == ("in_review", ["krtc"])
    publish_early = await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.krtc.headers,
                                      json={"member": "aigerim@krtc.kz"})
    assert publish_early.status_code == 409
    second = await approve(client, world, world.krtc, "aigerim@krtc.kz", did)
    assert second.json()["status"] == "approved" and second.json()["waiting_for"] == []
    assert [a["organization"] for a in second.json()["approvals"]] == ["irna", "krtc"]
    assert second.json()["approvals"][0]["revisions"] == {"fa": 1, "kk": 1}


async def test_a_change_after_an_approval_resets_them_with_a_notice(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = await reviewed(client, world)
    await approve(client, world, world.irna, "reza@irna.ir", did)
    await approve(client, world, world.krtc, "aigerim@krtc.kz", did)
    changed = await save(client, world, world.irna, did, "fa", 1, headline="راه کاروان", body_text="بخش اول",
                         lead="قزاقستان و ایران", shot_list=SHOTS)
    assert changed.status_code == 200 and changed.json()["approvals_reset"] is True
    shown = (await client.get(world.url(f"/deliverables/{did}"), headers=world.krtc.headers)).json()
    assert (shown["status"], shown["approvals"], shown["waiting_for"]) == ("in_review", [], ["irna", "krtc"])
    events = (await client.get(world.url("/events"), headers=world.krtc.headers)).json()["events"]
    notice = next(e for e in events if e["type"] == "project.approvals_reset")
    assert notice["data"] == {"reason": "the fa draft changed (revision 2)", "cleared": ["irna", "krtc"]}
    assert events[-1]["type"] == "project.approval_requested"  # back in review: everyone is asked again
    same = await save(client, world, world.irna, did, "fa", 2, headline="راه کاروان", body_text="بخش اول",
                      lead="قزاقستان و ایران", shot_list=SHOTS)
    assert same.json()["revision"] == 2 and same.json()["approvals_reset"] is False  # nothing changed


async def test_joint_publication_stores_one_item_per_language_for_every_coproducer(client, make_partner,
                                                                                    engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = await reviewed(client, world)
    await approve(client, world, world.irna, "reza@irna.ir", did)
    await approve(client, world, world.krtc, "aigerim@krtc.kz", did)
    viewer = await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.irna.headers,
                               json={"member": "sara@irna.ir"})
    assert viewer.status_code == 403
    published = await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.irna.headers,
                                  json={"member": "reza@irna.ir"})
    assert published.status_code == 200, published.text
    result = published.json()
    assert sorted(result["items"]) == ["fa", "kk"]
    assert (result["delivered_to"], result["shared_with"], result["not_delivered"]) == (["irna"], [], {})
    fa = await client.get(f"/api/v1/items/{result['items']['fa']}", headers=world.irna.headers)
    assert fa.status_code == 200, fa.text
    doc = fa.json()
    assert doc["by"] == "Kazinform and IRNA" and doc["language"] == "fa"
    assert doc["infoSources"] == [
        {"name": "Kazinform", "uri": "urn:newsbridge:organization:krtc", "role": "lead producer"},
        {"name": "IRNA", "uri": "urn:newsbridge:organization:irna", "role": "co-producer"}]
    assert any(b.get("role") == "shotlist" and b["value"] == "00:00:05 Caravanserai at dawn" for b in doc["bodies"])
    inbox = (await client.get("/api/v1/inbox", headers=world.irna.headers)).json()["items"]
    [entry] = [e for e in inbox if e["uri"].endswith(":kk")]
    received = entry["received"]
    assert received["creditLine"] == "Kazinform and IRNA joint project"
    assert received["reason"] == "joint project 'Silk Way: Kazakhstan and Iran': you co-produced it"
    assert received["agreement"]["id"] == world.agreement
    assert received["project"] == {"id": world.project, "title": "Silk Way: Kazakhstan and Iran"}
    routing = (await client.get(f"/api/v1/items/{result['items']['kk']}/deliveries", headers=world.krtc.headers))
    assert [p["slug"] for p in routing.json()["partners"]] == ["irna"]
    assert (await client.get(f"/api/v1/items/{result['items']['kk']}", headers=world.tass.headers)).status_code == 404
    shown = (await client.get(world.url(f"/deliverables/{did}"), headers=world.krtc.headers)).json()
    assert (shown["status"], shown["published_items"]) == ("published", result["items"])
    again = await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.krtc.headers,
                              json={"member": "aigerim@krtc.kz"})
    assert again.status_code == 409  # published; a correction goes through review again (test_joint_corrections)
    events = (await client.get(world.url("/events"), headers=world.irna.headers)).json()["events"]
    assert events[-1]["type"] == "project.published"
    assert events[-1]["data"]["credit_line"] == "Kazinform and IRNA joint project"
    assert (events[-1]["data"]["correction"], events[-1]["data"]["versions"]) == (False, {"fa": 1, "kk": 1})


async def test_participants_may_share_with_their_other_partners(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine, share_with_partners=True)
    ria = make_partner("ria", scopes=("publish", "read", "manage"))
    await agreement(client, [world.irna, ria], [{"from": "irna", "languages": ["fa"]}], title="IRNA-RIA")
    did = await reviewed(client, world, kind="article")
    await approve(client, world, world.irna, "reza@irna.ir", did)
    await approve(client, world, world.krtc, "aigerim@krtc.kz", did)
    result = (await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.krtc.headers,
                                json={"member": "aigerim@krtc.kz"})).json()
    # TASS is a party of the project's agreement (KRTC shares everything with it); RIA is IRNA's partner for Persian
    assert sorted(result["shared_with"]) == ["ria", "tass"]
    ria_inbox = (await client.get("/api/v1/inbox", headers=ria.headers)).json()["items"]
    assert [e["uri"].rsplit(":", 1)[1] for e in ria_inbox] == ["fa"]
    assert ria_inbox[0]["received"]["reason"].startswith(
        "joint project 'Silk Way: Kazakhstan and Iran' (shared by irna): received under agreement 'IRNA-RIA'")
    assert ria_inbox[0]["received"]["creditLine"] == "Kazinform and IRNA joint project"
