"""Hub media reaches a partner as signed hub URLs on every channel, and nowhere as the stored reference.

A source uploads a photo (tus), the derivative job makes its preview and thumbnail, then the
source publishes a picture item carrying it and a text story with the photo as an association.
The recipient then asks every channel it has (item in each format, versions, inbox, changes feed,
live stream, Atom, RSS and JSON Feed, the feed token's item link, webhooks in ninjs 3 and 2, the
desk's downloads) and each must: name no ``urn:newsbridge:media:`` reference; carry hub URLs
signed for the recipient that answer 200 with the right bytes; and give a stranger nothing (the
same rendition signed for the stranger: 404; the recipient's URL with the stranger put in: 403).
A withdrawal then turns every URL handed out before (webhook, feed) into 404 at once, and a
retried webhook is signed again at its send time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser
import httpx
import pytest
from lxml import etree
from desk_session import DeskSession, sign_in
from test_withdrawn_everywhere import read_stream

from newsbridge.accounts.organizations import Organization
from newsbridge.db.engine import writing
from newsbridge.db.tables import outbox
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery.worker import Worker
from newsbridge.formats.newsml_g2 import NAR, parse_newsml
from newsbridge.formats.newsml_g2_package import NEWSMESSAGE_TYPE
from newsbridge.ids import utcnow
from newsbridge.media import links
from newsbridge.media.blobs import blob_store
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.conftest import Partner, active_agreement
from tests.delivery.receivers import LOOPBACK, Receiver
from tests.formats.outputs import newsml_errors, ninjs_errors
from tests.media.pictures import picture
from tests.media.tus import upload

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
HUB = "http://127.0.0.1:8000"  # the default NEWSBRIDGE_PUBLIC_URL
WITHOUT_ASSOCIATIONS = ("ninjs1-superdesk", "newsml-g2-superdesk")  # writers that leave a text's associations out
HREF = re.compile(re.escape(HUB) + r"/media/[0-9A-Za-z]+\?[^\"'\s<>\\]+")


def photo_item(upload_id: str, version: int = 1, **extra: Any) -> dict[str, Any]:
    return {"uri": "urn:alpha:photo:1", "version": str(version), "type": "picture", "language": "en",
            "subjects": [POLITICS], "headlines": [{"role": "main", "value": "Parliament in session"}],
            "renditions": [{"name": "original", "upload": upload_id}], **extra}


def story(media_id: str) -> dict[str, Any]:
    return {"uri": "urn:alpha:story:1", "version": "1", "type": "text", "language": "en", "subjects": [POLITICS],
            "headlines": [{"role": "main", "value": "Parliament passes the budget"}],
            "bodies": [{"role": "main", "contentType": "text/html", "value": "<p>The vote was close.</p>"}],
            "associations": [{"name": "photo", "type": "picture", "uri": "urn:alpha:photo:1",
                              "renditions": [{"href": links.MEDIA_URN + media_id}]}]}


def hrefs(text: str) -> set[str]:
    """The hub media URLs in an answer (XML and HTML escape the ampersands)."""
    return {html.unescape(found) for found in HREF.findall(text)}


def local(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


async def statuses(client: httpx.AsyncClient, found: set[str]) -> dict[str, int]:
    return {href: (await client.get(local(href))).status_code for href in found}


def rendition_of(href: str) -> str:
    return urlsplit(href).path.rsplit("/", 1)[1]


@dataclasses.dataclass
class World:
    app: Any
    client: httpx.AsyncClient
    source: Partner
    recipient: Partner
    stranger: Partner
    worker: Worker
    receiver: Receiver
    feed_token: str
    g2_token: str
    desk: DeskSession
    data: bytes = b""
    media_id: str = ""
    upload_id: str = ""
    item_ids: tuple[str, ...] = ()

    @property
    def hub(self) -> Any:
        return self.app.state.hub

    async def deliver(self) -> None:
        for _ in range(10):
            done = await self.worker.run_once()
            if not (done.sequenced or done.sent):
                return
        raise AssertionError("the worker kept finding work")

    def signer_for(self, org: Organization) -> links.Signer:
        return links.signer(self.hub.engine, self.hub.settings, org)


@pytest.fixture
async def world(app, client, engine, settings, make_partner) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    source = make_partner("alpha", scopes=MANAGE, credit_name="Alpha News")
    recipient = make_partner("beta", scopes=MANAGE)
    stranger = make_partner("stranger", scopes=MANAGE)
    await active_agreement(client, source, recipient, {"topics": ["medtop:11000000"], "languages": ["en"]})
    token = (await client.post("/api/v1/feed-tokens", headers=recipient.headers)).json()["token"]
    g2 = (await client.post("/api/v1/feed-tokens", params={"format": "newsml-g2"},
                            headers=recipient.headers)).json()["token"]
    with Receiver() as receiver:
        with writing(engine) as conn:
            for version in ("3", "2"):
                create_endpoint(conn, recipient.org, receiver.url, None, version, LOOPBACK)
        worker = Worker(engine, settings.replace(allow_private_targets=LOOPBACK), name="test-worker")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as desk:
            yield World(app, client, source, recipient, stranger, worker, receiver, token, g2,
                        await sign_in(desk, engine, "beta"))
        await worker.sender.close()


async def publish(world: World, deliver: bool = True) -> None:
    """The photo uploaded and processed (preview, thumbnail), then the picture item and the story."""
    world.data = picture(size=(1600, 1200))
    world.upload_id, answer = await upload(world.client, world.source.headers, world.data,
                                           filename="Parliament.jpg", filetype="image/jpeg")
    world.media_id = answer.headers["Newsbridge-Media"]
    hub = world.hub
    assert JobWorker(hub.engine, media_handlers(hub.engine, blob_store(hub.settings), hub.settings),
                     name="test").run_once_sync() == ["done"]
    ids = []
    for doc in (photo_item(world.upload_id), story(world.media_id)):
        published = await world.client.post("/api/v1/items", json=doc, headers=world.source.headers)
        assert published.status_code == 201, published.text
        ids.append(published.json()["id"])
    world.item_ids = tuple(ids)
    if deliver:
        await world.deliver()


async def channels(world: World) -> dict[str, str]:
    """Every answer the recipient can get that carries the items, by channel."""
    client, headers = world.client, world.recipient.headers
    api: dict[str, str] = {}
    for item_id in world.item_ids:
        for fmt in ("ninjs3", "ninjs2", "ninjs1-superdesk", "newsml-g2", "newsml-g2-superdesk"):
            api[f"item {fmt} {item_id}"] = f"/api/v1/items/{item_id}?format={fmt}"
        api[f"versions {item_id}"] = f"/api/v1/items/{item_id}/versions"
        api[f"versions ninjs2 {item_id}"] = f"/api/v1/items/{item_id}/versions?format=ninjs2"
        api[f"token item {item_id}"] = f"/feeds/{world.feed_token}/items/{item_id}"
        api[f"token item newsml-g2 {item_id}"] = f"/feeds/{world.g2_token}/items/{item_id}"
    for fmt in ("ninjs3", "ninjs2", "ninjs1-superdesk"):
        api[f"inbox {fmt}"] = f"/api/v1/inbox?format={fmt}"
        api[f"feed {fmt}"] = f"/api/v1/feed?format={fmt}"
    for name in ("atom.xml", "rss.xml", "feed.json"):
        api[name] = f"/feeds/{world.feed_token}/{name}"
    answers: dict[str, str] = {}
    for name, path in api.items():
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.text
    answers["stream"] = await read_stream(world.app, headers)
    for item_id in world.item_ids:
        for fmt in ("ninjs3", "ninjs2", "newsml-g2"):
            response = await world.desk.get(f"/items/{item_id}/download", format=fmt)
            assert response.status_code == 200, response.text
            answers[f"download {fmt} {item_id}"] = response.text
    for n, message in enumerate(world.receiver.requests):
        answers[f"webhook {n} {message.json()['data'].get('type')}"] = message.body
    return answers


async def test_every_channel_carries_signed_hub_urls_for_the_reader_only(world: World) -> None:
    await publish(world)
    answers = await channels(world)
    assert len([name for name in answers if name.startswith("webhook")]) == 4  # 2 items x 2 endpoints
    assert {name: "urn:newsbridge:media" for name, text in answers.items() if "urn:newsbridge:media" in text} == {}
    stranger = world.signer_for(world.stranger.org)
    fetched: dict[str, bytes] = {}
    for name, text in answers.items():
        found = hrefs(text)
        if world.item_ids[1] in name and any(fmt in name for fmt in WITHOUT_ASSOCIATIONS):
            assert not found, name  # the story's photo is an association, which these profiles do not write
            continue
        assert found, f"{name} carries no hub media URL"
        for href in found:
            assert parse_qs(urlsplit(href).query)["org"] == [world.recipient.org.id], (name, href)
            if href not in fetched:
                got = await world.client.get(local(href))
                assert got.status_code == 200, (name, href, got.text)
                assert got.headers["etag"] == f'"{hashlib.sha256(got.content).hexdigest()}"'
                fetched[href] = got.content
            rendition = rendition_of(href)
            assert (await world.client.get(local(stranger.href(rendition)))).status_code == 404, name
            forged = await world.client.get(local(href.replace(world.recipient.org.id, world.stranger.org.id)))
            assert forged.status_code == 403 and forged.json()["error"]["code"] == "link_invalid", name
    # the original's bytes, and the derivatives: three renditions, each fetched under its own URL
    assert world.data in fetched.values()
    assert len({rendition_of(h) for h in fetched}) == 3
    # each writer says what the media is
    assert 'rel="enclosure"' in answers["atom.xml"] and 'type="image/jpeg"' in answers["atom.xml"]
    assert f'length="{len(world.data)}"' in answers["atom.xml"]
    assert "<enclosure" in answers["rss.xml"] and f'length="{len(world.data)}"' in answers["rss.xml"]
    # Media RSS lists every rendition: 3 of the photo item, 3 of the story's photo association
    assert answers["rss.xml"].count("<media:content") == 6 and 'medium="image"' in answers["rss.xml"]
    assert answers["rss.xml"].count('isDefault="true"') == 2 and 'width="1600"' in answers["rss.xml"]
    # and feed readers see them so (feedparser, what partners' aggregators use)
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(answers[name])
        assert not parsed.bozo, (name, parsed.bozo_exception)
        assert all(e.enclosures and all(x.href in hrefs(answers[name]) for x in e.enclosures)
                   for e in parsed.entries), name
    assert all(len(e.media_content) == 3 for e in feedparser.parse(answers["rss.xml"]).entries)
    assert '"size_in_bytes": %d' % len(world.data) in answers["feed.json"]
    # JSON Feed: the renditions of one media share a title (alternates); the story's are its photo's
    feed = json.loads(answers["feed.json"])
    titles = {i["title"]: {a["title"] for a in i["attachments"]} for i in feed["items"]}
    assert titles == {"Parliament in session": {"Parliament in session"}, "Parliament passes the budget": {"photo"}}
    assert {a["_newsbridge"]["rendition"] for a in feed["items"][0]["attachments"]} == {"original", "preview",
                                                                                         "thumbnail"}
    # every output with media stays valid: NewsML-G2 against IPTC's XSD, ninjs against IPTC's schemas
    for fmt in ("newsml-g2", "newsml-g2-superdesk"):
        assert newsml_errors(answers[f"item {fmt} {world.item_ids[0]}"].encode()) == [], fmt
    await story_packages(world, answers)
    for item_id in world.item_ids:
        for fmt in ("ninjs3", "ninjs2", "ninjs1-superdesk"):
            assert ninjs_errors(json.loads(answers[f"item {fmt} {item_id}"]), fmt) == [], (fmt, item_id)
    g2 = answers[f"item newsml-g2 {world.item_ids[0]}"]
    assert f'size="{len(world.data)}"' in g2 and 'width="1600"' in g2 and 'height="1200"' in g2
    assert hashlib.sha256(world.data).hexdigest() in g2 and "hashtypeuri=" in g2


async def story_packages(world: World, answers: dict[str, str]) -> None:
    """The story as NewsML-G2, wherever that comes out (the item API, the feed token's item link, the desk's
    download): a newsMessage with the package, the story and its photo's newsItem carrying every rendition
    signed for the recipient, valid against IPTC's XSD, and read back by the hub as the story with its photo."""
    story_id = world.item_ids[1]
    ninjs_photo = json.loads(answers[f"item ninjs3 {story_id}"])["associations"][0]
    for name in (f"item newsml-g2 {story_id}", f"token item newsml-g2 {story_id}", f"download newsml-g2 {story_id}"):
        xml = answers[name].encode()
        assert newsml_errors(xml) == [], name
        root = etree.fromstring(xml)
        assert [etree.QName(m).localname for m in root.iterfind(f"{{{NAR}}}itemSet/*")] == [
            "packageItem", "newsItem", "newsItem"], name
        refs = [r.get("residref") for r in root.iter(f"{{{NAR}}}itemRef")]
        assert refs == ["urn:alpha:story:1", "urn:alpha:photo:1"], name
        [story] = parse_newsml(xml)
        [photo] = story.associations
        assert (photo["name"], photo["uri"], photo["type"]) == ("photo", "urn:alpha:photo:1", "picture"), name
        assert [(r["name"], r["href"]) for r in photo["renditions"]] == [
            (r["name"], r["href"]) for r in ninjs_photo["renditions"]], name
        assert hashlib.sha256(world.data).hexdigest() in {h.text for h in root.iter(f"{{{NAR}}}hash")}, name
        assert f'size="{len(world.data)}"' in answers[name], name
    for path in (f"/api/v1/items/{story_id}?format=newsml-g2", f"/feeds/{world.g2_token}/items/{story_id}"):
        answer = await world.client.get(path, headers=world.recipient.headers)
        assert answer.headers["content-type"] == NEWSMESSAGE_TYPE, path
    single = await world.client.get(f"/api/v1/items/{world.item_ids[0]}?format=newsml-g2",
                                    headers=world.recipient.headers)
    assert single.headers["content-type"] == "application/vnd.iptc.g2.newsitem+xml"
    # the token's Atom feed names each link's media type as the link serves it: the story's package, the
    # photo item's single newsItem
    atom_feed = etree.fromstring((await world.client.get(f"/feeds/{world.g2_token}/atom.xml")).content)
    related = {link.get("href").rsplit("/", 1)[1]: link.get("type")
               for link in atom_feed.iter("{http://www.w3.org/2005/Atom}link") if link.get("rel") == "related"}
    assert related[story_id] == NEWSMESSAGE_TYPE
    assert related[world.item_ids[0]] == "application/vnd.iptc.g2.newsitem+xml"


