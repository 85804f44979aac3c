"""What a media file really is: its type from its bytes, then the facts a decoder reports.

:func:`inspect` never trusts a name or a declared content type. It sniffs the first bytes
(magic numbers) to learn the container, refuses a file whose bytes are not of the type it was
declared as, then asks a decoder: Pillow for pictures (header first, so a 200-megapixel bomb
is refused before a pixel is decoded), ffprobe for audio and video (bounded by
:mod:`newsbridge.media.ffmpeg`), the hub's safe XML parser for SVG graphics (scripts, event
handlers and references outside the file are refused). Every refusal is a stable error code:
``media_unreadable``, ``media_type_mismatch``, ``media_too_large``, ``media_unsafe``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image, ImageFile, UnidentifiedImageError

from newsbridge.errors import MediaTooLarge, MediaTypeMismatch, MediaUnreadable
from newsbridge.media import ffmpeg
from newsbridge.media.svg import check_svg

MAX_PIXELS = 100_000_000  # NEWSBRIDGE_MEDIA_MAX_PIXELS
MAX_FRAME_PIXELS = 7680 * 4320  # 8K UHD: no news video is larger
MAX_DURATION = 6 * 3600.0  # seconds, audio or video
MAX_PIXEL_SECONDS = 3840 * 2160 * 2 * 3600  # duration x resolution: two hours of 4K
MAX_FRAME_RATE = 240.0
SNIFF_BYTES = 4096
ORIENTATION = 0x0112  # the EXIF tag


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes say: the canonical content type, the ffmpeg demuxer (None for
    pictures and SVG) and the family of declared types that may stand for it."""

    content_type: str
    kind: str  # picture, graphic, av (audio or video: the streams decide)
    demuxer: str | None
    family: frozenset[str]


@dataclass(frozen=True)
class Probe:
    """The facts of one media file, as renditions report them."""

    kind: str  # picture, video, audio, graphic
    content_type: str
    container: str
    size: int
    width: int | None = None
    height: int | None = None
    duration: float | None = None  # seconds
    frame_rate: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    audio_channels: int | None = None
    demuxer: str | None = None  # for ffmpeg runs on the same file

    def facts(self) -> dict[str, Any]:
        """The non-empty facts, for a rendition record or a job result."""
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "demuxer"}


def _family(*types: str) -> frozenset[str]:
    return frozenset(types)


_ISO_BMFF = _family("video/mp4", "audio/mp4", "audio/x-m4a", "audio/m4a", "video/quicktime", "video/3gpp",
                    "audio/aac", "video/x-m4v")
_WAV = _family("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave")
_MP3 = _family("audio/mpeg", "audio/mp3", "audio/x-mp3", "audio/mpeg3")


