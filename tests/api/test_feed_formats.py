"""What the token feeds send besides Atom's basics: RSS 2.0 (feedparser, no bozo), Atom entries with
their language and change times, JSON Feed ids that stay across versions, and each entry's item in
the token's format (the Superdesk profile included); webhook endpoints with a format."""

from __future__ import annotations

import json
from datetime import datetime

import feedparser
import pytest
from lxml import etree

from tests.api.test_atom import exchange, local, publish, sequence_now, story  # noqa: F401 (fixture)
from tests.formats.outputs import newsml_errors, ninjs_errors

pytestmark = pytest.mark.anyio
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


async def token(client, partner, fmt: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    made = await client.post("/api/v1/feed-tokens", params={"format": fmt} if fmt else {}, headers=partner.headers)
    assert made.status_code == 201, made.text
    return made.json()


async def test_rss_lists_what_the_recipient_received(client, engine, exchange) -> None:  # type: ignore[no-untyped-def]
    a, b, _c = exchange
    item_id = await publish(client, a, story("urn:alpha:1", "Minister resigns"))
    sequence_now(engine)
    made = await token(client, b)

    response = await client.get(local(made["rss"]))

    assert response.status_code == 200 and response.headers["content-type"].startswith("application/rss+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    [entry] = parsed.entries
    assert entry.title == "Minister resigns" and "Full text of Minister resigns" in entry.description
    assert entry.link.endswith(f"/items/{item_id}") and entry.id == f"urn:newsbridge:item:{item_id}:1"
    assert entry.author == "Alpha News Agency" and entry.language == "en"
    assert entry.enclosures[0].href.endswith(f"/feeds/{made['token']}/items/{item_id}")


async def test_atom_entries_say_their_language_and_when_they_changed(client, engine, exchange) -> None:  # type: ignore[no-untyped-def]
    a, b, _c = exchange
    await publish(client, a, story("urn:alpha:1", "Minister resigns",
                                   versionCreated="2026-03-21T09:00:00+00:00"))
    sequence_now(engine)
    await publish(client, a, story("urn:alpha:1", "Minister resigns, aide says", version="2",
                                   versionCreated="2026-03-21T10:30:00+00:00"))
    sequence_now(engine)
    made = await token(client, b)

    root = etree.fromstring((await client.get(local(made["url"]))).content)

    ns = {"a": "http://www.w3.org/2005/Atom"}
    correction, first = root.findall("a:entry", ns)
    assert correction.get(XML_LANG) == first.get(XML_LANG) == "en"
    assert datetime.fromisoformat(correction.findtext("a:updated", namespaces=ns)) == datetime.fromisoformat(
        "2026-03-21T10:30:00+00:00")  # the correction's own time, not when it reached the recipient
    await publish(client, a, story("urn:alpha:1", "Minister resigns", version="3", pubStatus="canceled"))
    sequence_now(engine)
    root = etree.fromstring((await client.get(local(made["url"]))).content)
    withdrawal, *earlier = root.findall("a:entry", ns)
    changed = {e.findtext("a:updated", namespaces=ns) for e in [withdrawal, *earlier]}
    assert len(changed) == 1  # every entry of the withdrawn item: changed when it was withdrawn
    assert datetime.fromisoformat(changed.pop()) > datetime.fromisoformat("2026-03-21T10:30:00+00:00")


async def test_json_feed_ids_stay_across_versions(client, engine, exchange) -> None:  # type: ignore[no-untyped-def]
    a, b, _c = exchange
    item_id = await publish(client, a, story("urn:alpha:1", "Minister resigns"))
    sequence_now(engine)
    await publish(client, a, story("urn:alpha:1", "Minister resigns, aide says", version="2"))
    sequence_now(engine)
    made = await token(client, b)

    feed = (await client.get(local(made["json"]))).json()

    assert feed["home_page_url"].endswith("/desk")
    assert [i["id"] for i in feed["items"]] == [f"urn:newsbridge:item:{item_id}"] * 2
    assert [i["_newsbridge"]["version"] for i in feed["items"]] == [2, 1]
    assert {i["url"] for i in feed["items"]} == {f"http://hub.test/items/{item_id}"} or all(
        i["url"].endswith(f"/items/{item_id}") for i in feed["items"])


@pytest.mark.parametrize("fmt", ["ninjs3", "ninjs2", "ninjs1-superdesk", "newsml-g2", "newsml-g2-superdesk"])
async def test_a_token_serves_each_item_in_its_format(client, engine, exchange, fmt: str) -> None:  # type: ignore[no-untyped-def]
    a, b, c = exchange
    item_id = await publish(client, a, story("urn:alpha:1", "Minister resigns"))
    sequence_now(engine)
    made = await token(client, b, fmt)
    atom = feedparser.parse((await client.get(local(made["url"]))).content)
    [link] = [x.href for x in atom.entries[0].links if x.rel == "related"]

    response = await client.get(local(link))

    assert response.status_code == 200, response.text
    if fmt.startswith("newsml"):
        assert newsml_errors(response.content) == []
        subjects = etree.fromstring(response.content).xpath("//*[local-name()='subject']/@qcode")
        assert ("subj:11000000" in subjects) == (fmt == "newsml-g2-superdesk")
    else:
        assert ninjs_errors(response.json(), fmt) == []
    other = await token(client, c, fmt)  # gamma received nothing: the same item is not there for it
    assert (await client.get(local(other["url"]).replace("atom.xml", f"items/{item_id}"))).status_code == 404
    refused = await client.post("/api/v1/feed-tokens", params={"format": "rss"}, headers=b.headers)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "format"


async def test_a_webhook_endpoint_takes_a_format(client, exchange) -> None:  # type: ignore[no-untyped-def]
    _a, b, _c = exchange
    url = "https://93.184.216.34/hook"
    made = await client.post("/api/v1/endpoints", headers=b.headers, json={"url": url, "format": "ninjs1-superdesk"})
    old = await client.post("/api/v1/endpoints", headers=b.headers, json={"url": url, "ninjs_version": "2"})
    bad = await client.post("/api/v1/endpoints", headers=b.headers, json={"url": url, "format": "ninjs4"})

    assert made.status_code == old.status_code == 201, (made.text, old.text)
    assert (made.json()["format"], old.json()["format"], old.json()["ninjs_version"]) == (
        "ninjs1-superdesk", "ninjs2", "2")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "format"
    assert json.loads((await client.get("/api/v1/endpoints", headers=b.headers)).text)["endpoints"][0]["format"]
