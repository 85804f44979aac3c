"""Atom feeds for feed readers: a revocable token in the URL, newest first, credit in `rights`,
RFC 5005 paging, conditional GET, and nothing the token's organization did not receive."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest

from newsbridge.db.engine import writing
from newsbridge.delivery.outbox import sequence
from newsbridge.ids import utcnow

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
SPORT = {"name": "sport", "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000"}
USAGE = "Republication with credit; no resale."


def story(uri: str, headline: str, version: str = "1", subject: dict[str, str] = POLITICS,
          **extra: object) -> dict[str, Any]:
    return {"uri": uri, "version": version, "type": "text", "language": "en", "subjects": [subject],
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/html", "value": f"<p>Full text of {headline}</p>"}],
            **extra}


@pytest.fixture
async def exchange(client, make_partner):  # type: ignore[no-untyped-def]
    """Alpha shares politics in English with beta; gamma has no agreement. Returns (a, b, c)."""
    a = make_partner("alpha", scopes=MANAGE, name="Alpha News Agency", credit_name="Alpha News")
    b = make_partner("beta", scopes=MANAGE)
    c = make_partner("gamma", scopes=MANAGE)
    created = await client.post("/api/v1/agreements", headers=a.headers, json={
        "title": "Alpha-Beta", "parties": ["alpha", "beta"],
        "terms": [{"from": "alpha", "topics": ["medtop:11000000"], "languages": ["en"], "usage_terms": USAGE}]})
    assert created.status_code == 201, created.text
    for partner, action in ((a, "propose"), (a, "sign"), (b, "sign")):
        done = await client.post(f"/api/v1/agreements/{created.json()['id']}:{action}", headers=partner.headers)
        assert done.status_code == 200, done.text
    return a, b, c


async def publish(client, partner, doc: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def sequence_now(engine) -> int:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        return len(sequence(conn, utcnow()))


def local(url: str) -> str:
    """The path and query of a hub URL (links carry the public base URL; the test app answers any host)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def feed_url(client, partner, label: str = "reader") -> str:  # type: ignore[no-untyped-def]
    made = await client.post("/api/v1/feed-tokens", params={"label": label}, headers=partner.headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["token"].startswith("nbf_")
    assert body["url"].endswith(f"/feeds/{body['token']}/atom.xml")
    return local(body["url"])


async def read_feed(client, path: str) -> Any:  # type: ignore[no-untyped-def]
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def links(parsed: Any) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in parsed.feed.get("links", [])}


async def test_the_feed_lists_what_was_received_newest_first_with_credit(client, engine, exchange) -> None:
    a, b, _ = exchange
    path = await feed_url(client, b)
    first = await publish(client, a, story("urn:alpha:1", "Parliament votes"))
    await publish(client, a, story("urn:alpha:2", "Budget passes"))
    await publish(client, a, story("urn:alpha:1", "Parliament votes again", version="2"))
    assert sequence_now(engine) == 3
    parsed = await read_feed(client, path)
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Newsbridge: received by Beta"
    assert links(parsed)["self"].endswith(path) and links(parsed)["first"].endswith(path)
    assert "next" not in links(parsed)
    assert [e.title for e in parsed.entries] == ["Parliament votes again", "Budget passes", "Parliament votes"]
    assert [e.tags[0].term for e in parsed.entries] == ["item.updated", "item.published", "item.published"]
    assert parsed.entries[0].id == f"urn:newsbridge:item:{first}:2"
    for entry in parsed.entries:
        assert entry.author == "Alpha News Agency"
        assert "Alpha News via Newsbridge" in entry.rights and USAGE in entry.rights
        assert entry.content[0].value == f"<p>Full text of {entry.title}</p>"
    assert parsed.entries[0].updated_parsed >= parsed.entries[-1].updated_parsed


async def test_a_feed_without_deliveries_is_valid_and_empty(client, exchange) -> None:
    _, b, _ = exchange
    parsed = await read_feed(client, await feed_url(client, b))
    assert parsed.entries == []


async def test_sixty_items_page_by_fifty_with_a_next_link(client, engine, exchange) -> None:
    a, b, _ = exchange
    path = await feed_url(client, b)
    for n in range(1, 61):
        await publish(client, a, story(f"urn:alpha:{n}", f"Story {n}"))
    assert sequence_now(engine) == 60
    first = await read_feed(client, path)
    assert [e.title for e in first.entries] == [f"Story {n}" for n in range(60, 10, -1)]
    older = links(first)["next"]
    assert "before=" in older
    second = await read_feed(client, local(older))
    assert [e.title for e in second.entries] == [f"Story {n}" for n in range(10, 0, -1)]
    assert "next" not in links(second)
    assert links(second)["first"].endswith(path) and links(second)["self"].endswith(local(older))