def sniff(head: bytes) -> Sniffed | None:
    """The type the first bytes of a file announce, or None when no format the hub reads matches."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", "picture", None, _family("image/jpeg", "image/jpg", "image/pjpeg"))
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", "picture", None, _family("image/png", "image/x-png"))
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image/gif", "picture", None, _family("image/gif"))
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp", "picture", None, _family("image/webp"))
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image/tiff", "picture", None, _family("image/tiff", "image/tif"))
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
            return None  # HEIF/AVIF stills: no decoder here (Pillow needs a plugin)
        if brand == b"qt  ":
            return Sniffed("video/quicktime", "av", "mov", _ISO_BMFF)
        if brand.startswith(b"M4A") or brand.startswith(b"M4B"):
            return Sniffed("audio/mp4", "av", "mov", _ISO_BMFF)
        return Sniffed("video/mp4", "av", "mov", _ISO_BMFF)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        webm = b"webm" in head[:64]
        types = _family("video/webm", "audio/webm", "video/x-matroska", "audio/x-matroska", "video/matroska")
        return Sniffed("video/webm" if webm else "video/x-matroska", "av", "matroska", types)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio/wav", "av", "wav", _WAV)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video/x-msvideo", "av", "avi", _family("video/x-msvideo", "video/avi", "video/msvideo"))
    if head.startswith(b"fLaC"):
        return Sniffed("audio/flac", "av", "flac", _family("audio/flac", "audio/x-flac"))
    if head.startswith(b"OggS"):
        return Sniffed("audio/ogg", "av", "ogg", _family("audio/ogg", "video/ogg", "application/ogg", "audio/opus"))
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return Sniffed("audio/mpeg", "av", "mp3", _MP3)  # ID3 tag, or an MPEG-1/2 layer III frame sync
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return Sniffed("audio/aac", "av", "aac", _family("audio/aac", "audio/x-aac", "audio/aacp"))  # ADTS
    if head.startswith(b"\x06\x0e\x2b\x34\x02\x05\x01\x01"):
        return Sniffed("application/mxf", "av", "mxf", _family("application/mxf"))
    if len(head) >= 377 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return Sniffed("video/mp2t", "av", "mpegts", _family("video/mp2t", "video/mpeg"))
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if (text.startswith(b"<?xml") or text.startswith(b"<svg") or text.startswith(b"<!--")) and b"<svg" in head:
        return Sniffed("image/svg+xml", "graphic", None, _family("image/svg+xml"))
    return None


def _declared(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    bare = content_type.split(";", 1)[0].strip().lower()
    return None if bare in ("", "application/octet-stream", "binary/octet-stream") else bare


def inspect(path: Path, declared_type: str | None = None, *, max_pixels: int = MAX_PIXELS) -> Probe:
    """Inspect the file at ``path`` (declared as ``declared_type``, if the sender said) or refuse it.

    Raises :class:`MediaUnreadable` (empty, unknown, corrupt), :class:`MediaTypeMismatch`
    (the bytes are another type than declared), :class:`MediaTooLarge` (decompression bombs)
    or :class:`MediaUnsafe` (SVG with scripts or outside references).
    """
    size = path.stat().st_size
    if size == 0:
        raise MediaUnreadable("the file is empty (0 bytes); send the media file itself", field="file")
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    sniffed = sniff(head)
    declared = _declared(declared_type)
    if sniffed is None:
        raise MediaUnreadable("the file is in no media format the hub reads (JPEG, PNG, GIF, WebP, TIFF, SVG; "
                              "MP4/MOV, Matroska/WebM, AVI, MPEG-TS, MXF; MP3, AAC, WAV, FLAC, Ogg)", field="file")
    if declared is not None and declared not in sniffed.family:
        raise MediaTypeMismatch(f"the file was declared as {declared} but its bytes are {sniffed.content_type}; "
                                "send it with its real content type", field="contentType")
    if sniffed.kind == "picture":
        return _picture(path, sniffed, size, max_pixels)
    if sniffed.kind == "graphic":
        width, height = check_svg(path.read_bytes())
        return Probe("graphic", sniffed.content_type, "svg", size, width=width, height=height)
    return _audio_video(path, sniffed, size)


def _picture(path: Path, sniffed: Sniffed, size: int, max_pixels: int) -> Probe:
    try:
        # Opening reads the header only: the size is known before any pixel is decoded.
        with Image.open(path, formats=[sniffed.content_type.split("/")[1].upper()]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise MediaTooLarge(f"the picture is {width} x {height} = {width * height / 1e6:.0f} megapixels, "
                                    f"more than the {max_pixels / 1e6:.0f} megapixels the hub decodes", field="file")
            ImageFile.LOAD_TRUNCATED_IMAGES = False  # a library may have turned it on for the process (WeasyPrint does)
            image.load()  # under the cap: decode once, so a truncated or corrupt file is refused now
            container = (image.format or "").lower()
            width, height = _upright(image)
    except Image.DecompressionBombError as exc:  # Pillow's own limit (twice its 89 MP) refuses in open()
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size_said = f"{int(pixels.group(1)) / 1e6:.0f} megapixels, more than " if pixels else "larger than "
        raise MediaTooLarge(f"the picture is {size_said}the {max_pixels / 1e6:.0f} megapixels the hub decodes",
                            field="file") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise MediaUnreadable(f"the picture cannot be decoded: {exc}", field="file") from None
    return Probe("picture", sniffed.content_type, container, size, width=width, height=height)


def _upright(image: Image.Image) -> tuple[int, int]:
    """The picture's size as viewers see it: turned a quarter by its EXIF orientation, width and height swap."""
    width, height = image.size
    return (height, width) if image.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8) else (width, height)


