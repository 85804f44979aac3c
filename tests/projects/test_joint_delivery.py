"""A project made without an agreement delivers its published items to every participant, through every
channel (inbox, feed, webhook, stream, desk), for being one; nobody else sees them. Both databases."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading, writing
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery.worker import Worker
from newsbridge.exchange.agreements import get_agreement
from newsbridge.ids import utcnow
from newsbridge.metrics import rollups
from tests.api.desk_session import sign_in
from tests.delivery.receivers import LOOPBACK, Receiver
from tests.projects.joint import agreement
from tests.projects.test_project_stream import read_stream

pytestmark = pytest.mark.anyio
SLUGS = ("alpha", "beta", "gamma")


async def three_without_agreement(client, make_partner, engine, **project: Any):  # type: ignore[no-untyped-def]
    """alpha (lead), beta and gamma make a project with no agreement; only alpha and beta have one
    (Alpha-Beta), and delta is alpha's partner (Alpha-Delta) outside the project; bbc a stranger."""
    scopes = ("publish", "read", "manage")
    parts = {s: make_partner(s, scopes=scopes, credit_name=s.title()) for s in (*SLUGS, "delta", "bbc")}
    with writing(engine) as conn:
        for slug in SLUGS:
            add_member(conn, slug, f"ed@{slug}.test", f"Ed {slug.title()}", "editor", "correct horse battery")
    await agreement(client, [parts["alpha"], parts["beta"]], title="Alpha-Beta")
    parts["alpha_delta"] = await agreement(client, [parts["alpha"], parts["delta"]], title="Alpha-Delta")
    made = await client.post("/api/v1/projects", headers=parts["alpha"].headers, json={
        "title": "Three", "participants": list(SLUGS), "languages": ["en"], **project})
    assert made.status_code == 201, made.text
    url = f"/api/v1/projects/{made.json()['id']}"
    for slug in SLUGS[1:]:
        assert (await client.post(f"{url}:accept", headers=parts[slug].headers)).status_code == 200
    return parts, url


async def published(client, parts, url: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    lead = parts["alpha"].headers
    did = (await client.post(f"{url}/deliverables", headers=lead,
                             json={"title": "Report", "kind": "article", "assignee": "alpha"})).json()["id"]
    await client.put(f"{url}/deliverables/{did}/drafts/en", headers=lead,
                     json={"headline": "Joint report", "body_text": "Text.", "base_revision": 0})
    await client.post(f"{url}/deliverables/{did}:move", headers=lead, json={"to": "in_review"})
    for slug in SLUGS:
        approved = await client.post(f"{url}/deliverables/{did}:approve", headers=parts[slug].headers,
                                     json={"member": f"ed@{slug}.test"})
        assert approved.status_code == 200, approved.text
    done = await client.post(f"{url}/deliverables/{did}:publish", headers=lead, json={"member": "ed@alpha.test"})
    assert done.status_code == 200, done.text
    return {**done.json(), "deliverable": did}


async def test_every_participant_receives_the_item_without_an_agreement(app, client, make_partner, engine,
                                                                        settings) -> None:
    parts, url = await three_without_agreement(client, make_partner, engine)
    gamma = parts["gamma"]
    with Receiver() as hook:
        with writing(engine) as conn:
            _, secret = create_endpoint(conn, get_organization(conn, "gamma"), hook.url, ["item.published"], None,
                                        LOOPBACK)
        result = await published(client, parts, url)
        assert (result["delivered_to"], result["not_delivered"], result["shared_with"]) == (["beta", "gamma"], {}, [])
        item_id = result["items"]["en"]
        worker = Worker(engine, settings.replace(allow_private_targets=LOOPBACK), name="test-worker")
        try:
            await worker.run_once()
        finally:
            await worker.sender.close()
        [request] = hook.wait_for(1)
    sent = Webhook(secret).verify(request.body, request.headers)
    assert sent["type"] == "item.published" and sent["data"]["id"] == item_id
    received = sent["data"]["received"]
    assert received["agreement"] is None and received["project"] == {"id": url.rsplit("/", 1)[1], "title": "Three"}
    assert received["reason"] == "joint project 'Three': you co-produced it"
    # the inbox, the changes feed and the stream say the same
    [entry] = (await client.get("/api/v1/inbox", headers=gamma.headers)).json()["items"]
    assert entry["id"] == item_id and entry["received"] == received
    assert entry["received"]["creditLine"] == "Alpha, Beta and Gamma joint project"
    feed = (await client.get("/api/v1/feed", headers=gamma.headers)).json()["items"]
    assert [(e["event"], e["item"]["id"]) for e in feed] == [("item.published", item_id)]
    streamed = await read_stream(app, gamma, b"", "0")
    assert [json.loads(e["data"])["item"]["id"] for e in streamed] == [item_id]
    # beta too, under no agreement (it has one with the lead, but the project is not under it)
    beta = (await client.get(f"/api/v1/items/{item_id}", headers=parts["beta"].headers)).json()
    assert beta["by"] == "Alpha, Beta and Gamma"
    # the desk: gamma's member finds it among the arrivals and reads why it came
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "gamma", role="editor")
        assert "Joint report" in (await desk.get("/desk")).text
        page = await desk.get(f"/items/{item_id}")
        assert page.status_code == 200 and "Joint project “Three”: you co-produced it." in page.text
    # nobody else: alpha's partner outside the project, and a stranger (API and desk)
    for outsider in ("delta", "bbc"):
        assert (await client.get(f"/api/v1/items/{item_id}", headers=parts[outsider].headers)).status_code == 404
        assert (await client.get("/api/v1/inbox", headers=parts[outsider].headers)).json()["items"] == []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
            desk = await sign_in(http, engine, outsider)
            assert (await desk.get(f"/items/{item_id}")).status_code == 404


async def test_co_producers_outside_agreements_stay_out_of_agreement_metrics(client, make_partner,
                                                                             engine) -> None:
    parts, url = await three_without_agreement(client, make_partner, engine, share_with_partners=True)
    with writing(engine) as conn:
        rollups.build_missing(conn, utcnow(), limit=10)
    result = await published(client, parts, url)
    assert result["shared_with"] == ["delta"]  # alpha's partner, under Alpha-Delta and alpha's terms
    delta = (await client.get("/api/v1/inbox", headers=parts["delta"].headers)).json()["items"]
    assert delta[0]["received"]["agreement"]["title"] == "Alpha-Delta"
    assert delta[0]["received"]["reason"].startswith("joint project 'Three' (shared by alpha): received under")
    with writing(engine) as conn:  # the rollup takes the marks of an item delivered under no agreement and one
        assert rollups.refresh(conn, utcnow()) >= 1
    with reading(engine) as conn:
        shared = get_agreement(conn, parts["alpha"].org, parts["alpha_delta"])
        assert rollups._extent(conn, shared.id) is not None
    metrics = await client.get(f"/api/v1/agreements/{parts['alpha_delta']}/metrics", headers=parts["alpha"].headers)
    assert metrics.status_code == 200, metrics.text
