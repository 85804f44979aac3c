"""Webhook endpoints over HTTP: registering (secret shown once, SSRF guard), validation, scopes,
rotating secrets, turning off and on, replaying, and the delivery status a recipient and a
source see after the worker has posted to a real loopback receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from tests.conftest import active_agreement
from tests.live_server import start_http_server
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.app import create_app
from newsbridge.db.engine import writing
from newsbridge.delivery.outbox import sequence
from newsbridge.delivery.worker import Worker
from newsbridge.ids import utcnow

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
EVENTS = ["item.published", "item.updated", "item.withdrawn"]
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
MISSING = "01NOSUCHENDPOINT0000000000"


def story(uri: str, headline: str, version: str = "1", **extra: object) -> dict[str, Any]:
    return {"uri": uri, "version": version, "type": "text", "language": "en", "subjects": [POLITICS],
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/html", "value": f"<p>{headline}</p>"}], **extra}


@dataclass
class Receiver:
    """A partner's webhook endpoint on a loopback port: records each request, answers ``status``."""

    url: str
    status: int = 200
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            box[0].requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(box[0].status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server, thread = start_http_server("127.0.0.1", Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/newsbridge"))
    yield box[0]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def loopback_settings(settings):  # type: ignore[no-untyped-def]
    return settings.replace(allow_private_targets=("127.0.0.0/8",))


@pytest.fixture
async def hub(loopback_settings, engine) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """A client of a hub whose operator allows loopback webhook targets."""
    app = create_app(loopback_settings, engine, migrate=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        yield http


@pytest.fixture
async def worker(loopback_settings, engine) -> AsyncIterator[Worker]:  # type: ignore[no-untyped-def]
    """The delivery worker the hub's lifespan would run (the ASGI test transport runs no lifespan)."""
    the_worker = Worker(engine, loopback_settings)
    yield the_worker
    await the_worker.sender.close()


@pytest.fixture
async def exchange(hub, make_partner):  # type: ignore[no-untyped-def]
    """Alpha shares politics with beta; gamma is a stranger to both. Returns (a, b, c)."""
    a = make_partner("alpha", scopes=MANAGE, credit_name="Alpha News")
    b = make_partner("beta", scopes=MANAGE)
    c = make_partner("gamma", scopes=MANAGE)
    await active_agreement(hub, a, b, {"topics": ["medtop:11000000"], "languages": ["en"]})
    return a, b, c


async def register(hub, partner, url: str, **body: object) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    created = await hub.post("/api/v1/endpoints", json={"url": url, **body}, headers=partner.headers)
    assert created.status_code == 201, created.text
    return created.json()


async def publish(hub, partner, doc: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    response = await hub.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def error(response: httpx.Response) -> tuple[int, str, str | None]:
    return response.status_code, response.json()["error"]["code"], response.json()["error"]["field"]


def near(moment: str, expected: datetime, slack: timedelta = timedelta(minutes=1)) -> bool:
    return abs(datetime.fromisoformat(moment) - expected) < slack


# Registering


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook",
    "http://100.64.0.1/hook", "http://0.0.0.0/hook",
], ids=["loopback", "localhost", "private-10", "private-192", "metadata", "ipv6-loopback", "mapped-loopback",
        "cgnat", "unspecified"])
async def test_without_the_operators_allowance_private_targets_are_refused(client, make_partner, url) -> None:
    partner = make_partner("beta", scopes=MANAGE)
    refused = await client.post("/api/v1/endpoints", json={"url": url}, headers=partner.headers)
    assert error(refused) == (422, "invalid", "url")
    assert "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS" in refused.json()["error"]["message"]
    assert (await client.get("/api/v1/endpoints", headers=partner.headers)).json() == {"endpoints": []}


async def test_the_allowance_covers_only_its_ranges(hub, make_partner) -> None:
    partner = make_partner("beta", scopes=MANAGE)
    refused = await hub.post("/api/v1/endpoints", json={"url": "http://10.0.0.1/hook"}, headers=partner.headers)
    assert error(refused) == (422, "invalid", "url")


async def test_an_endpoint_is_created_and_its_secret_shown_once(hub, make_partner, receiver) -> None:
    partner = make_partner("beta", scopes=MANAGE)
    created = await hub.post("/api/v1/endpoints", json={"url": receiver.url}, headers=partner.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/endpoints/{body['id']}"
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    assert (body["url"], body["events"], body["ninjs_version"], body["enabled"]) == (receiver.url, EVENTS, "3", True)
    assert (body["deliveries"], body["last_status"], body["disabled_reason"], body["failing_since"]) == \
        ({}, None, None, None)
    shown = await hub.get(f"/api/v1/endpoints/{body['id']}", headers=partner.headers)
    listed = await hub.get("/api/v1/endpoints", headers=partner.headers)
    for response in (shown, listed):
        assert response.status_code == 200
        assert "whsec_" not in response.text and body["secret"] not in response.text
    assert "secret" not in shown.json() and shown.json() == {k: v for k, v in body.items() if k != "secret"}
    assert [e["id"] for e in listed.json()["endpoints"]] == [body["id"]]
    other = await register(hub, partner, receiver.url, events=["item.withdrawn"], ninjs_version="2")
    assert other["secret"] != body["secret"]
    assert (other["events"], other["ninjs_version"]) == (["item.withdrawn"], "2")


@pytest.mark.parametrize("body, field", [
    ({"events": []}, "events"),
    ({"events": ["item.deleted"]}, "events"),
    ({"events": "item.published"}, "events"),
    ({"events": ["item.published", 1]}, "events"),
    ({"ninjs_version": "4"}, "ninjs_version"),
    ({"ninjs_version": 3}, "ninjs_version"),
    ({"ninjs_version": "3.1"}, "ninjs_version"),
    ({"ninjs_version": None}, "ninjs_version"),
    ({"url": None}, "url"),
    ({"url": "ftp://127.0.0.1/hook"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"url": "http://user:secret@127.0.0.1/hook"}, "url"),
    ({"url": "http://127.0.0.1:99999/hook"}, "url"),
], ids=["no-events", "unknown-event", "events-not-a-list", "event-not-text", "ninjs-4", "ninjs-number",
        "ninjs-3.1", "ninjs-null", "no-url", "ftp", "not-a-url", "credentials", "bad-port"])
async def test_bad_endpoints_are_refused_with_the_field(hub, make_partner, receiver, body, field) -> None:
    partner = make_partner("beta", scopes=MANAGE)
    refused = await hub.post("/api/v1/endpoints", json={"url": receiver.url, **body}, headers=partner.headers)
    assert error(refused) == (422, "invalid", field)
    assert (await hub.get("/api/v1/endpoints", headers=partner.headers)).json() == {"endpoints": []}


async def test_repeated_events_are_kept_once(hub, make_partner, receiver) -> None:
    partner = make_partner("beta", scopes=MANAGE)
    created = await register(hub, partner, receiver.url, events=["item.withdrawn", "item.published", "item.withdrawn"])
    assert created["events"] == ["item.withdrawn", "item.published"]


@pytest.mark.parametrize("content, status, field", [
    (b"[]", 422, "$"), (b'"http://127.0.0.1/"', 422, "$"), (b"{not json", 400, None),
], ids=["a-list", "a-string", "broken-json"])
async def test_the_body_must_be_a_json_object(hub, make_partner, content, status, field) -> None:
    partner = make_partner("beta", scopes=MANAGE)
    refused = await hub.post("/api/v1/endpoints", content=content, headers={**partner.headers,
                                                                           "content-type": "application/json"})
    assert refused.status_code == status
    if field:
        assert refused.json()["error"]["field"] == field


# Scopes and strangers


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api/v1/endpoints", {"url": "{url}"}),
    ("PATCH", "/api/v1/endpoints/{id}", {"enabled": False}),
    ("POST", "/api/v1/endpoints/{id}:rotate-secret", None),
    ("POST", "/api/v1/endpoints/{id}:replay", None),
], ids=["create", "toggle", "rotate", "replay"])
async def test_changing_endpoints_needs_the_manage_scope(hub, make_partner, engine, receiver, method, path,
                                                         body) -> None:
    owner = make_partner("beta", scopes=MANAGE)
    endpoint = await register(hub, owner, receiver.url)
    with writing(engine) as conn:
        _key, reader = create_api_key(conn, "beta", ("read", "publish"))
    headers = {"Authorization": f"Bearer {reader}"}
    payload = json.loads(json.dumps(body).replace("{url}", receiver.url)) if body else None
    refused = await hub.request(method, path.format(id=endpoint["id"]), json=payload, headers=headers)
    assert error(refused) == (403, "forbidden", "Authorization")
    assert "manage" in refused.json()["error"]["message"]
    assert (await hub.get(f"/api/v1/endpoints/{endpoint['id']}", headers=headers)).json()["enabled"] is True
    assert len((await hub.get("/api/v1/endpoints", headers=headers)).json()["endpoints"]) == 1


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/api/v1/endpoints/{id}", None),
    ("PATCH", "/api/v1/endpoints/{id}", {"enabled": False}),
    ("POST", "/api/v1/endpoints/{id}:rotate-secret", None),
    ("POST", "/api/v1/endpoints/{id}:replay", None),
    ("POST", "/api/v1/endpoints/{id}:replay?message_id=msg_x", None),
], ids=["show", "toggle", "rotate", "replay", "replay-one"])
async def test_a_stranger_gets_404_like_for_a_missing_endpoint(hub, make_partner, receiver, method, path,
                                                                body) -> None:
    owner, stranger = make_partner("beta", scopes=MANAGE), make_partner("gamma", scopes=MANAGE)
    endpoint = await register(hub, owner, receiver.url)
    theirs = await hub.request(method, path.format(id=endpoint["id"]), json=body, headers=stranger.headers)
    missing = await hub.request(method, path.format(id=MISSING), json=body, headers=stranger.headers)
    assert error(theirs) == error(missing) == (404, "not_found", "id")
    assert receiver.url not in theirs.text
    assert (await hub.get("/api/v1/endpoints", headers=stranger.headers)).json() == {"endpoints": []}
    after = (await hub.get(f"/api/v1/endpoints/{endpoint['id']}", headers=owner.headers)).json()
    assert after == {k: v for k, v in endpoint.items() if k != "secret"}


