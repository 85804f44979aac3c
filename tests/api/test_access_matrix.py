"""The access matrix: every route of the app against every kind of outsider.

A and B exchange politics in English; C is unrelated and D is an outlet of C. A publishes X
(routed to B, available now), E (routed to B, embargoed for a day) and N (sport: not shared),
and has a webhook endpoint and an Atom feed token. Every route of the app has a case in
``CASES``, so a new endpoint fails :func:`test_every_route_has_an_access_case` until someone
decides who may see what through it. Whatever an outsider may not see must be answered
exactly like an id that does not exist, and no other answer may carry A's headlines or ids.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

from newsbridge.accounts.members import add_member
from newsbridge.db.engine import writing
from newsbridge.delivery.outbox import sequence
from newsbridge.desk.pickups import record_detected_pickup
from newsbridge.ids import new_id, utcnow
from tests.api.access_cases import (BUCKET, CASES, HOOK, ITEM_ROUTES, MANAGE, OTHER_ROUTES, OWNED_ROUTES, PARAMETER,
                                   POLITICS, ROUTE_ID, SPORT, TUS)
from tests.translation.far_side import far_side

pytestmark = pytest.mark.anyio



def story(uri: str, headline: str, subject: dict[str, str] = POLITICS, **extra: object) -> dict[str, Any]:
    return {"uri": uri, "version": "1", "type": "text", "language": "en", "subjects": [subject],
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": f"{headline}. Text."}], **extra}


@dataclass
class World:
    a: Any
    b: Any
    c: Any
    d: Any
    items: dict[str, str]  # X, E, N -> id
    headlines: dict[str, str]
    owned: dict[str, str]  # path parameter -> the id of A's thing
    titles: list[str]  # the agreement's and the commitment's
    feed_tokens: dict[str, str]  # slug -> raw Atom feed token

    def secrets_of_a(self, *names: str) -> list[str]:
        """What must never show up in an outsider's answer: A's headlines and ids of these items."""
        return [v for n in names for v in (self.items[n], self.headlines[n])]

    def everything(self) -> list[str]:
        return self.secrets_of_a("X", "E", "N") + self.titles + \
            [v for k, v in self.owned.items() if k not in ("item_id", "language", "number")]  # "en", "1" are no secrets

    def path(self, template: str, partner: Any, **ids: str) -> str:
        values = {**self.owned, "name": "ninjs3", "token": self.feed_tokens.get(partner.org.slug, "nbf_none"), **ids}
        return PARAMETER.sub(lambda m: values[m.group(1)], template)


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """A translation service on loopback, so that the translation route answers what it would in service."""
    with far_side() as side:
        yield settings.replace(translator_url=side.url, translator_api_key=side.api_key,
                               allow_private_targets=("127.0.0.0/8",))


@pytest.fixture
async def world(client, make_partner, engine) -> World:
    token = secrets.token_hex(4)
    a = make_partner("alpha", scopes=MANAGE, credit_name="Alpha News")
    b = make_partner("beta", scopes=MANAGE)
    c = make_partner("gamma", scopes=MANAGE)
    d = make_partner("gamma-outlet", scopes=MANAGE, parent="gamma")
    with writing(engine) as conn:
        a_member = add_member(conn, "alpha", f"editor-{token}@alpha.example", "Editor of A", "editor",
                              "correct horse battery")
    titles = [f"A-B exchange {token}", f"Daily exchange {token}"]
    created = await client.post("/api/v1/agreements", headers=a.headers, json={
        "title": titles[0], "parties": ["alpha", "beta"],
        "terms": [{"from": "alpha", "topics": ["medtop:11000000"], "languages": ["en"]}],
        "roadmap": [{"title": titles[1], "owner": "beta", "status": "planned"}]})
    assert created.status_code == 201, created.text
    agreement = created.json()
    for partner, action in ((a, "propose"), (a, "sign"), (b, "sign")):
        done = await client.post(f"/api/v1/agreements/{agreement['id']}:{action}", headers=partner.headers)
        assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat(timespec="seconds")
    headlines = {"X": f"Parliament votes {token}", "E": f"Embargoed budget {token}", "N": f"Cup final {token}"}
    docs = {"X": story("urn:alpha:x", headlines["X"]),
            "E": story("urn:alpha:e", headlines["E"], embargoedUntil=tomorrow),
            "N": story("urn:alpha:n", headlines["N"], SPORT)}
    items = {}
    for name, doc in docs.items():
        published = await client.post("/api/v1/items", json=doc, headers=a.headers)
        assert published.status_code == 201, published.text
        items[name] = published.json()["id"]
    with writing(engine) as conn:
        sequence(conn, utcnow())  # what the delivery worker does: X enters B's feed, E waits for its embargo
    copy = await client.post("/api/v1/items", headers=b.headers, json=story("urn:beta:copy", f"Beta's copy {token}"))
    assert copy.status_code == 201, copy.text
    with writing(engine) as conn:  # what the story worker records: B's own item republishes X
        pickup_id = record_detected_pickup(conn, items["X"], copy.json()["id"], score=0.9,
                                           evidence={"method": "same_text"})
    endpoint = await client.post("/api/v1/endpoints", json={"url": HOOK}, headers=a.headers)
    assert endpoint.status_code == 201, endpoint.text
    push_target = await client.post("/api/v1/media-push-targets", json=BUCKET, headers=a.headers)
    assert push_target.status_code == 201, push_target.text
    source = await client.post("/api/v1/sources", json={"url": "https://93.184.216.34/feeds/alpha.xml"},
                               headers=a.headers)
    assert source.status_code == 201, source.text
    directory = await client.put("/api/v1/sso", headers=a.headers, json={  # A's single sign-on: never shown to others
        "issuer": "https://93.184.216.34/realms/alpha", "client_id": f"alpha-directory-{token}",
        "client_secret": f"alpha-sso-secret-{token}", "domains": ["alpha.example"]})
    assert directory.status_code == 200, directory.text
    titles.append(f"alpha-directory-{token}")
    term = await client.post("/api/v1/glossary", headers=a.headers, json={"forms": {"en": f"Alpha term {token}"}})
    assert term.status_code == 201, term.text
    titles.append(f"Alpha term {token}")
    feed_tokens = {}
    for partner in (a, b, c, d):
        issued = await client.post("/api/v1/feed-tokens", headers=partner.headers)
        assert issued.status_code == 201, issued.text
        feed_tokens[partner.org.slug] = issued.json()["token"]
    [a_token] = (await client.get("/api/v1/feed-tokens", headers=a.headers)).json()["feed_tokens"]
    upload = await client.post("/api/v1/uploads", headers={**a.headers, **TUS, "Upload-Length": "5"})
    assert upload.status_code == 201, upload.text
    # a joint project of A alone under the A-B agreement: B is a party that does not take part
    project = await client.post("/api/v1/projects", headers=a.headers, json={
        "title": f"Alpha documentary {token}", "agreement": agreement["id"], "participants": ["alpha"],
        "languages": ["en"]})
    assert project.status_code == 201, project.text
    project_url = f"/api/v1/projects/{project.json()['id']}"
    deliverable = await client.post(f"{project_url}/deliverables", headers=a.headers, json={
        "title": "Episode 1", "kind": "article", "assignee": "alpha"})
    assert deliverable.status_code == 201, deliverable.text
    draft_url = f"{project_url}/deliverables/{deliverable.json()['id']}/drafts/en"
    draft = await client.put(draft_url, headers=a.headers, json={"headline": f"Draft {token}", "base_revision": 0})
    assert draft.status_code == 200, draft.text
    comment = await client.post(f"{draft_url}/revisions/1/comments", headers=a.headers, json={"body": "Check it"})
    assert comment.status_code == 201, comment.text
    owned = {"item_id": items["X"], "agreement_id": agreement["id"], "project_id": project.json()["id"],
             "deliverable_id": deliverable.json()["id"], "language": "en", "number": "1",
             "comment_id": comment.json()["id"],
             "upload_id": upload.headers["location"].rsplit("/", 1)[1],
             "commitment_id": agreement["roadmap"]["commitments"][0]["id"], "endpoint_id": endpoint.json()["id"],
             "token_id": a_token["id"], "source_id": source.json()["id"],
             "target_id": push_target.json()["id"], "key_id": "nb_" + a.key.split("_")[1],
             "member_id": a_member.id, "term_id": term.json()["id"], "pickup_id": pickup_id}
    return World(a, b, c, d, items, headlines, owned, titles, feed_tokens)


async def call(client, world: World, route: tuple[str, str], partner, **ids: str):  # type: ignore[no-untyped-def]
    method, template = route
    return await client.request(method, world.path(template, partner, **ids),
                                headers={**partner.headers, **(CASES[route].headers or {})},
                                json=body(partner) if callable(body := CASES[route].body) else body)


async def assert_like_missing(client, world: World, route: tuple[str, str], partner, who: str, **ids: str) -> None:
    """The answer for A's real id equals the answer for a random unknown one, once the ids are masked."""
    ids = ids or {name: world.owned[name] for name in PARAMETER.findall(route[1])}
    missing = {key: new_id() for key in ids}
    theirs = await call(client, world, route, partner, **ids)
    unknown = await call(client, world, route, partner, **missing)
    assert theirs.status_code == unknown.status_code == 404, f"{who}: {theirs.status_code} {theirs.text}"
    if route[0] != "HEAD":  # a HEAD answer has no body: status and headers must match
        assert theirs.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found", who
    assert sorted(k for k in theirs.headers if k not in ("x-request-id", "content-length")) == \
        sorted(k for k in unknown.headers if k not in ("x-request-id", "content-length")), who
    masked_theirs, masked_unknown = theirs.text, unknown.text
    for key, value in ids.items():
        masked_theirs = masked_theirs.replace(value, f"<{key}>")
        masked_unknown = masked_unknown.replace(missing[key], f"<{key}>")
    assert masked_theirs == masked_unknown, who


