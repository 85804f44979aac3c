"""Items leave the hub in the formats partners' systems read: NewsML-G2 and JSON Feed, and tagged."""

from __future__ import annotations

import json

import pytest

from newsbridge.db.engine import writing
from newsbridge.delivery.outbox import sequence
from newsbridge.formats.feeds import parse_feed
from newsbridge.formats.newsml_g2 import parse_newsml
from newsbridge.ids import utcnow

pytestmark = pytest.mark.anyio
STORY = {"uri": "urn:kazinform:2026:77", "version": "2", "type": "text", "language": "en",
         "versionCreated": "2026-11-20T09:30:00+05:00",
         "subjects": [{"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}],
         "headlines": [{"role": "main", "value": "Astana and Tehran agree on a news exchange"}],
         "bodies": [{"role": "main", "contentType": "text/plain", "value": "ASTANA. KAZINFORM – Text.\n\nMore."}]}


async def test_an_item_as_newsml_g2_reads_back(client, make_partner) -> None:
    partner = make_partner()
    item_id = (await client.post("/api/v1/items", json=STORY, headers=partner.headers)).json()["id"]
    response = await client.get(f"/api/v1/items/{item_id}?format=newsml-g2", headers=partner.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.iptc.g2.newsitem+xml")
    [item] = parse_newsml(response.content)
    assert (item.uri, item.version, item.headline, item.language) == (STORY["uri"], "2", STORY["headlines"][0]["value"],
                                                                       "en")
    assert item.versioncreated.isoformat() == "2026-11-20T09:30:00+05:00"
    assert {s.get("uri") for s in item.subjects} >= {"http://cv.iptc.org/newscodes/mediatopic/11000000"}


async def test_a_composite_cannot_be_newsml_and_says_why(client, make_partner) -> None:
    partner = make_partner()
    composite = {"uri": "urn:x:package", "type": "composite", "headlines": [{"value": "A package"}]}
    item_id = (await client.post("/api/v1/items", json=composite, headers=partner.headers)).json()["id"]
    response = await client.get(f"/api/v1/items/{item_id}?format=newsml-g2", headers=partner.headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "type"


async def test_json_feed_lists_what_was_received(client, make_partner, engine) -> None:
    source, receiver = make_partner("src", scopes=("publish", "read", "manage")), \
        make_partner("rcv", scopes=("publish", "read", "manage"))
    body = {"title": "Exchange", "parties": ["src", "rcv"], "terms": [{"from": "src"}]}
    agreement = (await client.post("/api/v1/agreements", json=body, headers=source.headers)).json()
    for who, action in ((source, "propose"), (source, "sign"), (receiver, "sign")):
        assert (await client.post(f"/api/v1/agreements/{agreement['id']}:{action}", headers=who.headers)).status_code \
            == 200
    await client.post("/api/v1/items", json=STORY, headers=source.headers)
    with writing(engine) as conn:
        sequence(conn, utcnow())
    token = (await client.post("/api/v1/feed-tokens", headers=receiver.headers)).json()["token"]
    response = await client.get(f"/feeds/{token}/feed.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    [item] = parse_feed(response.content)
    assert item.headline == STORY["headlines"][0]["value"]
    assert (await client.get("/feeds/nbf_not-a-token/feed.json")).status_code == 404


async def test_items_without_topics_are_tagged_by_the_machine(client, make_partner) -> None:
    partner = make_partner()
    story = {"uri": "urn:x:football", "language": "en",
             "headlines": [{"value": "Kairat beat Astana 2-1 in the Kazakhstan Premier League football derby"}],
             "bodies": [{"contentType": "text/plain", "value": "The striker scored twice as the football club won."}]}
    item = (await client.post("/api/v1/items", json=story, headers=partner.headers)).json()
    machine = [s for s in item["subjects"] if s.get("creator") == "machine"]
    assert any(s["uri"] == "http://cv.iptc.org/newscodes/mediatopic/15000000" for s in machine)
    assert all(0 < s["confidence"] <= 100 for s in machine)


async def test_the_sources_own_topics_are_kept_and_not_second_guessed(client, make_partner) -> None:
    partner = make_partner()
    item = (await client.post("/api/v1/items", json=STORY, headers=partner.headers)).json()
    assert item["subjects"] == STORY["subjects"]