# Webhooks sent by the worker


async def test_a_delivery_is_posted_signed_and_listed_with_its_state(hub, exchange, receiver, worker) -> None:
    a, b, c = exchange
    endpoint = await register(hub, b, receiver.url)
    item = await publish(hub, a, story("urn:alpha:1", "Parliament votes"))
    done = await worker.run_once()
    assert (done.sequenced, done.sent, done.states) == (1, 1, {"delivered": 1})

    [(headers, raw)] = receiver.requests
    payload = Webhook(endpoint["secret"]).verify(raw, headers)
    assert (payload["type"], payload["data"]["id"]) == ("item.published", item)
    assert payload["data"]["received"]["creditLine"] == "Alpha News via Newsbridge"
    assert payload["data"]["headlines"][0]["value"] == "Parliament votes"
    assert headers["user-agent"].startswith("Newsbridge-Webhooks/")

    [delivery] = (await hub.get("/api/v1/deliveries", headers=b.headers)).json()["deliveries"]
    assert (delivery["item_id"], delivery["version"], delivery["event"], delivery["headline"],
            delivery["in_feed"]) == (item, 1, "item.published", "Parliament votes", True)
    [message] = delivery["webhooks"]
    assert (message["endpoint"], message["webhook_id"], message["state"], message["attempts"],
            message["last_status"], message["last_error"], message["next_attempt_at"]) == \
        (endpoint["id"], headers["webhook-id"], "delivered", 1, 200, None, None)
    assert near(message["delivered_at"], utcnow())
    health = (await hub.get(f"/api/v1/endpoints/{endpoint['id']}", headers=b.headers)).json()
    assert (health["deliveries"], health["last_status"], health["last_error"]) == ({"delivered": 1}, 200, None)

    assert (await hub.get("/api/v1/deliveries", headers=c.headers)).json() == {"deliveries": []}
    assert (await hub.get("/api/v1/deliveries", headers=a.headers)).json() == {"deliveries": []}
    assert (await worker.run_once()).sent == 0  # nothing is sent twice


