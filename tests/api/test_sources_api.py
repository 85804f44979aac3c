"""Sources over HTTP: registering a feed (manage scope, SSRF guard, validation with fields),
listing and showing it with its recent polls after the Poller fetched a real loopback feed,
turning polling off and on, poll-now, and what other keys and organizations get."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.app import create_app
from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import sources
from newsbridge.ids import utcnow
from newsbridge.ingest.polling import Poller
from newsbridge.ingest.sources import Poll, get_source
from tests.conftest import Partner, count_rows
from tests.ingest.feed_server import FeedServer

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
LOOPBACK = ("127.0.0.0/8",)
MISSING = "01NOSUCHSOURCE000000000000"
RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Alpha Wire</title><link>https://alpha.example/</link><description>x</description>
<language>en</language>
<item><guid>urn:alpha:1</guid><title>Parliament passes the budget</title><description>It passed.</description></item>
<item><guid>urn:alpha:2</guid><title>Rail link opens</title><description>Trains run.</description></item>
<item><guid>urn:alpha:3</guid><title>Record harvest</title><description>Wheat yields rose.</description></item>
</channel></rss>"""


@pytest.fixture
def loopback(settings: Settings) -> Settings:
    return settings.replace(allow_private_targets=LOOPBACK)


@pytest.fixture
async def hub(loopback: Settings, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a hub whose operator allows loopback sources."""
    app = create_app(loopback, engine, migrate=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        yield http


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with FeedServer(RSS, etag='"one"') as server:
        yield server


@pytest.fixture
def alpha(make_partner):  # type: ignore[no-untyped-def]
    return make_partner("alpha", scopes=MANAGE)


async def run_poller(engine: Engine, settings: Settings, alpha: Partner, source_id: str) -> Poll:
    """What the worker does for a due source: one Poller.poll with the source as stored."""
    with reading(engine) as conn:
        source = get_source(conn, alpha.org, source_id)
    poller = Poller(engine, settings)
    try:
        return await poller.poll(source)
    finally:
        await poller.fetcher.close()


async def add(hub: httpx.AsyncClient, partner: Partner, url: str, **body: object) -> dict[str, Any]:
    created = await hub.post("/api/v1/sources", json={"url": url, **body}, headers=partner.headers)
    assert created.status_code == 201, created.text
    return created.json()


def error(response: httpx.Response) -> tuple[int, str, str | None]:
    return response.status_code, response.json()["error"]["code"], response.json()["error"]["field"]


def near(moment: str, expected: datetime, slack: timedelta = timedelta(minutes=1)) -> bool:
    return abs(datetime.fromisoformat(moment) - expected) < slack


# -- registering ---------------------------------------------------------------------------


async def test_a_source_is_registered_with_a_manage_key(hub, alpha, feed) -> None:
    created = await hub.post("/api/v1/sources", headers=alpha.headers, json={
        "url": feed.url, "interval_seconds": 120, "language": "kk", "subjects": ["20000045", "medtop:04000000"]})
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/sources/{body['id']}"
    assert {k: body[k] for k in ("url", "interval_seconds", "language", "subjects", "enabled", "failures",
                                 "recent_polls")} == {
        "url": feed.url, "interval_seconds": 120, "language": "kk", "subjects": ["medtop:20000045", "medtop:04000000"],
        "enabled": True, "failures": 0, "recent_polls": []}
    assert near(body["next_poll_at"], utcnow()) and near(body["created_at"], utcnow())  # due at once
    shown = await hub.get(f"/api/v1/sources/{body['id']}", headers=alpha.headers)
    assert (shown.status_code, shown.json()) == (200, body)
    listed = await hub.get("/api/v1/sources", headers=alpha.headers)
    assert (listed.status_code, listed.json()) == (200, {"sources": [body]})
    assert feed.requests == []  # registering fetches nothing: the worker polls


async def test_defaults_are_a_five_minute_interval_without_language_or_subjects(hub, alpha, feed) -> None:
    body = await add(hub, alpha, feed.url)
    assert (body["interval_seconds"], body["language"], body["subjects"]) == (300, None, [])


@pytest.mark.parametrize("body, field", [
    ({"url": None}, "url"),
    ({"url": 42}, "url"),
    ({"url": "ftp://127.0.0.1/feed.xml"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"url": "http://user:secret@127.0.0.1/feed.xml"}, "url"),
    ({"url": "http://127.0.0.1:99999/feed.xml"}, "url"),
    ({"interval_seconds": 29}, "interval_seconds"),
    ({"interval_seconds": 86_401}, "interval_seconds"),
    ({"interval_seconds": 0}, "interval_seconds"),
    ({"interval_seconds": "300"}, "interval_seconds"),
    ({"interval_seconds": 300.5}, "interval_seconds"),
    ({"interval_seconds": None}, "interval_seconds"),
    ({"language": "x"}, "language"),
    ({"language": 7}, "language"),
    ({"subjects": ["medtop:99999999"]}, "subjects"),
    ({"subjects": ["politics"]}, "subjects"),
    ({"subjects": [11000000]}, "subjects"),
], ids=["no-url", "url-number", "ftp", "not-a-url", "credentials", "bad-port", "interval-too-short",
        "interval-too-long", "interval-zero", "interval-text", "interval-fraction", "interval-null", "language-short",
        "language-number", "unknown-qcode", "topic-name", "qcode-number"])
async def test_bad_sources_are_refused_with_the_field(hub, alpha, feed, body, field) -> None:
    refused = await hub.post("/api/v1/sources", json={"url": feed.url, **body}, headers=alpha.headers)
    assert error(refused) == (422, "invalid", field)
    assert refused.json()["error"]["message"]
    assert (await hub.get("/api/v1/sources", headers=alpha.headers)).json() == {"sources": []}


@pytest.mark.parametrize("content, status, code, field", [
    (b"[]", 422, "invalid", "$"),
    (b'"http://127.0.0.1/feed.xml"', 422, "invalid", "$"),
    (b'{"url": ', 400, "malformed", None),
], ids=["array", "string", "broken-json"])
async def test_a_body_that_is_not_an_object_is_refused(hub, alpha, content, status, code, field) -> None:
    refused = await hub.post("/api/v1/sources", content=content, headers={**alpha.headers,
                                                                          "content-type": "application/json"})
    assert error(refused)[:2] == (status, code)
    if field is not None:
        assert error(refused)[2] == field


async def test_the_same_url_twice_is_a_conflict(hub, alpha, feed, make_partner) -> None:
    await add(hub, alpha, feed.url)
    again = await hub.post("/api/v1/sources", json={"url": feed.url}, headers=alpha.headers)
    assert error(again) == (409, "already_exists", "url")
    other = make_partner("beta", scopes=MANAGE)
    await add(hub, other, feed.url)  # another organization may poll the same feed


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/feed.xml", "http://localhost/rss", "http://10.1.2.3/feed",
                                 "http://[::1]/feed", "http://169.254.169.254/latest/meta-data"],
                         ids=["loopback", "localhost", "private", "ipv6-loopback", "metadata"])
async def test_private_urls_are_refused_without_the_operators_allowance(client, alpha, url) -> None:
    refused = await client.post("/api/v1/sources", json={"url": url}, headers=alpha.headers)
    assert error(refused) == (422, "invalid", "url")
    assert "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS" in refused.json()["error"]["message"]


# -- who may do what -----------------------------------------------------------------------


async def test_a_read_key_sees_sources_but_cannot_change_them(hub, alpha, feed, engine) -> None:
    source = await add(hub, alpha, feed.url)
    with writing(engine) as conn:  # a read-only key of the same organization
        _key, raw = create_api_key(conn, "alpha", ("read",))
    reader = {"Authorization": f"Bearer {raw}"}
    for response in (
        await hub.post("/api/v1/sources", json={"url": feed.url_for("/other.xml")}, headers=reader),
        await hub.patch(f"/api/v1/sources/{source['id']}", json={"enabled": False}, headers=reader),
        await hub.post(f"/api/v1/sources/{source['id']}:poll-now", headers=reader),
    ):
        assert error(response) == (403, "forbidden", "Authorization")
        assert "manage" in response.json()["error"]["message"]
    assert (await hub.get("/api/v1/sources", headers=reader)).json()["sources"] == [source]
    assert (await hub.get(f"/api/v1/sources/{source['id']}", headers=reader)).json() == source


async def test_a_publish_and_read_key_cannot_add_sources(hub, make_partner, feed) -> None:
    partner = make_partner("alpha")  # the default scopes: publish, read
    refused = await hub.post("/api/v1/sources", json={"url": feed.url}, headers=partner.headers)
    assert error(refused) == (403, "forbidden", "Authorization")


async def test_without_a_key_nothing_is_answered(hub, alpha, feed) -> None:
    source = await add(hub, alpha, feed.url)
    for response in (await hub.get("/api/v1/sources"), await hub.get(f"/api/v1/sources/{source['id']}"),
                     await hub.post("/api/v1/sources", json={"url": feed.url_for("/x.xml")})):
        assert error(response) == (401, "unauthenticated", "Authorization")


async def test_another_organizations_source_is_not_found(hub, alpha, make_partner, feed, engine) -> None:
    source = await add(hub, alpha, feed.url)
    stranger = make_partner("gamma", scopes=MANAGE)
    for response in (
        await hub.get(f"/api/v1/sources/{source['id']}", headers=stranger.headers),
        await hub.patch(f"/api/v1/sources/{source['id']}", json={"enabled": False}, headers=stranger.headers),
        await hub.post(f"/api/v1/sources/{source['id']}:poll-now", headers=stranger.headers),
    ):
        assert error(response) == (404, "not_found", "id")
        assert source["id"] in response.json()["error"]["message"]
    assert (await hub.get("/api/v1/sources", headers=stranger.headers)).json() == {"sources": []}
    shown = await hub.get(f"/api/v1/sources/{source['id']}", headers=alpha.headers)
    assert shown.json() == source  # nothing the stranger sent changed it


@pytest.mark.parametrize("method, path", [
    ("GET", f"/api/v1/sources/{MISSING}"),
    ("PATCH", f"/api/v1/sources/{MISSING}"),
    ("POST", f"/api/v1/sources/{MISSING}:poll-now"),
], ids=["show", "toggle", "poll-now"])
async def test_an_unknown_source_is_not_found(hub, alpha, method, path) -> None:
    response = await hub.request(method, path, json={"enabled": True}, headers=alpha.headers)
    assert error(response) == (404, "not_found", "id")


# -- polls, turning off and on, poll-now ---------------------------------------------------


async def test_the_source_shows_its_recent_polls_after_the_poller_ran(hub, alpha, feed, engine, loopback) -> None:
    source = await add(hub, alpha, feed.url, interval_seconds=60)
    first = await run_poller(engine, loopback, alpha, source["id"])
    second = await run_poller(engine, loopback, alpha, source["id"])  # the feed did not change: 304
    shown = (await hub.get(f"/api/v1/sources/{source['id']}", headers=alpha.headers)).json()
    polls = shown["recent_polls"]
    assert [{k: p[k] for k in ("outcome", "http_status", "stored", "unchanged", "rejected", "error")}
            for p in polls] == [
        {"outcome": "not_modified", "http_status": 304, "stored": 0, "unchanged": 0, "rejected": 0, "error": None},
        {"outcome": "ok", "http_status": 200, "stored": 3, "unchanged": 0, "rejected": 0, "error": None}]
    assert [datetime.fromisoformat(p["at"]) for p in polls] == [second.at, first.at]
    assert all(isinstance(p["duration_ms"], int) and p["duration_ms"] >= 0 for p in polls)
    assert datetime.fromisoformat(shown["next_poll_at"]) == second.at + timedelta(seconds=60)
    listed = (await hub.get("/api/v1/sources", headers=alpha.headers)).json()["sources"]
    assert listed == [shown]

    feed.status = 502
    await run_poller(engine, loopback, alpha, source["id"])
    failing = (await hub.get(f"/api/v1/sources/{source['id']}", headers=alpha.headers)).json()
    assert (failing["failures"], failing["recent_polls"][0]["outcome"], failing["recent_polls"][0]["error"]) == \
        (1, "error", "HTTP 502")


async def test_the_list_shows_five_polls_and_one_source_twenty(hub, alpha, feed, engine, loopback) -> None:
    source = await add(hub, alpha, feed.url)
    done = [await run_poller(engine, loopback, alpha, source["id"]) for _ in range(7)]
    shown = (await hub.get(f"/api/v1/sources/{source['id']}", headers=alpha.headers)).json()
    listed = (await hub.get("/api/v1/sources", headers=alpha.headers)).json()["sources"][0]
    assert [datetime.fromisoformat(p["at"]) for p in shown["recent_polls"]] == [p.at for p in reversed(done)]
    assert listed["recent_polls"] == shown["recent_polls"][:5]


async def test_turning_a_source_off_and_on(hub, alpha, feed, engine) -> None:
    source = await add(hub, alpha, feed.url)
    with writing(engine) as conn:  # as if it had failed three times in a row
        conn.execute(sources.update().where(sources.c.id == source["id"]).values(
            failures=3, next_poll_at=utcnow() + timedelta(hours=6)))
    off = await hub.patch(f"/api/v1/sources/{source['id']}", json={"enabled": False}, headers=alpha.headers)
    assert off.status_code == 200, off.text
    assert (off.json()["enabled"], off.json()["failures"]) == (False, 3)
    on = await hub.patch(f"/api/v1/sources/{source['id']}", json={"enabled": True}, headers=alpha.headers)
    assert (on.json()["enabled"], on.json()["failures"]) == (True, 0)
    assert near(on.json()["next_poll_at"], utcnow())  # resumes at once


@pytest.mark.parametrize("body", [{}, {"enabled": "no"}, {"enabled": 0}, {"enabled": None}, [True]],
                         ids=["empty", "text", "number", "null", "array"])
async def test_toggling_needs_a_boolean(hub, alpha, feed, body) -> None:
    source = await add(hub, alpha, feed.url)
    refused = await hub.patch(f"/api/v1/sources/{source['id']}", json=body, headers=alpha.headers)
    assert error(refused) == (422, "invalid", "enabled")
    assert (await hub.get(f"/api/v1/sources/{source['id']}", headers=alpha.headers)).json()["enabled"] is True


async def test_poll_now_makes_the_source_due(hub, alpha, feed, engine, loopback) -> None:
    source = await add(hub, alpha, feed.url, interval_seconds=3600)
    polled = await run_poller(engine, loopback, alpha, source["id"])
    waiting = (await hub.get(f"/api/v1/sources/{source['id']}", headers=alpha.headers)).json()
    assert datetime.fromisoformat(waiting["next_poll_at"]) == polled.at + timedelta(hours=1)
    now = await hub.post(f"/api/v1/sources/{source['id']}:poll-now", headers=alpha.headers)
    assert now.status_code == 200, now.text
    assert near(now.json()["next_poll_at"], utcnow())
    assert now.json()["recent_polls"] == waiting["recent_polls"]  # it asks the worker; it does not poll itself
    assert len(feed.requests) == 1
    assert count_rows(engine, sources) == 1
