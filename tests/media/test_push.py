"""Push of originals to a partner's own S3 bucket: a real SeaweedFS bucket of the partner's, the hub's
store on the filesystem and on SeaweedFS, on SQLite and PostgreSQL. The object is byte-identical
(SHA-256); a proxy-only partner gets nothing pushed; a partner without GPS rights gets the GPS-free
copy; a service that is down is tried again on the webhooks' schedule and then succeeds; a private
address is refused unless the operator allows it; a stranger finds no target."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pyexiv2
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.config import Settings, load_settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.media_push_tables import media_push_targets, media_pushes
from newsbridge.delivery import outbox
from newsbridge.delivery.outbox import sequence
from newsbridge.ids import utcnow
from newsbridge.media import push
from newsbridge.media.blobs import blob_store
from newsbridge.media.processing import media_handlers
from newsbridge.media.push_worker import PushWorker
from newsbridge.media.worker import JobWorker
from tests.conftest import Partner, active_agreement
from tests.media.pictures import picture
from tests.media.samples import tagged_photo
from tests.media.seaweedfs import SeaweedS3
from tests.media.tus import upload

pytestmark = pytest.mark.anyio
LOOPBACK = ("127.0.0.0/8",)
SCOPES = ("publish", "read", "manage")


@pytest.fixture
def settings(engine: Engine, storage: dict[str, str]) -> Settings:
    """The media tests' settings, with loopback allowed: the partner's "S3 service" is SeaweedFS on 127.0.0.1."""
    return load_settings(env={}, database_url=engine.url.render_as_string(hide_password=False),
                         media_url_secret="test-" + secrets.token_hex(8), allow_private_targets=LOOPBACK, **storage)


PARTNER_BUCKET = "partner-media"  # one for the session: each SeaweedFS bucket takes volumes of its own


@pytest.fixture
def partner_bucket(seaweed: SeaweedS3) -> tuple[Any, str]:
    """A bucket of the partner's own on the SeaweedFS server (beside the hub's), and a client to read it;
    each test pushes under a prefix of its own (:data:`PREFIX` is set per test)."""
    client = boto3.client("s3", endpoint_url=seaweed.endpoint, aws_access_key_id=seaweed.access_key,
                          aws_secret_access_key=seaweed.secret_key, region_name=seaweed.region)
    try:
        client.create_bucket(Bucket=PARTNER_BUCKET)
    except (client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists):
        pass
    return client, PARTNER_BUCKET


@pytest.fixture(autouse=True)
def prefix(monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"incoming/{secrets.token_hex(4)}"
    monkeypatch.setitem(PREFIX, "value", value)
    return value


PREFIX = {"value": "incoming"}


class Relay:
    """A loopback TCP relay to an upstream port that is down (nothing listens) until :meth:`up`;
    counts the connections it took."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.connections = 0
        self._server: socket.socket | None = None

    def up(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                inbound, _ = server.accept()
            except OSError:
                return
            self.connections += 1
            outbound = socket.create_connection(("127.0.0.1", self.upstream))
            for a, b in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def relay(seaweed: SeaweedS3) -> Iterator[Relay]:
    found = Relay(int(seaweed.endpoint.rsplit(":", 1)[1]))
    yield found
    found.down()


def target_body(seaweed: SeaweedS3, bucket: str, endpoint: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"endpoint_url": endpoint or seaweed.endpoint, "bucket": bucket, "prefix": PREFIX["value"],
            "region": seaweed.region, "access_key": seaweed.access_key, "secret_key": seaweed.secret_key, **extra}


async def exchange(client: httpx.AsyncClient, make_partner: Any, media: dict[str, Any]) -> tuple[Partner, Partner]:
    alpha, beta = make_partner("alpha", scopes=SCOPES), make_partner("beta", scopes=SCOPES)
    await active_agreement(client, alpha, beta, {"languages": ["en"], "media": media})
    return alpha, beta


def run_jobs(client: httpx.AsyncClient) -> None:
    hub = client._transport.app.state.hub  # type: ignore[attr-defined]
    worker = JobWorker(hub.engine, media_handlers(hub.engine, blob_store(hub.settings), hub.settings), name="test")
    while worker.run_once_sync():
        pass


async def publish(client: httpx.AsyncClient, source: Partner, data: bytes, filename: str = "Parliament session.jpg",
                  *, jobs: bool = True) -> str:
    upload_id, _ = await upload(client, source.headers, data, filename=filename, filetype="image/jpeg")
    if jobs:
        run_jobs(client)
    published = await client.post("/api/v1/items", headers=source.headers, json={
        "uri": f"urn:alpha:photo:{secrets.token_hex(3)}", "version": "1", "type": "picture", "language": "en",
        "headlines": [{"role": "main", "value": "Parliament in session"}],
        "renditions": [{"name": "original", "upload": upload_id}]})
    assert published.status_code == 201, published.text
    engine = client._transport.app.state.hub.engine  # type: ignore[attr-defined]
    with writing(engine) as conn:
        sequence(conn, utcnow())  # what the delivery worker does: the delivery enters beta's feed
    return published.json()["id"]


def worker(client: httpx.AsyncClient, **changes: Any) -> PushWorker:
    hub = client._transport.app.state.hub  # type: ignore[attr-defined]
    return PushWorker(hub.engine, hub.settings.replace(**changes) if changes else hub.settings, name="test-push")


def pushed_object(partner_bucket: tuple[Any, str], key: str) -> tuple[bytes, dict[str, Any]]:
    s3, bucket = partner_bucket
    found = s3.get_object(Bucket=bucket, Key=key)
    return found["Body"].read(), found


async def test_a_delivered_photo_is_pushed_byte_identical_to_the_partners_bucket(
        client, make_partner, seaweed, partner_bucket) -> None:
    alpha, beta = await exchange(client, make_partner, {"allow_gps": True})
    created = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                                json=target_body(seaweed, partner_bucket[1]))
    assert created.status_code == 201, created.text
    assert "secret_key" not in created.json() and seaweed.secret_key not in created.text
    data = picture(size=(640, 480))
    item_id = await publish(client, alpha, data)
    assert worker(client).run_once_sync() == [push.State.DELIVERED]
    key = f"{PREFIX['value']}/{item_id}/Parliament session.jpg"
    body, found = pushed_object(partner_bucket, key)
    assert body == data and hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()
    assert found["ContentType"] == "image/jpeg" and found["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest()
    log = await client.get(f"/api/v1/media-push-targets/{created.json()['id']}/pushes", headers=beta.headers)
    [entry] = log.json()["pushes"]
    assert (entry["item_id"], entry["key"], entry["state"], entry["attempts"], entry["rendition"], entry["size"]) == \
        (item_id, key, "delivered", 1, "original", len(data))
    assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["pushed_at"]
    shown = (await client.get(f"/api/v1/media-push-targets/{created.json()['id']}", headers=beta.headers)).json()
    assert shown["pushes"] == {"delivered": 1} and shown["last_error"] is None
    # the next round finds nothing more to push: one push per item, media and target
    assert worker(client).run_once_sync() == []


async def test_a_partner_without_gps_rights_gets_the_copy_without_gps(
        client, make_partner, seaweed, partner_bucket, tmp_path: Path) -> None:
    alpha, beta = await exchange(client, make_partner, {})
    created = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                                json=target_body(seaweed, partner_bucket[1]))
    assert created.status_code == 201, created.text
    original = tagged_photo(tmp_path / "flood.jpg").read_bytes()
    item_id = await publish(client, alpha, original, filename="flood.jpg")
    assert worker(client).run_once_sync() == [push.State.DELIVERED], (await client.get(
        f"/api/v1/media-push-targets/{created.json()['id']}", headers=beta.headers)).text
    body, _ = pushed_object(partner_bucket, f"{PREFIX['value']}/{item_id}/flood.jpg")
    assert body != original
    assert not [k for k in pyexiv2.ImageData(body).read_exif() if k.startswith("Exif.GPSInfo")]
    log = (await client.get(f"/api/v1/media-push-targets/{created.json()['id']}/pushes", headers=beta.headers)).json()
    assert log["pushes"][0]["rendition"] == "original-nogps"


