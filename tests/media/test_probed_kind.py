"""The probe's real kind replaces the one sniffed from the container: an MP4 that holds only sound
was stored as video (the container says so) and becomes audio once its streams are read."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.ids import utcnow
from newsbridge.media.blobs import blob_store
from newsbridge.media.jobs import State
from newsbridge.media.processing import media_handlers, queue_derivatives
from newsbridge.media.records import create_media, get_media, list_renditions, set_media_status
from newsbridge.media.uploads import sniff_file
from newsbridge.media.worker import JobWorker
from tests.media.samples import needs_ffmpeg


@needs_ffmpeg
def test_an_mp4_with_only_sound_becomes_audio(engine: Engine, settings: Settings, make_partner,
                                              tmp_path: Path) -> None:
    path = tmp_path / "interview.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=500:duration=2", "-c:a", "aac",
                    "-f", "mp4", str(path)], check=True)
    content_type, kind = sniff_file(path, "video/mp4")
    assert kind == "video"  # all the container tells before the streams are read
    store, partner = blob_store(settings), make_partner()
    with writing(engine) as conn:
        found = create_media(conn, partner.org.id, store.put_file(path), content_type, kind, path.name)
        queue_derivatives(conn, found.id, utcnow())
    assert JobWorker(engine, media_handlers(engine, store, settings), name="t").run_once_sync() == [State.DONE]
    with reading(engine) as conn:
        ready = get_media(conn, found.id)
        names = {r.name for r in list_renditions(conn, [found.id])[found.id]}
    assert (ready.kind, ready.status) == ("audio", "ready")
    assert {"original", "preview", "waveform"} <= names and "proxy" not in names


def test_an_unknown_kind_is_refused(engine: Engine, settings: Settings, make_partner, tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"\xff\xd8\xff" + b"0" * 100)
    partner = make_partner()
    with writing(engine) as conn:
        found = create_media(conn, partner.org.id, blob_store(settings).put_file(path), "image/jpeg",
                             "picture")
        with pytest.raises(ValueError):
            set_media_status(conn, found.id, "probed", kind="hologram")