async def test_an_endpoint_gets_only_its_events_in_its_ninjs_version(hub, exchange, receiver, worker) -> None:
    a, b, _ = exchange
    endpoint = await register(hub, b, receiver.url, events=["item.withdrawn"], ninjs_version="2")
    await publish(hub, a, story("urn:alpha:1", "Minister resigns"))
    await publish(hub, a, story("urn:alpha:1", "Minister resigns", version="2", pubStatus="canceled"))
    await worker.run_once()
    [(headers, raw)] = receiver.requests
    payload = Webhook(endpoint["secret"]).verify(raw, headers)
    assert payload["type"] == "item.withdrawn"
    assert payload["data"]["pubstatus"] == "canceled" and "pubStatus" not in payload["data"]
    assert "bodies" not in payload["data"] and "body_html" not in payload["data"]


async def test_the_source_sees_per_partner_status_and_the_recipient_does_not(hub, exchange, receiver,
                                                                             worker) -> None:
    a, b, c = exchange
    await register(hub, b, receiver.url)
    item = await publish(hub, a, story("urn:alpha:1", "Parliament votes"))
    await worker.run_once()
    seen = await hub.get(f"/api/v1/items/{item}/deliveries", headers=a.headers)
    assert seen.status_code == 200, seen.text
    [partner] = seen.json()["partners"]
    assert (seen.json()["id"], partner["slug"], partner["name"], partner["version"], partner["status"],
            partner["webhooks"]) == (item, "beta", "Beta", 1, "available", {"delivered": 1})
    assert receiver.url not in seen.text and "whsec_" not in seen.text
    for other in (b, c):
        hidden = await hub.get(f"/api/v1/items/{item}/deliveries", headers=other.headers)
        assert error(hidden) == (404, "not_found", "id")