class _HangUpSignal:
    """Stands in for the hub's feed signal in a stream: the first wait hangs the client up."""

    def __init__(self, hung_up: anyio.Event) -> None:
        self.hung_up = hung_up
        self.generation = 0  # FeedSignal's count of notifications (api/delivery.py reads it); none here

    def notify(self) -> None:
        pass

    async def wait(self, timeout: float) -> bool:
        self.hung_up.set()
        return False


async def read_stream(app, partner, last_event_id: str = "0") -> str:  # type: ignore[no-untyped-def]
    """Everything /api/v1/stream sends until it has nothing new, then hang up (raw ASGI: httpx buffers)."""
    hung_up, chunks, asked = anyio.Event(), [], False
    original = app.state.hub
    app.state.hub = dataclasses.replace(original, signal=_HangUpSignal(hung_up))

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if not hung_up.is_set():
            await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/api/v1/stream", "raw_path": b"/api/v1/stream",
             "query_string": b"", "root_path": "", "server": ("hub.test", 80), "client": ("127.0.0.1", 1),
             "headers": [(b"host", b"hub.test"), (b"authorization", partner.headers["Authorization"].encode()),
                         (b"last-event-id", last_event_id.encode())]}
    try:
        with anyio.fail_after(10):
            await app(scope, receive, send)
    finally:
        app.state.hub = original
    return b"".join(chunks).decode()


