"""Feed readers get an item again once its previews exist (delivery/media_updates.py, ``late_previews``).

A photo enters beta's changes feed while its derivative job has not run (the worker does not wait for media,
as after NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS ran out): the entry carries only the original (the publish looked
for GPS in it and found none). When the job is done,
the delivery moves to a new feed position: a reader who had read the entry gets it once more, the same
version, with the original, preview and thumbnail; a reader who had not reached it gets it once, with them.
The JSON Feed (a feed token's) lists it once, and the live stream sends it again after the early event.
A newer version sequenced meanwhile takes over; an item sent with its previews is not moved.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from newsbridge.db.engine import reading, writing
from newsbridge.db.outbox_tables import late_previews
from newsbridge.delivery.feeds import changes, create_feed_token
from newsbridge.delivery.media_updates import move_late_previews
from newsbridge.ids import utcnow
from newsbridge.delivery.worker import Worker
from tests.conftest import Partner, active_agreement
from tests.delivery.test_media_updates import MANAGE, TERMS, World
from tests.media.pictures import picture
from tests.projects.test_project_stream import read_stream
from tests.media.tus import upload

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(app, client, engine, settings, make_partner) -> AsyncIterator[tuple[World, Partner]]:  # type: ignore[no-untyped-def]
    """alpha publishes to beta, whose feed is read; no endpoints (feed readers only)."""
    source = make_partner("alpha", scopes=MANAGE)
    beta = make_partner("beta", scopes=MANAGE)
    await active_agreement(client, source, beta, TERMS, title="Alpha-Beta")
    worker = Worker(engine, settings.replace(media_ready_wait_seconds=0), name="test-worker")
    worker.media_updates_every = 0  # look at every round: the test does not wait a second
    yield World(app, client, source, worker, None, None), beta  # type: ignore[arg-type]
    await worker.sender.close()


async def feed(world: World, headers: dict[str, str], cursor: str | None) -> tuple[list[dict[str, Any]], str]:
    answer = await world.client.get("/api/v1/feed", params={"cursor": cursor} if cursor else {}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return [entry["item"] for entry in body["items"]], body["cursor"]


def names(item: dict[str, Any]) -> set[str]:
    return {r["name"] for r in item.get("renditions", [])}


def states(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return sorted(conn.execute(sa.select(late_previews.c.state)).scalars())


async def test_previews_made_after_the_feed_entry_bring_it_back_once(world: tuple[World, Partner], engine) -> None:
    world, beta = world  # type: ignore[assignment]
    _, start = await feed(world, beta.headers, None)
    upload_id, _ = await upload(world.client, world.source.headers, picture(size=(1600, 1200)),
                                filename="Parliament.jpg", filetype="image/jpeg")
    await world.publish(upload_id)
    await world.deliver()
    [early], read_on = await feed(world, beta.headers, start)  # an early reader: no previews yet
    assert early["uri"] == "urn:alpha:photo:1" and names(early) == {"original"}  # looked at publish: no GPS
    assert [m["previews"] for m in early["hub"]["media"]] == ["processing"]
    assert states(engine) == ["waiting"]
    with writing(engine) as conn:
        json_feed = f"/feeds/{create_feed_token(conn, beta.org)}/feed.json"
    [listed] = (await world.client.get(json_feed)).json()["items"]
    assert [a["_newsbridge"]["rendition"] for a in listed["attachments"]] == ["original"]

    await world.deliver()  # still processing: nothing moves
    assert (await feed(world, beta.headers, read_on))[0] == []

    world.run_media_job()
    await world.deliver()
    [again], after = await feed(world, beta.headers, read_on)  # the early reader: once more, with previews
    assert (again["uri"], again["version"]) == (early["uri"], early["version"])
    assert names(again) == {"original", "preview", "thumbnail"}
    assert [m["previews"] for m in again["hub"]["media"]] == ["ready"]
    [once], _ = await feed(world, beta.headers, start)  # a reader who had not reached it: once, with previews
    assert once["version"] == early["version"] and names(once) == {"original", "preview", "thumbnail"}
    assert states(engine) == ["moved"]

    for _ in range(3):  # never again
        await world.deliver()
        assert move_late_previews(engine, utcnow()) == 0
    assert (await feed(world, beta.headers, after))[0] == []
    [newest] = (await world.client.get(json_feed)).json()["items"]  # token feeds read the same positions
    assert len(newest["attachments"]) == 3
    with reading(engine) as conn:
        [entry] = changes(conn, beta.org, 0)
    assert entry.version.version == int(early["version"])


async def test_a_newer_version_in_the_feed_meanwhile_takes_it_over(world: tuple[World, Partner], engine) -> None:
    world, beta = world  # type: ignore[assignment]
    upload_id, _ = await upload(world.client, world.source.headers, picture(), filename="a.jpg",
                                filetype="image/jpeg")
    await world.publish(upload_id)
    await world.deliver()
    await world.publish(upload_id, version=2)
    await world.deliver()
    items, cursor = await feed(world, beta.headers, None)
    assert [(i["version"], names(i)) for i in items] == [("1", {"original"}), ("2", {"original"})]
    world.run_media_job()
    await world.deliver()
    [again], _ = await feed(world, beta.headers, cursor)  # the newest version only: v1 is not shown again
    assert again["version"] == "2" and names(again) == {"original", "preview", "thumbnail"}
    assert states(engine) == ["moved", "superseded"]


async def test_an_item_whose_previews_were_ready_is_not_moved(world: tuple[World, Partner], engine) -> None:
    world, beta = world  # type: ignore[assignment]
    upload_id, _ = await upload(world.client, world.source.headers, picture(), filename="a.jpg",
                                filetype="image/jpeg")
    world.run_media_job()
    await world.publish(upload_id)
    await world.deliver()
    [item], cursor = await feed(world, beta.headers, None)
    assert names(item) == {"original", "preview", "thumbnail"}
    await world.deliver()
    assert (await feed(world, beta.headers, cursor))[0] == [] and states(engine) == []


async def test_the_live_stream_sends_the_entry_again_with_its_previews(world: tuple[World, Partner], engine) -> None:
    world, beta = world  # type: ignore[assignment]
    upload_id, _ = await upload(world.client, world.source.headers, picture(), filename="a.jpg",
                                filetype="image/jpeg")
    await world.publish(upload_id)
    await world.deliver()
    [first] = await read_stream(world.app, beta, b"", "0")
    early = json.loads(first["data"])
    early = early.get("item", early)
    assert early["uri"] == "urn:alpha:photo:1" and names(early) == {"original"}  # looked at publish: no GPS
    world.run_media_job()
    await world.deliver()
    [again] = await read_stream(world.app, beta, b"", first["id"])  # resumed after the early event
    item = json.loads(again["data"])
    item = item.get("item", item)
    assert int(again["id"]) > int(first["id"]) and item["version"] == early["version"]
    assert names(item) == {"original", "preview", "thumbnail"}
    assert await read_stream(world.app, beta, b"", again["id"]) == []
