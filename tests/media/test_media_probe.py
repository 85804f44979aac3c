"""Probing: the real type from the bytes, the facts from a decoder, and every refusal."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newsbridge.errors import MediaTooLarge, MediaTypeMismatch, MediaUnreadable, MediaUnsafe
from newsbridge.media.probe import inspect, sniff
from tests.media.samples import bomb_png, media, needs_ffmpeg  # noqa: F401 (media: a fixture)


def test_picture_facts(media: dict[str, Path]) -> None:
    probe = inspect(media["jpeg"], "image/jpeg")
    assert (probe.kind, probe.content_type, probe.width, probe.height) == ("picture", "image/jpeg", 640, 480)
    assert probe.size == media["jpeg"].stat().st_size
    assert inspect(media["png"], None).content_type == "image/png"


def test_svg_graphic_facts(media: dict[str, Path]) -> None:
    probe = inspect(media["svg"], "image/svg+xml")
    assert (probe.kind, probe.width, probe.height) == ("graphic", 200, 100)


@needs_ffmpeg
def test_video_facts(media: dict[str, Path]) -> None:
    probe = inspect(media["video"], "video/mp4")
    assert (probe.kind, probe.width, probe.height, probe.frame_rate) == ("video", 1280, 720, 25.0)
    assert (probe.video_codec, probe.audio_codec, probe.audio_channels) == ("h264", "aac", 1)
    assert 2.9 < probe.duration < 3.2
    assert "mp4" in probe.container


@needs_ffmpeg
@pytest.mark.parametrize("name, content_type, codec, channels", [
    ("audio", "audio/wav", "pcm_s16le", 2),
    ("mp3", "audio/mpeg", "mp3", 1),
])
def test_audio_facts(media: dict[str, Path], name: str, content_type: str, codec: str, channels: int) -> None:
    probe = inspect(media[name], content_type)
    assert (probe.kind, probe.content_type, probe.audio_codec, probe.audio_channels) == ("audio", content_type,
                                                                                        codec, channels)
    assert probe.width is None and 1.9 < probe.duration < 2.2


@pytest.mark.parametrize("declared", ["image/png", "video/mp4", "image/svg+xml", "audio/mpeg"])
def test_bytes_that_lie_about_their_type_are_refused(media: dict[str, Path], declared: str) -> None:
    with pytest.raises(MediaTypeMismatch) as refused:
        inspect(media["jpeg"], declared)
    assert refused.value.code == "media_type_mismatch" and refused.value.status == 415
    assert "image/jpeg" in refused.value.message


def test_declared_types_of_the_same_family_and_parameters_pass(media: dict[str, Path]) -> None:
    assert inspect(media["jpeg"], "IMAGE/JPG; charset=binary").content_type == "image/jpeg"
    assert inspect(media["jpeg"], "application/octet-stream").content_type == "image/jpeg"


def test_zero_bytes_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(MediaUnreadable, match="empty"):
        inspect(empty, "image/jpeg")


def test_unknown_bytes_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_bytes(b"just some text, not a video at all\n" * 10)
    with pytest.raises(MediaUnreadable, match="no media format"):
        inspect(text, "video/mp4")


def test_truncated_picture_is_refused(media: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(media["png"].read_bytes()[:120])
    with pytest.raises(MediaUnreadable, match="cannot be decoded"):
        inspect(broken, "image/png")


@needs_ffmpeg
def test_video_no_decoder_opens_is_refused(media: dict[str, Path], tmp_path: Path) -> None:
    # An MP4 header followed by garbage: the magic says video, ffprobe cannot read it.
    data = media["video"].read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[:32] + bytes(range(256)) * 64)
    with pytest.raises(MediaUnreadable, match="ffprobe|decode"):
        inspect(broken, "video/mp4")


@pytest.mark.serial  # timed: run alone, after the parallel run
def test_200_megapixel_png_bomb_is_refused_without_decoding(tmp_path: Path) -> None:
    bomb = bomb_png(tmp_path / "bomb.png", 20_000, 10_000)
    assert bomb.stat().st_size < 10_000  # a few kilobytes that would decode to 200 MB
    started = time.perf_counter()
    with pytest.raises(MediaTooLarge) as refused:
        inspect(bomb, "image/png")
    assert time.perf_counter() - started < 1.0  # header only: decoding would take seconds and 200 MB
    assert refused.value.code == "media_too_large" and "200 megapixels" in refused.value.message


def test_the_pixel_cap_is_a_setting(media: dict[str, Path]) -> None:
    with pytest.raises(MediaTooLarge):
        inspect(media["jpeg"], "image/jpeg", max_pixels=640 * 480 - 1)
    assert inspect(media["jpeg"], "image/jpeg", max_pixels=640 * 480).width == 640


@needs_ffmpeg
def test_video_over_duration_times_resolution_is_refused(tmp_path: Path) -> None:
    from tests.media.samples import ffmpeg
    # Three hours of 8K made cheaply: one black frame an hour, 100 KB on disk.
    huge = tmp_path / "huge.mkv"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:size=7680x4320:rate=1/3600:duration=10800", "-c:v", "libx264",
           "-preset", "ultrafast", "-crf", "51", str(huge))
    with pytest.raises(MediaTooLarge, match="two hours of 4K"):
        inspect(huge, "video/x-matroska")


@pytest.mark.parametrize("svg, why", [
    ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "script"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>', "event handler"),
    ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
     '<image x:href="https://tracker.example/p.png"/></svg>', "outside itself"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>', "javascript"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div>'
     '</foreignObject></svg>', "foreignObject"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://x.example/a.css);</style></svg>',
     "stylesheet"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="https://x.example/"/></a></svg>',
     "animates a link"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><use href="other.svg#icon"/></svg>', "outside itself"),
])
def test_svg_with_scripts_or_outside_references_is_refused(tmp_path: Path, svg: str, why: str) -> None:
    path = tmp_path / "bad.svg"
    path.write_text(svg)
    with pytest.raises(MediaUnsafe, match=why) as refused:
        inspect(path, "image/svg+xml")
    assert refused.value.code == "media_unsafe"


def test_svg_with_entities_is_refused_by_the_safe_parser(tmp_path: Path) -> None:
    path = tmp_path / "lol.svg"
    path.write_text('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaa">]>'
                    '<svg xmlns="http://www.w3.org/2000/svg"><text>&a;</text></svg>')
    with pytest.raises(MediaUnreadable, match="entit"):
        inspect(path, "image/svg+xml")


def test_svg_with_inner_references_and_embedded_pictures_passes(tmp_path: Path) -> None:
    path = tmp_path / "ok.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 32"><defs><linearGradient id="g"/>'
                    '</defs><rect fill="url(#g)" width="64" height="32"/><use href="#g"/>'
                    '<image href="data:image/png;base64,iVBORw0KGgo="/></svg>')
    assert inspect(path, "image/svg+xml").width == 64


@pytest.mark.parametrize("head, content_type", [
    (b"\xff\xd8\xff\xe0", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF89a", "image/gif"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
    (b"\0\0\0\x18ftypisom", "video/mp4"),
    (b"\0\0\0\x14ftypqt  ", "video/quicktime"),
    (b"\0\0\0\x1cftypM4A ", "audio/mp4"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
    (b"RIFF\0\0\0\0WAVEfmt ", "audio/wav"),
    (b"ID3\x04\0", "audio/mpeg"),
    (b"\xff\xfb\x90\x64", "audio/mpeg"),
    (b"\xff\xf1\x50\x80", "audio/aac"),
    (b"fLaC", "audio/flac"),
    (b"OggS\0", "audio/ogg"),
    (b"\xef\xbb\xbf<?xml version='1.0'?><svg ", "image/svg+xml"),
])
def test_sniffing_by_magic_numbers(head: bytes, content_type: str) -> None:
    sniffed = sniff(head)
    assert sniffed is not None and sniffed.content_type == content_type


def test_sniffing_refuses_what_it_does_not_know() -> None:
    assert sniff(b"%PDF-1.7") is None
    assert sniff(b"<html><body>") is None
    assert sniff(b"\0\0\0\x18ftypheic") is None


def test_truncated_picture_is_refused_even_after_a_library_allowed_them(media: dict[str, Path], tmp_path: Path) -> None:
    from PIL import ImageFile

    import weasyprint  # noqa: F401  (its import sets ImageFile.LOAD_TRUNCATED_IMAGES = True for the process)

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    broken = tmp_path / "broken.png"
    broken.write_bytes(media["png"].read_bytes()[:120])
    try:
        with pytest.raises(MediaUnreadable, match="cannot be decoded"):
            inspect(broken, "image/png")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