async def test_the_source_sees_an_embargoed_delivery_as_pending(hub, exchange, worker) -> None:
    a, b, _ = exchange
    until = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    item = await publish(hub, a, story("urn:alpha:1", "Under embargo", embargoedUntil=until.isoformat()))
    await worker.run_once()
    [partner] = (await hub.get(f"/api/v1/items/{item}/deliveries", headers=a.headers)).json()["partners"]
    assert partner["status"] == f"pending until {until.isoformat()}"
    assert partner["webhooks"] == {}
    assert (await hub.get("/api/v1/deliveries", headers=b.headers)).json() == {"deliveries": []}


async def test_a_failing_endpoint_shows_retrying_with_the_error(hub, exchange, receiver, worker) -> None:
    a, b, _ = exchange
    endpoint = await register(hub, b, receiver.url)
    receiver.status = 503
    await publish(hub, a, story("urn:alpha:1", "Parliament votes"))
    assert (await worker.run_once()).states == {"retrying": 1}
    [delivery] = (await hub.get("/api/v1/deliveries", headers=b.headers)).json()["deliveries"]
    [message] = delivery["webhooks"]
    assert (message["state"], message["attempts"], message["last_status"]) == ("retrying", 1, 503)
    assert message["last_error"].startswith("HTTP 503") and message["delivered_at"] is None
    assert datetime.fromisoformat(message["next_attempt_at"]) > utcnow() - timedelta(seconds=1)
    health = (await hub.get(f"/api/v1/endpoints/{endpoint['id']}", headers=b.headers)).json()
    assert (health["deliveries"], health["last_status"], health["enabled"]) == ({"retrying": 1}, 503, True)
    assert health["failing_since"] is not None


async def test_the_first_retry_is_immediate(hub, exchange, receiver, worker) -> None:
    """docs/delivery.md: retries after a failed attempt come immediately, then after 5 s, 5 min, ..."""
    a, b, _ = exchange
    await register(hub, b, receiver.url)
    receiver.status = 503
    await publish(hub, a, story("urn:alpha:1", "Parliament votes"))
    await worker.run_once()
    receiver.status = 200
    assert (await worker.run_once()).states == {"delivered": 1}


