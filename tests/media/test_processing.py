"""The derivative job end to end: a stored original becomes renditions in the blob store, through the
job worker, on both databases and both blob stores (filesystem, SeaweedFS)."""

from __future__ import annotations

from pathlib import Path

import pyexiv2
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import jobs
from newsbridge.ids import utcnow
from newsbridge.media.blobs import blob_store
from newsbridge.media.jobs import State, job_status
from newsbridge.media.processing import media_handlers, queue_derivatives
from newsbridge.media.records import create_media, get_media, list_renditions
from newsbridge.media.worker import JobWorker
from tests.media.samples import bomb_png, media, needs_ffmpeg  # noqa: F401 (media: a fixture)


def _stored(engine: Engine, settings: Settings, make_partner, path: Path, content_type: str, kind: str):  # type: ignore[no-untyped-def]
    store = blob_store(settings)
    partner = make_partner()
    blob = store.put_file(path)
    with writing(engine) as conn:
        found = create_media(conn, partner.org.id, blob, content_type, kind, path.name)
        job_id = queue_derivatives(conn, found.id, utcnow())
    return store, found, job_id


def _run(engine: Engine, settings: Settings, store) -> list:  # type: ignore[no-untyped-def]
    return JobWorker(engine, media_handlers(engine, store, settings), name="test").run_once_sync()


def test_a_photo_gets_preview_and_thumbnail_without_gps(engine: Engine, settings: Settings, make_partner,
                                                        media: dict[str, Path]) -> None:
    store, found, job_id = _stored(engine, settings, make_partner, media["tagged"], "image/jpeg", "picture")
    assert _run(engine, settings, store) == [State.DONE]
    with reading(engine) as conn:
        ready = get_media(conn, found.id)
        renditions = {r.name: r for r in list_renditions(conn, [found.id])[found.id]}
        status = job_status(conn, job_id)
    assert (ready.status, ready.width, ready.height) == ("ready", 1000, 1600)  # upright, as the probe saw it
    assert set(renditions) == {"original", "preview", "thumbnail", "original-nogps"}
    assert renditions["original"].sha256 == found.sha256  # never altered
    preview = b"".join(store.read(renditions["preview"].sha256))
    assert (renditions["preview"].width, renditions["preview"].height) == (800, 1280)
    with pyexiv2.ImageData(preview) as image:
        assert not any(k.startswith("Exif.GPSInfo") for k in image.read_exif())
        assert image.read_xmp()["Xmp.photoshop.Credit"] == "Kazinform / A. N."
    assert set(status.result["renditions"]) == {"preview", "thumbnail", "original-nogps"}


@needs_ffmpeg
def test_a_video_gets_proxy_poster_storyboard(engine: Engine, settings: Settings, make_partner,
                                              media: dict[str, Path]) -> None:
    store, found, _ = _stored(engine, settings, make_partner, media["video"], "video/mp4", "video")
    assert _run(engine, settings, store) == [State.DONE]
    with reading(engine) as conn:
        ready = get_media(conn, found.id)
        names = {r.name: r for r in list_renditions(conn, [found.id])[found.id]}
    assert (ready.status, ready.codecs, ready.width, ready.height) == ("ready", "h264,aac", 1280, 720)
    assert set(names) == {"original", "proxy", "poster", "thumbnail", "storyboard", "original-nogps"}
    assert names["proxy"].content_type == "video/mp4" and names["proxy"].height <= 720
    assert store.exists(names["storyboard"].sha256)


def test_a_bomb_is_rejected_and_the_job_fails_without_retry(engine: Engine, settings: Settings, make_partner,
                                                            tmp_path: Path) -> None:
    bomb = bomb_png(tmp_path / "bomb.png", 20_000, 10_000)
    store, found, job_id = _stored(engine, settings, make_partner, bomb, "image/png", "picture")
    assert _run(engine, settings, store) == [State.FAILED]
    with reading(engine) as conn:
        assert get_media(conn, found.id).status == "rejected"
        assert [r.name for r in list_renditions(conn, [found.id])[found.id]] == ["original"]
        status = job_status(conn, job_id)
    assert status.state is State.FAILED and status.last_error.startswith("media_too_large: ")


def test_queued_once_per_media(engine: Engine, settings: Settings, make_partner, media: dict[str, Path]) -> None:
    _, found, job_id = _stored(engine, settings, make_partner, media["jpeg"], "image/jpeg", "picture")
    with writing(engine) as conn:
        assert queue_derivatives(conn, found.id, utcnow()) == job_id
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one() == 1

