"""Agreement media rules: which media kinds a party shares, and per partner proxy only, a maximum
resolution and GPS. Routing respects the kinds; every output lists only the renditions a partner
is offered, and the signed media route refuses the others with 404 whatever the signature — on
SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pyexiv2
import pytest

from newsbridge.media import links
from newsbridge.media.blobs import blob_store
from newsbridge.media.metadata import read_photo_metadata
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.conftest import Partner
from tests.formats.outputs import ninjs_errors
from tests.media.pictures import picture
from tests.media.samples import tagged_photo
from tests.media.tus import upload

pytestmark = pytest.mark.anyio
SCOPES = ("publish", "read", "manage")


async def agreement(client: httpx.AsyncClient, source: Partner, partners: list[Partner], media: Any,
                    **term: Any) -> dict[str, Any]:
    """An active agreement: ``source`` shares with ``partners`` under a term with these media rules."""
    created = await client.post("/api/v1/agreements", headers=source.headers, json={
        "title": "Media exchange", "parties": [p.org.slug for p in (source, *partners)],
        "terms": [{"from": source.org.slug, "media": media, **term}]})
    assert created.status_code == 201, created.text
    for party, action in ((source, "propose"), (source, "sign"), *((p, "sign") for p in partners)):
        done = await client.post(f"/api/v1/agreements/{created.json()['id']}:{action}", headers=party.headers)
        assert done.status_code == 200, done.text
    return created.json()


def process(client: httpx.AsyncClient) -> None:
    """Run the queued derivative jobs (preview, thumbnail, the GPS-free copy)."""
    hub = client._transport.app.state.hub  # type: ignore[attr-defined]
    worker = JobWorker(hub.engine, media_handlers(hub.engine, blob_store(hub.settings), hub.settings), name="test")
    while worker.run_once_sync():
        pass


async def publish_photo(client: httpx.AsyncClient, source: Partner, data: bytes, *, run_jobs: bool = True,
                        uri: str = "urn:alpha:photo:1", kind: str = "picture", filetype: str = "image/jpeg") -> str:
    upload_id, _ = await upload(client, source.headers, data, filename="photo", filetype=filetype)
    if run_jobs:
        process(client)
    published = await client.post("/api/v1/items", headers=source.headers, json={
        "uri": uri, "version": "1", "type": kind, "language": "en",
        "headlines": [{"role": "main", "value": "Parliament in session"}],
        "renditions": [{"name": "original", "upload": upload_id}]})
    assert published.status_code == 201, published.text
    return published.json()["id"]


async def renditions(client: httpx.AsyncClient, reader: Partner, item_id: str) -> dict[str, str]:
    """name -> href of the item's renditions as ``reader`` reads it."""
    answer = await client.get(f"/api/v1/items/{item_id}", headers=reader.headers)
    assert answer.status_code == 200, answer.text
    return {r["name"]: r["href"] for r in answer.json().get("renditions", [])}


async def original_state(client: httpx.AsyncClient, reader: Partner, item_id: str) -> str:
    """What ``hub.media[].original`` tells ``reader`` of the item's one media's original."""
    [media] = (await client.get(f"/api/v1/items/{item_id}", headers=reader.headers)).json()["hub"]["media"]
    return media["original"]


async def every_rendition(client: httpx.AsyncClient, source: Partner, item_id: str) -> dict[str, str]:
    """name -> rendition id of every rendition of the item's media (as its source sees them)."""
    own = await renditions(client, source, item_id)
    return {name: urlsplit(href).path.rsplit("/", 1)[1] for name, href in own.items()}


async def fetch(client: httpx.AsyncClient, reader: Partner, rendition_id: str) -> int:
    """The status of fetching the rendition by a URL validly signed for ``reader``."""
    hub = client._transport.app.state.hub  # type: ignore[attr-defined]
    href = links.signer(hub.engine, hub.settings, reader.org).href(rendition_id)
    parts = urlsplit(href)
    return (await client.get(f"{parts.path}?{parts.query}")).status_code


@pytest.fixture
def parties(make_partner) -> tuple[Partner, Partner, Partner]:  # type: ignore[no-untyped-def]
    return make_partner("alpha", scopes=SCOPES), make_partner("beta", scopes=SCOPES), make_partner("gamma", scopes=SCOPES)


