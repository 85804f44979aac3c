"""A large upload's last PATCH is answered once its bytes are durable; hashing and storing follow beside it.

Files over ``uploads.INLINE_COMPLETION`` (64 MiB; lowered here so small pictures take that path) are not
hashed while they arrive unless the client sends ``Upload-Checksum``: the last answer carries the full
offset, then the file is hashed, linked into the blob store and recorded as media, and ``HEAD`` names it
(``Newsbridge-Media``). A reference to the upload (``"upload": id``) waits for it; a file lying about its
type is still refused in the last answer; an upload left with all its bytes but no media (the hub
stopped in between) is completed by the sweep. On SQLite and PostgreSQL, filesystem and SeaweedFS.
"""

from __future__ import annotations

import asyncio
import hashlib

import pytest
import sqlalchemy as sa

from newsbridge.db.engine import reading
from newsbridge.db.tables import media, uploads
from newsbridge.media import uploads as tus
from newsbridge.media.blobs import blob_store
from tests.media.pictures import picture
from tests.media.tus import checksum, create, head, patch

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def small_files_complete_later(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tus, "INLINE_COMPLETION", 1000)


async def named_media(client, headers, location) -> str:  # type: ignore[no-untyped-def]
    for _ in range(200):
        answer = await head(client, headers, location)
        assert answer.status_code == 200
        if "Newsbridge-Media" in answer.headers:
            return answer.headers["Newsbridge-Media"]
        await asyncio.sleep(0.05)
    raise AssertionError("the upload never became media")


async def test_the_last_answer_comes_before_the_media_which_follows(client, make_partner, engine) -> None:
    alpha = make_partner("alpha")
    data = picture(size=(800, 600))
    assert len(data) > tus.INLINE_COMPLETION
    location = (await create(client, alpha.headers, len(data), filetype="image/jpeg")).headers["Location"]
    first = await patch(client, alpha.headers, location, 0, data[:500])
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "500"
    last = await patch(client, alpha.headers, location, 500, data[500:])
    assert last.status_code == 204 and last.headers["Upload-Offset"] == str(len(data))
    media_id = await named_media(client, alpha.headers, location)
    with reading(engine) as conn:
        row = conn.execute(sa.select(media.c.sha256, media.c.size, media.c.status)
                           .where(media.c.id == media_id)).one()
    assert (row.sha256, row.size, row.status) == (hashlib.sha256(data).hexdigest(), len(data), "uploaded")


async def test_an_item_naming_the_upload_waits_for_its_media(client, make_partner) -> None:
    alpha = make_partner("alpha")
    data = picture(size=(640, 480))
    location = (await create(client, alpha.headers, len(data), filetype="image/jpeg")).headers["Location"]
    assert (await patch(client, alpha.headers, location, 0, data)).status_code == 204
    published = await client.post("/api/v1/items", headers=alpha.headers, json={  # at once, not after a HEAD
        "uri": "urn:alpha:photo:1", "version": "1", "type": "picture", "language": "en",
        "headlines": [{"role": "main", "value": "Parliament"}],
        "renditions": [{"name": "original", "upload": location.rsplit("/", 1)[1]}]})
    assert published.status_code == 201, published.text
    [original] = published.json()["renditions"]
    assert original["name"] == "original" and original["sizeInBytes"] == len(data)


async def test_a_checksum_is_still_verified_before_the_answer(client, make_partner) -> None:
    alpha = make_partner("alpha")
    data = picture(size=(640, 480))
    location = (await create(client, alpha.headers, len(data), filetype="image/jpeg")).headers["Location"]
    wrong = await patch(client, alpha.headers, location, 0, data, **{"Upload-Checksum": checksum(b"other")})
    assert wrong.status_code == 460
    assert (await head(client, alpha.headers, location)).headers["Upload-Offset"] == "0"
    right = await patch(client, alpha.headers, location, 0, data, **{"Upload-Checksum": checksum(data)})
    assert right.status_code == 204
    assert await named_media(client, alpha.headers, location)


async def test_a_file_lying_about_its_type_is_refused_in_the_last_answer(client, make_partner, engine) -> None:
    alpha = make_partner("alpha")
    data = picture(fmt="JPEG", size=(640, 480))
    location = (await create(client, alpha.headers, len(data), filetype="image/png")).headers["Location"]
    answer = await patch(client, alpha.headers, location, 0, data)
    assert answer.status_code == 415 and answer.json()["error"]["code"] == "media_type_mismatch"
    assert (await head(client, alpha.headers, location)).status_code == 404
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(media)).scalar_one() == 0


async def test_the_sweep_completes_an_upload_the_hub_stopped_before_storing(client, make_partner, engine,
                                                                           settings) -> None:
    alpha = make_partner("alpha")
    data = picture(size=(640, 480))
    location = (await create(client, alpha.headers, len(data), filetype="image/jpeg")).headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    # what a hub killed right after answering the last PATCH leaves: every byte durable, the offset recorded
    tus.partial_path(settings, upload_id).write_bytes(data)
    stranded = tus.record_offset(engine, settings, tus.read_upload(engine, alpha.org.id, upload_id), len(data))
    assert stranded.received == len(data) and not stranded.finished
    swept = tus.sweep_uploads(engine, settings, blob_store(settings))
    assert swept["completed"] == 1
    with reading(engine) as conn:
        media_id = conn.execute(sa.select(uploads.c.media_id).where(uploads.c.id == upload_id)).scalar_one()
        assert conn.execute(sa.select(media.c.sha256).where(media.c.id == media_id)).scalar_one() == \
            hashlib.sha256(data).hexdigest()
    assert (await head(client, alpha.headers, location)).headers["Newsbridge-Media"] == media_id
    assert tus.sweep_uploads(engine, settings, blob_store(settings))["completed"] == 0
