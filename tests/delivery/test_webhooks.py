"""Webhooks end to end: items published, routed, and posted by the real worker over real HTTP to
loopback receivers (tests/delivery/receivers.py), which check them as a partner would.

The test drives the worker one round at a time (``Worker.run_once``). A round waits for every
send it starts, so once it returns, whatever was sent has arrived: no sleeping for deliveries.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from receivers import Exchange, Received, Receiver
from sqlalchemy.engine import Engine
from standardwebhooks import Webhook, WebhookVerificationError

from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import endpoints, outbox
from newsbridge.delivery.endpoints import create_endpoint, get_endpoint, health, rotate_secret
from newsbridge.delivery.feeds import changes
from newsbridge.delivery.worker import Worker
from newsbridge.errors import InvalidInput
from newsbridge.formats.ninjs import validate
from newsbridge.ids import utcnow

pytestmark = pytest.mark.anyio
HUB_KEYS = ("id", "source", "hub", "received")


@pytest.fixture
def exchange(engine: Engine, settings: Settings, make_partner) -> Exchange:  # type: ignore[no-untyped-def]
    return Exchange.between(engine, settings, make_partner("source").org, make_partner("recipient").org)


@pytest.fixture
async def worker(exchange: Exchange):  # type: ignore[no-untyped-def]
    hub_worker = Worker(exchange.engine, exchange.settings, name="test-worker")
    yield hub_worker
    await hub_worker.sender.close()


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    with Receiver() as running:
        yield running


def fast_forward(engine: Engine) -> None:
    """Skip the waiting between retries.

    Retries wait from seconds to a day (outbox.RETRY_SCHEDULE). Rather than sleep through that,
    the test moves every waiting retry's due time into the past, as if the wait were over; the
    worker's next round takes it like any due message. Only the clock is skipped: claiming,
    signing, sending and recording run exactly as in production.
    """
    with writing(engine) as conn:
        conn.execute(outbox.update().where(outbox.c.state == "retrying")
                     .values(next_attempt_at=utcnow() - timedelta(seconds=1)))


def unfinished(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox).where(
            outbox.c.state.in_(["pending", "in_flight", "retrying"]))).scalar_one()


async def deliver_all(worker: Worker, engine: Engine, max_rounds: int = 40) -> int:
    """Worker rounds, fast-forwarding retries in between, until no message is left to send; the rounds used."""
    for rounds in range(1, max_rounds + 1):
        await worker.run_once()
        if not unfinished(engine):
            return rounds
        fast_forward(engine)
    raise AssertionError(f"messages still unfinished after {max_rounds} rounds")


def verified(secret: str, request: Received) -> dict[str, Any]:
    """What a partner's Standard Webhooks library makes of the request, headers and body untouched."""
    return Webhook(secret).verify(request.body, request.headers)


def versions(requests: list[Received]) -> list[tuple[str, int]]:
    return [(r.json()["data"]["uri"], r.json()["data"]["hub"]["version"]) for r in requests]


async def test_signed_message_verifies_with_a_standard_webhooks_library(
        exchange: Exchange, worker: Worker, receiver: Receiver) -> None:
    endpoint, secret = exchange.endpoint(receiver.url)
    stored = exchange.publish("urn:wire:1")
    await worker.run_once()
    [request] = receiver.requests
    payload = verified(secret, request)
    assert payload["type"] == "item.published"
    assert payload["data"]["id"] == stored.item_id
    assert payload["data"]["received"]["creditLine"] == "Source via Newsbridge"
    [message] = exchange.messages().values()
    assert request.webhook_id == message.message_id and message.state == "delivered"
    assert request.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body.replace("urn:wire:1", "urn:wire:2"), request.headers)
    with pytest.raises(WebhookVerificationError):
        verified(exchange.endpoint(receiver.url)[1], request)  # another endpoint's secret


@pytest.mark.parametrize(("ninjs_version", "present", "absent"), [
    ("3", {"versionCreated", "pubStatus"}, {"versioncreated", "pubstatus"}),
    ("2", {"versioncreated", "pubstatus"}, {"versionCreated", "pubStatus"}),
])
async def test_payload_speaks_the_endpoints_ninjs_version(exchange: Exchange, worker: Worker, receiver: Receiver,
                                                          ninjs_version: str, present: set[str],
                                                          absent: set[str]) -> None:
    exchange.endpoint(receiver.url, ninjs_version=ninjs_version)
    exchange.publish("urn:wire:n", versioncreated=utcnow())
    await worker.run_once()
    data = receiver.requests[0].json()["data"]
    assert present <= set(data) and not absent & set(data)
    assert validate({k: v for k, v in data.items() if k not in HUB_KEYS}) == int(ninjs_version)
    assert data["received"]["creditLine"] == "Source via Newsbridge"


