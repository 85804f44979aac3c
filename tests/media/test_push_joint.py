"""Push of a joint project's media: the lead's item carries the pictures its co-producers attached to the
drafts; each goes to a receiving partner's bucket under its owner's terms, and a co-producer's own picture
is not pushed back to it. A real SeaweedFS bucket, both blob stores, both databases."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from newsbridge.db.engine import writing
from newsbridge.delivery.outbox import sequence
from newsbridge.ids import utcnow
from newsbridge.media.blobs import blob_store
from newsbridge.media.processing import media_handlers
from newsbridge.media.push_worker import PushWorker
from newsbridge.media.worker import JobWorker
from tests.media.pictures import picture
from tests.media.test_push import LOOPBACK, PREFIX, partner_bucket, prefix, pushed_object, settings  # noqa: F401
from tests.media.tus import upload
from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio


async def published_joint_item(client, engine, settings, world, krtc_png: bytes,  # type: ignore[no-untyped-def]
                               irna_png: bytes) -> tuple[str, str, str]:
    """The Kazakh item of a photo set both co-produced: (its id, the Complex's media id, IRNA's media id)."""
    did = (await deliverable(client, world, kind="photo_set"))["id"]
    ours = (await upload(client, world.krtc.headers, krtc_png, filename="Almaty.png", filetype="image/png"))[0]
    theirs = (await upload(client, world.irna.headers, irna_png, filename="Tehran.png", filetype="image/png"))[0]
    jobs = JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="test")
    while jobs.run_once_sync():
        pass
    persian = await save(client, world, world.irna, did, "fa", 0, headline="عکس‌ها", body_text="متن",
                         media=[{"upload": theirs, "title": "Tehran"}])
    irna_media = persian.json()["media"][0]["href"].rsplit(":", 1)[1]
    kazakh = await save(client, world, world.krtc, did, "kk", 0, headline="Суреттер", body_text="Мәтін",
                        media=[{"upload": ours, "title": "Almaty"}, {"media": irna_media, "title": "Тегеран"}])
    assert kazakh.status_code == 200, kazakh.text
    krtc_media = kazakh.json()["media"][0]["href"].rsplit(":", 1)[1]
    await client.post(world.url(f"/deliverables/{did}:move"), headers=world.krtc.headers, json={"to": "in_review"})
    for partner, email in ((world.krtc, "aigerim@krtc.kz"), (world.irna, "reza@irna.ir")):
        await client.post(world.url(f"/deliverables/{did}:approve"), headers=partner.headers, json={"member": email})
    result = await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.krtc.headers,
                               json={"member": "aigerim@krtc.kz"})
    assert result.status_code == 200, result.text
    with writing(engine) as conn:
        sequence(conn, utcnow())  # the deliveries enter the receivers' feeds, as the delivery worker does
    return result.json()["items"]["kk"], krtc_media, irna_media


async def bucket_for(client, partner, seaweed, bucket: str) -> str:  # type: ignore[no-untyped-def]
    body = {"endpoint_url": seaweed.endpoint, "bucket": bucket, "prefix": f"{PREFIX['value']}/{partner.org.slug}",
            "region": seaweed.region, "access_key": seaweed.access_key, "secret_key": seaweed.secret_key}
    created = await client.post("/api/v1/media-push-targets", headers=partner.headers, json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def keys(partner_bucket: tuple[Any, str], partner, item_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The files pushed to the partner's folder of the item."""
    s3, bucket = partner_bucket
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX['value']}/{partner.org.slug}/{item_id}/")
    return sorted(o["Key"].rsplit("/", 1)[1] for o in listed.get("Contents", []))


def push_all(client) -> None:  # type: ignore[no-untyped-def]
    hub = client._transport.app.state.hub
    worker = PushWorker(hub.engine, hub.settings, name="test-push")
    while worker.run_once_sync():
        pass


async def test_a_coproducers_picture_in_a_joint_item_is_pushed_under_its_owners_terms(
        client, make_partner, engine, settings, seaweed, partner_bucket) -> None:  # noqa: F811
    world = await joint_world(client, make_partner, engine, terms=[{"from": "krtc"}, {"from": "irna"}],
                              share_with_partners=True)
    for partner in (world.tass, world.irna, world.krtc):
        await bucket_for(client, partner, seaweed, partner_bucket[1])
    almaty, tehran = picture("PNG", colour=(200, 40, 40)), picture("PNG", colour=(40, 40, 200))
    item_id, _, _ = await published_joint_item(client, engine, settings, world, almaty, tehran)
    push_all(client)
    # TASS, a partner the project shares with, receives both originals byte for byte
    assert keys(partner_bucket, world.tass, item_id) == ["Almaty.png", "Tehran.png"]
    body, found = pushed_object(partner_bucket, f"{PREFIX['value']}/tass/{item_id}/Tehran.png")
    assert body == tehran and found["Metadata"]["sha256"] == hashlib.sha256(tehran).hexdigest()
    # IRNA, the co-producer, receives the Complex's picture, not its own back; the lead gets nothing of its own item
    assert keys(partner_bucket, world.irna, item_id) == ["Almaty.png"]
    assert keys(partner_bucket, world.krtc, item_id) == []


async def test_a_coproducers_proxy_only_terms_keep_its_original_out_of_the_partners_bucket(
        client, make_partner, engine, settings, seaweed, partner_bucket) -> None:  # noqa: F811
    terms = [{"from": "krtc"}, {"from": "irna", "media": {"partners": {"tass": {"proxy_only": True}}}}]
    world = await joint_world(client, make_partner, engine, terms=terms, share_with_partners=True)
    await bucket_for(client, world.tass, seaweed, partner_bucket[1])
    item_id, _, _ = await published_joint_item(client, engine, settings, world, picture("PNG", colour=(200, 40, 40)),
                                               picture("PNG", colour=(40, 40, 200)))
    push_all(client)
    assert keys(partner_bucket, world.tass, item_id) == ["Almaty.png"]  # IRNA lets TASS have proxies only of its media
