"""Project events on both databases: listed by the API and posted, signed, to subscribed webhook endpoints."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import writing
from newsbridge.delivery.endpoints import PROJECT_EVENTS, create_endpoint
from newsbridge.delivery.worker import Worker
from newsbridge.errors import InvalidInput
from tests.delivery.receivers import LOOPBACK, Receiver
from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio


async def test_project_events_reach_the_webhooks_of_its_organizations(client, make_partner, engine,
                                                                      settings) -> None:
    world = await joint_world(client, make_partner, engine)
    with Receiver() as irna_hook, Receiver() as bbc_hook:
        with writing(engine) as conn:
            _, secret = create_endpoint(conn, get_organization(conn, "irna"), irna_hook.url,
                                        ["item.published", "project.comment", "project.mention",
                                         "project.assigned"], None, LOOPBACK)
            create_endpoint(conn, get_organization(conn, "bbc"), bbc_hook.url, list(PROJECT_EVENTS), None, LOOPBACK)
        did = (await deliverable(client, world, assignee="irna", assignee_member="reza@irna.ir"))["id"]
        await save(client, world, world.krtc, did, "kk", 0, headline="Керуен", body_text="Бірінші")
        await client.post(world.url(f"/deliverables/{did}/drafts/kk/revisions/1/comments"),
                          headers=world.krtc.headers, json={"body": "@reza please translate"})
        worker = Worker(engine, settings.replace(allow_private_targets=LOOPBACK), name="test-worker")
        try:
            await worker.run_once()
        finally:
            await worker.sender.close()
        got = irna_hook.wait_for(3)
        assert bbc_hook.requests == []  # a stranger's endpoint hears nothing of the project
    # sent concurrently: in event order by the event id
    bodies = sorted((Webhook(secret).verify(r.body, r.headers) for r in got), key=lambda b: b["data"]["id"])
    assert [b["type"] for b in bodies] == ["project.assigned", "project.comment", "project.mention"]
    mention = bodies[2]["data"]
    assert mention["project"] == {"id": world.project, "title": "Silk Way: Kazakhstan and Iran"}
    assert (mention["deliverable"], mention["organization"], mention["data"]["member"]) == \
        (did, "krtc", "reza@irna.ir")
    listed = (await client.get(world.url("/events"), headers=world.irna.headers)).json()["events"]
    assert mention["id"] == next(e["id"] for e in listed if e["type"] == "project.mention")


def test_endpoints_subscribe_to_project_events_by_name(engine, make_partner) -> None:
    partner = make_partner("irna")
    with writing(engine) as conn:
        endpoint, _ = create_endpoint(conn, partner.org, "https://93.184.216.34/hook", ["project.published"])
        assert endpoint.events == ("project.published",)
        default, _ = create_endpoint(conn, partner.org, "https://93.184.216.34/hook2")
        assert not any(e.startswith("project.") for e in default.events)
        with pytest.raises(InvalidInput):
            create_endpoint(conn, partner.org, "https://93.184.216.34/hook3", ["project.everything"])