async def test_a_410_disables_the_endpoint_and_replay_sends_again(hub, exchange, receiver, worker) -> None:
    a, b, _ = exchange
    endpoint = await register(hub, b, receiver.url)
    url = f"/api/v1/endpoints/{endpoint['id']}"
    receiver.status = 410
    await publish(hub, a, story("urn:alpha:1", "Parliament votes"))
    assert (await worker.run_once()).states == {"failed": 1}
    gone = (await hub.get(url, headers=b.headers)).json()
    assert (gone["enabled"], gone["disabled_reason"], gone["deliveries"], gone["last_status"]) == \
        (False, "the endpoint answered 410 Gone", {"failed": 1}, 410)
    await publish(hub, a, story("urn:alpha:2", "Sent while the endpoint is off"))
    assert (await worker.run_once()).sent == 0

    receiver.status = 200
    enabled = await hub.patch(url, json={"enabled": True}, headers=b.headers)
    assert (enabled.json()["enabled"], enabled.json()["disabled_reason"]) == (True, None)
    replayed = await hub.post(f"{url}:replay", headers=b.headers)
    assert replayed.status_code == 200 and replayed.json() == {"replayed": 1}
    assert (await worker.run_once()).states == {"delivered": 1}
    first, again = receiver.requests
    assert first[0]["webhook-id"] == again[0]["webhook-id"]  # the same message: partners drop duplicates by it
    assert Webhook(endpoint["secret"]).verify(again[1], again[0])["data"]["headlines"][0]["value"] == \
        "Parliament votes"
    assert (await hub.post(f"{url}:replay", headers=b.headers)).json() == {"replayed": 0}
    future = (utcnow() + timedelta(hours=1)).isoformat()
    assert (await hub.post(f"{url}:replay", params={"since": future}, headers=b.headers)).json() == {"replayed": 0}
    one = await hub.post(f"{url}:replay", params={"message_id": first[0]["webhook-id"]}, headers=b.headers)
    assert one.json() == {"replayed": 1}  # one message may be sent again even after it got through
    assert (await worker.run_once()).states == {"delivered": 1}
    assert [h["webhook-id"] for h, _ in receiver.requests] == [first[0]["webhook-id"]] * 3


async def test_replay_since_takes_only_later_failures(hub, exchange, receiver, worker) -> None:
    a, b, _ = exchange
    endpoint = await register(hub, b, receiver.url)
    receiver.status = 410
    await publish(hub, a, story("urn:alpha:1", "Parliament votes"))
    await worker.run_once()
    naive_past = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    url = f"/api/v1/endpoints/{endpoint['id']}:replay"
    assert (await hub.post(url, params={"since": naive_past}, headers=b.headers)).json() == {"replayed": 1}
    bad = await hub.post(url, params={"since": "yesterday"}, headers=b.headers)
    assert error(bad) == (422, "invalid", "since")


async def test_turning_an_endpoint_off_and_on(hub, exchange, receiver, worker) -> None:
    a, b, _ = exchange
    endpoint = await register(hub, b, receiver.url)
    url = f"/api/v1/endpoints/{endpoint['id']}"
    off = await hub.patch(url, json={"enabled": False}, headers=b.headers)
    assert off.status_code == 200, off.text
    assert (off.json()["enabled"], off.json()["disabled_reason"]) == (False, "turned off by the organization")
    await publish(hub, a, story("urn:alpha:1", "While off"))
    assert (await worker.run_once()).sent == 0
    assert receiver.requests == []
    on = await hub.patch(url, json={"enabled": True}, headers=b.headers)
    assert (on.json()["enabled"], on.json()["disabled_reason"], on.json()["failing_since"]) == (True, None, None)
    await publish(hub, a, story("urn:alpha:2", "While on"))
    await worker.run_once()
    assert [p["data"]["headlines"][0]["value"] for p in receiver.bodies()] == ["While on"]