def test_every_route_has_an_access_case(app) -> None:
    """A route without a case here has not been checked for leaks: add one, do not loosen this."""
    routes = {(method.upper(), path) for path, operations in app.openapi()["paths"].items()
              for method in operations}
    assert sorted(routes - set(CASES)) == [], "routes without an access case"
    assert sorted(set(CASES) - routes) == [], "cases for routes that no longer exist"
    for (method, path), case in CASES.items():
        if case.kind == "owned":
            assert PARAMETER.search(path), f"{method} {path}: an owned case needs an id in the path"
        elif PARAMETER.search(path):
            assert path in ("/api/v1/schemas/{name}", "/feeds/{token}/atom.xml", "/feeds/{token}/feed.json",
                            "/feeds/{token}/rss.xml", "/media/{rendition_id}"), \
                f"{method} {path} takes an id: give it an owned case"


@pytest.mark.parametrize("route", ITEM_ROUTES, ids=ROUTE_ID)
async def test_outsiders_get_404_like_a_missing_id_on_item_routes(client, world, route) -> None:
    outsiders = [("C", world.c, "X"), ("C", world.c, "E"), ("C", world.c, "N"),
                 ("D, an outlet of C", world.d, "X"), ("D, an outlet of C", world.d, "N"),
                 ("B before the embargo", world.b, "E"), ("B, for an unshared topic", world.b, "N")]
    if CASES[route].source_only:
        outsiders.append(("B, a recipient, on a route for the source", world.b, "X"))
    for who, partner, name in outsiders:
        await assert_like_missing(client, world, route, partner, f"{who} reading {name}", item_id=world.items[name])


