"""Partners › Media push on the desk: an admin adds the organization's S3 bucket, the push log shows
each push with its state, attempts and last error; the secret never comes back; a stranger gets 404
on another organization's target; the page speaks Persian right to left (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import secrets
import socket

import pytest
from sqlalchemy.engine import Engine

from newsbridge.config import Settings, load_settings
from newsbridge.db.engine import writing
from newsbridge.delivery.outbox import sequence
from newsbridge.ids import utcnow
from newsbridge.media.push_worker import PushWorker
from tests.conftest import active_agreement
from tests.media.pictures import picture
from tests.media.tus import upload
from tests.web.conftest import desk_app, sign_in  # noqa: F401  (the desk's signed-in members)

pytestmark = pytest.mark.anyio
SCOPES = ("publish", "read", "manage")
TARGET_ID = re.compile(r'action="/partners/media-push/(\w+)/disable"')


@pytest.fixture
def storage(tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"media_dir": str(tmp_path / "media")}  # the hub's own store does not matter here


@pytest.fixture
def settings(engine: Engine, storage: dict[str, str]) -> Settings:
    return load_settings(env={}, database_url=engine.url.render_as_string(hide_password=False),
                         media_url_secret="test-" + secrets.token_hex(8), allow_private_targets=("127.0.0.0/8",),
                         **storage)


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def form(port: int, **extra: str) -> dict[str, str]:
    return {"endpoint_url": f"http://127.0.0.1:{port}", "bucket": "beta-archive", "prefix": "hub",
            "access_key": "AKIABETA", "secret_key": "beta-secret-" + secrets.token_hex(6), **extra}


async def test_an_admin_adds_a_bucket_and_follows_its_pushes_on_the_desk(client, make_partner, sign_in) -> None:  # noqa: F811
    alpha, beta = make_partner("alpha", scopes=SCOPES), make_partner("beta", scopes=SCOPES)
    await active_agreement(client, alpha, beta, {"languages": ["en"], "media": {"allow_gps": True}})
    admin = await sign_in("beta", "admin")
    assert "No push targets" in (await admin.get("/partners/media-push")).text
    sent = form(closed_port())
    added = await admin.post("/partners/media-push", sent)
    assert added.status_code == 200, added.text
    assert "s3://beta-archive/hub/" in added.text and sent["secret_key"] not in added.text
    upload_id, _ = await upload(client, alpha.headers, picture(), filename="flag.jpg", filetype="image/jpeg")
    item = await client.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:photo:9", "version": "1", "type": "picture", "language": "en",
        "headlines": [{"role": "main", "value": "Flag day in Astana"}],
        "renditions": [{"name": "original", "upload": upload_id}]})
    assert item.status_code == 201, item.text
    hub = client._transport.app.state.hub  # type: ignore[attr-defined]
    with writing(hub.engine) as conn:
        sequence(conn, utcnow())
    PushWorker(hub.engine, hub.settings, name="desk-test").run_once_sync()  # nothing listens there: retried
    log = (await admin.get("/partners/media-push")).text
    assert "Flag day in Astana" in log and f"hub/{item.json()['id']}/flag.jpg" in log
    assert "retrying" in log and "ConnectError" in log
    target_id = TARGET_ID.search(log)[1]
    replayed = await admin.post(f"/partners/media-push/{target_id}/replay")
    assert replayed.status_code == 200 and "failed pushes will be tried again" in replayed.text
    off = await admin.post(f"/partners/media-push/{target_id}/disable")
    assert "Push target turned off." in off.text and "turned off by the organization" in off.text


async def test_a_refused_bucket_shows_the_form_again_without_the_secret(make_partner, sign_in, settings) -> None:  # noqa: F811
    make_partner("beta", scopes=SCOPES)
    admin = await sign_in("beta", "admin")
    sent = form(closed_port(), bucket="Bad_Bucket")
    refused = await admin.post("/partners/media-push", sent)
    assert refused.status_code == 422 and "is an S3 bucket name" in refused.text
    assert 'value="AKIABETA"' in refused.text and sent["secret_key"] not in refused.text


async def test_strangers_and_viewers_cannot_touch_a_push_target(make_partner, sign_in) -> None:  # noqa: F811
    make_partner("beta", scopes=SCOPES)
    make_partner("stranger", scopes=SCOPES)
    admin = await sign_in("beta", "admin")
    target_id = TARGET_ID.search((await admin.post("/partners/media-push", form(closed_port()))).text)[1]
    stranger = await sign_in("stranger", "admin")
    for action in ("disable", "enable", "replay"):
        assert (await stranger.post(f"/partners/media-push/{target_id}/{action}")).status_code == 404
    assert target_id not in (await stranger.get("/partners/media-push")).text
    viewer = await sign_in("beta", "viewer")
    assert (await viewer.post("/partners/media-push", form(closed_port()))).status_code == 403
    assert (await viewer.post(f"/partners/media-push/{target_id}/disable")).status_code == 403
    page = (await viewer.get("/partners/media-push")).text
    assert "s3://beta-archive/hub/" in page and "Add a push target" not in page
    assert (await admin.post(f"/partners/media-push/{target_id}/explode")).status_code == 404


async def test_the_media_push_page_speaks_persian_right_to_left(make_partner, sign_in) -> None:  # noqa: F811
    make_partner("beta", scopes=SCOPES)
    admin = await sign_in("beta", "admin", locale="fa")
    page = await admin.get("/partners/media-push")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text and "ارسال رسانه به مخزن‌های S3 ما" in page.text