async def test_unreliable_receiver_gets_every_delivery_once_per_webhook_id(exchange: Exchange,
                                                                           worker: Worker) -> None:
    with Receiver(fail_ratio=0.5, seed=20260601, max_failures_per_id=6) as flaky:
        _, secret = exchange.endpoint(flaky.url)
        published = {exchange.publish(f"urn:flaky:{n}").item_id for n in range(12)}
        rounds = await deliver_all(worker, exchange.engine)
        requests = flaky.requests
    assert rounds > 1 and any(r.status == 500 for r in requests)  # it did fail, and the hub retried
    assert {verified(secret, r)["data"]["id"] for r in flaky.accepted} == published
    ids_of_item: dict[str, set[str]] = defaultdict(set)
    for r in requests:
        ids_of_item[r.json()["data"]["id"]].add(r.webhook_id)
    assert all(len(ids) == 1 for ids in ids_of_item.values())  # a resend is recognizable as one
    assert {r.webhook_id for r in flaky.accepted} == {m.message_id for m in exchange.messages().values()}
    assert {m.state for m in exchange.messages().values()} == {"delivered"}


async def test_slow_receiver_times_out_and_the_resend_keeps_its_webhook_id(exchange: Exchange) -> None:
    # 1 s: long enough for the resend's answer on a loaded machine (a second time-out would send a third time)
    impatient = Worker(exchange.engine, exchange.settings.replace(webhook_timeout_seconds=1.0))
    try:
        with Receiver(hang=5.0) as slow:
            exchange.endpoint(slow.url)
            exchange.publish("urn:slow")
            await impatient.run_once()
            [message] = exchange.messages().values()
            assert (message.state, message.last_error, message.last_status) == ("retrying", "timed out", None)
            slow.hang = 0.0
            await deliver_all(impatient, exchange.engine)
            first, second = slow.requests  # the partner saw it twice: drop the duplicate by webhook-id
    finally:
        await impatient.sender.close()
    assert first.webhook_id == second.webhook_id == message.message_id


async def test_410_disables_the_endpoint(exchange: Exchange, worker: Worker) -> None:
    with Receiver([410]) as gone:
        endpoint, _ = exchange.endpoint(gone.url)
        exchange.publish("urn:gone", 1)
        exchange.publish("urn:gone", 2)  # waits behind version 1, so it is still pending at the 410
        await worker.run_once()
        exchange.publish("urn:gone:later")
        await worker.run_once()
        assert len(gone.requests) == 1
    with reading(exchange.engine) as conn:
        now = get_endpoint(conn, exchange.recipient, endpoint.id)
        status = health(conn, endpoint.id)
    assert now.enabled is False and "410" in (now.disabled_reason or "")
    assert (status.counts, status.last_status) == ({"failed": 2}, 410)


async def test_embargoed_item_goes_out_right_after_the_embargo(exchange: Exchange, worker: Worker,
                                                               receiver: Receiver) -> None:
    exchange.endpoint(receiver.url)
    lifted = utcnow() + timedelta(seconds=1.5)
    exchange.publish("urn:embargoed", embargoed=lifted)
    exchange.publish("urn:was-embargoed", embargoed=utcnow() - timedelta(hours=1))
    await worker.run_once()
    assert versions(receiver.requests) == [("urn:was-embargoed", 1)]
    with reading(exchange.engine) as conn:
        assert [e.record.uri for e in changes(conn, exchange.recipient, 0)] == ["urn:was-embargoed"]
    await asyncio.sleep((lifted - utcnow()).total_seconds() + 0.05)  # the embargo is a time, not an event
    await worker.run_once()
    assert versions(receiver.requests) == [("urn:was-embargoed", 1), ("urn:embargoed", 1)]
    assert lifted <= receiver.requests[1].at < lifted + timedelta(seconds=2)


async def test_versions_arrive_in_order_even_after_a_failure(exchange: Exchange, worker: Worker) -> None:
    with Receiver([503]) as receiver:
        exchange.endpoint(receiver.url)
        for version in (1, 2, 3):
            exchange.publish("urn:story", version, headline=f"Story, take {version}")
        await deliver_all(worker, exchange.engine)
        requests = receiver.requests
    assert versions(requests) == [("urn:story", 1)] * 2 + [("urn:story", 2), ("urn:story", 3)]
    assert [r.status for r in requests] == [503, 200, 200, 200]
    assert [r.json()["type"] for r in requests[1:]] == ["item.published", "item.updated", "item.updated"]


