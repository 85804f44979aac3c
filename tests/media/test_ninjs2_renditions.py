"""ninjs 2.x renditions say the truth about the files they name: each rendition's ``sizeinbytes``,
``width``, ``height`` and ``duration`` (2.x spelling, the schema checks only their types) are compared
with the bytes its signed ``href`` serves, read by the tools that read them (Pillow, ffprobe). A video,
an audio and a photo, over the API, on SQLite and PostgreSQL, with the filesystem store and SeaweedFS."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from tests.formats.outputs import ninjs_errors
from newsbridge.media.blobs import blob_store
from newsbridge.media.jobs import State
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.media.samples import media, needs_ffmpeg  # noqa: F401 (media: a fixture)

pytestmark = [pytest.mark.anyio, needs_ffmpeg]
SAMPLES = {"video": ("video", "video/mp4"), "audio": ("audio", "audio/wav"), "photo": ("jpeg", "image/jpeg")}
PICTURES = ("image/jpeg", "image/png")


def _measured(data: bytes, content_type: str, scratch: Path) -> dict[str, Any]:
    """What the file itself says: size, and width, height and duration as Pillow or ffprobe read them."""
    if content_type in PICTURES:
        with Image.open(io.BytesIO(data)) as image:
            return {"size": len(data), "width": image.width, "height": image.height}
    scratch.write_bytes(data)
    described = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", str(scratch)],
        capture_output=True, check=True, timeout=30).stdout)
    video = [s for s in described["streams"] if s["codec_type"] == "video"]
    found: dict[str, Any] = {"size": len(data), "duration": float(described["format"]["duration"])}
    if video:
        found.update(width=video[0]["width"], height=video[0]["height"])
    return found


async def test_ninjs2_rendition_sizes_dimensions_and_durations_are_the_files(
        client: httpx.AsyncClient, make_partner, engine: Engine, settings: Settings,  # type: ignore[no-untyped-def]
        media: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    silk = make_partner("silk", scopes=("publish", "read"))
    ids = {}
    for kind, (sample, content_type) in SAMPLES.items():
        made = await client.post("/api/v1/media", headers=silk.headers,
                                 files={"file": (media[sample].name, media[sample].read_bytes(), content_type)})
        assert made.status_code == 201, made.text
        ids[kind] = made.json()["id"]
    worker = JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t")
    assert [state for _ in SAMPLES for state in worker.run_once_sync()] == [State.DONE] * len(SAMPLES)

    checked: dict[str, set[str]] = {}
    for kind, item_id in ids.items():
        doc = (await client.get(f"/api/v1/items/{item_id}", params={"format": "ninjs2"}, headers=silk.headers)).json()
        assert ninjs_errors(doc, "ninjs2") == []
        for rendition in doc["renditions"]:
            assert not {"sizeInBytes", "contentType"} & set(rendition), rendition  # 2.x spells them in lower case
            served = await client.get(rendition["href"], headers=silk.headers)
            assert served.status_code == 200, (kind, rendition["name"], served.text[:200])
            found = _measured(served.content, rendition["contenttype"], tmp_path / f"{kind}-{rendition['name']}")
            assert rendition["sizeinbytes"] == found["size"], (kind, rendition["name"])
            assert (rendition.get("width"), rendition.get("height")) == (found.get("width"), found.get("height")), \
                (kind, rendition["name"])
            if "duration" in found:
                assert rendition["duration"] == pytest.approx(found["duration"], abs=0.1), (kind, rendition["name"])
            else:
                assert "duration" not in rendition
            checked.setdefault(kind, set()).add(rendition["name"])
    assert checked["video"] >= {"original", "proxy", "poster", "thumbnail", "storyboard"}
    assert checked["audio"] >= {"original", "preview", "waveform"}
    assert checked["photo"] >= {"original", "preview", "thumbnail"}
    originals = {kind: next(r for r in (await client.get(f"/api/v1/items/{item_id}", params={"format": "ninjs2"},
                                                         headers=silk.headers)).json()["renditions"]
                            if r["name"] == "original") for kind, item_id in ids.items()}
    # the samples as made (tests/media/samples.py): what the numbers above must also be
    assert (originals["video"]["width"], originals["video"]["height"]) == (1280, 720)
    assert originals["video"]["duration"] == pytest.approx(3.0, abs=0.1)
    assert originals["audio"]["duration"] == pytest.approx(2.0, abs=0.1) and "width" not in originals["audio"]
    assert (originals["photo"]["width"], originals["photo"]["height"]) == (640, 480)
    assert originals["photo"]["sizeinbytes"] == media["jpeg"].stat().st_size
