"""Derivatives: the smaller files partners preview and stream, made from an original the hub keeps.

Pure in the sense that matters: a path in, files in an output directory and their facts out;
no database and no blob store (the derivative job, ``media/processing.py``, moves them). The
original is only read.

* pictures: a JPEG ``preview`` (1280 px box) and ``thumbnail`` (320 px), turned upright by
  their EXIF orientation, re-encoded by Pillow without any metadata; the editorial fields
  (caption, creator, credit, copyright, keywords, place, date) are written back, GPS only
  when ``keep_gps``; and when the original carries GPS, ``original-nogps``: the original's
  bytes with the GPS tags deleted and nothing else changed (full size, not re-encoded), which
  partners whose agreement does not allow GPS get instead of the original (media/links.py); a video or
  audio original with location tags gets the same from a stream copy without metadata;
* video: an H.264/AAC MP4 ``proxy`` within 1280x720 (720x1280 when upright) with the index
  first (``-movflags +faststart``, so a browser plays it while it loads), a JPEG ``poster``
  frame, a ``thumbnail`` from it, and a ``storyboard`` strip of frames across the video;
* audio: an AAC ``preview`` (M4A, faststart) and a ``waveform`` PNG;
* graphics (SVG, already checked safe): PNG ``preview`` and ``thumbnail`` rendered by librsvg.

ffmpeg runs in a subprocess (``media/ffmpeg.py``: timeouts, memory and CPU limits, local
files only) with ``threads`` threads, so callers keep the event loop free by running this in
a thread.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from newsbridge.errors import MediaTooLarge, MediaUnreadable
from newsbridge.media import ffmpeg
from newsbridge.media.location import avi_without_location, position_tracks
from newsbridge.media.metadata import PhotoMetadata, read_photo_metadata, strip_gps, write_photo_metadata
from newsbridge.media.probe import MAX_PIXELS, Probe, frame_rate

BOX = "scale=w='if(gte(iw,ih),min({long},iw),min({short},iw))':h='if(gte(iw,ih),min({short},ih),min({long},ih))'" \
      ":force_original_aspect_ratio=decrease:force_divisible_by=2"


@dataclass(frozen=True)
class Options:
    thumbnail_px: int = 320
    preview_px: int = 1280
    proxy_long: int = 1280  # the proxy fits 1280x720 (or 720x1280): at most 720p
    proxy_short: int = 720
    storyboard_frames: int = 10
    storyboard_px: int = 160  # width of each storyboard frame
    threads: int = 2  # NEWSBRIDGE_MEDIA_FFMPEG_THREADS
    keep_gps: bool = False
    max_pixels: int = MAX_PIXELS


@dataclass(frozen=True)
class Derivative:
    """One file made from the original, with the facts a rendition record needs."""

    name: str  # thumbnail, preview, proxy, poster, storyboard, waveform
    path: Path
    content_type: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # codecs, frame rate, channels


def _made(name: str, path: Path, content_type: str, **facts: Any) -> Derivative:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    width, height, duration = facts.pop("width", None), facts.pop("height", None), facts.pop("duration", None)
    if width is None and content_type.startswith("image/"):
        with Image.open(path) as image:
            width, height = image.size
    return Derivative(name, path, content_type, path.stat().st_size, digest.hexdigest(), width, height, duration,
                      {k: v for k, v in facts.items() if v is not None})


def make_derivatives(source: Path, probe: Probe, out_dir: Path, options: Options = Options(),
                     metadata: PhotoMetadata | None = None) -> list[Derivative]:
    """Make every derivative of the original at ``source`` (whose probe is ``probe``) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if probe.kind == "picture":
        meta = metadata if metadata is not None else read_photo_metadata(source)
        made = picture_derivatives(source, out_dir, options, meta)
        if meta.gps and (clean := without_gps(source, probe, out_dir)) is not None:
            made.append(clean)
        return made
    if probe.kind == "video":
        made = video_derivatives(source, probe, out_dir, options)
        if (clean := video_without_gps(source, probe, out_dir, options)) is not None:
            made.append(clean)
        return made
    if probe.kind == "audio":
        made = audio_derivatives(source, probe, out_dir, options)
        if (clean := video_without_gps(source, probe, out_dir, options)) is not None:
            made.append(clean)
        return made
    if probe.kind == "graphic":
        return graphic_derivatives(source, out_dir, options)
    raise ValueError(f"no derivatives for media of kind {probe.kind!r}")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency over white (not black), palettes and 16-bit greys converted."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        return image.convert("I").point(lambda v: v / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def picture_derivatives(source: Path, out_dir: Path, options: Options = Options(),
                        metadata: PhotoMetadata | None = None) -> list[Derivative]:
    """JPEG preview and thumbnail, upright, without metadata but the editorial fields."""
    meta = metadata if metadata is not None else read_photo_metadata(source)
    try:
        with Image.open(source) as image:
            if image.width * image.height > options.max_pixels:
                raise MediaTooLarge(f"the picture is over {options.max_pixels / 1e6:.0f} megapixels", field="file")
            # JPEG decodes straight at a reduced scale (at least the preview size): a 50 MP photo costs 3 MP.
            image.draft("RGB", (options.preview_px, options.preview_px))
            icc = image.info.get("icc_profile") if image.mode != "CMYK" else None  # a CMYK profile lies for RGB
            upright = _flatten(ImageOps.exif_transpose(image) or image)
    except (OSError, ValueError, SyntaxError) as exc:
        raise MediaUnreadable(f"the picture cannot be decoded: {exc}", field="file") from None
    made = []
    for name, px, quality in (("preview", options.preview_px, 85), ("thumbnail", options.thumbnail_px, 80)):
        upright.thumbnail((px, px), Image.Resampling.LANCZOS)  # never enlarges; the thumbnail from the preview
        path = out_dir / f"{name}.jpg"
        # No exif= argument: Pillow writes no EXIF, XMP or IPTC of the original (GPS included).
        upright.save(path, "JPEG", quality=quality, optimize=True, progressive=True, icc_profile=icc)
        write_photo_metadata(path, meta, keep_gps=options.keep_gps)
        made.append(_made(name, path, "image/jpeg", width=upright.width, height=upright.height))
    return made