async def test_a_proxy_only_partner_gets_no_original_pushed(
        client, make_partner, seaweed, partner_bucket, engine) -> None:
    alpha, beta = await exchange(client, make_partner, {"proxy_only": True})
    created = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                                json=target_body(seaweed, partner_bucket[1]))
    assert created.status_code == 201, created.text
    item_id = await publish(client, alpha, picture())
    assert (await client.get(f"/api/v1/items/{item_id}", headers=beta.headers)).status_code == 200  # delivered
    assert worker(client).run_once_sync() == []
    s3, bucket = partner_bucket
    assert s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX["value"]).get("KeyCount", 0) == 0
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(media_pushes)).scalar_one() == 0
        assert conn.execute(sa.select(media_push_targets.c.scanned_position)).scalar_one() > 0  # it looked


async def test_a_push_of_an_item_withdrawn_before_it_went_ends_failed(
        client, make_partner, seaweed, partner_bucket, engine) -> None:
    alpha, beta = await exchange(client, make_partner, {"allow_gps": True})
    created = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                                json=target_body(seaweed, partner_bucket[1]))
    assert created.status_code == 201, created.text
    upload_id, _ = await upload(client, alpha.headers, picture(), filename="flag.jpg", filetype="image/jpeg")
    item = {"uri": "urn:alpha:photo:w", "version": "1", "type": "picture", "language": "en",
            "headlines": [{"role": "main", "value": "Flag day"}], "renditions": [{"name": "original", "upload": upload_id}]}
    assert (await client.post("/api/v1/items", headers=alpha.headers, json=item)).status_code == 201
    with writing(engine) as conn:
        sequence(conn, utcnow())
    pusher = worker(client)
    assert pusher.scan() == 1  # recorded while the item was there
    withdrawn = await client.post("/api/v1/items", headers=alpha.headers,
                                  json={**item, "version": "2", "pubStatus": "canceled"})
    assert withdrawn.status_code == 201, withdrawn.text
    assert pusher.run_once_sync() == [push.State.FAILED]
    log = (await client.get(f"/api/v1/media-push-targets/{created.json()['id']}/pushes", headers=beta.headers)).json()
    assert "not offered" in log["pushes"][0]["last_error"]
    s3, bucket = partner_bucket
    assert s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX["value"]).get("KeyCount", 0) == 0
    replayed = await client.post(f"/api/v1/media-push-targets/{created.json()['id']}:replay", headers=beta.headers)
    assert replayed.json() == {"replayed": 1}
    assert pusher.run_once_sync() == [push.State.FAILED]  # still withdrawn: replaying does not lift that