async def test_media_rules_are_terms_read_back_with_slugs_and_amended(client, parties) -> None:
    alpha, beta, gamma = parties
    rules = {"types": ["picture", "video"], "proxy_only": True,
             "partners": {"gamma": {"proxy_only": False, "max_resolution": 1080, "allow_gps": True}}}
    made = await agreement(client, alpha, [beta, gamma], rules)
    [term] = made["terms"]
    assert term["media"] == {"types": ["picture", "video"], "proxy_only": True, "max_resolution": None,
                             "allow_gps": False, "partners": {"gamma": {"proxy_only": False, "max_resolution": 1080,
                                                                        "allow_gps": True}}}
    read = (await client.get(f"/api/v1/agreements/{made['id']}", headers=beta.headers)).json()
    assert read["terms"][0]["media"] == term["media"] and read["status"] == "active"
    amended = await client.post(f"/api/v1/agreements/{made['id']}:amend", headers=alpha.headers, json={
        "revision": 1, "title": "Media exchange", "terms": [{"from": "alpha", "media": {"max_resolution": 720}}]})
    assert amended.status_code == 200, amended.text
    body = amended.json()
    assert body["terms_revision"] == 2 and body["status"] != "active"  # every party signs the new rules again
    assert body["terms"][0]["media"] == {"types": [], "proxy_only": False, "max_resolution": 720,
                                         "allow_gps": False, "partners": {}}


@pytest.mark.parametrize("media, field", [
    ({"types": ["picture", "podcast"]}, "terms[0].media.types"),
    ({"proxy_only": "yes"}, "terms[0].media.proxy_only"),
    ({"max_resolution": 0}, "terms[0].media.max_resolution"),
    ({"max_resolution": 1080.5}, "terms[0].media.max_resolution"),
    ({"partners": {"alpha": {"proxy_only": True}}}, "terms[0].media.partners"),  # the sharing party itself
    ({"partners": {"nobody": {}}}, "terms[0].media.partners"),
    ({"partners": {"beta": {"watermark": True}}}, "terms[0].media.partners.beta.watermark"),
    ({"resolution": 1080}, "terms[0].media.resolution"),
    (["picture"], "terms[0].media"),
])
async def test_bad_media_rules_are_refused_with_the_field(client, parties, media: Any, field: str) -> None:
    alpha, beta, _ = parties
    answer = await client.post("/api/v1/agreements", headers=alpha.headers, json={
        "title": "Bad", "parties": ["alpha", "beta"], "terms": [{"from": "alpha", "media": media}]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


async def test_routing_shares_only_the_media_kinds_of_the_term(client, parties) -> None:
    alpha, beta, _ = parties
    await agreement(client, alpha, [beta], {"types": ["picture"]})
    for uri, kind in (("urn:alpha:v", "video"), ("urn:alpha:p", "picture"), ("urn:alpha:t", "text")):
        answer = await client.post("/api/v1/items", headers=alpha.headers, json={
            "uri": uri, "version": "1", "type": kind, "language": "en",
            "headlines": [{"role": "main", "value": f"A {kind} item"}]})
        assert answer.status_code == 201, answer.text
    inbox = (await client.get("/api/v1/inbox", headers=beta.headers)).json()["items"]
    assert sorted(i["type"] for i in inbox) == ["picture", "text"]
    video = next(i for i in (await client.get("/api/v1/items", headers=alpha.headers)).json()["items"]
                 if i["type"] == "video")
    report = (await client.get(f"/api/v1/items/{video['id']}/routing", headers=alpha.headers)).json()
    [partner] = report["partners"]
    assert not partner["delivered"] and "does not share video items" in partner["reason"]


async def test_media_of_a_kind_not_shared_is_dropped_from_a_text_item_and_not_served(client, parties) -> None:
    alpha, beta, _ = parties
    await agreement(client, alpha, [beta], {"types": ["video"]})  # text items with video only
    upload_id, answer = await upload(client, alpha.headers, picture(), filetype="image/jpeg")
    process(client)
    story = await client.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:story", "version": "1", "type": "text", "language": "en",
        "headlines": [{"role": "main", "value": "Budget passed"}],
        "associations": [{"name": "photo", "type": "picture", "uri": "urn:alpha:photo:9",
                          "renditions": [{"name": "original", "upload": upload_id}]}]})
    assert story.status_code == 201, story.text
    item_id = story.json()["id"]
    received = (await client.get(f"/api/v1/items/{item_id}", headers=beta.headers)).json()
    assert received["associations"][0]["renditions"] == []
    assert "urn:newsbridge:media" not in str(received) and ninjs_errors(received, "ninjs3") == []
    ids = {r["name"]: urlsplit(r["href"]).path.rsplit("/", 1)[1] for r in story.json()["associations"][0]["renditions"]}
    assert set(ids) == {"original", "preview", "thumbnail"}  # the source's own view is whole
    assert {name: await fetch(client, beta, rid) for name, rid in ids.items()} == {n: 404 for n in ids}
    assert await fetch(client, alpha, ids["original"]) == 200


