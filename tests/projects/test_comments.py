"""Comments on draft revisions on both databases: threads, resolving, @member mentions and their events."""

from __future__ import annotations

import pytest

from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio


async def test_threaded_comments_with_mentions_and_resolving(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = (await deliverable(client, world))["id"]
    await save(client, world, world.krtc, did, "kk", 0, headline="Керуен", body_text="Бірінші")
    url = world.url(f"/deliverables/{did}")
    first = await client.post(f"{url}/drafts/kk/revisions/1/comments", headers=world.irna.headers, json={
        "body": "@aigerim could the opening name the year? cc @sara@irna.ir and @nobody", "member": "reza@irna.ir"})
    assert first.status_code == 201, first.text
    comment = first.json()
    assert (comment["author"], comment["mentions"], comment["revision"]) == \
        ("Reza Tehrani (irna)", ["aigerim@krtc.kz", "sara@irna.ir"], 1)
    reply = await client.post(f"{url}/drafts/kk/revisions/1/comments", headers=world.krtc.headers,
                              json={"body": "Done in the next revision.", "parent": comment["id"]})
    assert reply.status_code == 201 and reply.json()["parent"] == comment["id"]
    orphan = await client.post(f"{url}/drafts/kk/revisions/1/comments", headers=world.krtc.headers,
                               json={"body": "x", "parent": "01NOPE"})
    assert orphan.status_code == 422 and orphan.json()["error"]["field"] == "parent"
    no_revision = await client.post(f"{url}/drafts/kk/revisions/7/comments", headers=world.krtc.headers,
                                    json={"body": "x"})
    assert no_revision.status_code == 404
    resolved = await client.post(f"{url}/comments/{comment['id']}:resolve", headers=world.krtc.headers)
    assert resolved.status_code == 200 and resolved.json()["resolved"] is True
    threads = (await client.get(f"{url}/comments", headers=world.irna.headers)).json()["comments"]
    assert [(t["id"], [r["id"] for r in t["replies"]], t["resolved"]) for t in threads] == \
        [(comment["id"], [reply.json()["id"]], True)]
    assert (await client.get(f"{url}/comments?language=fa", headers=world.irna.headers)).json() == {"comments": []}
    reopened = await client.post(f"{url}/comments/{comment['id']}:resolve", headers=world.irna.headers,
                                 json={"resolved": False})
    assert reopened.json()["resolved"] is False and reopened.json()["resolved_by"] is None
    events = (await client.get(world.url("/events"), headers=world.krtc.headers)).json()["events"]
    mentions = [e["data"]["member"] for e in events if e["type"] == "project.mention"]
    assert mentions == ["aigerim@krtc.kz", "sara@irna.ir"]
    assert [e["type"] for e in events].count("project.comment") == 2
    after = events[-2]["id"]
    tail = (await client.get(world.url(f"/events?after={after}"), headers=world.krtc.headers)).json()
    assert [e["id"] for e in tail["events"]] == [events[-1]["id"]] and tail["after"] == events[-1]["id"]
