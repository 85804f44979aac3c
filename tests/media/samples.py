"""Test media made here, never downloaded: ffmpeg's lavfi sources (testsrc, sine) and Pillow.

``media`` (a session fixture; test modules import it) makes each file once: a few seconds of
video, a second or two of sine, small pictures, an SVG. Tests must not change them.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None,
                                  reason="Debian's ffmpeg is not installed (make test installs it)")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-hide_banner", "-v", "error", *args], check=True, timeout=120)


def tags(path: Path) -> dict[str, str]:
    """Every container and stream tag ffprobe reads in a file, names in lower case."""
    described = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json", str(path)],
        capture_output=True, check=True).stdout)
    found: dict[str, str] = {}
    for part in [described.get("format", {})] + described.get("streams", []):
        found.update({k.lower(): v for k, v in (part.get("tags") or {}).items()})
    return found


def bomb_png(path: Path, width: int, height: int) -> Path:
    """A one-colour PNG of width x height built with zlib: tiny on disk, huge when decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x00" * width  # filter byte, then one greyscale byte per pixel
    packer = zlib.compressobj(9)
    parts = [packer.compress(row) for _ in range(min(height, 64))]  # a plausible start; no need for the rest
    parts.append(packer.flush(zlib.Z_SYNC_FLUSH))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts))
                     + chunk(b"IEND", b""))
    return path


def tagged_photo(path: Path, *, orientation: int = 1, size: tuple[int, int] = (1600, 1000)) -> Path:
    """A JPEG with IPTC, XMP and EXIF (GPS included) written by pyexiv2, as a photo desk sends one."""
    import pyexiv2

    Image.new("RGB", size, (180, 120, 60)).save(path, quality=90)
    with pyexiv2.Image(str(path)) as image:
        image.modify_iptc({"Iptc.Application2.Caption": "Old IIM caption", "Iptc.Application2.Byline": ["Aigerim N."],
                           "Iptc.Application2.Credit": "Kazinform", "Iptc.Application2.Keywords": ["flood", "Ural"],
                           "Iptc.Application2.City": "Oral", "Iptc.Application2.CountryName": "Kazakhstan",
                           "Iptc.Application2.Copyright": "(c) Kazinform 2024",
                           "Iptc.Application2.DateCreated": "2024-04-08"})
        image.modify_xmp({"Xmp.dc.description": {'lang="x-default"': "Rescuers evacuate residents in Oral"},
                          "Xmp.photoshop.Credit": "Kazinform / A. N."})
        image.modify_exif({"Exif.Image.Orientation": str(orientation),
                           "Exif.Photo.DateTimeOriginal": "2024:04:08 09:15:00",
                           "Exif.GPSInfo.GPSLatitudeRef": "N", "Exif.GPSInfo.GPSLatitude": "51/1 14/1 0/1",
                           "Exif.GPSInfo.GPSLongitudeRef": "E", "Exif.GPSInfo.GPSLongitude": "51/1 22/1 0/1"})
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> path of each test file."""
    root = tmp_path_factory.mktemp("samples")
    made: dict[str, Path] = {}
    Image.new("RGB", (640, 480), (30, 90, 160)).save(root / "photo.jpg", quality=90)
    made["jpeg"] = root / "photo.jpg"
    Image.new("RGBA", (300, 200), (200, 40, 40, 128)).save(root / "graphic.png")
    made["png"] = root / "graphic.png"
    (root / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
                                    '<rect width="200" height="100" fill="#369"/></svg>')
    made["svg"] = root / "chart.svg"
    made["tagged"] = tagged_photo(root / "tagged.jpg", orientation=6)
    if shutil.which("ffmpeg"):
        made["video"] = root / "report.mp4"
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=1280x720:rate=25:duration=3", "-f", "lavfi",
               "-i", "sine=frequency=440:duration=3", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
               "yuv420p", "-c:a", "aac", "-shortest", "-metadata", "title=Raw rushes",
               "-metadata", "location=+51.2333+051.3667/", str(made["video"]))  # a phone's GPS in the file
        made["hd"] = root / "hd.mkv"  # 1080p, over the proxy's 720p
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=1920x1080:rate=25:duration=2", "-f", "lavfi",
               "-i", "sine=frequency=220:duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
               "yuv420p", "-c:a", "libopus", "-shortest", str(made["hd"]))
        made["tall"] = root / "tall.mov"  # upright phone video, no sound
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=1080x1920:rate=30:duration=2", "-c:v", "libx264", "-preset",
               "ultrafast", "-pix_fmt", "yuv420p", str(made["tall"]))
        made["audio"] = root / "clip.wav"
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=880:duration=2", "-ac", "2", str(made["audio"]))
        made["mp3"] = root / "clip.mp3"
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=660:duration=2", "-c:a", "libmp3lame", str(made["mp3"]))
    return made
