"""Renditions finished after a webhook went out reach the endpoint once, as ``item.updated`` of the same version.

A photo is published while its derivative job has not run and the worker does not wait for media
(``NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS=0``, as after the wait ran out): beta (no GPS rights) and gamma (media
over 100 px not offered) get the item without renditions. When the job is done, beta's endpoint gets one
``item.updated`` message of the same version with the original, preview and thumbnail (real signed URLs that
answer with the bytes); gamma, offered none of them, gets nothing; more rounds send nothing more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from newsbridge.db.engine import reading, writing
from newsbridge.db.outbox_tables import media_updates
from newsbridge.db.tables import outbox
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery import media_updates as media_updates_module
from newsbridge.delivery.media_updates import GIVE_UP, queue_media_updates
from newsbridge.delivery.worker import Worker
from newsbridge.ids import utcnow
from newsbridge.media.blobs import blob_store
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.conftest import Partner, active_agreement
from tests.delivery.receivers import LOOPBACK, Receiver
from tests.media.pictures import picture
from tests.media.tus import upload

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
TERMS = {"topics": ["medtop:11000000"], "languages": ["en"]}


def photo(upload_id: str, version: int = 1) -> dict[str, Any]:
    return {"uri": "urn:alpha:photo:1", "version": str(version), "type": "picture", "language": "en",
            "subjects": [POLITICS], "headlines": [{"role": "main", "value": f"Parliament in session ({version})"}],
            "renditions": [{"name": "original", "upload": upload_id}]}


@dataclasses.dataclass
class World:
    app: Any
    client: httpx.AsyncClient
    source: Partner
    worker: Worker
    beta: Receiver
    gamma: Receiver

    async def deliver(self) -> None:
        for _ in range(10):
            done = await self.worker.run_once()
            if not (done.sequenced or done.sent):
                return
        raise AssertionError("the worker kept finding work")

    def run_media_job(self) -> None:
        hub = self.app.state.hub
        assert JobWorker(hub.engine, media_handlers(hub.engine, blob_store(hub.settings), hub.settings),
                         name="test").run_once_sync() == ["done"]

    async def publish(self, upload_id: str, version: int = 1) -> None:
        answer = await self.client.post("/api/v1/items", json=photo(upload_id, version), headers=self.source.headers)
        assert answer.status_code == 201, answer.text


@pytest.fixture
async def world(app, client, engine, settings, make_partner) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    source = make_partner("alpha", scopes=MANAGE)
    beta = make_partner("beta", scopes=MANAGE)
    gamma = make_partner("gamma", scopes=MANAGE)
    await active_agreement(client, source, beta, TERMS, title="Alpha-Beta")
    await active_agreement(client, source, gamma, {**TERMS, "media": {"max_resolution": 100}}, title="Alpha-Gamma")
    with Receiver() as to_beta, Receiver() as to_gamma:
        with writing(engine) as conn:
            create_endpoint(conn, beta.org, to_beta.url, None, "3", LOOPBACK)
            create_endpoint(conn, gamma.org, to_gamma.url, None, "3", LOOPBACK)
        worker = Worker(engine, settings.replace(allow_private_targets=LOOPBACK, media_ready_wait_seconds=0),
                        name="test-worker")
        worker.media_updates_every = 0  # look at every round: the test does not wait a second
        yield World(app, client, source, worker, to_beta, to_gamma)
        await worker.sender.close()


def renditions(body: dict[str, Any]) -> dict[str, str]:
    return {r["name"]: r["href"] for r in body["data"].get("renditions", [])}


def bodies(receiver: Receiver) -> list[dict[str, Any]]:
    return [r.json() for r in sorted(receiver.requests, key=lambda r: r.at)]


async def test_renditions_made_after_the_webhook_follow_it_once_and_only_where_offered(world: World, engine) -> None:
    upload_id, answer = await upload(world.client, world.source.headers, picture(size=(1600, 1200)),
                                     filename="Parliament.jpg", filetype="image/jpeg")
    await world.publish(upload_id)
    await world.deliver()
    [first] = bodies(world.beta)
    [gamma_first] = bodies(world.gamma)
    assert first["type"] == gamma_first["type"] == "item.published"
    # no previews yet; the original, looked at for GPS at publish, but not for gamma before its size is known
    assert set(renditions(first)) == {"original"} and renditions(gamma_first) == {}
    assert [m["previews"] for m in first["data"]["hub"]["media"]] == ["processing"]

    await world.deliver()  # the media is still being processed: nothing more
    assert len(world.beta.requests) == 1 and len(world.gamma.requests) == 1

    world.run_media_job()
    await world.deliver()
    assert len(world.beta.requests) == 2
    update = world.beta.requests[1]
    body = update.json()
    assert body["type"] == "item.updated"
    assert body["data"]["version"] == first["data"]["version"] and body["data"]["uri"] == "urn:alpha:photo:1"
    assert update.headers["webhook-id"] != world.beta.requests[0].headers["webhook-id"]
    assert [m["previews"] for m in body["data"]["hub"]["media"]] == ["ready"]
    hrefs = renditions(body)
    assert set(hrefs) == {"original", "preview", "thumbnail"}
    for href in hrefs.values():  # signed for beta, served to it
        parts = urlsplit(href)
        fetched = await world.client.get(f"{parts.path}?{parts.query}")
        assert fetched.status_code == 200 and fetched.content
    assert len(world.gamma.requests) == 1  # its agreement offers none of the new renditions

    for _ in range(3):  # never twice, whatever runs again
        await world.deliver()
        assert queue_media_updates(engine, world.worker.settings, utcnow()) == 0
    assert len(world.beta.requests) == 2 and len(world.gamma.requests) == 1
    with reading(engine) as conn:
        decided = sorted(conn.execute(sa.select(media_updates.c.state)).scalars())
    assert decided == ["nothing_new", "queued"]


async def test_a_webhook_sent_with_the_renditions_is_not_followed(world: World, engine) -> None:
    upload_id, _ = await upload(world.client, world.source.headers, picture(), filename="a.jpg",
                                filetype="image/jpeg")
    world.run_media_job()
    await world.publish(upload_id)
    await world.deliver()
    [body] = bodies(world.beta)
    assert set(renditions(body)) == {"original", "preview", "thumbnail"}
    await world.deliver()
    assert len(world.beta.requests) == 1
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(media_updates)).scalar_one() == 0


async def test_a_newer_version_sent_meanwhile_takes_the_update_over(world: World, engine) -> None:
    upload_id, _ = await upload(world.client, world.source.headers, picture(), filename="a.jpg",
                                filetype="image/jpeg")
    await world.publish(upload_id)
    await world.deliver()
    await world.publish(upload_id, version=2)  # a correction, also before the job ran
    await world.deliver()
    assert [r.json()["data"]["version"] for r in world.beta.requests] == ["1", "2"]
    world.run_media_job()
    await world.deliver()
    sent = [(r.json()["type"], r.json()["data"]["version"], sorted(renditions(r.json())))
            for r in world.beta.requests]
    assert sent == [("item.published", "1", ["original"]), ("item.updated", "2", ["original"]),
                    ("item.updated", "2", ["original", "preview", "thumbnail"])]
    with reading(engine) as conn:
        decided = sorted(conn.execute(sa.select(outbox.c.version, media_updates.c.state)
                                      .join(outbox, outbox.c.delivery_id == media_updates.c.delivery_id)
                                      .where(outbox.c.endpoint_id == media_updates.c.endpoint_id)).all())
    assert decided == [(1, "superseded"), (1, "superseded"), (2, "nothing_new"), (2, "queued")]  # gamma, beta


async def test_two_workers_deciding_the_same_media_update_send_it_once(world: World, engine, monkeypatch) -> None:
    upload_id, _ = await upload(world.client, world.source.headers, picture(), filename="a.jpg",
                                filetype="image/jpeg")
    await world.publish(upload_id)
    await world.deliver()
    world.run_media_job()
    with reading(engine) as conn:
        seen = media_updates_module._due(conn, utcnow(), 100)  # what a second worker read at the same moment
    assert len(seen) == 2  # beta's and gamma's
    assert queue_media_updates(engine, world.worker.settings, utcnow()) == 1
    monkeypatch.setattr(media_updates_module, "_due", lambda conn, now, limit: seen)
    assert queue_media_updates(engine, world.worker.settings, utcnow()) == 0  # decided already: nothing queued
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox)
                            .where(outbox.c.media_update_id.is_not(None))).scalar_one() == 1


async def test_a_media_update_gives_up_when_the_media_never_gets_done(world: World, engine) -> None:
    upload_id, _ = await upload(world.client, world.source.headers, picture(), filename="a.jpg",
                                filetype="image/jpeg")
    await world.publish(upload_id)
    await world.deliver()
    with writing(engine) as conn:  # a week later, the job still has not run (it died)
        conn.execute(media_updates.update().values(created_at=utcnow() - GIVE_UP - timedelta(minutes=1)))
    assert queue_media_updates(engine, world.worker.settings, utcnow()) == 0
    world.run_media_job()
    await world.deliver()
    assert len(world.beta.requests) == 1
    with reading(engine) as conn:
        assert set(conn.execute(sa.select(media_updates.c.state)).scalars()) == {"expired"}
