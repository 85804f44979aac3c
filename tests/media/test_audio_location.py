"""Audio originals are checked for location tags like photos and videos: a recorder's or phone's GPS in an MP3
(ID3), M4A (iTunes atoms), FLAC or Ogg (Vorbis ``LOCATION``) or Matroska file reaches only partners whose terms
allow GPS; the others get ``original-nogps``, the same audio packets without any metadata. Files made by ffmpeg
in the test, with a real location tag (ISO 6709, as phones write it); on SQLite and PostgreSQL for the hub part.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsbridge.media.derivatives import make_derivatives
from newsbridge.media.probe import inspect
from tests.api.test_media_rules import agreement, every_rendition, fetch, process, renditions
from tests.media.samples import ffmpeg, needs_ffmpeg, tags
from tests.media.tus import upload

pytestmark = needs_ffmpeg
WHERE = "+43.2389+076.8897/"  # Almaty, ISO 6709
FORMATS = {  # file name -> ffmpeg's arguments for a 2 s clip with a location tag
    "clip.mp3": ["-c:a", "libmp3lame"],
    "clip.m4a": ["-c:a", "aac"],
    "clip.flac": ["-c:a", "flac"],
    "clip.ogg": ["-c:a", "libvorbis"],
    "clip.opus": ["-c:a", "libopus"],
    "clip.mka": ["-c:a", "libopus"],
}


def recording(path: Path, *, location: str | None = WHERE) -> Path:
    tags = ["-metadata", f"location={location}"] if location else []
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", *FORMATS[path.name], "-metadata", "title=Interview",
           *tags, str(path))
    return path


def packets(path: Path) -> str:
    """A hash of the audio packets as stored (no decoding): equal for a bit-for-bit stream copy."""
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "streamhash",
                           "-hash", "sha256", "-"], capture_output=True, check=True, text=True).stdout


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_an_audio_original_with_a_location_gets_a_copy_without_it(name: str, tmp_path: Path) -> None:
    source = recording(tmp_path / name)
    assert tags(source)["location"] == WHERE  # the control: the original carries it
    probe = inspect(source)
    assert probe.kind == "audio"
    made = {d.name: d for d in make_derivatives(source, probe, tmp_path / "out")}
    assert set(made) == {"preview", "waveform", "original-nogps"}
    clean = made["original-nogps"]
    assert clean.content_type == probe.content_type and abs(clean.duration - probe.duration) < 0.1
    assert not any("location" in key for key in tags(clean.path))
    assert WHERE.encode() not in clean.path.read_bytes()  # not hidden in some other tag either
    assert packets(clean.path) == packets(source)  # the sound itself is untouched
    assert inspect(clean.path).kind == "audio"  # and still a file the hub reads
    assert not any("location" in key for key in tags(made["preview"].path))


def test_an_audio_original_without_a_location_gets_no_copy(tmp_path: Path) -> None:
    source = recording(tmp_path / "clip.m4a", location=None)
    made = {d.name for d in make_derivatives(source, inspect(source), tmp_path / "out")}
    assert made == {"preview", "waveform"}


@pytest.mark.anyio
async def test_audio_gps_reaches_only_partners_whose_terms_allow_it(client, make_partner, tmp_path: Path) -> None:
    alpha, beta, gamma = (make_partner(slug, scopes=("publish", "read", "manage")) for slug in ("alpha", "beta", "gamma"))
    await agreement(client, alpha, [beta, gamma], {"partners": {"gamma": {"allow_gps": True}}})
    data = recording(tmp_path / "clip.mp3").read_bytes()
    upload_id, _ = await upload(client, alpha.headers, data, filename="interview.mp3", filetype="audio/mpeg")
    published = await client.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:audio:1", "version": "1", "type": "audio", "language": "en",
        "headlines": [{"role": "main", "value": "Interview in Almaty"}],
        "renditions": [{"name": "original", "upload": upload_id}]})
    assert published.status_code == 201, published.text
    item_id = published.json()["id"]
    first = await every_rendition(client, alpha, item_id)
    assert await renditions(client, beta, item_id) == {}  # not before the hub has looked for a location
    assert await fetch(client, beta, first["original"]) == 404
    process(client)
    every = await every_rendition(client, alpha, item_id)
    assert set(every) == {"original", "preview", "waveform"}  # the source has its original: no copy listed
    without = await renditions(client, beta, item_id)
    assert set(without) == {"original-nogps", "preview", "waveform"}
    assert await fetch(client, beta, every["original"]) == 404
    parts = urlsplit(without["original-nogps"])
    clean = await client.get(f"{parts.path}?{parts.query}")
    assert clean.status_code == 200 and clean.headers["content-type"].startswith("audio/mpeg")
    assert WHERE.encode() not in clean.content and WHERE.encode() in data
    assert set(await renditions(client, gamma, item_id)) == {"original", "preview", "waveform"}
    assert await fetch(client, gamma, every["original"]) == 200
