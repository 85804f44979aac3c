"""``hub.media`` beside the ninjs says what the renditions list cannot: whether the media's previews are
still being made (the list then holds only what is ready), its kind and its codecs. Over the API, on
SQLite and PostgreSQL, with the filesystem store and SeaweedFS, for the source and for a partner."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.media.blobs import blob_store
from newsbridge.media.jobs import State
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.conftest import active_agreement
from tests.formats.outputs import newsml_errors
from tests.media.samples import media, needs_ffmpeg  # noqa: F401 (media: a fixture)

pytestmark = pytest.mark.anyio


@needs_ffmpeg
async def test_hub_media_says_whether_the_previews_are_made(client, make_partner, engine: Engine, settings: Settings,
                                                            media: dict[str, Path]) -> None:  # noqa: F811
    silk, irna = (make_partner(slug, scopes=("publish", "read", "manage")) for slug in ("silk", "irna"))
    await active_agreement(client, silk, irna, {})
    made = await client.post("/api/v1/media", headers=silk.headers,
                             files={"file": ("report.mp4", media["video"].read_bytes(), "video/mp4")})
    assert made.status_code == 201, made.text
    item_id = made.json()["id"]

    async def read(partner) -> tuple[dict, list[str]]:  # type: ignore[no-untyped-def]
        item = (await client.get(f"/api/v1/items/{item_id}", headers=partner.headers)).json()
        return item["hub"]["media"], [r["name"] for r in item.get("renditions", [])]

    own, names = await read(silk)
    assert [(m["kind"], m["previews"], m["codecs"]) for m in own] == [("video", "processing", [])]
    assert names == ["original"]
    theirs, names = await read(irna)
    assert theirs[0]["previews"] == "processing" and names == []  # not even the original until GPS was looked for
    assert JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t").run_once_sync() \
        == [State.DONE]
    own, names = await read(silk)
    assert [(m["previews"], m["codecs"]) for m in own] == [("ready", ["h264", "aac"])]
    assert {"original", "proxy", "poster"} <= set(names)
    theirs, names = await read(irna)
    assert theirs[0]["previews"] == "ready" and "proxy" in names and "original" not in names  # its GPS-free copy


@needs_ffmpeg
async def test_renditions_carry_frame_rate_codec_and_channels(client, make_partner, engine: Engine, settings: Settings,
                                                               media: dict[str, Path]) -> None:  # noqa: F811
    """The probe's frame rate, video codec and audio channels reach ninjs 3.x renditions (``frameRate``,
    ``videoCodec``), NewsML-G2 (``videoframerate``, ``videocodecuri``, ``audiocodecuri``,
    ``audiochannelsuri``) and ``hub.media`` (``frame_rate``, ``channels``)."""
    from lxml import etree

    silk = make_partner("silk", scopes=("publish", "read", "manage"))
    ids = {}
    for name, kind in (("video", "video/mp4"), ("audio", "audio/wav")):
        made = await client.post("/api/v1/media", headers=silk.headers,
                                 files={"file": (media[name].name, media[name].read_bytes(), kind)})
        assert made.status_code == 201, made.text
        ids[name] = made.json()["id"]
    worker = JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t")
    assert worker.run_once_sync() + worker.run_once_sync() == [State.DONE, State.DONE]

    video = (await client.get(f"/api/v1/items/{ids['video']}", headers=silk.headers)).json()
    shown = {r["name"]: r for r in video["renditions"]}
    assert (shown["original"]["frameRate"], shown["original"]["videoCodec"]) == (25.0, "h264")  # the sample's
    assert shown["proxy"]["frameRate"] > 0 and shown["proxy"]["videoCodec"] == "h264"
    assert "frameRate" not in shown["poster"]  # a picture has none
    [entry] = video["hub"]["media"]
    assert (entry["frame_rate"], entry["channels"]) == (25.0, 1)  # testsrc at 25 fps, a mono sine
    g2 = await client.get(f"/api/v1/items/{ids['video']}", params={"format": "newsml-g2"}, headers=silk.headers)
    remote = {el.get("rendition"): el for el in etree.fromstring(g2.content).iter("{*}remoteContent")}
    assert float(remote["rnd:original"].get("videoframerate")) == 25.0
    original = remote["rnd:original"]
    assert original.get("videocodec") is None  # a QCode there: h264 is not one; by URI instead
    assert (original.get("videocodecuri"), original.get("audiocodecuri"), original.get("audiochannelsuri")) == (
        "https://www.iana.org/assignments/media-types/video/H264",
        "https://www.iana.org/assignments/media-types/audio/aac",
        "urn:mpeg:dash:23003:3:audio_channel_configuration:2011:1")  # the sample's mono sine
    assert newsml_errors(g2.content) == []
    stranger = make_partner("stranger", scopes=("read",))  # no agreement with silk: neither the item nor its codecs
    for params in ({"format": "newsml-g2"}, {}):
        hidden = await client.get(f"/api/v1/items/{ids['video']}", params=params, headers=stranger.headers)
        assert hidden.status_code == 404 and b"H264" not in hidden.content and b"h264" not in hidden.content
    assert "audioCodec" not in shown["original"] and "audioChannels" not in shown["original"]  # ninjs: closed

    audio = (await client.get(f"/api/v1/items/{ids['audio']}", headers=silk.headers)).json()
    assert audio["hub"]["media"][0]["channels"] == 2 and "frame_rate" not in audio["hub"]["media"][0]
    assert {r["name"]: r for r in audio["renditions"]}["original"].get("videoCodec") is None