def picture_size(path: Path) -> tuple[int, int] | None:
    """A picture's width and height as viewers see it, from its header alone (no pixel decoded: cheap
    at publish, before the derivative job probes it); None when Pillow cannot read the header."""
    try:
        with Image.open(path) as image:
            return _upright(image)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def frame_rate(value: str | None) -> float | None:
    """Frames a second from ffprobe's "30000/1001"; None when unknown."""
    try:
        rate = Fraction(value or "0/0")
    except (ValueError, ZeroDivisionError):
        return None
    return round(float(rate), 3) if rate > 0 else None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _audio_video(path: Path, sniffed: Sniffed, size: int) -> Probe:
    described = ffmpeg.ffprobe(path, sniffed.demuxer)
    streams = described.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)  # cover art is not video
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise MediaUnreadable("the file has no audio or video stream the hub can decode", field="file")
    for stream in (video, audio):
        if stream is not None and not stream.get("codec_name"):
            raise MediaUnreadable(f"no decoder for the {stream.get('codec_type')} stream of the file", field="file")
    fmt = described.get("format") or {}
    duration = _number(fmt.get("duration")) or _number((video or audio or {}).get("duration"))
    if duration is None or duration <= 0:
        raise MediaUnreadable("the file's duration cannot be read; it is truncated or a live stream", field="file")
    if duration > MAX_DURATION:
        raise MediaTooLarge(f"the file lasts {duration / 3600:.1f} hours, longer than the {MAX_DURATION / 3600:.0f} "
                            "hours the hub processes", field="file")
    if video is None:
        return Probe("audio", sniffed.content_type if sniffed.content_type != "video/mp4" else "audio/mp4",
                     str(fmt.get("format_name", sniffed.demuxer)), size, duration=round(duration, 3),
                     audio_codec=audio.get("codec_name") if audio else None,
                     audio_channels=int(audio["channels"]) if audio and audio.get("channels") else None,
                     demuxer=sniffed.demuxer)
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    rate = frame_rate(video.get("avg_frame_rate")) or frame_rate(video.get("r_frame_rate"))
    if not width or not height:
        raise MediaUnreadable("the video stream has no frame size; the file is truncated or corrupt", field="file")
    if width * height > MAX_FRAME_PIXELS or (rate or 0) > MAX_FRAME_RATE:
        raise MediaTooLarge(f"the video is {width} x {height} at {rate or 0:g} fps; the hub decodes up to 8K "
                            f"(7680 x 4320) at {MAX_FRAME_RATE:g} fps", field="file")
    if width * height * duration > MAX_PIXEL_SECONDS:
        raise MediaTooLarge(f"the video is {width} x {height} for {duration / 60:.0f} minutes; the hub decodes up "
                            "to two hours of 4K (or longer at lower resolutions)", field="file")
    _decodes(path, sniffed.demuxer)
    return Probe("video", sniffed.content_type, str(fmt.get("format_name", sniffed.demuxer)), size,
                 width=width, height=height, duration=round(duration, 3), frame_rate=rate,
                 video_codec=video.get("codec_name"), audio_codec=audio.get("codec_name") if audio else None,
                 audio_channels=int(audio["channels"]) if audio and audio.get("channels") else None,
                 demuxer=sniffed.demuxer)


def _decodes(path: Path, demuxer: str | None) -> None:
    """A container ffprobe reads may still hold a stream no decoder opens: decode its first frame."""
    ffmpeg.ffmpeg([*ffmpeg.input_args(path, demuxer), "-map", "0:v:0", "-frames:v", "1", "-f", "null", "-"],
                  timeout=ffmpeg.PROBE_TIMEOUT, threads=1, what="the video's first frame")
