"""The review's notifications on both databases: approval requested, approval given, the reset notice and the
publication reach a co-producer's webhook (Standard Webhooks, the event types it subscribed to), its live
stream (``?projects=true``) and its members' unread markers in the desk; a stranger and a non-participating
party of the agreement hear none of them."""

from __future__ import annotations

import json

import httpx
import pytest
from standardwebhooks import Webhook

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import writing
from newsbridge.delivery.endpoints import PROJECT_EVENTS, create_endpoint
from newsbridge.delivery.worker import Worker
from tests.api.desk_session import sign_in
from tests.delivery.receivers import LOOPBACK, Receiver
from tests.projects.joint import joint_world, save
from tests.projects.test_joint_publication import approve, reviewed
from tests.projects.test_project_stream import read_stream

pytestmark = pytest.mark.anyio
REVIEW = ["project.approval_requested", "project.approval_given", "project.approvals_reset", "project.published"]


async def unread(desk) -> int:  # type: ignore[no-untyped-def]
    return int((await desk.get("/projects/summary")).json()["count"])


async def test_review_and_publication_notify_on_every_channel(app, client, make_partner, engine, settings) -> None:
    world = await joint_world(client, make_partner, engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "irna", role="editor")  # an IRNA member who does none of it
        with Receiver() as irna_hook, Receiver() as outsiders_hook:
            with writing(engine) as conn:
                _, secret = create_endpoint(conn, get_organization(conn, "irna"), irna_hook.url, REVIEW, None,
                                            LOOPBACK)
                for slug in ("tass", "bbc"):
                    create_endpoint(conn, get_organization(conn, slug), outsiders_hook.url, list(PROJECT_EVENTS),
                                    None, LOOPBACK)
            await desk.get(f"/projects/{world.project}")  # seen so far
            assert await unread(desk) == 0
            did = await reviewed(client, world)  # the Complex sends it for review: IRNA is asked
            assert await unread(desk) == 1
            await approve(client, world, world.irna, "reza@irna.ir", did)  # a colleague's approval
            assert await unread(desk) == 2
            changed = await save(client, world, world.krtc, did, "kk", 1, headline="Керуен жолы",
                                 lead="Қазақстан мен Иран", body_text="Бірінші бөлім",
                                 shot_list=[{"start": "00:00:05", "description": "Caravanserai at dawn"}])
            assert changed.json()["approvals_reset"] is True
            for partner, email in ((world.irna, "reza@irna.ir"), (world.krtc, "aigerim@krtc.kz")):
                assert (await approve(client, world, partner, email, did)).status_code == 200
            published = await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.krtc.headers,
                                          json={"member": "aigerim@krtc.kz"})
            assert published.status_code == 200, published.text
            events = (await client.get(world.url("/events"), headers=world.irna.headers)).json()["events"]
            review = [e for e in events if e["type"] in REVIEW]
            assert [e["type"] for e in review] == [
                "project.approval_requested", "project.approval_given", "project.approvals_reset",
                "project.approval_given", "project.approval_given", "project.published"]
            # the desk: asked, IRNA's approval, then IRNA's and the Complex's again, the publication; the reset
            # (a notice in the activity) is no marker of its own: the approvals asked again are
            assert await unread(desk) == 2 + 2 + 1
            assert 'class="badge new">5 new' in (await desk.get("/projects")).text
            await desk.get(f"/projects/{world.project}")
            assert await unread(desk) == 0
            worker = Worker(engine, settings.replace(allow_private_targets=LOOPBACK), name="test-worker")
            try:
                await worker.run_once()
            finally:
                await worker.sender.close()
            got = irna_hook.wait_for(len(review))
            assert outsiders_hook.requests == []  # TASS is a party of the agreement, BBC a stranger
    bodies = sorted((Webhook(secret).verify(r.body, r.headers) for r in got), key=lambda b: b["data"]["id"])
    assert [(b["type"], b["data"]["id"]) for b in bodies] == [(e["type"], e["id"]) for e in review]
    reset = bodies[2]["data"]
    assert reset["data"] == {"reason": "the kk draft changed (revision 2)", "cleared": ["irna"]}
    assert (bodies[3]["data"]["data"]["organization"], bodies[4]["data"]["data"]["organization"]) == ("irna", "krtc")
    sent = bodies[-1]["data"]
    assert sent["project"] == {"id": world.project, "title": "Silk Way: Kazakhstan and Iran"}
    assert sent["deliverable"] == did and sent["data"]["credit_line"] == "Kazinform and IRNA joint project"
    assert sent["data"]["items"] == published.json()["items"]
    # the live stream says the same, in the same order, to IRNA only
    streamed = [e for e in await read_stream(app, world.irna, b"projects=true", "0-0") if e["event"] in REVIEW]
    assert [(e["event"], json.loads(e["data"])["id"]) for e in streamed] == [(e["type"], e["id"]) for e in review]
    for outsider in (world.tass, world.bbc):
        assert await read_stream(app, outsider, b"projects=true", "0-0") == []