async def test_proxy_only_withholds_the_original_from_that_partner(client, parties) -> None:
    alpha, beta, gamma = parties
    await agreement(client, alpha, [beta, gamma], {"allow_gps": True, "partners": {"beta": {"proxy_only": True}}})
    item_id = await publish_photo(client, alpha, picture(size=(1600, 1200)))
    every = await every_rendition(client, alpha, item_id)
    assert set(every) == {"original", "preview", "thumbnail"}
    assert set(await renditions(client, beta, item_id)) == {"preview", "thumbnail"}
    assert set(await renditions(client, gamma, item_id)) == {"original", "preview", "thumbnail"}
    assert await fetch(client, beta, every["original"]) == 404  # even with a valid signature
    assert await fetch(client, beta, every["preview"]) == 200
    assert await fetch(client, gamma, every["original"]) == 200
    # the other outputs follow the same rules: no original in beta's inbox
    inbox = (await client.get("/api/v1/inbox", headers=beta.headers)).json()["items"]
    assert [r["name"] for r in inbox[0]["renditions"]] == ["preview", "thumbnail"]


@pytest.mark.parametrize("limit, offered", [
    (1200, {"original", "preview", "thumbnail"}),  # 1600 x 1200: the shorter side is 1200
    (1000, {"preview", "thumbnail"}),  # the original is larger; the 1280 x 960 preview is not
    (900, {"thumbnail"}),
])
async def test_max_resolution_offers_only_renditions_within_it(client, parties, limit: int, offered: set[str]) -> None:
    alpha, beta, _ = parties
    await agreement(client, alpha, [beta], {"allow_gps": True, "max_resolution": limit})
    item_id = await publish_photo(client, alpha, picture(size=(1600, 1200)))
    assert set(await renditions(client, beta, item_id)) == offered
    every = await every_rendition(client, alpha, item_id)
    assert {n: await fetch(client, beta, r) for n, r in every.items()} == {
        n: 200 if n in offered else 404 for n in every}


async def test_gps_reaches_only_partners_whose_terms_allow_it(client, parties, tmp_path: Path) -> None:
    alpha, beta, gamma = parties
    await agreement(client, alpha, [beta, gamma], {"partners": {"gamma": {"allow_gps": True}}})
    data = tagged_photo(tmp_path / "tagged.jpg").read_bytes()
    assert read_photo_metadata(tmp_path / "tagged.jpg").gps  # the control: the original carries GPS
    item_id = await publish_photo(client, alpha, data)
    every = await every_rendition(client, alpha, item_id)
    assert set(every) == {"original", "preview", "thumbnail"}  # the source has its original: no copy listed
    without = await renditions(client, beta, item_id)
    assert set(without) == {"original-nogps", "preview", "thumbnail"}
    every["original-nogps"] = urlsplit(without["original-nogps"]).path.rsplit("/", 1)[1]
    assert await fetch(client, beta, every["original"]) == 404
    parts = urlsplit(without["original-nogps"])
    clean = (await client.get(f"{parts.path}?{parts.query}")).content
    with pyexiv2.ImageData(clean) as image:
        assert not any(key.startswith("Exif.GPSInfo") for key in image.read_exif())
        assert image.read_xmp()["Xmp.photoshop.Credit"] == "Kazinform / A. N."  # the rest of it stays
    assert set(await renditions(client, gamma, item_id)) == {"original", "preview", "thumbnail"}
    assert await fetch(client, gamma, every["original"]) == 200
    assert await fetch(client, gamma, every["original-nogps"]) == 404  # it has the original itself


async def test_a_photo_without_gps_is_offered_once_its_publish_has_looked(client, parties) -> None:
    """The publish reads the photo's metadata: no GPS, so its original is offered to a partner without
    ``allow_gps`` at once, before the derivative job has made any preview."""
    alpha, beta, _ = parties
    await agreement(client, alpha, [beta], {})
    item_id = await publish_photo(client, alpha, picture(), run_jobs=False)
    every = await every_rendition(client, alpha, item_id)
    assert set(every) == {"original"}
    assert set(await renditions(client, beta, item_id)) == {"original"}
    [media] = (await client.get(f"/api/v1/items/{item_id}", headers=beta.headers)).json()["hub"]["media"]
    assert (media["original"], media["previews"]) == ("offered", "processing")
    assert await fetch(client, beta, every["original"]) == 200
    process(client)
    assert set(await renditions(client, beta, item_id)) == {"original", "preview", "thumbnail"}


