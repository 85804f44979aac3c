"""An organization's own media file size limit (accounts/media_limit.py) holds on every way in, on SQLite and
PostgreSQL with both blob stores: a tus upload's Upload-Length, a multipart upload over the API and a rendition fetched for one of its sources; an organization without one keeps the hub's,
and a raised limit lets a tus upload past the hub's default. The desk's form: tests/web/test_media_limit_desk.py."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from tus import create

from newsbridge.accounts.media_limit import set_media_limit
from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import media
from newsbridge.ingest.polling import Poller
from newsbridge.ingest.sources import add_source
from newsbridge.media.blobs import blob_store
from newsbridge.media.fetch import queue_pending
from newsbridge.media.jobs import State
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.media.test_fetch import LOOPBACK, _fetch_row, _rss, _settings, remote  # noqa: F401 (a fixture)

pytestmark = pytest.mark.anyio
MIB, GIB = 1024 ** 2, 1024 ** 3


def _limit(engine, slug: str, size: int | None) -> None:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        set_media_limit(conn, get_organization(conn, slug), size, actor="op@hub.example")


def _noise(size: int) -> bytes:
    return os.urandom(size)  # what the limit sees is the size, never the content


async def test_a_tus_upload_past_the_organizations_own_limit_is_refused_and_others_keep_the_hubs(
        client, make_partner, engine) -> None:
    alpha, beta = make_partner("alpha"), make_partner("beta")
    _limit(engine, "alpha", 2 * MIB)
    refused = await create(client, alpha.headers, 3 * MIB, filename="report.mp4")
    assert refused.status_code == 413
    error = refused.json()["error"]
    assert error["code"] == "payload_too_large" and error["field"] == "Upload-Length"
    assert str(2 * MIB) in error["message"] and "hub operator" in error["message"]
    assert (await create(client, beta.headers, 3 * MIB)).status_code == 201  # the hub's 20 GiB
    assert (await create(client, alpha.headers, 2 * MIB)).status_code == 201  # at the limit: taken


async def test_a_raised_limit_takes_a_file_past_the_hubs_default(client, make_partner, engine, settings) -> None:
    alpha, beta = make_partner("alpha"), make_partner("beta")
    past_default = settings.max_media_bytes + GIB
    assert (await create(client, alpha.headers, past_default)).status_code == 413
    _limit(engine, "alpha", settings.max_media_bytes + 2 * GIB)
    assert (await create(client, alpha.headers, past_default)).status_code == 201
    assert (await create(client, beta.headers, past_default)).status_code == 413


async def test_a_multipart_upload_past_the_limit_is_refused_and_nothing_is_kept(client, make_partner, engine) -> None:
    alpha = make_partner("alpha")
    _limit(engine, "alpha", MIB)
    answer = await client.post("/api/v1/media", headers=alpha.headers,
                               files={"file": ("big.jpg", _noise(MIB + 1000), "image/jpeg")})
    assert answer.status_code == 413 and answer.json()["error"]["field"] == "file", answer.text
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(media)).scalar_one() == 0


async def test_a_rendition_fetched_for_its_source_is_held_to_the_organizations_limit(
        engine, settings, make_partner, remote) -> None:  # type: ignore[no-untyped-def]
    remote.files = {"/photos/flood.jpg": _noise(MIB + 1000)}
    remote.files["/feed.xml"] = _rss(remote.base, "/photos/flood.jpg")
    settings = _settings(settings, allow_private_targets=LOOPBACK)
    kazinform = make_partner("kazinform")
    _limit(engine, "kazinform", MIB)
    with writing(engine) as conn:
        source = add_source(conn, kazinform.org, f"{remote.base}/feed.xml", language="en", allow=LOOPBACK,
                            fetch_media=True)
    await Poller(engine, settings).poll(source)
    queue_pending(engine)
    ran = JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t").run_once_sync()
    assert ran == [State.FAILED]  # refused: a retry cannot help
    row = _fetch_row(engine)
    assert row.state == "failed" and "payload_too_large" in row.error and str(MIB) in row.error
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(media)).scalar_one() == 0
