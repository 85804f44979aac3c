"""Derivatives: what partners preview and stream, checked with the tools that read them (ffprobe, Pillow)."""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
from pathlib import Path

import pyexiv2
import pytest
from PIL import Image

from newsbridge.media.derivatives import Options, make_derivatives, video_without_gps
from newsbridge.media.metadata import read_photo_metadata
from newsbridge.media.probe import inspect
from tests.media.samples import media, needs_ffmpeg  # noqa: F401 (media: a fixture)


def _ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
                          str(path)], capture_output=True, check=True, timeout=30).stdout
    return json.loads(out)


def _top_level_boxes(path: Path) -> list[str]:
    """The ISO BMFF boxes at the top of an MP4, in file order."""
    boxes, data, offset = [], path.read_bytes(), 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        offset += size if size else len(data)
    return boxes


def _by_name(made: list) -> dict:
    return {d.name: d for d in made}


def test_picture_preview_and_thumbnail_upright_without_gps(media: dict[str, Path], tmp_path: Path) -> None:
    source = media["tagged"]  # 1600 x 1000 stored, EXIF orientation 6 (turned a quarter), GPS in its EXIF
    assert read_photo_metadata(source).gps
    made = _by_name(make_derivatives(source, inspect(source, "image/jpeg"), tmp_path))
    assert set(made) == {"preview", "thumbnail", "original-nogps"}
    clean = made.pop("original-nogps")  # the original without its GPS tags, for partners without GPS rights
    assert not read_photo_metadata(clean.path).gps
    with pyexiv2.Image(str(clean.path)) as image:
        exif = image.read_exif()
    assert not any(key.startswith("Exif.GPSInfo") for key in exif) and exif["Exif.Image.Orientation"] == "6"
    assert read_photo_metadata(clean.path).caption == "Rescuers evacuate residents in Oral"  # the rest stays
    with Image.open(clean.path) as image, Image.open(source) as original:
        assert image.size == original.size == (1600, 1000) and image.tobytes() == original.tobytes()  # not re-encoded
    assert (clean.width, clean.height, clean.content_type) == (1000, 1600, "image/jpeg")  # as shown, like the probe
    assert clean.sha256 != hashlib.sha256(source.read_bytes()).hexdigest()
    assert (made["preview"].width, made["preview"].height) == (800, 1280)  # upright and within 1280
    assert (made["thumbnail"].width, made["thumbnail"].height) == (200, 320)
    for derivative in made.values():
        with Image.open(derivative.path) as image:
            assert image.format == "JPEG" and image.size == (derivative.width, derivative.height)
            assert image.getexif().get(0x0112) in (None, 1)  # orientation applied, not merely copied
        with pyexiv2.Image(str(derivative.path)) as image:
            exif = image.read_exif()
        assert not any(key.startswith("Exif.GPSInfo") or key == "Exif.Image.GPSTag" for key in exif)
        meta = read_photo_metadata(derivative.path)
        assert (meta.caption, meta.credit, meta.creators) == ("Rescuers evacuate residents in Oral",
                                                              "Kazinform / A. N.", ("Aigerim N.",))
        assert derivative.sha256 == hashlib.sha256(derivative.path.read_bytes()).hexdigest()
        assert derivative.size == derivative.path.stat().st_size and derivative.content_type == "image/jpeg"


def test_gps_kept_when_an_agreement_allows_it(media: dict[str, Path], tmp_path: Path) -> None:
    made = make_derivatives(media["tagged"], inspect(media["tagged"]), tmp_path, Options(keep_gps=True))
    assert all(read_photo_metadata(d.path).gps for d in made if d.name != "original-nogps")


def test_transparent_png_goes_over_white(media: dict[str, Path], tmp_path: Path) -> None:
    made = _by_name(make_derivatives(media["png"], inspect(media["png"]), tmp_path))
    with Image.open(made["thumbnail"].path) as image:
        assert image.size == (300, 200)  # small pictures are not enlarged
        red, green, blue = image.getpixel((150, 100))
        assert red > 200 and green > 120  # half-transparent red over white is pink, not dark red