async def test_a_push_to_a_service_that_is_down_is_retried_until_it_succeeds(
        client, make_partner, seaweed, partner_bucket, relay, engine) -> None:
    alpha, beta = await exchange(client, make_partner, {"allow_gps": True})
    created = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                                json=target_body(seaweed, partner_bucket[1], f"http://127.0.0.1:{relay.port}"))
    assert created.status_code == 201, created.text
    data = picture(size=(200, 100))
    item_id = await publish(client, alpha, data)
    pusher = worker(client)
    assert pusher.run_once_sync() == [push.State.RETRYING]  # nothing listens
    assert pusher.run_once_sync() == [push.State.RETRYING]  # the first retry is immediate, the next in 5 s
    assert pusher.run_once_sync() == []  # not due yet
    log = (await client.get(f"/api/v1/media-push-targets/{created.json()['id']}/pushes", headers=beta.headers)).json()
    [entry] = log["pushes"]
    assert entry["state"] == "retrying" and entry["attempts"] == 2 and entry["last_status"] is None
    assert "Connect" in entry["last_error"] and entry["next_attempt_at"]
    shown = (await client.get(f"/api/v1/media-push-targets/{created.json()['id']}", headers=beta.headers)).json()
    assert shown["failing_since"] and shown["last_error"] == entry["last_error"]
    relay.up()
    assert pusher.run_once_sync(utcnow() + timedelta(seconds=6)) == [push.State.DELIVERED]
    body, _ = pushed_object(partner_bucket, f"{PREFIX['value']}/{item_id}/Parliament session.jpg")
    assert body == data and relay.connections >= 1
    with reading(engine) as conn:
        row = conn.execute(sa.select(media_pushes)).one()
        assert (row.state, row.attempts, row.last_error) == ("delivered", 3, None)
        assert conn.execute(sa.select(media_push_targets.c.failing_since)).scalar_one() is None