WITHOUT_GPS = "original-nogps"


def without_gps(source: Path, probe: Probe, out_dir: Path) -> Derivative | None:
    """The original with its GPS tags deleted (a byte copy, then only those tags removed), or None
    when libexiv2 cannot write the format: then no partner without GPS rights gets a full-size copy."""
    path = out_dir / WITHOUT_GPS
    shutil.copyfile(source, path)
    if not strip_gps(path):
        path.unlink()
        return None
    return _made(WITHOUT_GPS, path, probe.content_type, width=probe.width, height=probe.height)


# Muxers a stream copy can write the original's container with; others carry no location tags we know of.
# Audio: ID3 (MP3, and an ID3 before ADTS AAC), iTunes-style atoms (M4A, ``©xyz``), Vorbis comments (FLAC, Ogg
# Vorbis and Opus: ``LOCATION``), Matroska tags, WAV's INFO list. Video: MP4/MOV ``©xyz`` and ISO 6709 keys,
# GoPro GPMF and camm telemetry tracks (media/location.py), Matroska tags. MPEG-TS has no location tag (its
# only tags are the service's name and provider) but may carry a KLV data stream with the camera's position
# (below). AVI is copied in place instead (media/location.py: EXIF in ``strd``, position INFO entries). MXF:
# ffprobe shows no descriptive metadata (DMS-1) of it, only identification; should a location tag show, a
# stream copy without metadata leaves it out (tests/media/test_container_location.py).
_SAME_CONTAINER = {"video/mp4": "mp4", "video/quicktime": "mov", "video/x-matroska": "matroska", "video/webm": "webm",
                   "video/mp2t": "mpegts", "application/mxf": "mxf", "audio/mp4": "ipod", "audio/mpeg": "mp3",
                   "audio/flac": "flac", "audio/ogg": "ogg", "audio/wav": "wav", "audio/aac": "adts"}