async def test_the_source_reads_its_own_media_signed_for_itself(world: World) -> None:
    await publish(world)
    own = await world.client.get("/api/v1/items", headers=world.source.headers)
    found = hrefs(own.text)
    assert found and {parse_qs(urlsplit(h).query)["org"][0] for h in found} == {world.source.org.id}
    assert "urn:newsbridge:media" not in own.text


async def test_withdrawal_revokes_urls_handed_out_by_webhook_and_feed(world: World) -> None:
    await publish(world)
    handed_out = set().union(*(hrefs(m.body) for m in world.receiver.requests))
    handed_out |= hrefs((await world.client.get(f"/feeds/{world.feed_token}/atom.xml")).text)
    handed_out |= hrefs((await world.client.get("/api/v1/feed", headers=world.recipient.headers)).text)
    assert handed_out and await statuses(world.client, handed_out) == {h: 200 for h in handed_out}
    # the picture item withdrawn, and the story corrected without its photo
    withdrawn = await world.client.post("/api/v1/items", headers=world.source.headers,
                                        json=photo_item(world.upload_id, version=2, pubStatus="canceled"))
    assert withdrawn.status_code == 201, withdrawn.text
    corrected = {**story(world.media_id), "version": "2", "associations": []}
    assert (await world.client.post("/api/v1/items", json=corrected, headers=world.source.headers)).status_code == 201
    await world.deliver()
    assert await statuses(world.client, handed_out) == {h: 404 for h in handed_out}
    # the source keeps its own media
    own = hrefs((await world.client.get(f"/api/v1/items/{world.item_ids[0]}?format=ninjs3",
                                        headers=world.source.headers)).text)
    assert own == set()  # a withdrawn item is a notice, for its source too, in the current version
    signer = world.signer_for(world.source.org)
    assert (await world.client.get(local(signer.href(rendition_of(next(iter(handed_out))))))).status_code == 200