@pytest.mark.parametrize("body", [{}, {"enabled": "no"}, {"enabled": 0}, [True]], ids=["empty", "text", "number",
                                                                                      "list"])
async def test_toggling_needs_a_boolean(hub, exchange, receiver, body) -> None:
    _, b, _ = exchange
    endpoint = await register(hub, b, receiver.url)
    refused = await hub.patch(f"/api/v1/endpoints/{endpoint['id']}", json=body, headers=b.headers)
    assert error(refused) == (422, "invalid", "enabled")


async def test_turning_an_endpoint_off_stops_messages_already_queued(hub, engine, exchange, receiver,
                                                                     worker) -> None:
    """docs/delivery.md: a disabled endpoint's waiting messages fail (and can be replayed later)."""
    a, b, _ = exchange
    endpoint = await register(hub, b, receiver.url)
    await publish(hub, a, story("urn:alpha:1", "Queued before the endpoint was turned off"))
    with writing(engine) as conn:
        assert len(sequence(conn, utcnow())) == 1  # the worker's first step: the message is queued
    await hub.patch(f"/api/v1/endpoints/{endpoint['id']}", json={"enabled": False}, headers=b.headers)
    await worker.run_once()
    assert receiver.requests == []
    health = (await hub.get(f"/api/v1/endpoints/{endpoint['id']}", headers=b.headers)).json()
    assert health["deliveries"] == {"failed": 1}


async def test_rotating_the_secret_signs_with_both_during_the_grace_period(hub, exchange, receiver, worker) -> None:
    a, b, _ = exchange
    endpoint = await register(hub, b, receiver.url)
    url = f"/api/v1/endpoints/{endpoint['id']}:rotate-secret"
    rotated = await hub.post(url, params={"grace_hours": 2}, headers=b.headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != endpoint["secret"]
    assert near(rotated.json()["previous_secret_until"], utcnow() + timedelta(hours=2))
    assert "secret" not in (await hub.get(f"/api/v1/endpoints/{endpoint['id']}", headers=b.headers)).json()
    await publish(hub, a, story("urn:alpha:1", "Signed twice"))
    await worker.run_once()
    [(headers, raw)] = receiver.requests
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint["secret"], new):
        assert Webhook(secret).verify(raw, headers)["type"] == "item.published"

    default = await hub.post(url, headers=b.headers)
    assert near(default.json()["previous_secret_until"], utcnow() + timedelta(hours=24))
    newest = (await hub.post(url, params={"grace_hours": 0}, headers=b.headers)).json()["secret"]
    await publish(hub, a, story("urn:alpha:2", "Signed once"))
    await worker.run_once()
    headers, raw = receiver.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert Webhook(newest).verify(raw, headers)["data"]["headlines"][0]["value"] == "Signed once"
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(raw, headers)


@pytest.mark.parametrize("grace", ["-1", "337", "soon"])
async def test_the_grace_period_is_bounded(hub, exchange, receiver, grace) -> None:
    _, b, _ = exchange
    endpoint = await register(hub, b, receiver.url)
    refused = await hub.post(f"/api/v1/endpoints/{endpoint['id']}:rotate-secret", params={"grace_hours": grace},
                             headers=b.headers)
    assert error(refused) == (422, "invalid", "grace_hours")


async def test_an_outlets_endpoint_gets_its_holdings_deliveries(hub, exchange, make_partner, receiver,
                                                                worker) -> None:
    a, _, _ = exchange
    outlet = make_partner("beta-radio", scopes=MANAGE, parent="beta")
    endpoint = await register(hub, outlet, receiver.url)
    item = await publish(hub, a, story("urn:alpha:1", "For the holding"))
    await worker.run_once()
    [(headers, raw)] = receiver.requests
    assert Webhook(endpoint["secret"]).verify(raw, headers)["data"]["id"] == item
    [delivery] = (await hub.get("/api/v1/deliveries", headers=outlet.headers)).json()["deliveries"]
    assert [m["state"] for m in delivery["webhooks"]] == ["delivered"]