async def test_a_push_target_on_a_private_address_is_refused_unless_the_operator_allows_it(
        client, make_partner, seaweed, partner_bucket, relay, engine) -> None:
    alpha, beta = await exchange(client, make_partner, {"allow_gps": True})
    hub = client._transport.app.state.hub
    strict = hub.settings.replace(allow_private_targets=())
    client._transport.app.state.hub = dataclasses.replace(hub, settings=strict)
    try:
        refused = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                                    json=target_body(seaweed, partner_bucket[1], f"http://127.0.0.1:{relay.port}"))
    finally:
        client._transport.app.state.hub = hub
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "endpoint_url" and "private" in refused.json()["error"]["message"]
    # allowed when it was made, then the operator narrowed the list: each attempt is refused before connecting
    created = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                                json=target_body(seaweed, partner_bucket[1], f"http://127.0.0.1:{relay.port}"))
    assert created.status_code == 201, created.text
    relay.up()
    await publish(client, alpha, picture())
    assert worker(client, allow_private_targets=()).run_once_sync() == [push.State.RETRYING]
    assert relay.connections == 0
    with reading(engine) as conn:
        assert conn.execute(sa.select(media_pushes.c.last_error)).scalar_one().startswith("refused: ")


@pytest.mark.parametrize("body, field", [
    ({"bucket": "Not_A_Bucket"}, "bucket"),
    ({"endpoint_url": "ftp://127.0.0.1/"}, "endpoint_url"),
    ({"endpoint_url": "http://127.0.0.1:9/some/path"}, "endpoint_url"),
    ({"prefix": "a/../b"}, "prefix"),
    ({"region": "EU Central"}, "region"),
    ({"secret_key": ""}, "secret_key"),
    ({"access_key": "has space"}, "access_key"),
    ({"surprise": 1}, "surprise"),
])
async def test_a_bad_push_target_is_refused_with_its_field(client, make_partner, seaweed, body, field) -> None:
    beta = make_partner("beta", scopes=SCOPES)
    answer = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                               json={**target_body(seaweed, "partner-bucket"), **body})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


async def test_strangers_get_404_on_a_push_target_like_a_missing_id(client, make_partner, seaweed) -> None:
    alpha, beta = await exchange(client, make_partner, {})
    stranger = make_partner("stranger", scopes=SCOPES)
    created = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                                json=target_body(seaweed, "partner-bucket"))
    target_id = created.json()["id"]
    routes = [("GET", "/api/v1/media-push-targets/{}", None), ("GET", "/api/v1/media-push-targets/{}/pushes", None),
              ("PATCH", "/api/v1/media-push-targets/{}", {"enabled": False}),
              ("POST", "/api/v1/media-push-targets/{}:replay", None)]
    for who in (stranger, alpha):  # alpha: the source of what beta receives, still not beta's target
        for method, path, body in routes:
            theirs = await client.request(method, path.format(target_id), headers=who.headers, json=body)
            missing = await client.request(method, path.format("0" * 26), headers=who.headers, json=body)
            assert theirs.status_code == missing.status_code == 404, (method, path, theirs.text)
            assert theirs.json()["error"]["code"] == "not_found"
        listed = await client.get("/api/v1/media-push-targets", headers=who.headers)
        assert listed.json() == {"media_push_targets": []}
    shown = await client.get(f"/api/v1/media-push-targets/{target_id}", headers=beta.headers)
    assert shown.status_code == 200 and shown.json()["enabled"] is True  # nothing of beta's changed


