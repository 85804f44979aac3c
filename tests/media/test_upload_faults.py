"""Faults during uploads, with real processes: the hub SIGKILLed in the middle of a 200 MB tus upload,
and the S3 server (SeaweedFS) killed while the finished file is being written to it. In both the
client resumes with HEAD and ends with a byte-identical file; nothing is half-visible meanwhile, and
what an abandoned upload leaves is gone after the sweep the media worker runs."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.organizations import create_organization
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.tables import media, uploads
from newsbridge.ids import utcnow
from newsbridge.media.blobs import FileBlobStore, S3BlobStore, blob_store
from newsbridge.media.processing import media_worker
from newsbridge.media.uploads import partial_path, sweep_uploads
from tests.delivery.crash_support import HubProcess
from tests.live_server import free_port, serving
from tests.media.faults import TUS, big_jpeg, head, head_until, patch_from, restartable_seaweed, sha256_of

MB = 1024 * 1024


def _partner(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        create_organization(conn, "silkway", "Silk Way TV")
        _key, raw = create_api_key(conn, "silkway", ("publish", "read"))
    return {"Authorization": f"Bearer {raw}"}


def _blobs(root: Path) -> set[str]:
    return {p.name for p in (root / "blobs").rglob("*") if p.is_file()}


def _media_rows(engine) -> int:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(media)).scalar_one()


def test_sigkill_mid_upload_then_resume_gives_the_same_file_and_the_sweep_leaves_no_orphan(tmp_path: Path) -> None:
    size = 200 * MB
    source = tmp_path / "report.jpg"
    expected = big_jpeg(source, size)
    abandoned_source = tmp_path / "abandoned.jpg"
    big_jpeg(abandoned_source, 40 * MB)
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    media_dir = tmp_path / "media"
    engine = create_engine(database)
    upgrade(engine)
    auth = _partner(engine)
    hub = HubProcess(database, free_port(), {"NEWSBRIDGE_MEDIA_DIR": str(media_dir),
                                             "NEWSBRIDGE_IN_PROCESS_WORKER": "false",  # no derivative CPU here
                                             "NEWSBRIDGE_LOG_LEVEL": "WARNING"}, tmp_path / "hub.log")
    hub.start()
    try:
        with httpx.Client(base_url=hub.base_url, timeout=30) as http:
            created = http.post("/api/v1/uploads", headers={**auth, **TUS, "Upload-Length": str(size),
                                                            "Upload-Metadata": "filetype aW1hZ2UvanBlZw=="})
            assert created.status_code == 201, created.text
            location = created.headers["Location"]
            # an upload that will be abandoned: all its bytes in, and then nobody comes back
            other = http.post("/api/v1/uploads", headers={**auth, **TUS, "Upload-Length": str(40 * MB)})
            other_location = other.headers["Location"]
            # the first 60 MB in one PATCH; then a second PATCH of the rest, killed at ~150 MB
            assert patch_from(http, auth, location, source, 0, 60 * MB).headers["Upload-Offset"] == str(60 * MB)
            assert patch_from(http, auth, other_location, abandoned_source, 0, 30 * MB).status_code == 204

            def kill_at(offset: int) -> None:
                if offset >= 150 * MB and hub.process is not None:
                    hub.kill()

            with pytest.raises(httpx.HTTPError):
                patch_from(http, auth, location, source, 60 * MB, size, sent=kill_at)
        assert hub.process is None, "the hub was not killed mid-PATCH"
        # dead hub: nothing half-visible — no media row, no blob, only the partial file
        assert _media_rows(engine) == 0
        assert _blobs(media_dir) == set()
        hub.start()
        with httpx.Client(base_url=hub.base_url, timeout=60) as http:
            standing = head(http, auth, location)
            assert standing.status_code == 200
            offset = int(standing.headers["Upload-Offset"])
            # the second PATCH was made durable every 16 MiB: the resume starts well past the first PATCH
            assert 60 * MB + 16 * MB <= offset <= 150 * MB, offset
            # the partial file holds more than was recorded (the bytes of the dying PATCH): the next
            # PATCH cuts them off; the client resumes from HEAD's offset
            done = patch_from(http, auth, location, source, offset, size)
            assert done.status_code == 204, done.text
            assert done.headers["Upload-Offset"] == str(size)
            # 200 MB: answered once durable, hashed and stored right after (media/uploads.py completes_later)
            media_id = head_until(http, auth, location).headers["Newsbridge-Media"]
    finally:
        hub.stop()
    store = FileBlobStore(media_dir)
    assert store.stat(expected).size == size
    assert sha256_of(store.path(expected)) == expected  # byte-identical
    with reading(engine) as conn:
        row = conn.execute(sa.select(media.c.sha256, media.c.size).where(media.c.id == media_id)).one()
    assert (row.sha256, row.size) == (expected, size)
    # the abandoned upload expires; the sweep the media worker runs takes its row and partial file,
    # and leaves the blob store holding exactly the finished file
    settings = load_settings(env={}, database_url=database, media_dir=str(media_dir))
    other_id = other_location.rsplit("/", 1)[1]
    assert partial_path(settings, other_id).stat().st_size == 30 * MB
    with writing(engine) as conn:
        conn.execute(uploads.update().where(uploads.c.media_id.is_(None))
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
    swept = sweep_uploads(engine, settings, store)
    assert swept["expired"] == 1
    assert not partial_path(settings, other_id).exists()
    assert sorted(p.name for p in (media_dir / "uploads").iterdir()) == []
    assert _blobs(media_dir) == {expected}
    with reading(engine) as conn:
        assert conn.execute(sa.select(uploads.c.id)).scalars().all() == [location.rsplit("/", 1)[1]]
    engine.dispose()


def test_an_expired_upload_whose_file_reached_the_store_without_its_row_leaves_no_blob(tmp_path: Path) -> None:
    """The narrow crash: every byte in, the blob written, the hub killed before the media row. If the
    client never comes back, the sweep deletes that blob (no rendition names it); a blob that some
    media does name stays."""
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = create_engine(database)
    upgrade(engine)
    settings = load_settings(env={}, database_url=database, media_dir=str(tmp_path / "media"))
    store = FileBlobStore(settings.media_dir)
    from newsbridge.media.uploads import create_upload, record_offset

    with writing(engine) as conn:
        org = create_organization(conn, "silkway", "Silk Way TV")
    stranded = tmp_path / "stranded.jpg"
    sha = big_jpeg(stranded, 2 * MB)
    upload = create_upload(engine, settings, org.id, 2 * MB, {})
    partial_path(settings, upload.id).write_bytes(stranded.read_bytes())
    record_offset(engine, settings, upload, 2 * MB)
    assert store.put_file(stranded).sha256 == sha  # the crash came after this line of complete_upload
    with writing(engine) as conn:
        conn.execute(uploads.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    assert sweep_uploads(engine, settings, store)["expired"] == 1
    assert not store.exists(sha)
    # a temporary left by a write that died: swept once it is old, not while it may be in use
    store.tmp.mkdir(parents=True, exist_ok=True)
    (store.tmp / "dead.blob").write_bytes(b"half")
    assert sweep_uploads(engine, settings, store)["temporaries"] == 0
    assert sweep_uploads(engine, settings, store, now=utcnow() + timedelta(hours=7))["temporaries"] == 1
    engine.dispose()


def test_the_media_worker_sweeps_expired_uploads_by_itself(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = create_engine(database)
    upgrade(engine)
    settings = load_settings(env={}, database_url=database, media_dir=str(tmp_path / "media"))
    from newsbridge.media.uploads import create_upload

    with writing(engine) as conn:
        org = create_organization(conn, "silkway", "Silk Way TV")
    upload = create_upload(engine, settings, org.id, 1000, {})
    partial_path(settings, upload.id).write_bytes(b"x" * 10)
    with writing(engine) as conn:
        conn.execute(uploads.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    worker = media_worker(engine, settings)

    async def one_round() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop, idle=0.05))
        for _ in range(200):
            await asyncio.sleep(0.02)
            if not partial_path(settings, upload.id).exists():
                break
        stop.set()
        await task

    asyncio.run(one_round())  # nobody created an upload: the worker's own sweep took it
    assert not partial_path(settings, upload.id).exists()
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(uploads)).scalar_one() == 0
    engine.dispose()


def test_s3_killed_during_the_write_leaves_the_upload_whole_until_it_returns(tmp_path: Path) -> None:
    size = 96 * MB
    source = tmp_path / "clip.jpg"
    expected = big_jpeg(source, size)
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = create_engine(database)
    upgrade(engine)
    auth = _partner(engine)
    with restartable_seaweed(tmp_path / "seaweedfs") as weed:
        weed.start()
        s3 = weed.s3
        settings = load_settings(env={}, database_url=database, media_dir=str(tmp_path / "media"),
                                 s3_endpoint=s3.endpoint, s3_bucket=s3.bucket, s3_access_key=s3.access_key,
                                 s3_secret_key=s3.secret_key, s3_region=s3.region, in_process_worker=False)
        store = blob_store(settings)
        assert isinstance(store, S3BlobStore)
        app = create_app(settings, engine, migrate=False)
        with serving(app) as base, httpx.Client(base_url=base, timeout=120) as http:
            location = http.post("/api/v1/uploads", headers={
                **auth, **TUS, "Upload-Length": str(size)}).headers["Location"]
            assert patch_from(http, auth, location, source, 0, size - MB).status_code == 204
            # the last PATCH completes the upload, which writes the file to S3 in 8 MiB parts;
            # SeaweedFS dies as soon as the first parts are in
            killed = threading.Event()

            def kill_during_the_write() -> None:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    try:
                        open_uploads = store.client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", [])
                    except Exception:
                        open_uploads = []
                    if open_uploads:
                        weed.kill()
                        killed.set()
                        return
                    time.sleep(0.01)

            watcher = threading.Thread(target=kill_during_the_write, daemon=True)
            watcher.start()
            answer = patch_from(http, auth, location, source, size - MB, size)
            # 96 MB: the last answer comes once the bytes are durable on the hub's disk; the write to S3
            # follows it (media/uploads.py completes_later) and is what SeaweedFS dies in
            assert answer.status_code == 204 and answer.headers["Upload-Offset"] == str(size), answer.text
            assert "Newsbridge-Media" not in answer.headers
            watcher.join(60)
            assert killed.is_set(), "SeaweedFS was not killed during the write"
            down = head_until(http, auth, location, 503, media=False)  # still down: HEAD says so, the bytes stay
            assert "Newsbridge-Media" not in down.headers
            assert _media_rows(engine) == 0  # nothing half-visible
            weed.start()
            resumed = head(http, auth, location)
            assert resumed.status_code == 200, resumed.headers
            assert resumed.headers["Upload-Offset"] == str(size)
            media_id = resumed.headers["Newsbridge-Media"]
        with reading(engine) as conn:
            assert conn.execute(sa.select(media.c.sha256).where(media.c.id == media_id)).scalar_one() == expected
        digest = __import__("hashlib").sha256()
        for chunk in store.read(expected):
            digest.update(chunk)
        assert digest.hexdigest() == expected  # byte-identical, read back from SeaweedFS
        assert not partial_path(settings, location.rsplit("/", 1)[1]).exists()
    engine.dispose()


def test_the_sweep_takes_partial_files_nobody_will_finish(tmp_path: Path) -> None:
    """A creation killed before its row, and a finished upload killed before it removed its partial
    file: both files go once old; an unfinished upload's file stays."""
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = create_engine(database)
    upgrade(engine)
    settings = load_settings(env={}, database_url=database, media_dir=str(tmp_path / "media"))
    store = FileBlobStore(settings.media_dir)
    from newsbridge.media.uploads import create_upload

    with writing(engine) as conn:
        org = create_organization(conn, "silkway", "Silk Way TV")
    kept = create_upload(engine, settings, org.id, 1000, {})
    done = create_upload(engine, settings, org.id, 1000, {})
    stray = partial_path(settings, "01STRAYPARTIALFILE000000000")
    stray.write_bytes(b"half")
    finished_file = partial_path(settings, done.id)
    later = utcnow() + timedelta(hours=7)
    assert sweep_uploads(engine, settings, store, now=utcnow())["strays"] == 0  # young: maybe in use
    # the finished upload: its media row committed, the process killed before the unlink
    with writing(engine) as conn:
        from newsbridge.db.tables import media as media_table
        conn.execute(media_table.insert().values(
            id="01FINISHEDMEDIA000000000000", organization_id=org.id, sha256="0" * 64, content_type="image/jpeg",
            size=1000, kind="picture", status="uploaded", created_at=utcnow(), updated_at=utcnow()))
        conn.execute(uploads.update().where(uploads.c.id == done.id).values(
            media_id="01FINISHEDMEDIA000000000000", expires_at=None))
        conn.execute(uploads.update().where(uploads.c.id == kept.id).values(expires_at=later + timedelta(hours=1)))
    assert sweep_uploads(engine, settings, store, now=later)["strays"] == 2
    assert not stray.exists() and not finished_file.exists()
    assert partial_path(settings, kept.id).exists()
    engine.dispose()