async def test_a_conditional_get_answers_304_until_something_new_arrives(client, engine, exchange) -> None:
    a, b, _ = exchange
    path = await feed_url(client, b)
    await publish(client, a, story("urn:alpha:1", "Parliament votes"))
    sequence_now(engine)
    first = await client.get(path)
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('"')
    again = await client.get(path)
    assert (again.headers["etag"], again.content) == (etag, first.content)
    unchanged = await client.get(path, headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", etag)

    await publish(client, a, story("urn:alpha:2", "Budget passes"))
    stale = await client.get(path, headers={"If-None-Match": etag})
    assert stale.status_code == 304  # published, but not yet in the feed until the worker sequences it
    sequence_now(engine)
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert [e.title for e in feedparser.parse(changed.content).entries] == ["Budget passes", "Parliament votes"]
    assert (await client.get(path, headers={"If-None-Match": changed.headers["etag"]})).status_code == 304


async def test_pages_have_etags_of_their_own(client, engine, exchange) -> None:
    a, b, _ = exchange
    path = await feed_url(client, b)
    for n in range(1, 52):
        await publish(client, a, story(f"urn:alpha:{n}", f"Story {n}"))
    sequence_now(engine)
    first = await client.get(path)
    older = local(links(feedparser.parse(first.content))["next"])
    second = await client.get(older)
    assert first.headers["etag"] != second.headers["etag"]
    assert (await client.get(older, headers={"If-None-Match": second.headers["etag"]})).status_code == 304
    assert (await client.get(older, headers={"If-None-Match": first.headers["etag"]})).status_code == 200


async def test_a_revoked_or_made_up_token_is_not_found(client, engine, exchange) -> None:
    a, b, c = exchange
    path = await feed_url(client, b, label="newsroom reader")
    await publish(client, a, story("urn:alpha:1", "Parliament votes"))
    sequence_now(engine)
    assert (await client.get(path)).status_code == 200
    [token] = (await client.get("/api/v1/feed-tokens", headers=b.headers)).json()["feed_tokens"]
    assert (token["label"], token["revoked_at"]) == ("newsroom reader", None)
    assert "nbf_" not in str(token)

    stranger = await client.post(f"/api/v1/feed-tokens/{token['id']}:revoke", headers=c.headers)
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (404, "not_found")
    assert (await client.get(path)).status_code == 200
    revoked = await client.post(f"/api/v1/feed-tokens/{token['id']}:revoke", headers=b.headers)
    assert revoked.status_code == 200, revoked.text
    gone = await client.get(path)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "not_found")
    assert "Parliament" not in gone.text
    [listed] = (await client.get("/api/v1/feed-tokens", headers=b.headers)).json()["feed_tokens"]
    assert listed["revoked_at"] is not None
    again = await client.post(f"/api/v1/feed-tokens/{token['id']}:revoke", headers=b.headers)
    assert again.status_code == 404


@pytest.mark.parametrize("token", ["nbf_madeup", "nbf_" + "A" * 32, "nb_not_a_feed_token", "x"])
async def test_a_made_up_token_is_not_found(client, exchange, token) -> None:
    missing = await client.get(f"/feeds/{token}/atom.xml")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


async def test_an_api_key_is_not_a_feed_token(client, exchange) -> None:
    _, b, _ = exchange
    assert (await client.get(f"/feeds/{b.key}/atom.xml")).status_code == 404


async def test_a_feed_lists_only_what_its_organization_received(client, engine, exchange) -> None:
    a, b, c = exchange
    path_b, path_c, path_a = await feed_url(client, b), await feed_url(client, c), await feed_url(client, a)
    await publish(client, a, story("urn:alpha:1", "Politics for beta"))
    await publish(client, a, story("urn:alpha:2", "Sport kept at home", subject=SPORT))
    await publish(client, c, story("urn:gamma:1", "Gamma's own story"))
    sequence_now(engine)
    assert [e.title for e in (await read_feed(client, path_b)).entries] == ["Politics for beta"]
    for path in (path_c, path_a):
        response = await client.get(path)
        assert response.status_code == 200
        assert feedparser.parse(response.content).entries == []
        assert b"Politics for beta" not in response.content and b"Sport" not in response.content


async def test_feed_tokens_need_a_key(client) -> None:
    assert (await client.post("/api/v1/feed-tokens")).status_code == 401



async def test_a_withdrawn_item_shows_as_withdrawn_without_its_text(client, engine, exchange) -> None:
    a, b, _ = exchange
    path = await feed_url(client, b)
    await publish(client, a, story("urn:alpha:1", "Minister resigns"))
    await publish(client, a, story("urn:alpha:1", "Minister resigns", version="2", pubStatus="canceled"))
    sequence_now(engine)
    parsed = await read_feed(client, path)
    assert [e.title for e in parsed.entries] == ["[withdrawn] Minister resigns"] * 2
    assert [e.tags[0].term for e in parsed.entries] == ["item.withdrawn", "item.published"]
    assert all("content" not in e for e in parsed.entries)


async def test_a_plain_text_body_is_given_as_html(client, engine, exchange) -> None:
    a, b, _ = exchange
    path = await feed_url(client, b)
    doc = story("urn:alpha:1", "Plain words")
    doc["bodies"] = [{"role": "main", "contentType": "text/plain", "value": "Just text."}]
    await publish(client, a, doc)
    sequence_now(engine)
    [entry] = (await read_feed(client, path)).entries
    assert entry.title == "Plain words" and "Just text." in entry.content[0].value


async def test_an_item_without_a_body_is_listed(client, engine, exchange) -> None:
    a, b, _ = exchange
    path = await feed_url(client, b)
    doc = story("urn:alpha:1", "Flash: Parliament dissolved")
    del doc["bodies"]
    await publish(client, a, doc)
    sequence_now(engine)
    assert [e.title for e in (await read_feed(client, path)).entries] == ["Flash: Parliament dissolved"]


@pytest.mark.parametrize("form", ['"older", {etag}', "W/{etag}"], ids=["list", "weak"])
async def test_if_none_match_follows_rfc_9110(client, engine, exchange, form) -> None:
    a, b, _ = exchange
    path = await feed_url(client, b)
    await publish(client, a, story("urn:alpha:1", "Parliament votes"))
    sequence_now(engine)
    etag = (await client.get(path)).headers["etag"]
    assert (await client.get(path, headers={"If-None-Match": form.format(etag=etag)})).status_code == 304