async def test_a_retried_webhook_carries_urls_signed_at_its_own_send_time(world: World, monkeypatch) -> None:
    world.receiver.answer(500, 500)  # the first attempt of both items' first message fails
    later = utcnow() + timedelta(days=2)
    await publish(world, deliver=False)
    await world.worker.run_once()  # the first attempts: two of them fail
    [first, *_] = [r for r in world.receiver.requests if r.status == 500]
    first_hrefs = hrefs(first.body)
    # two days later (past the 24 h expiry of the first attempt's URLs) the retry goes out
    monkeypatch.setattr(links, "utcnow", lambda: later)
    with writing(world.hub.engine) as conn:  # the retry is due now
        conn.execute(outbox.update().values(next_attempt_at=utcnow()))
    await world.deliver()
    [retry] = [r for r in world.receiver.requests[1:] if r.webhook_id == first.webhook_id]
    retry_hrefs = hrefs(retry.body)
    assert retry_hrefs and retry_hrefs != first_hrefs
    expiries = {int(parse_qs(urlsplit(h).query)["exp"][0]) for h in retry_hrefs}
    assert min(expiries) > later.timestamp()
    for href in first_hrefs:  # what the failed attempt carried has expired by now
        answer = await world.client.get(local(href))
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "link_expired"
    assert await statuses(world.client, retry_hrefs) == {h: 200 for h in retry_hrefs}


