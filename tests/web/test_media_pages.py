"""Media in the desk over the real app (SQLite and PostgreSQL): an editor uploads through tus with the
desk session, publishes with caption, credit and shot list, the derivative job runs, and the pages show
the media by signed URLs for the viewer's organization — the partner's too; a stranger gets 404."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading
from newsbridge.media.links import signer
from newsbridge.media.processing import media_worker
from newsbridge.web.media import Shot, size_in_megabytes, parse_timecode, read_shotlist, shotlist_text, shots_from_form
from newsbridge.errors import InvalidInput
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="Debian's ffmpeg is not installed")
MEDIA_SRC = re.compile(r'(?:src|href|poster)="(/media/[^"]+)"')


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    if shutil.which("ffmpeg") is None:
        pytest.skip("Debian's ffmpeg is not installed")
    path = tmp_path_factory.mktemp("desk-media") / "report.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25:duration=4",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)], check=True, timeout=120)
    return path.read_bytes()


def jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(out, "JPEG", quality=85)
    return out.getvalue()


async def tus_upload(desk, data: bytes, filename: str, filetype: str, *, csrf: bool = True) -> str:  # type: ignore[no-untyped-def]
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                    (("filename", filename), ("filetype", filetype)))
    headers = {"Tus-Resumable": "1.0.0", **({"X-CSRF-Token": desk.csrf_token} if csrf else {})}
    created = await desk.http.post("/api/v1/uploads", headers={**headers, "Upload-Length": str(len(data)),
                                                               "Upload-Metadata": meta})
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    half = len(data) // 2
    for offset, part in ((0, data[:half]), (half, data[half:])):  # two PATCHes, as the desk sends parts
        sent = await desk.http.patch(location, content=part, headers={
            **headers, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
        assert sent.status_code == 204, sent.text
    return location.rsplit("/", 1)[1]


@pytest.fixture
async def world(client, make_partner, sign_in):  # type: ignore[no-untyped-def]
    silk = make_partner("silk", scopes=("publish", "read", "manage"))
    irna = make_partner("irna", scopes=("publish", "read", "manage"))
    make_partner("stranger")
    await active_agreement(client, silk, irna, {"topics": ["medtop:11000000"], "languages": ["en"]})
    return {"silk": await sign_in("silk", "editor"), "irna": await sign_in("irna", "editor"),
            "stranger": await sign_in("stranger", "admin")}


SHOTS = {"shot_time": ["00:00:03", "0:00", ""], "shot_text": ["Ministers shake hands", "Wide shot of the hall", ""]}


def run_jobs(engine, settings) -> None:  # type: ignore[no-untyped-def]
    worker = media_worker(engine, settings)
    while worker.run_once_sync():
        pass


@needs_ffmpeg
async def test_an_editor_publishes_a_video_and_the_partner_plays_it_by_the_shot_list(
        world, video, engine, settings) -> None:
    silk, irna, stranger = world["silk"], world["irna"], world["stranger"]
    form = await silk.get("/outgoing/media")
    assert form.status_code == 200 and 'id="drop-zone"' in form.text and "tus.min.js" in form.text
    upload_id = await tus_upload(silk, video, "Flood report.mp4", "video/mp4")
    published = await silk.http.post("/outgoing/media", data={
        "csrf_token": silk.csrf_token, "upload": upload_id, "headline": "Astana hosts the media forum",
        "description": "Delegations arrive for the opening.", "credit": "Silk Way TV", "byline": "Camera: A. Omarov",
        "copyright": "© Silk Way TV 2026", "language": "en", "topics": ["medtop:11000000"],
        "script": "The forum opened this morning.", **SHOTS})
    assert published.status_code == 303, published.text
    item_path = published.headers["location"]
    item_id = item_path.rsplit("/", 1)[1]

    pending = await irna.get(item_path)  # delivered at once; the proxy is not made yet
    assert pending.status_code == 200 and "making the preview" in pending.text
    desk = await irna.get("/desk")
    assert f'hx-get="/items/{item_id}/thumbnail"' in desk.text  # the placeholder asks again

    run_jobs(engine, settings)
    page = await irna.get(item_path)
    text = unescape(page.text)
    assert "Astana hosts the media forum" in text and "Silk Way TV" in text and "© Silk Way TV 2026" in text
    assert re.search(r'<video id="player-\w+" class="video" controls', page.text)
    shots = re.findall(r'data-seek="([\d.]+)"[^>]*><bdi class="timecode" dir="ltr">([\d:]+)</bdi> <span[^>]*>([^<]+)<',
                       page.text)
    assert shots == [("0.0", "00:00:00", "Wide shot of the hall"), ("3.0", "00:00:03", "Ministers shake hands")]
    assert "The forum opened this morning." in text
    urls = set(MEDIA_SRC.findall(unescape(page.text)))
    irna_org = parse_qs(urlsplit(next(iter(urls))).query)["org"]
    assert len(urls) >= 3 and all(parse_qs(urlsplit(u).query)["org"] == irna_org for u in urls)
    for url in urls:  # the partner's browser fetches each (a range, as a player does)
        got = await irna.http.get(url, headers={"Range": "bytes=0-99"})
        assert got.status_code == 206, url
    preview = await irna.get(f"{item_path}/preview")  # the desk's preview pane plays it too
    assert preview.status_code == 200 and '<video id="player-' in preview.text and 'data-seek="3.0"' in preview.text
    desk = await irna.get("/desk")
    thumb = re.search(r'<img class="thumb" src="([^"]+)"', desk.text)
    assert thumb and (await irna.http.get(unescape(thumb[1]))).headers["content-type"] == "image/jpeg"
    outgoing = await silk.get("/outgoing")
    assert '<img class="thumb"' in outgoing.text

    # a stranger: the item page and the thumbnail fragment are missing, and a URL signed for the stranger's own
    # organization finds nothing (a URL is a ticket for the organization it names; entitlement is asked again)
    for path in (item_path, f"{item_path}/thumbnail"):
        assert (await stranger.get(path)).status_code == 404
    with reading(engine) as conn:
        theirs = signer(engine, settings, get_organization(conn, "stranger"))
    for url in urls:
        rendition = urlsplit(url).path.rsplit("/", 1)[1]
        assert (await stranger.http.get(urlsplit(theirs.href(rendition)).path + "?" +
                                        urlsplit(theirs.href(rendition)).query)).status_code == 404
        forged = url.replace(irna_org[0], stranger.member.organization_id)
        assert (await stranger.http.get(forged)).status_code == 403


async def test_a_photo_sent_with_the_form_without_javascript(world, engine, settings) -> None:
    silk, irna = world["silk"], world["irna"]
    response = await silk.http.post("/outgoing/media", data={
        "csrf_token": silk.csrf_token, "headline": "Flag day in Astana", "description": "The flag over the square.",
        "credit": "Silk Way TV", "language": "en", "topics": ["medtop:11000000"]},
        files={"file": ("flag.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 303, response.text
    item_path = response.headers["location"]
    run_jobs(engine, settings)
    page = await irna.get(item_path)
    assert '<figure class="picture">' in page.text and "The flag over the square." in page.text
    preview = re.search(r'<img class="picture" src="([^"]+)"', page.text)
    assert preview and "Download the original" in page.text
    got = await irna.http.get(unescape(preview[1]))
    assert got.status_code == 200 and Image.open(io.BytesIO(got.content)).size == (800, 600)
    assert page.text.count(">The flag over the square.<") == 1  # the caption once, under the picture


async def test_the_form_keeps_what_was_typed_when_something_is_wrong(world) -> None:
    silk = world["silk"]
    upload_id = await tus_upload(silk, jpeg(), "a.jpg", "image/jpeg")
    answer = await silk.http.post("/outgoing/media", data={
        "csrf_token": silk.csrf_token, "upload": upload_id, "headline": "Kept headline",
        "shot_time": ["1:2:3:4"], "shot_text": ["Kept shot"]})
    assert answer.status_code == 422
    assert "HH:MM:SS" in answer.text and 'value="Kept headline"' in answer.text and 'value="Kept shot"' in answer.text
    missing = await silk.http.post("/outgoing/media", data={"csrf_token": silk.csrf_token, "headline": "No file"})
    assert missing.status_code == 422 and "choose a photo" in missing.text.lower()


async def test_uploads_need_the_session_csrf_token_and_stay_with_their_organization(world) -> None:
    silk, irna = world["silk"], world["irna"]
    refused = await silk.http.post("/api/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"})
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "X-CSRF-Token"
    upload_id = await tus_upload(silk, jpeg(), "a.jpg", "image/jpeg")
    theirs = await irna.http.post("/outgoing/media", data={"csrf_token": irna.csrf_token, "upload": upload_id,
                                                           "headline": "Taken over"})
    assert theirs.status_code == 422 and "not ready or not yours" in theirs.text
    head = await irna.http.head(f"/api/v1/uploads/{upload_id}", headers={"Tus-Resumable": "1.0.0"})
    assert head.status_code == 404


async def test_viewers_cannot_open_the_upload_page(sign_in, make_partner) -> None:
    make_partner("silk")
    viewer = await sign_in("silk", "viewer")
    assert (await viewer.get("/outgoing/media")).status_code == 403


@pytest.mark.parametrize("raw, seconds", [("00:01:05", 65.0), ("1:05", 65.0), ("7", 7.0), ("01:00:00.5", 3600.5),
                                          ("00:61:00", None), ("1:2:3:4", None), ("", None), ("ab", None)])
def test_timecodes(raw: str, seconds: float | None) -> None:
    assert parse_timecode(raw) == seconds


@pytest.mark.parametrize(("size", "shown"), [(0, 0.0), (700, 0.001), (4_850, 0.005), (48_501, 0.05), (99_999, 0.1),
                                             (1_234_567, 1.2), (20 * 2**30, 21474.8)])
def test_sizes_in_megabytes_never_read_zero_for_a_file(size: int, shown: float) -> None:
    assert size_in_megabytes(size) == shown


def test_a_shot_list_goes_out_as_text_and_reads_back() -> None:
    shots = shots_from_form(["00:00:10", "", "00:00:02"], ["Crowd", "", "Podium, close"])
    assert shots == [Shot(2.0, "Podium, close"), Shot(10.0, "Crowd")]
    text = shotlist_text(shots)
    assert text == "00:00:02 Podium, close\n00:00:10 Crowd"
    doc = {"bodies": [{"role": "shotlist", "contentType": "text/plain", "value": text + "\nno time here"}]}
    assert read_shotlist(doc) == shots
    with pytest.raises(InvalidInput):
        shots_from_form(["00:00:03"], [""])


CREDENTIALS = {"state": "valid", "signatureValid": True, "hashBindingsValid": True, "trusted": False,
               "signer": {"commonName": "Silk Way TV Photo Desk", "issuer": "Silk Way TV", "algorithm": "Es256",
                          "serialNumber": "42", "signedAt": "2026-12-04T18:20:11+00:00"},
               "claimGenerator": "Silk Way Capture 1.0", "title": "flag.jpg",
               "actions": [{"action": "c2pa.created", "when": None, "softwareAgent": None,
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"},
                           {"action": "c2pa.cropped", "when": None, "softwareAgent": "Photoshop 26.0",
                            "digitalSourceType": None}],
               "ingredients": [{"title": "DSC_0042.jpg", "relationship": "parentOf"}], "failures": [],
               "manifests": 1, "readAt": "2026-12-04T18:21:02+00:00", "manifestStore": {"secret": "operators only"}}


@pytest.mark.parametrize("state", ["valid", "invalid"])
async def test_the_partner_sees_the_content_credentials_of_the_photo(world, engine, settings, state) -> None:
    from newsbridge.db.engine import writing
    from newsbridge.media.records import set_media_c2pa

    silk, irna = world["silk"], world["irna"]
    upload_id = await tus_upload(silk, jpeg(), "flag.jpg", "image/jpeg")
    published = await silk.http.post("/outgoing/media", data={
        "csrf_token": silk.csrf_token, "upload": upload_id, "headline": "Flag over the square", "language": "en",
        "topics": ["medtop:11000000"]})
    item_path = published.headers["location"]
    run_jobs(engine, settings)
    plain = await irna.get(item_path)
    assert 'class="c2pa' not in plain.text  # no credentials read: no panel
    credentials = dict(CREDENTIALS) if state == "valid" else {
        **CREDENTIALS, "state": "invalid", "hashBindingsValid": False,
        "failures": [{"code": "assertion.dataHash.mismatch", "explanation": "the picture changed"}]}
    from newsbridge.media.uploads import upload_media
    with writing(engine) as conn:
        set_media_c2pa(conn, upload_media(engine, silk.member.organization_id, upload_id).id, credentials)
    page = unescape((await irna.get(item_path)).text)
    assert f'<details class="c2pa {state}"' in page
    assert "Silk Way TV Photo Desk · Silk Way TV" in page and "c2pa.cropped" in page and "Photoshop 26.0" in page
    assert "DSC_0042.jpg" in page and "digitalCapture" in page and "not on the hub's trust list" in page
    assert "operators only" not in page  # the manifest store stays with the operators
    if state == "valid":
        assert "Content credentials (C2PA): valid" in page and "unchanged" in page
    else:
        assert "do not check out" in page and "changed after it was signed" in page
        assert "assertion.dataHash.mismatch" in page and "the picture changed" in page


@needs_ffmpeg
async def test_an_audio_clip_plays_with_its_waveform(world, engine, settings, tmp_path) -> None:
    silk, irna = world["silk"], world["irna"]
    clip = tmp_path / "interview.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=3",
                    str(clip)], check=True, timeout=60)
    upload_id = await tus_upload(silk, clip.read_bytes(), "interview.wav", "audio/wav")
    published = await silk.http.post("/outgoing/media", data={
        "csrf_token": silk.csrf_token, "upload": upload_id, "headline": "Interview with the guide", "language": "en",
        "topics": ["medtop:11000000"], "shot_time": ["00:00:01"], "shot_text": ["The guide on the route"]})
    assert published.status_code == 303, published.text
    run_jobs(engine, settings)
    page = await irna.get(published.headers["location"])
    waveform = re.search(r'<img class="waveform" src="([^"]+)"', page.text)
    player = re.search(r'<audio id="(player-\w+)" class="audio" controls preload="metadata" src="([^"]+)"', page.text)
    assert waveform and player
    assert f'data-seek="1.0" data-player="{player[1]}"' in page.text
    assert page.text.count("The guide on the route") == 1  # the shot list is the text, shown once
    got = await irna.http.get(unescape(player[2]))
    assert got.status_code == 200 and got.headers["content-type"] == "audio/mp4"  # the AAC preview, not the WAV
    assert (await irna.http.get(unescape(waveform[1]))).headers["content-type"] == "image/png"
    desk = await irna.get("/desk")  # the list shows the waveform: the recording is no picture
    thumb = re.search(r'<img class="thumb" src="([^"]+)"[^>]*data-kind="audio"', desk.text)
    assert thumb and (await irna.http.get(unescape(thumb[1]))).headers["content-type"] == "image/png"


@needs_ffmpeg
async def test_a_video_published_by_the_api_keeps_its_shot_list_and_script(  # type: ignore[no-untyped-def]
        client, make_partner, sign_in, engine, settings, video) -> None:
    """A partner's system publishes a video with a shot list and a script but no main text (as EBU-style
    exchanges send them): both keep their roles in what partners receive (the shot list is also the main
    text, for readers that show one), and the desk shows the shot list beside the player, the script
    once, and no article repeating either."""
    silk, irna = (make_partner(slug, scopes=("publish", "read", "manage")) for slug in ("silk", "irna"))
    await active_agreement(client, silk, irna, {"languages": ["en"]})
    shotlist = "00:00:00 Wide shot of the hall\n00:00:03 Ministers shake hands"
    meta = {"uri": "urn:silk:report:1", "version": "1", "type": "video", "language": "en",
            "headlines": [{"role": "main", "value": "Astana hosts the media forum"}],
            "bodies": [{"role": "shotlist", "contentType": "text/plain", "value": shotlist},
                       {"role": "script", "contentType": "text/plain", "value": "The forum opened this morning."}]}
    made = await client.post("/api/v1/media", headers=silk.headers, data={"meta": json.dumps(meta)},
                             files={"file": ("report.mp4", video, "video/mp4")})
    assert made.status_code == 201, made.text
    item_id = made.json()["id"]
    received = await client.get(f"/api/v1/items/{item_id}", headers=irna.headers)
    bodies = [(b.get("role"), b["value"]) for b in received.json()["bodies"] if b.get("contentType") == "text/plain"]
    assert bodies == [("main", shotlist), ("shotlist", shotlist), ("script", "The forum opened this morning.")]
    run_jobs(engine, settings)
    page = unescape((await (await sign_in("irna", "editor")).get(f"/items/{item_id}")).text)
    assert re.findall(r'data-seek="([\d.]+)"', page) == ["0.0", "3.0"]
    assert page.count("Ministers shake hands") == 1 and page.count("The forum opened this morning.") == 1


async def test_a_photo_offers_the_caption_and_credit_written_in_it(world, tmp_path) -> None:
    import pyexiv2

    silk, irna = world["silk"], world["irna"]
    path = tmp_path / "tagged.jpg"
    path.write_bytes(jpeg())
    with pyexiv2.Image(str(path)) as tagged:
        tagged.modify_iptc({"Iptc.Application2.Caption": "Rescuers evacuate residents in Oral",
                            "Iptc.Application2.Byline": ["Aigerim N."], "Iptc.Application2.Credit": "Kazinform",
                            "Iptc.Application2.Copyright": "(c) Kazinform 2024", "Iptc.Application2.City": "Oral",
                            "Iptc.Application2.CountryName": "Kazakhstan",
                            "Iptc.Application2.Keywords": ["flood", "Ural"]})
    upload_id = await tus_upload(silk, path.read_bytes(), "tagged.jpg", "image/jpeg")
    found = await silk.get(f"/outgoing/media/uploads/{upload_id}")
    assert found.status_code == 200
    assert found.json() == {"kind": "picture", "contentType": "image/jpeg",
                            "description": "Rescuers evacuate residents in Oral", "byline": "Aigerim N.",
                            "credit": "Kazinform", "copyright": "(c) Kazinform 2024", "located": "Oral, Kazakhstan",
                            "keywords": ["flood", "Ural"]}
    assert (await irna.get(f"/outgoing/media/uploads/{upload_id}")).status_code == 404
    plain = await tus_upload(silk, jpeg(), "plain.jpg", "image/jpeg")
    assert (await silk.get(f"/outgoing/media/uploads/{plain}")).json() == {"kind": "picture",
                                                                           "contentType": "image/jpeg"}


async def test_a_withdrawn_media_item_shows_no_media(world, client, engine, settings) -> None:
    silk, irna = world["silk"], world["irna"]
    upload_id = await tus_upload(silk, jpeg(), "flag.jpg", "image/jpeg")
    published = await silk.http.post("/outgoing/media", data={
        "csrf_token": silk.csrf_token, "upload": upload_id, "headline": "Flag over the square", "language": "en",
        "topics": ["medtop:11000000"]})
    item_path = published.headers["location"]
    run_jobs(engine, settings)
    before = set(MEDIA_SRC.findall(unescape((await irna.get(item_path)).text)))
    assert before
    withdrawn = await silk.post(f"{item_path}/withdraw", {"confirm": "yes"})
    assert withdrawn.status_code == 303, withdrawn.text
    page = await irna.get(item_path)
    assert "Withdrawn." in page.text and not MEDIA_SRC.search(page.text)
    assert f'/items/{item_path.rsplit("/", 1)[1]}/thumbnail' not in (await irna.get("/desk")).text
    for url in before:  # and the URLs handed out before stop working at once
        assert (await irna.http.get(url)).status_code == 404


async def test_an_embargoed_photo_waits_for_its_time(world) -> None:
    from datetime import datetime, timedelta

    silk, irna = world["silk"], world["irna"]
    upload_id = await tus_upload(silk, jpeg(), "flag.jpg", "image/jpeg")
    later = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    published = await silk.http.post("/outgoing/media", data={
        "csrf_token": silk.csrf_token, "upload": upload_id, "headline": "Embargoed flag", "language": "en",
        "topics": ["medtop:11000000"], "embargo": later})
    assert published.status_code == 303, published.text
    item_path = published.headers["location"]
    assert (await silk.get(item_path)).status_code == 200
    assert (await irna.get(item_path)).status_code == 404  # not before the embargo, like any item
    assert "Embargoed flag" not in (await irna.get("/desk")).text
