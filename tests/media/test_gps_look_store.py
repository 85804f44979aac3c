"""The GPS look at publish (media/embedded.py) reads a video where the blob store keeps it; from an object store
(SeaweedFS here) it copies the original out only up to ``COPY_AT_PUBLISH_BYTES`` and leaves a larger one
unlooked, for the derivative job, rather than copy gigabytes inside the publish request. SQLite and PostgreSQL,
filesystem and SeaweedFS."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from newsbridge.db.engine import writing
from newsbridge.media import embedded
from newsbridge.media.blobs import FileBlobStore
from newsbridge.media.records import create_media

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="Debian's ffmpeg is not installed")


@needs_ffmpeg
def test_a_large_original_in_an_object_store_is_left_to_the_job(engine, make_partner, store, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    video = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(video)], check=True, timeout=60)
    blob, alpha = store.put_file(video), make_partner("alpha")
    with writing(engine) as conn:
        media = create_media(conn, alpha.org.id, blob, "video/mp4", "video")
    assert embedded._location(store, media, tmp_path) is False  # looked: no location tag
    monkeypatch.setattr(embedded, "COPY_AT_PUBLISH_BYTES", blob.size - 1)
    looked = embedded._location(store, media, tmp_path)
    if isinstance(store, FileBlobStore):
        assert looked is False  # read in place, whatever its size
    else:
        assert looked is None  # not copied out in the request: the job looks