async def test_the_atom_etag_changes_when_the_media_urls_are_signed_again(world: World, monkeypatch) -> None:
    await publish(world)
    first = await world.client.get(f"/feeds/{world.feed_token}/atom.xml")
    etag = first.headers["etag"]
    again = await world.client.get(f"/feeds/{world.feed_token}/atom.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304  # the control: nothing changed
    later = utcnow() + timedelta(hours=3)
    monkeypatch.setattr(links, "utcnow", lambda: later)  # the hrefs now carry a later expiry
    fresh = await world.client.get(f"/feeds/{world.feed_token}/atom.xml", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    assert hrefs(fresh.text) and hrefs(fresh.text).isdisjoint(hrefs(first.text))


async def test_feeds_and_webhooks_wait_for_the_media_derivatives(world: World) -> None:
    """Published before its derivatives exist, a picture reaches the feed and webhooks once they do:
    with its preview and thumbnail, and (no GPS rights, none found at publish) its original."""
    world.data = picture(size=(1600, 1200))
    upload_id, _ = await upload(world.client, world.source.headers, world.data, filetype="image/jpeg")
    published = await world.client.post("/api/v1/items", json=photo_item(upload_id), headers=world.source.headers)
    assert published.status_code == 201, published.text
    await world.deliver()
    assert world.receiver.requests == []
    assert (await world.client.get("/api/v1/feed", headers=world.recipient.headers)).json()["items"] == []
    # the API already shows it, with what it may offer this partner now: the original, looked at for GPS
    early = await world.client.get(f"/api/v1/items/{published.json()['id']}", headers=world.recipient.headers)
    assert early.status_code == 200 and [r["name"] for r in early.json()["renditions"]] == ["original"]
    hub = world.hub
    JobWorker(hub.engine, media_handlers(hub.engine, blob_store(hub.settings), hub.settings), name="t").run_once_sync()
    await world.deliver()
    assert len(world.receiver.requests) == 2  # both endpoints
    names = {r["name"] for r in world.receiver.requests[0].json()["data"]["renditions"]}
    assert names == {"original", "preview", "thumbnail"}
    feed = (await world.client.get("/api/v1/feed", headers=world.recipient.headers)).json()["items"]
    assert [{r["name"] for r in e["item"]["renditions"]} for e in feed] == [names]


async def test_an_item_waits_for_its_media_no_longer_than_the_setting(world: World, tmp_path) -> None:
    """When the wait ends the item goes with what may be offered then, and says its previews are still being
    made: here the photo carries GPS, which the agreement does not allow, so its GPS-free copy, made when the
    item was published (the original itself never; the derivative job has not run)."""
    import pyexiv2

    from tests.media.samples import tagged_photo

    world.worker.settings = world.worker.settings.replace(media_ready_wait_seconds=0)
    data = tagged_photo(tmp_path / "gps.jpg").read_bytes()
    upload_id, _ = await upload(world.client, world.source.headers, data, filetype="image/jpeg")
    assert (await world.client.post("/api/v1/items", json=photo_item(upload_id),
                                    headers=world.source.headers)).status_code == 201
    await world.deliver()
    assert len(world.receiver.requests) == 2  # gone at once (ninjs 3 and 2), with what could be offered then
    for sent in (r.json()["data"] for r in world.receiver.requests):
        [media] = sent["hub"]["media"]
        assert (media["previews"], media["original"]) == ("processing", "gps_free_copy")
        assert [r["name"] for r in media["renditions"]] == ["original-nogps"]
        renditions = sent["renditions"]  # ninjs 3: a list; ninjs 2: an object by name
        [href] = ([r["href"] for r in renditions] if isinstance(renditions, list)
                  else [renditions["original-nogps"]["href"]])
        fetched = await world.client.get(local(href))
        assert fetched.status_code == 200
        assert hashlib.sha256(fetched.content).hexdigest() == media["renditions"][0]["sha256"]
        path = tmp_path / "fetched.jpg"
        path.write_bytes(fetched.content)
        with pyexiv2.Image(str(path)) as image:
            assert not [k for k in image.read_exif() if k.startswith("Exif.GPSInfo")]
            assert image.read_xmp()["Xmp.dc.description"]  # only the GPS tags went


def small_video(path: Any, location: str | None) -> bytes:
    """A second of 160x120 video with sound, in MP4; with a phone's ``location`` tag when given."""
    from tests.media.samples import ffmpeg

    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1", "-f", "lavfi",
           "-i", "sine=frequency=440:duration=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-shortest", *(["-metadata", f"location={location}"] if location else []), str(path))
    return path.read_bytes()


@pytest.mark.parametrize("kind, gps, offered, original", [
    ("picture", False, ["original"], "offered"),
    ("video", False, ["original"], "offered"),
    ("video", True, [], "awaiting_gps_free_copy")])
async def test_after_the_wait_the_original_goes_when_the_hub_looked_and_found_no_gps(
        world: World, tmp_path, kind: str, gps: bool, offered: list[str], original: str) -> None:
    """The hub looks for GPS when the item is published (a photo's metadata; a video's container tags, read by
    ffprobe): one without is offered whole to a partner whose agreement does not allow GPS when the wait ends,
    its previews still being made; a video with a location tag is not, and the item says why (its copy without
    GPS is the derivative job's: a stream copy)."""
    world.worker.settings = world.worker.settings.replace(media_ready_wait_seconds=0)
    if kind == "picture":
        data, filetype = picture(size=(800, 600)), "image/jpeg"
    else:
        data, filetype = small_video(tmp_path / "report.mp4", "+51.1694+071.4491/" if gps else None), "video/mp4"
    upload_id, _ = await upload(world.client, world.source.headers, data, filetype=filetype)
    published = await world.client.post("/api/v1/items", json=photo_item(upload_id, type=kind),
                                        headers=world.source.headers)
    assert published.status_code == 201, published.text
    await world.deliver()
    assert len(world.receiver.requests) == 2  # gone at once (ninjs 3 and 2)
    for sent in (r.json()["data"] for r in world.receiver.requests):
        [media] = sent["hub"]["media"]
        assert (media["previews"], media["original"]) == ("processing", original)
        assert [r["name"] for r in media["renditions"]] == offered
        listed = sent.get("renditions") or []
        hrefs_sent = [r["href"] for r in listed] if isinstance(listed, list) else [r["href"] for r in listed.values()]
        assert len(hrefs_sent) == len(offered)
        for href in hrefs_sent:
            fetched = await world.client.get(local(href))
            assert fetched.status_code == 200 and fetched.content == data  # the original, unaltered
    hub = world.hub
    JobWorker(hub.engine, media_handlers(hub.engine, blob_store(hub.settings), hub.settings), name="t").run_once_sync()
    answer = await world.client.get(f"/api/v1/items/{published.json()['id']}", headers=world.recipient.headers)
    [media] = answer.json()["hub"]["media"]
    assert (media["previews"], media["original"]) == ("ready", "gps_free_copy" if gps else "offered")


async def test_a_withdrawal_never_waits_and_the_held_version_goes_before_it(world: World) -> None:
    upload_id, _ = await upload(world.client, world.source.headers, picture(), filetype="image/jpeg")
    assert (await world.client.post("/api/v1/items", json=photo_item(upload_id),
                                    headers=world.source.headers)).status_code == 201
    await world.deliver()
    assert world.receiver.requests == []  # held: the media is being processed
    withdrawn = await world.client.post("/api/v1/items", headers=world.source.headers,
                                        json=photo_item(upload_id, version=2, pubStatus="canceled"))
    assert withdrawn.status_code == 201, withdrawn.text
    await world.deliver()
    events = [r.json()["type"] for r in sorted(world.receiver.requests, key=lambda r: r.at)]
    assert sorted(events) == ["item.published"] * 2 + ["item.withdrawn"] * 2
    feed = (await world.client.get("/api/v1/feed", headers=world.recipient.headers)).json()["items"]
    assert [e["event"] for e in feed] == ["item.published", "item.withdrawn"]
    assert "urn:newsbridge:media" not in str(feed) and all("renditions" not in e["item"] for e in feed)