_IN_PLACE = {"video/x-msvideo"}  # containers whose copy without location is the original with chunks blanked
_LOCATION_KEYS = ("location", "gps")  # ffprobe's names: location, location-eng, com.apple.quicktime.location.ISO6709
# MISB ST 0601, the UAS Datalink Local Set that drone and aircraft cameras write as KLV beside the video in
# MPEG-TS: sensor latitude and longitude, frame centre. Its Universal Label key (the bytes after it vary with
# the version); ffprobe names such a stream ``klv``, or ``bin_data`` when the muxer did not register it.
UAS_DATALINK_KEY = bytes.fromhex("060e2b34020b01010e01030101")
_KLV_SCAN_BYTES = 1_000_000  # of each data stream: the key comes with the first packet, every frame after


def _has_location(described: dict[str, Any]) -> bool:
    """Whether ffprobe saw location tags (a phone's ``location``, QuickTime's ISO 6709 key, a recorder's
    Vorbis ``LOCATION``, a ``GPS...`` tag) in the container or a stream."""
    tagged = [described.get("format", {})] + list(described.get("streams", []))
    return any(word in str(key).lower() for part in tagged for key in (part.get("tags") or {})
               for word in _LOCATION_KEYS)


def video_without_gps(source: Path, probe: Probe, out_dir: Path, options: Options = Options()) -> Derivative | None:
    """When the original video or audio carries location tags or a position track: the same streams copied
    bit for bit (not re-encoded) into the same container without any metadata, ``original-nogps`` (an audio
    file's cover art, whose own EXIF may hold GPS, is left out; so is every data stream, such as an MPEG-TS's
    position KLV or a GoPro's GPMF track); an AVI's copy is its own bytes with the chunks that hold positions
    blanked (media/location.py). None when it carries none, or its container is not one a copy rewrites
    (:data:`_SAME_CONTAINER`). Checked again afterwards: a copy still carrying location is not kept."""
    muxer = _SAME_CONTAINER.get(probe.content_type)
    if muxer is None and probe.content_type not in _IN_PLACE:
        return None
    described = ffmpeg.ffprobe(source, probe.demuxer)
    if not (_has_location(described) or position_tracks(described)
            or _carries_position_klv(source, probe, described, options)):
        return None
    path = out_dir / WITHOUT_GPS
    if muxer is None:
        if not avi_without_location(source, path):
            return None  # ffprobe saw a location this copy does not know how to blank: no copy at all
    else:
        streams = ["-map", "0:a"] if probe.kind == "audio" else ["-map", "0:v", "-map", "0:a?"]
        ffmpeg.ffmpeg([*ffmpeg.input_args(source, probe.demuxer), *streams, "-c", "copy",
                       "-map_metadata", "-1", "-map_chapters", "-1", "-fflags", "+bitexact",
                       *(["-movflags", "+faststart"] if muxer in ("mp4", "mov", "ipod") else []), "-f", muxer,
                       str(path)], timeout=_timeout(probe, per_second=1.0), threads=options.threads,
                      what=f"the {probe.kind} (without GPS)")
    copied = ffmpeg.ffprobe(path, probe.demuxer)
    if _has_location(copied) or position_tracks(copied) or (muxer is not None and _data_streams(copied)):
        path.unlink()
        return None
    return _made(WITHOUT_GPS, path, probe.content_type, width=probe.width, height=probe.height,
                 duration=probe.duration)


