"""The production topology, for real: two `newsbridge serve` processes and two `newsbridge worker`
processes on one PostgreSQL database. Two publishers post to both API processes at once.

Every entitled partner gets every item exactly once by webhook-id (and the outsider nothing); the
changes feed, read through either process, holds every item once with no gap or repeat; the live
stream on one process sees what was published on the other; a desk session and the rate limits
are shared by both processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import create_organization
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.tables import items, outbox
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from tests.databases import postgres_database
from tests.delivery.crash_support import NEWSBRIDGE, HubProcess, Receiver, free_port, ninjs_item

POSTGRES_URL = os.environ.get("NEWSBRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ALLOW = ("127.0.0.0/8",)
PER_PUBLISHER = 60
RECIPIENTS = ("beta", "gamma")
PASSWORD = "correct horse battery"


@pytest.fixture
def database() -> Iterator[str]:
    with postgres_database(POSTGRES_URL) as url:
        yield url


def _set_up(url: str, receiver: Receiver) -> dict[str, str]:
    engine = create_engine(url)
    upgrade(engine)
    keys = {}
    with writing(engine) as conn:
        alpha = create_organization(conn, "alpha", "Alpha Agency")
        others = {slug: create_organization(conn, slug, slug.title()) for slug in (*RECIPIENTS, "delta")}
        for slug in ("alpha", *RECIPIENTS):
            keys[slug] = create_api_key(conn, slug, ("publish", "read"))[1]
        agreement = create_agreement(conn, alpha, "test", {
            "title": "Alpha shares economy news", "parties": ["alpha", *RECIPIENTS],
            "terms": [{"from": "alpha", "topics": ["medtop:04000000"], "languages": ["en"]}]})
        act(conn, agreement.id, Action.PROPOSE, alpha, "test")
        for org in (alpha, *(others[s] for s in RECIPIENTS)):
            act(conn, agreement.id, Action.SIGN, org, "test")
        for slug, org in others.items():
            _endpoint, secret = create_endpoint(conn, org, receiver.url(f"/hook/{slug}"), None, "3", ALLOW)
            receiver.secrets[f"/hook/{slug}"] = secret
        add_member(conn, "beta", "desk@beta.example", "Desk", "editor", PASSWORD)
    engine.dispose()
    return keys


class Stream:
    """Reads one partner's live stream from one process in a thread, collecting item uris."""

    def __init__(self, base_url: str, key: str) -> None:
        self.uris: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(base_url, key), daemon=True)
        self._thread.start()

    def _read(self, base_url: str, key: str) -> None:
        try:
            self._follow(base_url, key)
        except httpx.HTTPError:
            pass  # the process was stopped under the stream: what it sent so far is recorded

    def _follow(self, base_url: str, key: str) -> None:
        with httpx.Client(base_url=base_url, timeout=httpx.Timeout(5.0, read=None)) as client, \
                client.stream("GET", "/api/v1/stream", headers={"Authorization": f"Bearer {key}"}) as answer:
            for line in answer.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("data:"):
                    data = json.loads(line[5:])
                    if "item" in data:
                        self.uris.append(data["item"]["uri"])

    def stop(self) -> None:
        self._stop.set()


def _publish(base_url: str, key: str, prefix: str, acked: list[str]) -> None:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30.0) as client:
        for n in range(PER_PUBLISHER):
            uri = f"urn:{prefix}:{n}"
            answer = client.post("/api/v1/items", json=ninjs_item(uri, n))
            assert answer.status_code == 201, answer.text
            acked.append(uri)


def _feed(base_url: str, key: str) -> list[str]:
    uris, cursor = [], None
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30.0) as client:
        while True:
            page = client.get("/api/v1/feed", params={"limit": 50, **({"cursor": cursor} if cursor else {})}).json()
            uris += [entry["item"]["uri"] for entry in page["items"]]
            if not page["items"]:
                return uris
            cursor = page["cursor"]


def test_two_api_processes_and_two_workers_share_one_postgresql(database: str, tmp_path: Path) -> None:
    env = {"NEWSBRIDGE_ALLOW_PRIVATE_TARGETS": ",".join(ALLOW), "NEWSBRIDGE_IN_PROCESS_WORKER": "false",
           "NEWSBRIDGE_LOG_LEVEL": "WARNING", "NEWSBRIDGE_RATE_PUBLISH_PER_MINUTE": "0",
           "NEWSBRIDGE_RATE_WRITES_PER_IP_PER_MINUTE": "0"}
    with Receiver() as receiver:
        keys = _set_up(database, receiver)
        apis = [HubProcess(database, free_port(), env, tmp_path / f"api{n}.log") for n in (1, 2)]
        workers = [subprocess.Popen([str(NEWSBRIDGE), "--database-url", database, "worker"],
                                    env={**os.environ, **env}, stdout=(tmp_path / f"worker{n}.log").open("wb"),
                                    stderr=subprocess.STDOUT, start_new_session=True) for n in (1, 2)]
        try:
            for api in apis:
                api.start()
            stream = Stream(apis[1].base_url, keys["beta"])  # on process 2
            time.sleep(0.5)
            acked: list[list[str]] = [[], []]
            publishers = [threading.Thread(target=_publish, args=(api.base_url, keys["alpha"], f"p{n}", acked[n]))
                          for n, api in enumerate(apis)]
            for thread in publishers:
                thread.start()
            for thread in publishers:
                thread.join(120)
            engine = create_engine(database)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with reading(engine) as conn:
                    waiting = conn.execute(sa.select(sa.func.count()).select_from(outbox)
                                           .where(outbox.c.state != "delivered")).scalar_one()
                    queued = conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one()
                if queued == len(RECIPIENTS) * 2 * PER_PUBLISHER and waiting == 0:
                    break
                time.sleep(0.25)
            with reading(engine) as conn:
                stored = set(conn.execute(sa.select(items.c.uri)).scalars())
            engine.dispose()
            feeds = {(slug, n): _feed(api.base_url, keys[slug]) for slug in RECIPIENTS for n, api in enumerate(apis)}
            time.sleep(1.0)
            stream.stop()
            # a desk session made on one process works on the other
            with httpx.Client(base_url=apis[0].base_url) as first:
                assert first.post("/login", data={"email": "desk@beta.example", "password": PASSWORD}).status_code == 303
                cookies = dict(first.cookies)
            with httpx.Client(base_url=apis[1].base_url, cookies=cookies) as second:
                assert second.get("/account").status_code == 200
        finally:
            for api in apis:
                api.kill()
            for worker in workers:
                worker.kill()
                worker.wait()

    published = set(acked[0]) | set(acked[1])
    assert len(published) == 2 * PER_PUBLISHER and stored == published
    got = receiver.by_path()
    for slug in RECIPIENTS:
        assert set(got[f"/hook/{slug}"]) == published, f"{slug} missed items"
        twice = {uri: ids for uri, ids in got[f"/hook/{slug}"].items() if len(ids) != 1}
        assert twice == {}, f"{slug} got an item under two webhook-ids"
    assert "/hook/delta" not in got, "the outsider received items"
    assert receiver.refused == []
    for (slug, n), uris in feeds.items():
        assert len(uris) == len(set(uris)) and set(uris) == published, f"{slug}'s feed through process {n + 1}"
    assert feeds[("beta", 0)] == feeds[("beta", 1)], "the two processes disagree on the feed's order"
    assert set(acked[0]) <= set(stream.uris), "process 2's stream missed items published on process 1"
