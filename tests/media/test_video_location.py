"""Positions in video containers beyond the tags of MP4 (test_derivatives.py) and MPEG-TS KLV
(test_container_location.py): a MOV's ``©xyz`` and ISO 6709 key, a GoPro's GPMF telemetry track in MP4 and MOV,
EXIF with GPS in an AVI's ``strd`` chunk and a position entry in its INFO list. Each original gets
``original-nogps`` whose video and audio packets are those of the original (compared by hash) and where the
coordinates are nowhere; over HTTP only the partner whose terms allow GPS gets the original. Files are made
by Debian's ffmpeg here; what ffmpeg cannot write (the AVI chunks) is put into its file by hand, in place of
the padding ffmpeg leaves, as cameras write it.
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import pytest

from newsbridge.media.derivatives import make_derivatives
from newsbridge.media.location import position_tracks
from newsbridge.media.probe import inspect
from tests.media.gps_delivery import publish_to_both
from tests.media.samples import ffmpeg, needs_ffmpeg, tags

pytestmark = needs_ffmpeg
WHERE = "+43.2389+076.8897/"  # Almaty, ISO 6709
PICTURE = ["-f", "lavfi", "-i", "testsrc=duration=1:size=320x240:rate=25"]
SOUND = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
GPS5 = b"GPS5"


def described(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json",
                                      str(path)], capture_output=True, check=True).stdout)


def packets(path: Path) -> str:
    """Hashes of the video and audio packets as stored (no decoding): equal for a bit-for-bit copy."""
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-map", "0:a?", "-c", "copy",
                           "-f", "streamhash", "-hash", "sha256", "-"], capture_output=True, check=True, text=True).stdout


def derivatives(source: Path, out: Path) -> dict[str, Path]:
    return {d.name: d.path for d in make_derivatives(source, inspect(source), out)}


def gpmf(frames: int) -> bytes:
    """GoPro GPMF samples: DEVC > STRM > (STNM "GPS ", GPS5 latitude, longitude, altitude, speeds)."""
    def klv(key: bytes, kind: bytes, size: int, repeat: int, value: bytes) -> bytes:
        return key + kind + bytes([size]) + struct.pack(">H", repeat) + value + bytes(-len(value) % 4)

    stream = klv(b"STNM", b"c", 1, 4, b"GPS ") + klv(GPS5, b"l", 20, 1, struct.pack(">5i", 432389000, 768897000,
                                                                                     850000, 0, 0))
    strm = b"STRM\x00\x01" + struct.pack(">H", len(stream)) + stream
    return (b"DEVC\x00\x01" + struct.pack(">H", len(strm)) + strm) * frames


def action_camera(path: Path, with_telemetry: bool = True) -> Path:
    """An MP4 or MOV as a GoPro writes it: H.264, AAC and, when asked, a ``gpmd`` data track with GPS."""
    if not with_telemetry:
        ffmpeg(*PICTURE, *SOUND, "-c:v", "libx264", "-c:a", "aac", str(path))
        return path
    data, carrier = path.with_suffix(".gpmf"), path.with_suffix(".ts")
    data.write_bytes(gpmf(25))
    # ffmpeg's data demuxer gives no codec an MP4 track takes: through MPEG-TS the track becomes bin_data
    ffmpeg(*PICTURE, *SOUND, "-f", "data", "-i", str(data), "-map", "0:v", "-map", "1:a", "-map", "2:d",
           "-c:v", "libx264", "-c:a", "aac", "-c:d", "copy", "-f", "mpegts", str(carrier))
    ffmpeg("-i", str(carrier), "-map", "0", "-c", "copy", "-tag:d", "gpmd", str(path))
    return path


@pytest.mark.parametrize("how", ["location", "iso6709"])
def test_a_mov_with_a_location_gets_a_copy_without_it(how: str, tmp_path: Path) -> None:
    source = tmp_path / "report.mov"
    key = ["-metadata", f"location={WHERE}"] if how == "location" else \
        ["-movflags", "use_metadata_tags", "-metadata", f"com.apple.quicktime.location.ISO6709={WHERE}"]
    ffmpeg(*PICTURE, *SOUND, "-c:v", "libx264", "-c:a", "aac", *key, str(source))
    assert any("location" in k for k in tags(source)) and WHERE.encode() in source.read_bytes()  # the control
    made = derivatives(source, tmp_path / "out")
    clean = made["original-nogps"]
    assert WHERE.encode() not in clean.read_bytes() and not any("location" in k for k in tags(clean))
    assert packets(clean) == packets(source) and inspect(clean).content_type == "video/quicktime"


@pytest.mark.parametrize("name", ["gopro.mp4", "gopro.mov"])
def test_a_gopro_telemetry_track_is_left_out_of_the_copy(name: str, tmp_path: Path) -> None:
    source = action_camera(tmp_path / name)
    found = described(source)
    assert [s["codec_tag_string"] for s in position_tracks(found)] == ["gpmd"]  # the control: ffprobe sees it
    assert not any("location" in k or "gps" in k for k in tags(source))  # ...and no tag would have told
    made = derivatives(source, tmp_path / "out")
    clean = made["original-nogps"]
    assert [s["codec_type"] for s in described(clean)["streams"]] == ["video", "audio"]
    assert GPS5 not in clean.read_bytes() and GPS5 in source.read_bytes()
    assert packets(clean) == packets(source)
    assert GPS5 not in made["proxy"].read_bytes()


def test_a_video_without_telemetry_or_tags_gets_no_copy(tmp_path: Path) -> None:
    assert "original-nogps" not in derivatives(action_camera(tmp_path / "plain.mp4", False), tmp_path / "out")


def test_camm_and_gpmf_tracks_are_told_by_tag_or_handler() -> None:
    streams = [{"codec_type": "video", "codec_tag_string": "avc1", "tags": {"handler_name": "VideoHandler"}},
               {"codec_type": "data", "codec_tag_string": "camm", "tags": {"handler_name": "DataHandler"}},
               {"codec_type": "data", "codec_tag_string": "[0][0][0][0]", "tags": {"handler_name": "GoPro MET"}},
               {"codec_type": "data", "codec_tag_string": "tmcd", "tags": {"handler_name": "TimeCodeHandler"}}]
    assert [s["codec_tag_string"] for s in position_tracks({"streams": streams})] == ["camm", "[0][0][0][0]"]


def _ifd(entries: list[tuple[int, int, int, bytes]], at: int) -> tuple[bytes, bytes]:
    """A little-endian TIFF IFD at offset ``at`` and the values too long to sit in its entries."""
    table, tail = struct.pack("<H", len(entries)), b""
    after = at + 2 + 12 * len(entries) + 4
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            table += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
        else:
            table += struct.pack("<HHII", tag, kind, count, after + len(tail))
            tail += value
    return table + b"\0\0\0\0", tail


def exif_with_gps() -> bytes:
    """An AVI ``strd`` payload as Fujifilm cameras write it: ``AVIF``, padding, then EXIF with a GPS IFD."""
    gps_at = 2 + 12 + 4
    degrees = lambda d, m, s: struct.pack("<6I", d, 1, m, 1, s, 1)  # noqa: E731
    gps, values = _ifd([(1, 2, 2, b"N\0"), (2, 5, 3, degrees(43, 14, 20)), (3, 2, 2, b"E\0"),
                        (4, 5, 3, degrees(76, 53, 23))], gps_at)
    root = struct.pack("<H", 1) + struct.pack("<HHII", 0x8825, 4, 1, gps_at) + b"\0\0\0\0"
    return b"AVIF\0\0\0\0" + root + gps + values


def into_junk(data: bytes, chunk: bytes, after: bytes) -> bytes:
    """``data`` with the first JUNK chunk after ``after`` starting with ``chunk`` (the rest stays JUNK)."""
    junk = data.index(b"JUNK", data.index(after))
    size = struct.unpack_from("<I", data, junk + 4)[0]
    rest = size - len(chunk)  # the chunk and a JUNK header take the place of the JUNK header and payload
    assert rest >= 0 and len(chunk) % 2 == 0
    return data[:junk] + chunk + b"JUNK" + struct.pack("<I", rest) + bytes(rest) + data[junk + 8 + size:]


def riff_chunk(chunk_id: bytes, value: bytes) -> bytes:
    value += bytes(len(value) % 2)
    return chunk_id + struct.pack("<I", len(value)) + value


def camera_avi(path: Path, *, exif: bool = True, info: bool = False) -> Path:
    ffmpeg(*PICTURE, *SOUND, "-c:v", "mpeg4", "-c:a", "libmp3lame", "-metadata", "title=Flood in Oral", str(path))
    data = path.read_bytes()
    if exif:  # in the video stream's header list, after its format (strf), where ffmpeg left padding
        data = into_junk(data, riff_chunk(b"strd", exif_with_gps()), b"strf")
    if info:  # a LIST INFO of its own with a position entry, in the padding before the packets
        entry = riff_chunk(b"IGPS", b"43.2389,76.8897\0")
        data = into_junk(data, b"LIST" + struct.pack("<I", 4 + len(entry)) + b"INFO" + entry, b"odml")
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("exif,info", [(True, False), (False, True), (True, True)], ids=["exif", "info", "both"])
def test_an_avi_gets_a_copy_with_its_position_chunks_blanked(exif: bool, info: bool, tmp_path: Path) -> None:
    source = camera_avi(tmp_path / "camera.avi", exif=exif, info=info)
    found = tags(source)
    assert any("gps" in key for key in found)  # the control: ffprobe reads the position
    made = derivatives(source, tmp_path / "out")
    clean = made["original-nogps"]
    assert not any("gps" in key for key in tags(clean)) and tags(clean).get("title") == "Flood in Oral"
    assert clean.stat().st_size == source.stat().st_size  # blanked in place: nothing moved
    assert exif_with_gps() not in clean.read_bytes() and b"43.2389" not in clean.read_bytes()
    assert packets(clean) == packets(source) and inspect(clean).content_type == "video/x-msvideo"
    assert not any("gps" in key for key in tags(made["proxy"]))


def test_an_avi_without_position_chunks_gets_no_copy(tmp_path: Path) -> None:
    assert "original-nogps" not in derivatives(camera_avi(tmp_path / "plain.avi", exif=False), tmp_path / "out")


@pytest.mark.anyio
@pytest.mark.parametrize("name,kind", [("gopro.mp4", "video/mp4"), ("camera.avi", "video/x-msvideo")])
async def test_video_positions_reach_only_partners_whose_terms_allow_gps(name: str, kind: str, client, make_partner,
                                                                         tmp_path: Path) -> None:
    path = action_camera(tmp_path / name) if name.endswith(".mp4") else camera_avi(tmp_path / name)
    clean = await publish_to_both(client, make_partner, path.read_bytes(), name, kind, "Flood in Oral")
    assert GPS5 not in clean and b"43.2389" not in clean and exif_with_gps() not in clean


def test_a_strd_chunk_of_codec_settings_stays(tmp_path: Path) -> None:
    source = camera_avi(tmp_path / "camera.avi")
    settings = riff_chunk(b"strd", b"CODECSETTINGS\x01\x02\x03")
    source.write_bytes(into_junk(source.read_bytes(), settings, b"auds"))  # in the audio stream's header list
    clean = derivatives(source, tmp_path / "out")["original-nogps"]
    assert settings in clean.read_bytes() and exif_with_gps() not in clean.read_bytes()
    assert packets(clean) == packets(source)
