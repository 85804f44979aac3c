"""The webhook sender (aiohttp) keeps the SSRF guard's promise: it connects to the address the guard
checked and to nothing it would have to look up again (tests/delivery/test_webhooks.py covers
redirects, timeouts, Retry-After and 410 through the worker)."""

from __future__ import annotations

import pytest
from receivers import Receiver

from newsbridge.delivery.webhooks import HttpSender, Message
from newsbridge.targets import Target

pytestmark = pytest.mark.anyio


def message_to(host: str, address: str, port: int, path: str = "/hook") -> Message:
    target = Target(f"http://{host}:{port}{path}", "http", host, port, address)
    return Message(target, "msg_test", '{"type":"test"}', {"webhook-id": "msg_test", "webhook-timestamp": "1",
                                                           "webhook-signature": "v1,x"})


async def test_the_connection_goes_to_the_checked_address_with_the_name_in_host() -> None:
    sender = HttpSender(timeout=5)
    try:
        with Receiver() as receiver:
            # partner.invalid resolves nowhere: only the checked address can have carried this.
            outcome = await sender.send(message_to("partner.invalid", "127.0.0.1", receiver.port))
            [request] = receiver.requests
    finally:
        await sender.close()
    assert (outcome.status, outcome.error) == (200, None)
    assert request.path == "/hook" and request.headers["host"] == f"partner.invalid:{receiver.port}"
    assert request.headers["webhook-id"] == "msg_test" and request.json() == {"type": "test"}


async def test_a_name_in_place_of_a_checked_address_is_never_looked_up() -> None:
    sender = HttpSender(timeout=5)
    try:
        with Receiver() as receiver:
            # "localhost" would resolve to this very receiver; the sender must refuse to resolve it.
            outcome = await sender.send(message_to("localhost", "localhost", receiver.port))
            assert receiver.requests == []
    finally:
        await sender.close()
    assert outcome.status is None and "the sender resolves no names" in (outcome.error or "")


async def test_a_closed_sender_opens_a_new_session_when_used_again() -> None:
    sender = HttpSender(timeout=5)  # made outside any request, as the worker makes it
    with Receiver() as receiver:
        first = await sender.send(message_to("a.invalid", "127.0.0.1", receiver.port))
        await sender.close()
        second = await sender.send(message_to("a.invalid", "127.0.0.1", receiver.port))
        await sender.close()
        assert len(receiver.requests) == 2
    assert first.status == second.status == 200


async def test_a_refusal_keeps_the_start_of_its_body_and_its_retry_after() -> None:
    sender = HttpSender(timeout=5)
    try:
        with Receiver([503]) as busy:
            busy.headers = {"Retry-After": "120"}
            outcome = await sender.send(message_to("busy.invalid", "127.0.0.1", busy.port))
    finally:
        await sender.close()
    assert (outcome.status, outcome.error, outcome.retry_after) == (503, "HTTP 503: ok", 120.0)
