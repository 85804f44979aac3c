"""A published deliverable is corrected: a draft change sends it back to review, all approve again, and
``:publish`` stores a new version of each changed item, delivered as a correction to the same
recipients; the history shows it. Both databases."""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks import Webhook

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import writing
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery.worker import Worker
from tests.delivery.receivers import LOOPBACK, Receiver
from tests.projects.joint import Joint, joint_world, save
from tests.projects.test_joint_publication import approve, reviewed

pytestmark = pytest.mark.anyio
PERSIAN = {"headline": "راه‌های کاروان", "lead": "قزاقستان و ایران", "body_text": "بخش اول"}


async def publish(client, world: Joint, did: str, partner: Any = None, email: str = "aigerim@krtc.kz"):  # type: ignore[no-untyped-def]
    return await client.post(world.url(f"/deliverables/{did}:publish"), headers=(partner or world.krtc).headers,
                             json={"member": email})


async def approved_by_all(client, world: Joint, did: str) -> None:  # type: ignore[no-untyped-def]
    for partner, email in ((world.irna, "reza@irna.ir"), (world.krtc, "aigerim@krtc.kz")):
        answer = await approve(client, world, partner, email, did)
        assert answer.status_code == 200, answer.text


async def send(engine, settings) -> None:  # type: ignore[no-untyped-def]
    worker = Worker(engine, settings.replace(allow_private_targets=LOOPBACK), name="test-worker")
    try:
        await worker.run_once()
    finally:
        await worker.sender.close()


async def test_a_correction_is_approved_again_and_reaches_the_same_recipients(client, make_partner, engine,
                                                                              settings) -> None:
    world = await joint_world(client, make_partner, engine)
    did = await reviewed(client, world, kind="article")
    await approved_by_all(client, world, did)
    with Receiver() as hook:
        with writing(engine) as conn:
            _, secret = create_endpoint(conn, get_organization(conn, "irna"), hook.url,
                                        ["item.published", "item.updated"], None, LOOPBACK)
        first = (await publish(client, world, did)).json()
        await send(engine, settings)
        fa = first["items"]["fa"]
        v1 = (await client.get(f"/api/v1/items/{fa}", headers=world.irna.headers)).json()
        # an edit after publication: back to review, approvals dropped, nothing goes out yet
        edited = await save(client, world, world.irna, did, "fa", 1, **{**PERSIAN, "headline": "راه کاروان"})
        assert edited.status_code == 200 and edited.json()["approvals_reset"] is True
        shown = (await client.get(world.url(f"/deliverables/{did}"), headers=world.krtc.headers)).json()
        assert (shown["status"], shown["approvals"], shown["overdue"]) == ("in_review", [], False)
        assert shown["published_items"] == first["items"] and shown["published_at"] is not None
        assert (await client.get(world.url(), headers=world.irna.headers)).json()["progress"]["done"] == 1
        assert (await publish(client, world, did)).status_code == 409  # not approved again yet
        dropped = await client.post(world.url(f"/deliverables/{did}:move"), headers=world.krtc.headers,
                                    json={"to": "dropped"})
        assert dropped.status_code == 409 and "was published" in dropped.json()["error"]["message"]
        await approve(client, world, world.irna, "reza@irna.ir", did)
        assert (await publish(client, world, did)).status_code == 409  # the Complex has not approved the change
        await approve(client, world, world.krtc, "aigerim@krtc.kz", did)
        corrected = await publish(client, world, did, world.irna, "reza@irna.ir")
        assert corrected.status_code == 200, corrected.text
        await send(engine, settings)
        sent = [Webhook(secret).verify(r.body, r.headers) for r in hook.wait_for(3)]
    result = corrected.json()
    assert (result["correction"], result["corrected"]) == (True, ["fa"])
    assert (result["items"], result["versions"]) == (first["items"], {"fa": 2, "kk": 1})
    assert result["delivered_to"] == ["irna"]
    # the item: version 2, same first publication, a later version time, the corrected text
    v2 = (await client.get(f"/api/v1/items/{fa}", headers=world.irna.headers)).json()
    assert (v2["version"], v2["headline"] if "headline" in v2 else v2["headlines"][0]["value"]) == ("2", "راه کاروان")
    assert v2["firstCreated"] == v1["firstCreated"] and v2["versionCreated"] > v1["versionCreated"]
    versions = (await client.get(f"/api/v1/items/{fa}/versions", headers=world.irna.headers)).json()
    assert [v["version"] for v in versions["versions"]] == ["1", "2"]
    # the co-producer got it as a correction on every channel: webhook, feed, inbox
    assert sorted((m["type"], m["data"]["version"]) for m in sent if m["data"]["id"] == fa) == \
        [("item.published", "1"), ("item.updated", "2")]
    feed = (await client.get("/api/v1/feed", headers=world.irna.headers)).json()["items"]
    assert [(e["event"], e["item"]["version"]) for e in feed if e["item"]["id"] == fa] == \
        [("item.published", "1"), ("item.updated", "2")]
    [entry] = [e for e in (await client.get("/api/v1/inbox", headers=world.irna.headers)).json()["items"]
               if e["id"] == fa]
    assert entry["version"] == "2" and entry["received"]["reason"].endswith("you co-produced it")
    # the history: publications per language, and the events
    shown = (await client.get(world.url(f"/deliverables/{did}"), headers=world.krtc.headers)).json()
    assert shown["status"] == "published"
    by_language = {p["language"]: p for p in shown["publications"]}
    assert (by_language["fa"]["version"], by_language["fa"]["revision"]) == (2, 2)
    assert by_language["fa"]["corrected_at"] is not None and by_language["kk"]["corrected_at"] is None
    events = (await client.get(world.url("/events"), headers=world.irna.headers)).json()["events"]
    published = [e["data"] for e in events if e["type"] == "project.published"]
    assert [(p["correction"], p["corrected"]) for p in published] == [(False, []), (True, ["fa"])]
    moves = [(e["data"]["from"], e["data"]["to"]) for e in events if e["type"] == "project.status_changed"]
    assert ("published", "in_review") in moves and moves[-1] == ("approved", "published")
    # nobody else: the agreement's other party (not a participant) and a stranger
    for outsider in (world.tass, world.bbc):
        for path in (f"/api/v1/items/{fa}", f"/api/v1/items/{fa}/versions"):
            assert (await client.get(path, headers=outsider.headers)).status_code == 404
        assert (await client.get(world.url(f"/deliverables/{did}"), headers=outsider.headers)).status_code == 404
        assert (await client.post(world.url(f"/deliverables/{did}:publish"), headers=outsider.headers,
                                  json={})).status_code == 404