async def test_an_original_is_withheld_until_the_hub_has_looked_for_gps(client, parties) -> None:
    """A picture whose metadata the publish does not read (a GIF: not a format libexiv2 writes) waits for the
    derivative job's look."""
    alpha, beta, gamma = parties
    await agreement(client, alpha, [beta, gamma], {"partners": {"gamma": {"allow_gps": True}}})
    item_id = await publish_photo(client, alpha, picture("GIF"), run_jobs=False, filetype="image/gif")
    every = await every_rendition(client, alpha, item_id)
    assert set(every) == {"original"}
    assert await renditions(client, beta, item_id) == {}  # nothing yet that may be offered
    assert await original_state(client, beta, item_id) == "awaiting_gps_check"  # and the item says why
    assert await fetch(client, beta, every["original"]) == 404
    assert await fetch(client, gamma, every["original"]) == 200
    assert await original_state(client, gamma, item_id) == "offered"
    process(client)  # no GPS found: the original is offered from now on
    assert set(await renditions(client, beta, item_id)) == {"original", "preview", "thumbnail"}
    assert await original_state(client, beta, item_id) == "offered"
    assert await fetch(client, beta, every["original"]) == 200


async def test_a_photo_with_gps_offers_its_gps_free_copy_before_the_job_runs(client, parties, tmp_path: Path) -> None:
    """The hub looks for GPS when the item is published (a metadata read): a photo that carries it gets its
    GPS-free copy then, so a partner without ``allow_gps`` is offered that copy at once, never the original;
    the derivative job later makes the same copy again, under the same rendition."""
    alpha, beta, gamma = parties
    await agreement(client, alpha, [beta, gamma], {"partners": {"gamma": {"allow_gps": True}}})
    item_id = await publish_photo(client, alpha, tagged_photo(tmp_path / "tagged.jpg").read_bytes(), run_jobs=False)
    every = await every_rendition(client, alpha, item_id)
    assert set(every) == {"original"}
    early = await renditions(client, beta, item_id)
    assert set(early) == {"original-nogps"}
    assert await original_state(client, beta, item_id) == "gps_free_copy"
    parts = urlsplit(early["original-nogps"])
    clean = await client.get(f"{parts.path}?{parts.query}")
    assert clean.status_code == 200
    with pyexiv2.ImageData(clean.content) as image:
        assert not any(key.startswith("Exif.GPSInfo") for key in image.read_exif())
    assert await fetch(client, beta, every["original"]) == 404
    assert set(await renditions(client, gamma, item_id)) == {"original"}  # allowed GPS: the original itself
    process(client)
    later = await renditions(client, beta, item_id)
    assert set(later) == {"original-nogps", "preview", "thumbnail"}
    assert urlsplit(later["original-nogps"]).path == parts.path  # the job's copy replaced it under the same id
    assert (await client.get(f"{parts.path}?{parts.query}")).content == clean.content  # with the same bytes


async def test_an_amendment_opens_nothing_until_the_sharing_party_signs_it(client, parties) -> None:
    alpha, beta, _ = parties
    made = await agreement(client, alpha, [beta], {"allow_gps": True, "partners": {"beta": {"proxy_only": True}}})
    item_id = await publish_photo(client, alpha, picture(size=(1600, 1200)))
    every = await every_rendition(client, alpha, item_id)
    assert set(await renditions(client, beta, item_id)) == {"preview", "thumbnail"}
    # the receiving party proposes to lift its own limit: not in force before the source signs
    amended = await client.post(f"/api/v1/agreements/{made['id']}:amend", headers=beta.headers, json={
        "revision": 1, "title": "Media exchange", "terms": [{"from": "alpha", "media": {"allow_gps": True}}]})
    assert amended.status_code == 200, amended.text
    assert await renditions(client, beta, item_id) == {}
    assert {n: await fetch(client, beta, r) for n, r in every.items()} == {n: 404 for n in every}
    for party in (beta, alpha):
        signed = await client.post(f"/api/v1/agreements/{made['id']}:sign", headers=party.headers)
        assert signed.status_code == 200, signed.text
    assert set(await renditions(client, beta, item_id)) == {"original", "preview", "thumbnail"}
    assert await fetch(client, beta, every["original"]) == 200
