"""A project made without an agreement: the media a participant that shares no agreement with anyone attached
go out with the joint item, in full to every co-producer; a partner the lead shared the item with gets the
lead's media under the lead's terms and none of that participant's; a stranger nothing. Both databases."""

from __future__ import annotations

import pytest

from newsbridge.db.engine import reading
from newsbridge.errors import NotFound
from newsbridge.media import links
from newsbridge.media.blobs import blob_store
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.projects.test_joint_delivery import SLUGS, three_without_agreement
from tests.projects.test_joint_media import fetch, graphic, hrefs, originals

pytestmark = pytest.mark.anyio


async def test_media_of_a_participant_without_agreements_reach_every_coproducer(client, make_partner, engine,
                                                                               settings) -> None:
    parts, url = await three_without_agreement(client, make_partner, engine, share_with_partners=True)
    alpha, gamma = parts["alpha"], parts["gamma"]
    did = (await client.post(f"{url}/deliverables", headers=alpha.headers,
                             json={"title": "Pictures", "kind": "photo_set", "assignee": "gamma"})).json()["id"]
    ours, theirs = await graphic(client, alpha, (200, 40, 40)), await graphic(client, gamma, (40, 40, 200))
    jobs = JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="test")
    while jobs.run_once_sync():
        pass
    draft = f"{url}/deliverables/{did}/drafts/en"
    first = await client.put(draft, headers=alpha.headers, json={
        "headline": "Joint pictures", "body_text": "Text.", "base_revision": 0, "media": [{"upload": ours}]})
    assert first.status_code == 200, first.text
    kept = first.json()["media"]
    second = await client.put(draft, headers=gamma.headers, json={
        "headline": "Joint pictures", "body_text": "Text.", "base_revision": 1,
        "media": [{"media": kept[0]["href"].rsplit(":", 1)[1]}, {"upload": theirs, "title": "Gamma's"}]})
    assert second.status_code == 200, second.text
    alpha_media, gamma_media = (m["href"].rsplit(":", 1)[1] for m in second.json()["media"])
    assert (await client.post(f"{url}/deliverables/{did}:move", headers=alpha.headers,
                              json={"to": "in_review"})).status_code == 200
    for slug in SLUGS:
        approved = await client.post(f"{url}/deliverables/{did}:approve", headers=parts[slug].headers,
                                     json={"member": f"ed@{slug}.test"})
        assert approved.status_code == 200, approved.text
    done = await client.post(f"{url}/deliverables/{did}:publish", headers=alpha.headers,
                             json={"member": "ed@alpha.test"})
    assert done.status_code == 200, done.text
    result = done.json()
    assert (result["delivered_to"], result["shared_with"], result["media_left_out"]) == (["beta", "gamma"],
                                                                                         ["delta"], [])
    item_id = result["items"]["en"]
    # every co-producer, the one without any agreement included, reads both pictures in full; every link answers
    for slug in SLUGS:
        doc = (await client.get(f"/api/v1/items/{item_id}", headers=parts[slug].headers)).json()
        assert [m["id"] for m in doc["hub"]["media"]] == [alpha_media, gamma_media], slug
        assert originals(doc) == [1, 1], slug
        assert {await fetch(client, h) for h in hrefs(doc)} == {200}, slug
    # delta, alpha's partner the item was shared with: alpha's picture by alpha's terms, nothing of gamma's
    delta_doc = (await client.get(f"/api/v1/items/{item_id}", headers=parts["delta"].headers)).json()
    with reading(engine) as conn:
        renditions = links.list_renditions(conn, [alpha_media, gamma_media])
        gamma_ids = {r.id for r in renditions[gamma_media]}
        alpha_original = next(r.id for r in renditions[alpha_media] if r.name == "original")
        assert not [h for h in hrefs(delta_doc) if any(r in h for r in gamma_ids)]
        assert any(alpha_original in h for h in hrefs(delta_doc))
        for rendition in gamma_ids:
            for outsider in ("delta", "bbc"):
                with pytest.raises(NotFound):
                    links.entitled_rendition(conn, parts[outsider].org.id, rendition)
    assert {await fetch(client, h) for h in hrefs(delta_doc)} == {200}
    gamma_original = next(r.id for r in renditions[gamma_media] if r.name == "original")
    signed_for_delta = links.signer(engine, settings, parts["delta"].org).href(gamma_original)
    assert await fetch(client, signed_for_delta) == 404
    assert (await client.get(f"/api/v1/items/{item_id}", headers=parts["bbc"].headers)).status_code == 404
