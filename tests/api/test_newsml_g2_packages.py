"""A story's attached media in NewsML-G2 follows the agreement's media rules exactly as its ninjs does: a
partner not offered a media kind gets the story alone (no package, no URL), a proxy-only partner a package
without the original; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from lxml import etree

from newsbridge.formats.newsml_g2 import NAR, parse_newsml
from tests.api.test_media_rules import SCOPES, agreement, process
from tests.conftest import Partner
from tests.formats.outputs import newsml_errors
from tests.media.pictures import picture
from tests.media.tus import upload

pytestmark = pytest.mark.anyio


@pytest.fixture
def parties(make_partner) -> tuple[Partner, Partner, Partner]:  # type: ignore[no-untyped-def]
    return make_partner("alpha", scopes=SCOPES), make_partner("beta", scopes=SCOPES), make_partner("gamma", scopes=SCOPES)


async def publish_story(client: httpx.AsyncClient, source: Partner) -> str:
    upload_id, _ = await upload(client, source.headers, picture(size=(1600, 1200)), filetype="image/jpeg")
    process(client)
    story = await client.post("/api/v1/items", headers=source.headers, json={
        "uri": "urn:alpha:story", "version": "1", "type": "text", "language": "en",
        "headlines": [{"role": "main", "value": "Budget passed"}],
        "bodies": [{"role": "main", "contentType": "text/html", "value": "<p>The vote was close.</p>"}],
        "associations": [{"name": "photo", "type": "picture", "uri": "urn:alpha:photo:9",
                          "renditions": [{"name": "original", "upload": upload_id}]}]})
    assert story.status_code == 201, story.text
    return story.json()["id"]  # type: ignore[no-any-return]


async def newsml(client: httpx.AsyncClient, reader: Partner, item_id: str) -> tuple[etree._Element, Any]:
    answer = await client.get(f"/api/v1/items/{item_id}?format=newsml-g2", headers=reader.headers)
    assert answer.status_code == 200, answer.text
    assert newsml_errors(answer.content) == []
    [story] = parse_newsml(answer.content)
    return etree.fromstring(answer.content), story


async def test_a_partner_not_offered_pictures_gets_the_story_without_a_package(client, parties) -> None:
    alpha, beta, _ = parties
    await agreement(client, alpha, [beta], {"types": ["video"]})  # text items with video only
    item_id = await publish_story(client, alpha)
    root, story = await newsml(client, beta, item_id)
    assert etree.QName(root).localname == "newsItem" and story.associations == []
    assert b"/media/" not in etree.tostring(root) and root.find(f".//{{{NAR}}}remoteContent") is None
    # the source itself reads its story with the photo packaged
    root, story = await newsml(client, alpha, item_id)
    assert etree.QName(root).localname == "newsMessage"
    assert [r["name"] for r in story.associations[0]["renditions"]] == ["original", "preview", "thumbnail"]


async def test_a_proxy_only_partner_gets_the_package_without_the_original(client, parties) -> None:
    alpha, beta, gamma = parties
    await agreement(client, alpha, [beta, gamma], {"allow_gps": True, "partners": {"beta": {"proxy_only": True}}})
    item_id = await publish_story(client, alpha)
    for reader, names in ((beta, ["preview", "thumbnail"]), (gamma, ["original", "preview", "thumbnail"])):
        root, story = await newsml(client, reader, item_id)
        [photo] = story.associations
        assert [r["name"] for r in photo["renditions"]] == names
        ninjs = (await client.get(f"/api/v1/items/{item_id}", headers=reader.headers)).json()
        assert [r["href"] for r in photo["renditions"]] == [r["href"] for r in ninjs["associations"][0]["renditions"]]
        assert all(f"org={reader.org.id}" in r["href"] for r in photo["renditions"])


async def test_the_hub_ingests_its_own_package_as_the_story_with_its_photo(client, parties) -> None:
    """A partner that files what it received (here through the upload API, as a polled source would be read)
    stores one item: the story, its photo an association with the renditions it was sent."""
    alpha, beta, _ = parties
    await agreement(client, alpha, [beta], {"allow_gps": True})
    item_id = await publish_story(client, alpha)
    received = await client.get(f"/api/v1/items/{item_id}?format=newsml-g2", headers=beta.headers)
    sent = [r["href"] for r in (await client.get(f"/api/v1/items/{item_id}", headers=beta.headers)).json()[
        "associations"][0]["renditions"]]
    filed = await client.post("/api/v1/items:upload", content=received.content, headers=beta.headers)
    assert filed.status_code == 201, filed.text
    [story] = filed.json()["items"]
    assert (story["uri"], story["type"], story["headlines"][0]["value"]) == ("urn:alpha:story", "text", "Budget passed")
    [photo] = story["associations"]
    assert (photo["name"], photo["uri"], photo["type"]) == ("photo", "urn:alpha:photo:9", "picture")
    assert [r["href"] for r in photo["renditions"]] == sent and len(sent) == 3