def location_found(source: Path, probe: Probe, options: Options = Options(), *, scan_data: bool = True,
                   timeout: float = ffmpeg.PROBE_TIMEOUT) -> bool | None:
    """Whether the video or audio original at ``source`` carries a location :func:`video_without_gps` would
    leave out: tags, a position track, a data stream of position KLV. A container no copy rewrites carries
    none we know of (False). None when it has a data stream that is not named KLV and ``scan_data`` is
    False (reading its packets is the derivative job's work). ffprobe reads the container's tags within
    ``timeout`` seconds (MediaUnreadable past it)."""
    if probe.content_type not in _SAME_CONTAINER and probe.content_type not in _IN_PLACE:
        return False
    described = ffmpeg.ffprobe(source, probe.demuxer, timeout=timeout)
    if _has_location(described) or position_tracks(described):
        return True
    data = _data_streams(described)
    if any(stream.get("codec_name") == "klv" for stream in data):
        return True
    if data and not scan_data:
        return None
    return bool(data) and _carries_position_klv(source, probe, described, options)


def _data_streams(described: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in described.get("streams", []) if s.get("codec_type") == "data"]


def _carries_position_klv(source: Path, probe: Probe, described: dict[str, Any], options: Options) -> bool:
    """Whether a data stream of the file is KLV with the camera's position (MISB ST 0601): named ``klv`` by
    ffprobe, or holding the UAS Datalink key in its first bytes. The copy without GPS keeps no data stream."""
    for stream in _data_streams(described):
        if stream.get("codec_name") == "klv":
            return True
        ran = ffmpeg.ffmpeg([*ffmpeg.input_args(source, probe.demuxer), "-map", f"0:{int(stream['index'])}",
                             "-c", "copy", "-fs", str(_KLV_SCAN_BYTES), "-f", "data", "pipe:1"],
                            timeout=_timeout(probe, per_second=0.5), threads=options.threads,
                            what=f"the {probe.kind} (its data stream)")
        if UAS_DATALINK_KEY in ran.stdout:
            return True
    return False


def _av_facts(path: Path) -> dict[str, Any]:
    described = ffmpeg.ffprobe(path, "mov")
    video = next((s for s in described.get("streams", []) if s.get("codec_type") == "video"), None)
    audio = next((s for s in described.get("streams", []) if s.get("codec_type") == "audio"), None)
    duration = float(described.get("format", {}).get("duration") or 0) or None
    return {"width": video.get("width") if video else None, "height": video.get("height") if video else None,
            "duration": round(duration, 3) if duration else None,
            "video_codec": video.get("codec_name") if video else None,
            "frame_rate": frame_rate(video.get("avg_frame_rate") or video.get("r_frame_rate")) if video else None,
            "audio_codec": audio.get("codec_name") if audio else None,
            "audio_channels": audio.get("channels") if audio else None}


def _timeout(probe: Probe, per_second: float = 4.0) -> float:
    """Generous for a slow 2-core machine, still bounded: a minute plus a few times the running time."""
    return 60.0 + per_second * (probe.duration or 0.0)


def proxy_args(source: Path, probe: Probe, out: Path, options: Options = Options()) -> list[str]:
    """ffmpeg's arguments for the proxy (also what ``bench/media.py`` runs alone to compare)."""
    box = BOX.format(long=options.proxy_long, short=options.proxy_short)
    return [*ffmpeg.input_args(source, probe.demuxer), "-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn",
            "-map_metadata", "-1", "-map_chapters", "-1",
            "-vf", f"scale='trunc(iw*sar/2)*2':ih,setsar=1,{box},format=yuv420p",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high",
            "-threads", str(options.threads), "-c:a", "aac", "-b:a", "128k", "-ac", "2",
            "-movflags", "+faststart", str(out)]