@pytest.mark.parametrize("route", [r for r in OWNED_ROUTES if r not in ITEM_ROUTES], ids=ROUTE_ID)
async def test_outsiders_get_404_like_a_missing_id_on_everything_else_a_owns(client, world, route) -> None:
    outsiders = [("C", world.c), ("D, an outlet of C", world.d)]
    if "{agreement_id}" not in route[1] and "{pickup_id}" not in route[1]:  # B is a side of both
        outsiders.append(("B, a partner of A", world.b))  # endpoints and feed tokens are A's alone
    for who, partner in outsiders:
        await assert_like_missing(client, world, route, partner, who)
    if "{commitment_id}" in route[1]:
        await assert_like_missing(client, world, route, world.c, "C, one id real", agreement_id=new_id(),
                                  commitment_id=world.owned["commitment_id"])
    await assert_nothing_of_a_changed(client, world)


async def assert_nothing_of_a_changed(client, world: World) -> None:
    agreement_id = world.owned["agreement_id"]
    shown = (await client.get(f"/api/v1/agreements/{agreement_id}", headers=world.a.headers)).json()
    assert (shown["status"], shown["title"]) == ("active", world.titles[0])
    assert shown["roadmap"]["progress"]["by_status"]["planned"] == 1
    events = (await client.get(f"/api/v1/agreements/{agreement_id}/history", headers=world.a.headers)).json()
    assert [e["organization"] for e in events["events"]] == ["alpha", "alpha", "alpha", "beta"]
    endpoint = (await client.get(f"/api/v1/endpoints/{world.owned['endpoint_id']}", headers=world.a.headers)).json()
    assert endpoint["enabled"] is True and endpoint["previous_secret_until"] is None
    target = (await client.get(f"/api/v1/media-push-targets/{world.owned['target_id']}", headers=world.a.headers)).json()
    assert target["enabled"] is True
    atom = await client.get(f"/feeds/{world.feed_tokens['alpha']}/atom.xml")
    assert atom.status_code == 200
    picked = (await client.get(f"/api/v1/items/{world.items['X']}/pickups", headers=world.a.headers)).json()
    assert [(p["id"], p["status"]) for p in picked["pickups"]] == [(world.owned["pickup_id"], "detected")]


@pytest.mark.parametrize("route", OTHER_ROUTES, ids=ROUTE_ID)
async def test_outsiders_find_nothing_of_a_in_any_other_answer(client, world, route) -> None:
    for who, partner in (("C", world.c), ("D, an outlet of C", world.d)):
        response = await call(client, world, route, partner)
        assert response.status_code == CASES[route].status, (who, response.text)
        assert [s for s in world.everything() if s in response.text] == [], who
    response = await call(client, world, route, world.b)
    assert [s for s in world.secrets_of_a("E", "N") if s in response.text] == [], "B"


async def test_outsiders_find_nothing_of_a_in_the_stream(app, world) -> None:
    for who, partner in (("C", world.c), ("D, an outlet of C", world.d)):
        sent = await read_stream(app, partner)
        assert sent.startswith("retry:"), who
        assert [s for s in world.everything() if s in sent] == [], who
    sent = await read_stream(app, world.b)
    assert world.headlines["X"] in sent  # the control: B's stream does carry what B received
    assert [s for s in world.secrets_of_a("E", "N") if s in sent] == [], "B"


