"""tus 1.0 uploads: creation, PATCH with offsets, HEAD to resume, sha256 checksums, expiry, the size
limit, and strangers — on SQLite and PostgreSQL, with the filesystem and SeaweedFS blob stores."""

from __future__ import annotations

import fcntl
import hashlib
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from tus import TUS, checksum, create, head, patch, upload
from pictures import picture

from newsbridge.db.engine import writing
from newsbridge.db.tables import jobs, media, uploads
from newsbridge.ids import utcnow
from newsbridge.media.blobs import blob_store
from newsbridge.media.uploads import expire_uploads, partial_path
from tests.live_server import serving

pytestmark = pytest.mark.anyio


def _partial(settings, upload_id: str) -> Path:  # type: ignore[no-untyped-def]
    return partial_path(settings, upload_id)


async def test_create_patch_head_resume_and_the_file_becomes_media(client, make_partner, settings, engine) -> None:
    alpha = make_partner("alpha")
    data = picture(size=(800, 600))
    created = await create(client, alpha.headers, len(data), filename="scene.jpg", filetype="image/jpeg")
    assert created.status_code == 201 and created.headers["Tus-Resumable"] == "1.0.0"
    assert "Upload-Expires" in created.headers
    location = created.headers["Location"]
    first = await patch(client, alpha.headers, location, 0, data[:1000])
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "1000"
    # the connection drops; the client asks where it stands and resumes from there
    standing = await head(client, alpha.headers, location)
    assert standing.status_code == 200
    assert standing.headers["Upload-Offset"] == "1000" and standing.headers["Upload-Length"] == str(len(data))
    assert standing.headers["Cache-Control"] == "no-store"
    last = await patch(client, alpha.headers, location, 1000, data[1000:])
    assert last.status_code == 204 and last.headers["Upload-Offset"] == str(len(data))
    media_id = last.headers["Newsbridge-Media"]
    with engine.connect() as conn:
        row = conn.execute(sa.select(media).where(media.c.id == media_id)).one()
    assert (row.sha256, row.size, row.content_type, row.kind, row.status, row.filename) == (
        hashlib.sha256(data).hexdigest(), len(data), "image/jpeg", "picture", "uploaded", "scene.jpg")
    assert b"".join(blob_store(settings).read(row.sha256)) == data
    with engine.connect() as conn:  # probing and derivatives are queued, not run in the request
        assert [j.payload["media"] for j in conn.execute(sa.select(jobs))] == [media_id]
    assert not _partial(settings, location.rsplit("/", 1)[1]).exists()
    again = await patch(client, alpha.headers, location, len(data), b"")
    assert again.status_code == 409  # finished: nothing more to append


async def test_options_announce_the_extensions(client, make_partner) -> None:
    answer = await client.options("/api/v1/uploads")
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0"
    assert set(answer.headers["Tus-Extension"].split(",")) == {"creation", "expiration", "checksum"}
    assert answer.headers["Tus-Checksum-Algorithm"] == "sha256"
    assert int(answer.headers["Tus-Max-Size"]) == 20 * 1024 ** 3


async def test_a_wrong_checksum_is_refused_and_the_offset_stays(client, make_partner) -> None:
    alpha = make_partner("alpha")
    data = picture()
    location = (await create(client, alpha.headers, len(data))).headers["Location"]
    assert (await patch(client, alpha.headers, location, 0, data[:500], **{"Upload-Checksum": checksum(data[:500])})
            ).headers["Upload-Offset"] == "500"
    wrong = await patch(client, alpha.headers, location, 500, data[500:900],
                        **{"Upload-Checksum": checksum(b"something else")})
    assert wrong.status_code == 460 and wrong.json()["error"]["code"] == "checksum_mismatch"
    assert (await head(client, alpha.headers, location)).headers["Upload-Offset"] == "500"
    right = await patch(client, alpha.headers, location, 500, data[500:], **{"Upload-Checksum": checksum(data[500:])})
    assert right.status_code == 204 and right.headers["Upload-Offset"] == str(len(data))
    unknown = await patch(client, alpha.headers, location, 0, b"x", **{"Upload-Checksum": "md5 AAAA"})
    assert unknown.status_code == 422


async def test_a_patch_at_the_wrong_offset_conflicts(client, make_partner) -> None:
    alpha = make_partner("alpha")
    location = (await create(client, alpha.headers, 100)).headers["Location"]
    answer = await patch(client, alpha.headers, location, 10, b"x" * 10)
    assert answer.status_code == 409 and "HEAD" in answer.json()["error"]["message"]
    too_much = await patch(client, alpha.headers, location, 0, b"x" * 101)
    assert too_much.status_code == 413
    assert (await head(client, alpha.headers, location)).headers["Upload-Offset"] == "0"


async def test_a_stranger_gets_404_and_nobody_without_a_key(client, make_partner) -> None:
    alpha, stranger = make_partner("alpha"), make_partner("stranger")
    reader = make_partner("reader", scopes=("read",))
    location = (await create(client, alpha.headers, 100)).headers["Location"]
    assert (await head(client, stranger.headers, location)).status_code == 404
    assert (await patch(client, stranger.headers, location, 0, b"x" * 100)).status_code == 404
    assert (await head(client, alpha.headers, location)).headers["Upload-Offset"] == "0"
    assert (await head(client, {}, location)).status_code == 401
    assert (await create(client, reader.headers, 100)).status_code == 403  # publish scope needed
    assert (await head(client, alpha.headers, "/api/v1/uploads/nonexistent")).status_code == 404