async def test_withdrawal_arrives_without_the_body(exchange: Exchange, worker: Worker, receiver: Receiver) -> None:
    exchange.endpoint(receiver.url)
    exchange.publish("urn:wrong", 1, body_text="A claim that turned out false.")
    await deliver_all(worker, exchange.engine)  # sent before the withdrawal: with its body
    exchange.publish("urn:wrong", 2, pubstatus="canceled", body_text="A claim that turned out false.")
    await deliver_all(worker, exchange.engine)
    published, withdrawn = (r.json() for r in receiver.requests)
    assert (published["type"], withdrawn["type"]) == ("item.published", "item.withdrawn")
    assert "bodies" in published["data"]
    assert withdrawn["data"]["pubStatus"] == "canceled" and withdrawn["data"]["id"] == published["data"]["id"]
    assert "bodies" not in withdrawn["data"] and "turned out false" not in receiver.requests[1].body


async def test_rotated_secret_signs_beside_the_old_one_only_during_the_grace(
        exchange: Exchange, worker: Worker, receiver: Receiver) -> None:
    endpoint, old = exchange.endpoint(receiver.url)
    with writing(exchange.engine) as conn:
        new = rotate_secret(conn, exchange.recipient, endpoint.id, grace_hours=24)
    exchange.publish("urn:during")
    await worker.run_once()
    during = receiver.requests[0]
    assert len(during.headers["webhook-signature"].split()) == 2
    assert verified(old, during) == verified(new, during)
    # The grace runs 24 hours; moving its end into the past is the same as waiting for it.
    with writing(exchange.engine) as conn:
        conn.execute(endpoints.update().values(previous_secret_until=utcnow() - timedelta(seconds=1)))
    exchange.publish("urn:after")
    await worker.run_once()
    after = receiver.requests[1]
    assert len(after.headers["webhook-signature"].split()) == 1
    assert verified(new, after)["data"]["uri"] == "urn:after"
    with pytest.raises(WebhookVerificationError):
        verified(old, after)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://[::1]/hook", "http://10.0.0.8/hook",
                                 "http://localhost:8080/hook", "http://169.254.169.254/latest/meta-data"])
def test_private_endpoint_url_is_refused_without_the_allow_list(exchange: Exchange, url: str) -> None:
    with pytest.raises(InvalidInput) as caught, writing(exchange.engine) as conn:
        create_endpoint(conn, exchange.recipient, url)
    assert caught.value.field == "url"


async def test_message_to_a_url_no_longer_allowed_is_an_error_not_a_request(exchange: Exchange,
                                                                            receiver: Receiver) -> None:
    exchange.endpoint(receiver.url)  # allowed when it was created ...
    strict = Worker(exchange.engine, exchange.settings.replace(allow_private_targets=()))  # ... not any more
    try:
        exchange.publish("urn:refused")
        await strict.run_once()
    finally:
        await strict.sender.close()
    assert receiver.requests == []  # run_once waits for its sends: had one gone out, it would be here
    [message] = exchange.messages().values()
    assert message.state == "retrying" and message.last_status is None
    assert message.last_error.startswith("refused:") and "127.0.0.1" in message.last_error


async def test_host_header_of_an_ipv6_literal_endpoint_has_brackets(exchange: Exchange, worker: Worker) -> None:
    with Receiver(host="::1") as receiver:
        _, secret = exchange.endpoint(receiver.url)
        exchange.publish("urn:v6")
        await worker.run_once()
        [request] = receiver.requests
    assert verified(secret, request)["data"]["uri"] == "urn:v6"  # it does arrive ...
    assert request.headers["host"] == f"[::1]:{receiver.port}"  # ... with a Host header proxies accept


@pytest.mark.parametrize("status", [429, 503])
async def test_a_partner_asking_to_wait_is_not_called_before_its_retry_after(exchange: Exchange, worker: Worker,
                                                                             status: int) -> None:
    with Receiver([status]) as busy:
        busy.headers = {"Retry-After": "900"}
        exchange.endpoint(busy.url)
        exchange.publish("urn:busy")
        began = utcnow()
        await worker.run_once()
        [message] = exchange.messages().values()
    assert message.state == "retrying" and message.last_status == status
    with reading(exchange.engine) as conn:
        due = conn.execute(sa.select(outbox.c.next_attempt_at)).scalar_one()
    assert due >= began + timedelta(seconds=890)  # the schedule alone would retry at once


def test_retry_after_reads_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    from newsbridge.delivery.webhooks import retry_after

    now = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120.0
    assert retry_after("Fri, 04 Dec 2026 12:05:00 GMT", now) == 300.0
    assert retry_after("Fri, 04 Dec 2026 11:00:00 GMT", now) == 0.0
    assert retry_after("soon", now) is None and retry_after(None, now) is None


async def test_a_redirect_is_not_followed_and_says_why(exchange: Exchange, worker: Worker) -> None:
    with Receiver([301]) as moved:
        moved.headers = {"Location": "http://169.254.169.254/latest/meta-data"}
        exchange.endpoint(moved.url)
        exchange.publish("urn:moved")
        await worker.run_once()
        assert len(moved.requests) == 1  # nothing went to the Location
        [message] = exchange.messages().values()
    assert message.state == "retrying" and "redirects are not followed" in (message.last_error or "")
