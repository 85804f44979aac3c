"""Codecs and audio channels in NewsML-G2 ``remoteContent``: a partner's QCode as it is, the hub's probe's
names by URI (IANA media types, MPEG-DASH's channel configuration), nothing for a codec without a
registered name; every document valid against IPTC's 2.35 XSD, and read back as ninjs 3.x keeps it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from newsbridge.formats.codecs import (CODEC_MEDIA_TYPES, DASH_CHANNELS, IANA_MEDIA_TYPES, channels_uri, codec_name,
                                       codec_uri)
from newsbridge.formats.item import Item
from newsbridge.formats.newsml_g2 import parse_newsml, to_newsml
from tests.formats.outputs import newsml_errors

VIDEO = {"name": "original", "href": "https://hub.example/m/1", "contentType": "video/mp4", "sizeInBytes": 10,
         "width": 320, "height": 240, "duration": 2.0, "frameRate": 25.0}
CREATED = datetime(2026, 12, 5, tzinfo=timezone.utc)


def remote(rendition: dict) -> etree._Element:  # type: ignore[type-arg]
    data = to_newsml(Item(uri="urn:test:codecs", type="video", headline="H", renditions=[rendition]), created=CREATED)
    assert newsml_errors(data) == []
    [el] = etree.fromstring(data).iter("{*}remoteContent")
    return el


def test_the_hubs_codecs_and_channels_are_written_by_uri_and_validate() -> None:
    el = remote(VIDEO | {"videoCodec": "h264", "audioCodec": "aac", "audioChannels": 2})
    assert el.get("videocodecuri") == "https://www.iana.org/assignments/media-types/video/H264"
    assert el.get("audiocodecuri") == "https://www.iana.org/assignments/media-types/audio/aac"
    assert el.get("audiochannelsuri") == "urn:mpeg:dash:23003:3:audio_channel_configuration:2011:2"
    assert el.get("videocodec") is None and el.get("audiocodec") is None


def test_a_partners_qcodes_are_kept_as_qcodes() -> None:
    el = remote(VIDEO | {"videoCodec": "vcdc:c015", "audioCodec": "acdc:c002"})
    assert (el.get("videocodec"), el.get("audiocodec")) == ("vcdc:c015", "acdc:c002")
    assert el.get("videocodecuri") is None and el.get("audiocodecuri") is None


@pytest.mark.parametrize("codec", ["prores", "pcm_s16le", "H.264", "", 7])
def test_a_codec_without_a_registered_name_is_not_guessed(codec: object) -> None:
    el = remote(VIDEO | {"videoCodec": codec, "audioCodec": codec, "audioChannels": 0})
    assert [a for a in el.attrib if "codec" in a or "channels" in a] == []


def test_the_reader_gives_back_the_codec_name_and_keeps_a_partners_uri() -> None:
    data = to_newsml(Item(uri="urn:test:codecs", type="video", renditions=[VIDEO | {"videoCodec": "hevc"}]),
                     created=CREATED)
    [item] = parse_newsml(data)
    assert item.renditions[0]["videoCodec"] == "hevc"

    theirs = "http://www.ebu.ch/metadata/cs/ebu_VideoCompressionCodeCS.xml#_11"
    [item] = parse_newsml(to_newsml(Item(uri="urn:test:codecs", type="video",
                                         renditions=[VIDEO | {"videoCodec": theirs}]), created=CREATED))
    assert item.renditions[0]["videoCodec"] == theirs
    assert remote(VIDEO | {"videoCodec": theirs}).get("videocodecuri") == theirs


def test_every_name_has_one_uri_and_back() -> None:
    assert len(set(CODEC_MEDIA_TYPES.values())) == len(CODEC_MEDIA_TYPES)  # one name per media type
    for name, media_type in CODEC_MEDIA_TYPES.items():
        assert codec_uri(name) == IANA_MEDIA_TYPES + media_type and codec_name(codec_uri(name)) == name
        assert media_type.split("/")[0] in ("video", "audio")
    assert codec_uri("H264") == codec_uri("h264")  # ffprobe's names are lower case; others are forgiven
    assert codec_name("https://example.com/video/H264") is None and codec_uri(None) is None


@pytest.mark.parametrize("count", [1, 2, 6, 8, 64])
def test_a_channel_count_is_the_dash_configurations_value(count: int) -> None:
    assert channels_uri(count) == f"{DASH_CHANNELS}{count}"


@pytest.mark.parametrize("bad", [0, -1, 65, True, 2.0, "2", None])
def test_a_channel_count_that_is_not_one_is_left_out(bad: object) -> None:
    assert channels_uri(bad) is None


@pytest.mark.skipif(not Path("/etc/mime.types").exists(), reason="Debian's media-types package lists IANA's types")
def test_every_media_type_named_is_registered() -> None:
    listed = {line.split()[0].lower() for line in Path("/etc/mime.types").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    assert {t.lower() for t in CODEC_MEDIA_TYPES.values()} - listed == set()
