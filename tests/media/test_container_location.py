"""Location in AVI, MPEG-TS and MXF video: what these containers can carry, and that no derivative keeps it.

ffmpeg (Debian's) is asked to write a phone's ``location`` and QuickTime's ISO 6709 key into each: none of the
three can hold them (ffmpeg drops both, the coordinates are nowhere in the file), so there is nothing to strip
from the original and no ``original-nogps`` is made; the proxy keeps none of the original's tags. What MPEG-TS
does carry is a KLV data stream beside the video with the camera's position (MISB ST 0601, drones and
aircraft): such an original gets ``original-nogps``, the same video packets without the data stream, and over
HTTP only the partner whose terms allow GPS gets the original.
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import pytest

from newsbridge.media.derivatives import UAS_DATALINK_KEY, make_derivatives
from newsbridge.media.probe import inspect
from tests.media.gps_delivery import publish_to_both
from tests.media.samples import ffmpeg, needs_ffmpeg, tags

pytestmark = needs_ffmpeg
WHERE = "+43.2389+076.8897/"  # Almaty, ISO 6709
CONTAINERS = {  # file name -> ffmpeg's codecs for a 1 s clip in that container
    "clip.avi": ["-c:v", "mpeg4", "-c:a", "libmp3lame"],
    "clip.ts": ["-c:v", "libx264", "-c:a", "aac"],
    "clip.mxf": ["-c:v", "mpeg2video", "-pix_fmt", "yuv422p", "-b:v", "8M", "-c:a", "pcm_s16le", "-ar", "48000"],
}
PICTURE = ["-f", "lavfi", "-i", "testsrc=duration=1:size=320x240:rate=25"]
SOUND = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]


def stream_types(path: Path) -> list[str]:
    described = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of",
                                           "json", str(path)], capture_output=True, check=True).stdout)
    return [s["codec_type"] for s in described["streams"]]


def video_packets(path: Path) -> str:
    """A hash of the video packets as stored (no decoding): equal for a bit-for-bit stream copy."""
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-c", "copy", "-f", "streamhash",
                           "-hash", "sha256", "-"], capture_output=True, check=True, text=True).stdout


@pytest.mark.parametrize("name", sorted(CONTAINERS))
def test_these_containers_cannot_carry_a_location_tag_and_the_proxy_keeps_no_tag(name: str, tmp_path: Path) -> None:
    source = tmp_path / name
    ffmpeg(*PICTURE, *SOUND, *CONTAINERS[name], "-metadata", f"location={WHERE}",
           "-metadata", f"com.apple.quicktime.location.ISO6709={WHERE}", "-metadata", "title=Report from Almaty",
           str(source))
    written = tags(source)
    assert not any("location" in key or "gps" in key for key in written)  # ffmpeg could not write them...
    assert WHERE.encode() not in source.read_bytes()  # ...anywhere in the file
    probe = inspect(source)
    assert probe.kind == "video"
    made = {d.name: d for d in make_derivatives(source, probe, tmp_path / "out")}
    assert set(made) == {"proxy", "poster", "thumbnail", "storyboard"}  # nothing to strip: no GPS-free copy
    proxy = tags(made["proxy"].path)
    assert not any("location" in key or "gps" in key for key in proxy)
    assert "Report from Almaty" not in proxy.values()  # the original's tags stay behind, whatever they say


def position_klv(latitude: float, longitude: float, frames: int) -> bytes:
    """MISB ST 0601 packets: the UAS Datalink key, a BER length, then tags 2 (time), 13 and 14 (sensor
    latitude and longitude, scaled to signed 32-bit)."""
    def tag(number: int, value: bytes) -> bytes:
        return bytes([number, len(value)]) + value

    body = (tag(2, struct.pack(">Q", 1_764_900_000_000_000)) + tag(13, struct.pack(">i", int(latitude / 90 * 0x7FFFFFFF)))
            + tag(14, struct.pack(">i", int(longitude / 180 * 0x7FFFFFFF))))
    return (UAS_DATALINK_KEY + b"\x01\x00\x00\x00" + bytes([len(body)]) + body) * frames


def drone_footage(path: Path, klv: bytes | None) -> Path:
    """An MPEG-TS with H.264 video and, when given, a data stream of those KLV bytes."""
    if klv is None:
        ffmpeg(*PICTURE, "-c:v", "libx264", "-f", "mpegts", str(path))
        return path
    data = path.with_suffix(".klv")
    data.write_bytes(klv)
    ffmpeg(*PICTURE, "-f", "data", "-i", str(data), "-map", "0:v", "-map", "1:d", "-c:v", "libx264", "-c:d", "copy",
           "-f", "mpegts", str(path))
    return path


def test_an_mpeg_ts_with_position_klv_gets_a_copy_without_the_data_stream(tmp_path: Path) -> None:
    source = drone_footage(tmp_path / "drone.ts", position_klv(43.2389, 76.8897, 25))
    assert stream_types(source) == ["video", "data"] and UAS_DATALINK_KEY in source.read_bytes()  # the control
    probe = inspect(source)
    made = {d.name: d for d in make_derivatives(source, probe, tmp_path / "out")}
    assert set(made) == {"proxy", "poster", "thumbnail", "storyboard", "original-nogps"}
    clean = made["original-nogps"]
    assert clean.content_type == "video/mp2t" and stream_types(clean.path) == ["video"]
    assert UAS_DATALINK_KEY not in clean.path.read_bytes()
    assert video_packets(clean.path) == video_packets(source)  # the pictures themselves are untouched
    assert stream_types(made["proxy"].path) == ["video"] and UAS_DATALINK_KEY not in made["proxy"].path.read_bytes()


@pytest.mark.parametrize("klv", [None, b"\x00" * 64 * 25], ids=["no data stream", "data without the key"])
def test_an_mpeg_ts_without_position_klv_gets_no_copy(klv: bytes | None, tmp_path: Path) -> None:
    source = drone_footage(tmp_path / "plain.ts", klv)
    made = {d.name for d in make_derivatives(source, inspect(source), tmp_path / "out")}
    assert made == {"proxy", "poster", "thumbnail", "storyboard"}


@pytest.mark.anyio
async def test_drone_positions_reach_only_partners_whose_terms_allow_gps(client, make_partner, tmp_path: Path) -> None:
    data = drone_footage(tmp_path / "drone.ts", position_klv(43.2389, 76.8897, 25)).read_bytes()
    clean = await publish_to_both(client, make_partner, data, "flood.ts", "video/mp2t", "Flood from the air")
    assert UAS_DATALINK_KEY not in clean and UAS_DATALINK_KEY in data