@pytest.mark.parametrize("name", ["atom.xml", "feed.json"])
async def test_a_missing_feed_token_and_a_revoked_one_look_alike(client, world, name) -> None:
    [b_token] = (await client.get("/api/v1/feed-tokens", headers=world.b.headers)).json()["feed_tokens"]
    revoked = await client.post(f"/api/v1/feed-tokens/{b_token['id']}:revoke", headers=world.b.headers)
    assert revoked.status_code == 200
    gone = await client.get(f"/feeds/{world.feed_tokens['beta']}/{name}")
    never = await client.get(f"/feeds/nbf_no-such-token/{name}")
    assert gone.status_code == never.status_code == 404
    assert gone.json() == never.json()


async def test_writing_under_a_uri_of_a_makes_a_new_item_of_ones_own(client, world) -> None:
    doc = story("urn:alpha:x", "Gamma's own story")
    published = (await client.post("/api/v1/items", json=doc, headers=world.c.headers)).json()
    assert published["id"] != world.items["X"]
    assert published["source"]["slug"] == "gamma"
    assert world.headlines["X"] not in (await client.get(f"/api/v1/items/{published['id']}",
                                                         headers=world.c.headers)).text


async def test_the_source_sees_everything_of_its_own(client, world) -> None:
    for name, item_id in world.items.items():
        for route in ITEM_ROUTES:
            response = await call(client, world, route, world.a, item_id=item_id)
            assert response.status_code == CASES[route].owner_status, (route, name, response.text)
    listed = (await client.get("/api/v1/items", headers=world.a.headers)).text
    assert all(s in listed for s in world.secrets_of_a("X", "E", "N"))
    for route in [r for r in OWNED_ROUTES if r[0] == "GET"]:
        assert (await call(client, world, route, world.a)).status_code == 200, route
    # E did reach B (it waits for its embargo); N did not
    for name, delivered in (("X", True), ("E", True), ("N", False)):
        routing = (await client.get(f"/api/v1/items/{world.items[name]}/routing", headers=world.a.headers)).json()
        assert [(p["slug"], p["delivered"]) for p in routing["partners"]] == [("beta", delivered)], name


async def test_a_recipient_reads_what_was_delivered_but_not_the_sources_views(client, world) -> None:
    x = world.items["X"]
    read = await client.get(f"/api/v1/items/{x}", headers=world.b.headers)
    assert read.status_code == 200
    assert read.json()["headlines"][0]["value"] == world.headlines["X"]
    assert read.json()["received"]["agreement"]["id"] == world.owned["agreement_id"]
    versions = await client.get(f"/api/v1/items/{x}/versions", headers=world.b.headers)
    assert [v["version"] for v in versions.json()["versions"]] == ["1"]
    inbox = (await client.get("/api/v1/inbox", headers=world.b.headers)).json()
    assert [i["id"] for i in inbox["items"]] == [x]
    feed = (await client.get("/api/v1/feed", headers=world.b.headers)).json()
    assert [e["item"]["id"] for e in feed["items"]] == [x]
    assert world.headlines["X"] in (await client.get(f"/feeds/{world.feed_tokens['beta']}/atom.xml")).text
    for route in [r for r in ITEM_ROUTES if CASES[r].source_only]:
        assert (await call(client, world, route, world.b, item_id=x)).status_code == 404, route
    assert world.headlines["X"] not in (await client.get("/api/v1/items", headers=world.b.headers)).text


async def test_only_parties_list_and_read_the_agreement(client, world) -> None:
    agreement_routes = [r for r in OWNED_ROUTES if "{agreement_id}" in r[1] and r[0] == "GET"]
    for partner in (world.a, world.b):
        listed = (await client.get("/api/v1/agreements", headers=partner.headers)).json()
        assert [a["id"] for a in listed["agreements"]] == [world.owned["agreement_id"]]
        for route in agreement_routes:
            assert (await call(client, world, route, partner)).status_code == 200, route
    for partner in (world.c, world.d):
        assert (await client.get("/api/v1/agreements", headers=partner.headers)).json() == {"agreements": []}


async def test_a_read_only_key_is_refused_alike_for_real_and_missing_ids(client, world, make_partner) -> None:
    reader = make_partner("reader", scopes=("read",))
    for route in [r for r in OWNED_ROUTES if r[0] != "GET" and "{agreement_id}" in r[1]]:
        real = await call(client, world, route, reader)
        missing = await call(client, world, route, reader, agreement_id=new_id())
        assert real.status_code == missing.status_code == 403
        assert real.json() == missing.json()