async def test_a_correction_follows_to_the_partners_it_was_shared_with(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine, share_with_partners=True)
    did = await reviewed(client, world, kind="article")
    await approved_by_all(client, world, did)
    first = (await publish(client, world, did)).json()
    assert first["shared_with"] == ["tass"]
    await save(client, world, world.krtc, did, "kk", 1, headline="Керуен жолы", lead="Қазақстан мен Иран",
               body_text="Бірінші бөлім")
    unchanged = await save(client, world, world.irna, did, "fa", 1, **PERSIAN)
    assert unchanged.json()["revision"] == 1  # the same text makes no revision
    await approved_by_all(client, world, did)
    result = (await publish(client, world, did)).json()
    assert (result["corrected"], result["versions"], result["shared_with"]) == (["kk"], {"fa": 1, "kk": 2}, ["tass"])
    inbox = (await client.get("/api/v1/inbox", headers=world.tass.headers)).json()["items"]
    kk = next(e for e in inbox if e["id"] == first["items"]["kk"])
    assert kk["version"] == "2"
    assert kk["received"]["reason"].startswith("joint project 'Silk Way: Kazakhstan and Iran' (shared by ")
    assert kk["received"]["agreement"]["id"] == world.agreement


async def test_a_correction_that_changes_nothing_publishes_nothing_new(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = await reviewed(client, world, kind="article")
    await approved_by_all(client, world, did)
    first = (await publish(client, world, did)).json()
    await save(client, world, world.irna, did, "fa", 1, **{**PERSIAN, "headline": "x"})
    await save(client, world, world.irna, did, "fa", 2, **PERSIAN)  # changed back
    await approved_by_all(client, world, did)
    again = (await publish(client, world, did)).json()
    assert (again["correction"], again["corrected"], again["versions"]) == (True, [], {"fa": 1, "kk": 1})
    assert again["items"] == first["items"] and again["delivered_to"] == []