@needs_ffmpeg
@pytest.mark.parametrize("name, size", [("video", (1280, 720)), ("hd", (1280, 720)), ("tall", (720, 1280))])
def test_video_proxy_is_h264_aac_720p_faststart(media: dict[str, Path], tmp_path: Path, name: str,
                                                size: tuple[int, int]) -> None:
    probe = inspect(media[name])
    made = _by_name(make_derivatives(media[name], probe, tmp_path))
    # "video" carries a phone's location: the original's streams are copied without it as well
    assert set(made) == {"proxy", "poster", "thumbnail", "storyboard"} | ({"original-nogps"} if name == "video" else set())
    proxy = made["proxy"]
    described = _ffprobe(proxy.path)
    video = [s for s in described["streams"] if s["codec_type"] == "video"]
    audio = [s for s in described["streams"] if s["codec_type"] == "audio"]
    assert [(s["codec_name"], s["width"], s["height"], s["pix_fmt"]) for s in video] == [("h264", *size, "yuv420p")]
    assert [s["codec_name"] for s in audio] == ([] if name == "tall" else ["aac"])
    assert (proxy.width, proxy.height, proxy.content_type) == (*size, "video/mp4")
    assert abs(proxy.duration - probe.duration) < 0.2
    boxes = _top_level_boxes(proxy.path)
    assert boxes.index("moov") < boxes.index("mdat")  # faststart: a browser plays while it loads
    tags = described["format"].get("tags", {})
    assert "location" not in tags and "title" not in tags  # the source's metadata (GPS) stays with the original


@needs_ffmpeg
def test_video_poster_and_storyboard(media: dict[str, Path], tmp_path: Path) -> None:
    made = _by_name(make_derivatives(media["video"], inspect(media["video"]), tmp_path, Options(storyboard_frames=10)))
    assert (made["poster"].width, made["poster"].height) == (1280, 720)
    assert (made["thumbnail"].width, made["thumbnail"].height) == (320, 180)
    assert (made["storyboard"].width, made["storyboard"].height) == (1600, 90)  # 10 frames of 160 x 90 side by side
    with Image.open(made["storyboard"].path) as strip:
        first, last = strip.crop((0, 0, 160, 90)), strip.crop((1440, 0, 1600, 90))
        assert first.tobytes() != last.tobytes()  # frames from across the video, not one frame ten times


@needs_ffmpeg
@pytest.mark.parametrize("name", ["audio", "mp3"])
def test_audio_preview_and_waveform(media: dict[str, Path], tmp_path: Path, name: str) -> None:
    probe = inspect(media[name])
    made = _by_name(make_derivatives(media[name], probe, tmp_path))
    assert set(made) == {"preview", "waveform"}
    described = _ffprobe(made["preview"].path)
    assert [(s["codec_type"], s["codec_name"], s["channels"]) for s in described["streams"]] == [("audio", "aac", 2)]
    assert made["preview"].content_type == "audio/mp4" and abs(made["preview"].duration - probe.duration) < 0.2
    boxes = _top_level_boxes(made["preview"].path)
    assert boxes.index("moov") < boxes.index("mdat")
    with Image.open(made["waveform"].path) as image:
        assert (image.format, image.size) == ("PNG", (1200, 240))
        assert len(set(image.convert("RGB").get_flattened_data())) > 1  # a drawn wave, not a blank picture


@needs_ffmpeg
def test_svg_graphic_rendered_to_png(media: dict[str, Path], tmp_path: Path) -> None:
    made = _by_name(make_derivatives(media["svg"], inspect(media["svg"]), tmp_path))
    with Image.open(made["thumbnail"].path) as image:
        assert image.format == "PNG" and image.size == (200, 100)
        assert image.convert("RGB").getpixel((100, 50)) == (0x33, 0x66, 0x99)


@needs_ffmpeg
def test_a_video_with_location_tags_gets_a_stream_copy_without_them(media: dict[str, Path], tmp_path: Path) -> None:
    source = media["video"]
    assert "location" in _ffprobe(source)["format"]["tags"]  # the control: the original carries it
    probe = inspect(source)
    clean = video_without_gps(source, probe, tmp_path)
    assert clean is not None and clean.name == "original-nogps" and clean.content_type == "video/mp4"
    described = _ffprobe(clean.path)
    assert "location" not in described["format"].get("tags", {})
    original = _ffprobe(source)
    codecs = [(s["codec_name"], s.get("width"), s.get("nb_frames")) for s in described["streams"]]
    assert codecs == [(s["codec_name"], s.get("width"), s.get("nb_frames")) for s in original["streams"]]
    assert (clean.width, clean.height) == (1280, 720) and abs(clean.duration - probe.duration) < 0.1
    assert video_without_gps(media["hd"], inspect(media["hd"]), tmp_path / "hd") is None  # nothing to take out