async def test_the_secret_is_kept_sealed_and_never_shown_back(client, make_partner, seaweed, engine) -> None:
    beta = make_partner("beta", scopes=SCOPES)
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + secrets.token_hex(4)
    created = await client.post("/api/v1/media-push-targets", headers=beta.headers,
                                json={**target_body(seaweed, "partner-bucket"), "secret_key": secret})
    target_id = created.json()["id"]
    answers = [created, await client.get("/api/v1/media-push-targets", headers=beta.headers),
               await client.get(f"/api/v1/media-push-targets/{target_id}", headers=beta.headers),
               await client.patch(f"/api/v1/media-push-targets/{target_id}", headers=beta.headers,
                                  json={"access_key": "newkey", "secret_key": secret + "2"})]
    assert all(a.status_code in (200, 201) and secret not in a.text for a in answers)
    assert answers[-1].json()["access_key"] == "newkey"
    with reading(engine) as conn:
        stored = conn.execute(sa.select(media_push_targets.c.secret_sealed)).scalar_one()
        assert secret not in stored and stored.startswith("v1:")
        from newsbridge.media.push_targets import unseal
        assert unseal(conn, target_id) == secret + "2"
    # a sealed secret copied to another target does not open there (the target id is bound in)
    other = (await client.post("/api/v1/media-push-targets", headers=beta.headers,
                               json=target_body(seaweed, "partner-bucket"))).json()["id"]
    with writing(engine) as conn:
        conn.execute(media_push_targets.update().where(media_push_targets.c.id == other).values(secret_sealed=stored))
    with reading(engine) as conn, pytest.raises(Exception):
        unseal(conn, other)


def test_pushes_follow_the_webhooks_schedule_and_states() -> None:
    assert push.RETRY_SCHEDULE == outbox.RETRY_SCHEDULE and push.DISABLE_AFTER == outbox.DISABLE_AFTER
    assert {s.value: {t.value for t in targets} for s, targets in push.TRANSITIONS.items()} == \
        {s.value: {t.value for t in targets} for s, targets in outbox.TRANSITIONS.items()}
    assert push.next_delay(len(push.RETRY_SCHEDULE) + 1) is None


def test_a_large_original_goes_in_parts_through_the_guard(seaweed, partner_bucket) -> None:
    """Over one part (8 MiB) the original goes as a multipart upload read part by part from the store's chunks."""
    from newsbridge.media.push_s3 import PART, Bucket, GuardedSender, put_original, s3_client

    data = secrets.token_bytes(PART + 3 * 1024 * 1024 + 7)
    sender = GuardedSender(LOOPBACK)
    parts: list[int] = []
    try:
        client = s3_client(Bucket(seaweed.endpoint, partner_bucket[1], seaweed.region, seaweed.access_key,
                                  seaweed.secret_key), sender)
        chunks = (data[i:i + 1024 * 1024] for i in range(0, len(data), 1024 * 1024))
        key = f"{PREFIX['value']}/big.bin"
        put_original(client, partner_bucket[1], key, chunks, size=len(data), content_type="video/mp4",
                     sha256=hashlib.sha256(data).hexdigest(), progress=lambda: parts.append(1))
    finally:
        sender.close()
    body, found = pushed_object(partner_bucket, key)
    assert body == data and len(parts) == 2 and found["ContentType"] == "video/mp4"
    with pytest.raises(Exception, match="private"):  # the same sender refuses what the operator has not allowed
        GuardedSender(()).check(seaweed.endpoint + "/bucket/key")