async def test_zero_bytes_oversize_and_a_missing_version_are_refused(client, make_partner, app) -> None:
    alpha = make_partner("alpha")
    empty = await create(client, alpha.headers, 0)
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "media_unreadable"
    huge = await create(client, alpha.headers, 20 * 1024 ** 3 + 1)
    assert huge.status_code == 413 and "NEWSBRIDGE_MAX_MEDIA_BYTES" in huge.json()["error"]["message"]
    unversioned = await client.post("/api/v1/uploads", headers={**alpha.headers, "Upload-Length": "10"})
    assert unversioned.status_code == 412 and unversioned.json()["error"]["code"] == "tus_version_unsupported"


async def test_a_body_past_the_document_limit_is_fine_for_media(client, make_partner, settings) -> None:
    alpha = make_partner("alpha")
    data = picture(fmt="PNG", size=(1200, 1200), colour=(1, 2, 3)) + b"\0" * (settings.max_body_bytes + 10)
    upload_id, last = await upload(client, alpha.headers, data, chunk=len(data), filetype="image/png")
    assert last.headers["Upload-Offset"] == str(len(data))


async def test_bytes_that_lie_about_their_type_are_refused(client, make_partner, settings, engine) -> None:
    alpha = make_partner("alpha")
    data = picture(fmt="JPEG")
    location = (await create(client, alpha.headers, len(data), filetype="image/png")).headers["Location"]
    answer = await patch(client, alpha.headers, location, 0, data)
    assert answer.status_code == 415 and answer.json()["error"]["code"] == "media_type_mismatch"
    assert (await head(client, alpha.headers, location)).status_code == 404  # the upload ended
    assert not _partial(settings, location.rsplit("/", 1)[1]).exists()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(media)).scalar_one() == 0
    text = b"just some text, not a picture at all" * 10
    location = (await create(client, alpha.headers, len(text))).headers["Location"]
    unreadable = await patch(client, alpha.headers, location, 0, text)
    assert unreadable.status_code == 422 and unreadable.json()["error"]["code"] == "media_unreadable"


async def test_abandoned_uploads_expire_and_their_partial_files_go(client, make_partner, settings, engine) -> None:
    alpha = make_partner("alpha")
    location = (await create(client, alpha.headers, 1000)).headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    await patch(client, alpha.headers, location, 0, b"x" * 300)
    assert _partial(settings, upload_id).stat().st_size == 300
    assert expire_uploads(engine, settings) == 0  # not yet
    with writing(engine) as conn:
        conn.execute(uploads.update().where(uploads.c.id == upload_id).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await head(client, alpha.headers, location)).status_code == 404  # expired: gone for the client at once
    assert expire_uploads(engine, settings) == 1
    assert not _partial(settings, upload_id).exists()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(uploads)).scalar_one() == 0


def _patch_ended(path: Path, deadline: float = 20.0) -> None:
    """Wait until no PATCH holds the upload's partial file (the ChunkWriter's exclusive lock is gone)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.05)
                continue
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return
    raise AssertionError("the cut PATCH never ended")


def test_a_connection_cut_mid_patch_keeps_what_arrived_and_resumes(app, make_partner, settings) -> None:
    """A real server, a real socket: half a PATCH body, then the client hangs up."""
    import httpx

    alpha = make_partner("alpha")
    data = picture(size=(1000, 800))
    with serving(app) as base:
        with httpx.Client(base_url=base, timeout=60) as http:  # the last PATCH stores the media: slow under load
            created = http.post("/api/v1/uploads", headers={**alpha.headers, **TUS, "Upload-Length": str(len(data))})
            location = created.headers["Location"]
            host, port = base.removeprefix("http://").split(":")
            offset = 0
            # uvicorn drops body bytes it still holds when the hang-up arrives with them, as if they never
            # came; on a loaded machine the server may not have read them in a given pause, so the cut is
            # tried again with a longer pause until the server took them in before the hang-up
            for pause in (0.3, 1.0, 3.0, 6.0):
                with socket.create_connection((host, int(port))) as sock:
                    sock.sendall((f"PATCH {location} HTTP/1.1\r\nHost: {host}\r\n"
                                  f"Authorization: Bearer {alpha.key}\r\nTus-Resumable: 1.0.0\r\n"
                                  f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                                  f"Content-Length: {len(data)}\r\n\r\n").encode() + data[:2000])
                    time.sleep(pause)
                _patch_ended(_partial(settings, location.rsplit("/", 1)[1]))  # the hub noticed and recorded
                offset = int(http.head(location, headers={**alpha.headers, **TUS}).headers["Upload-Offset"])
                if offset:
                    break
            assert offset == 2000  # every byte that arrived is kept, none more
            rest = http.patch(location, content=data[offset:], headers={
                **alpha.headers, **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            assert rest.status_code == 204, rest.text
            sha = hashlib.sha256(data).hexdigest()
            assert b"".join(blob_store(settings).read(sha)) == data  # byte-identical


async def test_a_desk_session_uploads_with_its_csrf_token(app, engine, make_partner) -> None:
    import sys

    import httpx
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
    from desk_session import sign_in

    make_partner("alpha")
    data = picture()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "alpha", role="editor")
        forged = await create(http, {}, len(data))  # a page of another site: the cookie, but no token
        assert forged.status_code == 403 and forged.json()["error"]["field"] == "X-CSRF-Token"
        upload_id, last = await upload(http, {"X-CSRF-Token": desk.csrf_token}, data, filetype="image/jpeg")
        assert last.headers["Newsbridge-Media"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        viewer = await sign_in(http, engine, "alpha", role="viewer")
        refused = await create(http, {"X-CSRF-Token": viewer.csrf_token}, len(data))
        assert refused.status_code == 403 and refused.json()["error"]["field"] == "role"
