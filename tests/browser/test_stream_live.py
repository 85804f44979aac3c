"""The live stream on a real server: uvicorn on a loopback port with the in-process delivery
worker (which the ASGI test transport never starts), a reader on `GET /api/v1/stream`, and an
item published over HTTP arriving as a server-sent event; `Last-Event-ID` resumes after it."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.organizations import create_organization
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, writing
from newsbridge.db.migrate import upgrade
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from tests.live_server import serving

pytestmark = pytest.mark.browser

POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
ARRIVES_WITHIN = 2.0


@dataclass(frozen=True)
class LiveHub:
    url: str
    source: dict[str, str]  # Authorization headers of alpha's publish-only key
    recipient: dict[str, str]  # ... and of beta, who receives under the agreement


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    """A hub with the in-process worker on a fresh SQLite file; alpha shares politics with beta."""
    settings = load_settings(env={}, database_url=f"sqlite:///{tmp_path_factory.mktemp('stream') / 'hub.db'}")
    assert settings.in_process_worker
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        alpha = create_organization(conn, "alpha", "Alpha News Agency", credit_name="Alpha News")
        beta = create_organization(conn, "beta", "Beta Daily")
        _key, source = create_api_key(conn, "alpha", ("publish",))
        _key, recipient = create_api_key(conn, "beta", ("read",))
        agreement = create_agreement(conn, alpha, "editor@alpha", {
            "title": "Alpha-Beta", "parties": ["alpha", "beta"],
            "terms": [{"from": "alpha", "topics": ["medtop:11000000"], "languages": ["en"]}]})
        act(conn, agreement.id, Action.PROPOSE, alpha, "editor@alpha")
        act(conn, agreement.id, Action.SIGN, alpha, "editor@alpha")
        act(conn, agreement.id, Action.SIGN, beta, "editor@beta")
    with serving(create_app(settings, engine, migrate=False)) as url:
        yield LiveHub(url, _bearer(source), _bearer(recipient))
    engine.dispose()


@dataclass(frozen=True)
class Event:
    id: str | None
    event: str | None
    data: dict[str, Any] | None
    retry: int | None


class StreamReader:
    """Reads `/api/v1/stream` in a thread and hands each server-sent event to the test through a queue."""

    def __init__(self, hub: LiveHub, headers: dict[str, str]) -> None:
        self.events: queue.Queue[Event | BaseException] = queue.Queue()
        self.status: int | None = None
        self.content_type: str | None = None
        self._socket: socket.socket | None = None
        self._client = httpx.Client(base_url=hub.url, timeout=httpx.Timeout(10, read=30))
        self._headers = {**hub.recipient, **headers}
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            with self._client.stream("GET", "/api/v1/stream", headers=self._headers) as response:
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
                self.status, self.content_type = response.status_code, response.headers.get("content-type")
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if line == "":
                        if fields:
                            self.events.put(Event(fields.get("id"), fields.get("event"),
                                                  json.loads(fields["data"]) if "data" in fields else None,
                                                  int(fields["retry"]) if "retry" in fields else None))
                        fields = {}
                    elif not line.startswith(":"):
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
        except (httpx.HTTPError, RuntimeError) as exc:  # closed by the test, or broken
            self.events.put(exc)

    def next(self, timeout: float = ARRIVES_WITHIN) -> Event:
        found = self.events.get(timeout=timeout)
        if isinstance(found, BaseException):
            raise found
        return found

    def close(self) -> None:
        """Hang up as a desk closing the page would: the server sees the disconnect and ends the stream."""
        if self._socket is not None:
            with contextlib.suppress(OSError):  # the server may have hung up already
                self._socket.shutdown(socket.SHUT_RDWR)  # wakes the reading thread, blocked in recv
        self._thread.join(timeout=5)
        assert not self._thread.is_alive()
        self._client.close()


@pytest.fixture
def open_stream(live: LiveHub) -> Iterator[Any]:
    readers: list[StreamReader] = []

    def open_(**headers: str) -> StreamReader:
        reader = StreamReader(live, headers)
        opening = reader.next(timeout=10)
        assert (reader.status, opening.retry) == (200, 2000)  # the stream is open: later deliveries will follow
        assert reader.content_type and reader.content_type.startswith("text/event-stream")
        readers.append(reader)
        return reader

    yield open_
    for reader in readers:
        reader.close()


def publish(live: LiveHub, uri: str, headline: str) -> str:
    response = httpx.post(f"{live.url}/api/v1/items", headers=live.source, json={
        "uri": uri, "version": "1", "type": "text", "language": "en", "subjects": [POLITICS],
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/html", "value": f"<p>{headline}</p>"}]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_published_item_arrives_on_the_stream_within_two_seconds(live, open_stream) -> None:
    reader = open_stream()
    began = time.monotonic()
    item = publish(live, "urn:alpha:live-1", "Parliament votes live")
    event = reader.next()
    assert time.monotonic() - began < ARRIVES_WITHIN
    assert event.event == "item.published" and event.id and event.id.isdigit()
    assert event.data is not None
    assert (event.data["event"], event.data["creditLine"]) == ("item.published", "Alpha News via Newsbridge")
    assert event.data["item"]["id"] == item
    assert event.data["item"]["headlines"][0]["value"] == "Parliament votes live"
    assert event.data["item"]["received"]["creditLine"] == "Alpha News via Newsbridge"


def test_last_event_id_replays_only_what_came_after(live, open_stream) -> None:
    reader = open_stream()
    publish(live, "urn:alpha:resume-1", "First")
    first = reader.next()
    publish(live, "urn:alpha:resume-2", "Second")
    second = reader.next()
    assert int(second.id) > int(first.id)  # type: ignore[arg-type]

    resumed = open_stream(**{"Last-Event-ID": first.id})
    replayed = resumed.next()
    assert (replayed.id, replayed.data["item"]["headlines"][0]["value"]) == (second.id, "Second")  # type: ignore[index]
    publish(live, "urn:alpha:resume-3", "Third")
    live_again = resumed.next()
    assert live_again.data["item"]["headlines"][0]["value"] == "Third"  # type: ignore[index]
    assert int(live_again.id) > int(second.id)  # type: ignore[arg-type]
    assert reader.next().id == live_again.id  # the first reader saw the same event


def test_the_stream_needs_a_key_with_read(live) -> None:
    assert httpx.get(f"{live.url}/api/v1/stream").status_code == 401
    refused = httpx.get(f"{live.url}/api/v1/stream", headers=live.source)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")


def test_an_out_of_range_last_event_id_does_not_break_the_stream(live) -> None:
    reader = StreamReader(live, {"Last-Event-ID": "9" * 30})
    try:
        reader.next(timeout=10)  # the retry line
        publish(live, "urn:alpha:overflow", "After a bad Last-Event-ID")
        assert reader.next().data["item"]["headlines"][0]["value"] == "After a bad Last-Event-ID"  # type: ignore[index]
    finally:
        reader.close()