def video_derivatives(source: Path, probe: Probe, out_dir: Path, options: Options = Options()) -> list[Derivative]:
    """Proxy MP4, poster frame, thumbnail and storyboard strip."""
    threads, duration = options.threads, probe.duration or 0.0
    proxy = out_dir / "proxy.mp4"
    ffmpeg.ffmpeg(proxy_args(source, probe, proxy, options), timeout=_timeout(probe), threads=threads,
                  what="the video (proxy)")
    made = [_made("proxy", proxy, "video/mp4", **_av_facts(proxy))]
    poster = out_dir / "poster.jpg"
    box = BOX.format(long=options.preview_px, short=options.preview_px)
    # A tenth in: the first frames of a report are often black or a slate. A seek that finds no frame (a
    # container whose timestamps mislead it, as an MPEG-TS with an untimed data stream) takes the first one.
    for seek in (duration * 0.1, None):
        ffmpeg.ffmpeg([*ffmpeg.input_args(source, probe.demuxer, seek=seek), "-map", "0:v:0",
                       "-frames:v", "1", "-vf", f"scale='trunc(iw*sar/2)*2':ih,setsar=1,{box}", "-q:v", "3",
                       "-map_metadata", "-1", str(poster)], timeout=120, threads=threads, what="the video (poster)")
        if poster.exists() and poster.stat().st_size:
            break
    else:
        raise MediaUnreadable("ffmpeg found no frame to make the poster of the video", field="file")
    made.append(_made("poster", poster, "image/jpeg"))
    thumbnail = out_dir / "thumbnail.jpg"
    with Image.open(poster) as image:
        image.thumbnail((options.thumbnail_px, options.thumbnail_px), Image.Resampling.LANCZOS)
        image.save(thumbnail, "JPEG", quality=80, optimize=True)
    made.append(_made("thumbnail", thumbnail, "image/jpeg"))
    storyboard = out_dir / "storyboard.jpg"
    frames = options.storyboard_frames
    # Long videos: decode key frames only (seconds instead of minutes); the fps filter spreads them out.
    keys_only = ["-skip_frame", "nokey"] if duration > 60 else []
    ffmpeg.ffmpeg([*keys_only, *ffmpeg.input_args(source, probe.demuxer), "-map", "0:v:0", "-an",
                   "-vf", f"fps={frames}/{max(duration, 0.1):.3f},scale={options.storyboard_px}:-2,setsar=1,"
                          f"tile={frames}x1", "-frames:v", "1", "-q:v", "4", str(storyboard)],
                  timeout=_timeout(probe, 1.0), threads=threads, what="the video (storyboard)")
    made.append(_made("storyboard", storyboard, "image/jpeg", frames=frames))
    return made


def audio_derivatives(source: Path, probe: Probe, out_dir: Path, options: Options = Options()) -> list[Derivative]:
    """AAC preview (M4A) and a waveform picture."""
    preview = out_dir / "preview.m4a"
    ffmpeg.ffmpeg([*ffmpeg.input_args(source, probe.demuxer), "-map", "0:a:0", "-vn", "-map_metadata", "-1",
                   "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-threads", str(options.threads),
                   "-movflags", "+faststart", str(preview)], timeout=_timeout(probe, 1.0), threads=options.threads,
                  what="the audio (preview)")
    made = [_made("preview", preview, "audio/mp4", **_av_facts(preview))]
    waveform = out_dir / "waveform.png"
    ffmpeg.ffmpeg([*ffmpeg.input_args(source, probe.demuxer), "-filter_complex",
                   "[0:a:0]aformat=channel_layouts=mono,showwavespic=s=1200x240:colors=0x1f4e79",
                   "-frames:v", "1", str(waveform)], timeout=_timeout(probe, 1.0), threads=options.threads,
                  what="the audio (waveform)")
    made.append(_made("waveform", waveform, "image/png"))
    return made


def graphic_derivatives(source: Path, out_dir: Path, options: Options = Options()) -> list[Derivative]:
    """PNG preview and thumbnail of a (checked) SVG, rendered by librsvg inside ffmpeg."""
    made = []
    for name, px in (("preview", options.preview_px), ("thumbnail", options.thumbnail_px)):
        path = out_dir / f"{name}.png"
        ffmpeg.ffmpeg([*ffmpeg.input_args(source, "svg_pipe"), "-frames:v", "1",
                       "-vf", BOX.format(long=px, short=px), str(path)], timeout=60, threads=1,
                      what="the graphic")
        made.append(_made(name, path, "image/png"))
    return made
