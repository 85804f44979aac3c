"""The media pages in all four interface languages, in Chromium: a video, an audio and a photo item of
Silk Way TV as IRNA's editors see them, IRNA's desk list with their thumbnails and the upload page.
At 1280 px no serious or critical axe-core violation; on a 360 px phone nothing scrolls sideways; in
Persian the pages run right to left (and no "·" sits beside Persian digits). A photo dropped on the
upload page (a real drop event with a DataTransfer, not set_input_files) uploads and is published.

The walk writes four pictures into docs/screenshots/ (look at them when they change):
media-upload-kazakh.png, media-video-russian-phone.png, media-audio-persian-phone.png and
media-desk-kazakh-phone.png. Regenerate them with
``.venv/bin/python -m pytest tests/browser/test_media_pages_every_language.py``.
"""

from __future__ import annotations

import io
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import create_organization
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, writing
from newsbridge.db.migrate import upgrade
from tests.browser.desk_world import PASSWORD, desk_page, sign_video_exchange
from tests.browser.test_every_page_every_language import LOCALES, WIDEST
from tests.browser.test_media_desk import serious_problems, until
from tests.browser.test_project_drafts_live import _drop
from tests.browser.test_screenshots import DOCS_SCREENSHOTS
from tests.live_server import serving
from tests.media.samples import ffmpeg

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="Debian's ffmpeg is not installed")]
PHONE = {"width": 360, "height": 1000}
PICTURES_LOADED = "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
PICTURE_SHOWN = "() => [...document.querySelectorAll('img.picture')].some(i => i.complete && i.naturalWidth > 0)"
# (locale, page, phone?) -> the picture of it in docs/screenshots/, as docs/media.md names them
SCREENSHOTS = {("ru", "video", True): ("media-video-russian-phone.png", True),  # name, full page
               ("fa", "audio", True): ("media-audio-persian-phone.png", False),
               ("kk", "desk", True): ("media-desk-kazakh-phone.png", False)}


@dataclass(frozen=True)
class Hub:
    url: str
    items: dict[str, str]  # video, audio, photo -> item id


def _photo(size: tuple[int, int] = (1200, 800)) -> bytes:
    """A JPEG with something to see: two gradients over each other (made here, never downloaded)."""
    red = Image.linear_gradient("L").resize(size)
    blue = Image.radial_gradient("L").resize(size)
    out = io.BytesIO()
    Image.merge("RGB", (red, Image.new("L", size, 110), blue)).save(out, "JPEG", quality=85)
    return out.getvalue()


def _make_media(root: Path) -> dict[str, tuple[Path, str]]:
    video, audio, photo = root / "caravan.mp4", root / "interview.mp3", root / "mashhad.jpg"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x360:rate=25:duration=8", "-f", "lavfi",
           "-i", "sine=frequency=440:duration=8", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-shortest", str(video))
    ffmpeg("-f", "lavfi", "-i", "aevalsrc=0.8*sin(2*PI*330*t)*(0.55+0.45*sin(2*PI*0.6*t)):s=44100:d=6",
           "-c:a", "libmp3lame", str(audio))  # a tone that swells and fades: a waveform with a shape
    photo.write_bytes(_photo())
    return {"video": (video, "video/mp4"), "audio": (audio, "audio/mpeg"), "photo": (photo, "image/jpeg")}


META = {"video": ("Silk Road caravan reaches Mashhad", "00:00:00 Camels leave the caravanserai at dawn\n"
                  "00:00:03 Close-up of the lead camel's bell, a long description that wraps over several lines\n"
                  "00:00:06 Crowd greets the caravan in Mashhad"),
        "audio": ("Interview: the caravan leader", "00:00:00 Question about the route\n00:00:03 Answer"),
        "photo": ("The caravan in Mashhad's old bazaar", None)}


def _publish(url: str, key: str, kind: str, path: Path, content_type: str) -> str:
    headline, shots = META[kind]
    meta = {"headlines": [{"role": "main", "value": headline}], "language": "en", "copyrightNotice": "© Silk Way TV",
            "infoSources": [{"name": "Silk Way TV", "role": "credit"}],
            "bodies": [{"role": "shotlist", "contentType": "text/plain", "value": shots}] if shots else
            [{"role": "main", "contentType": "text/plain", "value": "Traders and travellers meet the caravan."}]}
    made = httpx.post(f"{url}/api/v1/media", headers={"Authorization": f"Bearer {key}"}, timeout=60,
                      files={"file": (path.name, path.read_bytes(), content_type)}, data={"meta": json.dumps(meta)})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _until_previews(url: str, key: str, items: dict[str, str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        for item_id in items.values():
            while client.get(f"/api/v1/items/{item_id}").json()["hub"]["media"][0]["previews"] != "ready":
                assert time.monotonic() < deadline, f"no previews for {item_id} after {timeout} s"
                time.sleep(0.2)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("media-languages")
    files = _make_media(root)
    settings = load_settings(env={}, database_url=f"sqlite:///{root / 'hub.db'}", media_dir=str(root / "media"))
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        for slug, name, zone in (("silk-way-tv", "Silk Way TV", "Asia/Almaty"), ("irna", "IRNA", "Asia/Tehran")):
            create_organization(conn, slug, name, timezone=zone, credit_name=name)
            for locale in LOCALES:
                add_member(conn, slug, f"editor-{locale}@{slug}.example", f"Editor {locale}", "editor", PASSWORD,
                           locale=locale)
        key = create_api_key(conn, "silk-way-tv", ("publish", "read"))[1]
        sign_video_exchange(conn, "Silk Way TV – IRNA")
    try:
        with serving(create_app(settings, engine, migrate=False)) as url:  # with the in-process media worker
            items = {kind: _publish(url, key, kind, *found) for kind, found in files.items()}
            _until_previews(url, key, items)
            yield Hub(url, items)
    finally:
        engine.dispose()


def _pages(hub: Hub) -> dict[str, str]:
    return {"desk": "/desk", "upload": "/outgoing/media",
            **{kind: f"/items/{item_id}" for kind, item_id in hub.items.items()}}


def _media_shown(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Each item page shows its media (not a 'still processing' note), and every picture has loaded."""
    selector = {"video": "video.video", "audio": "audio.audio", "photo": "img.picture", "desk": "#row-list img.thumb"}
    if name in selector:
        page.locator(selector[name]).first.wait_for()
        assert page.locator(".media-pending").count() == 0, name
    if name == "desk":
        assert page.locator("#row-list img.thumb").count() == 3  # the three items, each with its thumbnail
    until(page, PICTURES_LOADED, 20)
    if name == "video":
        until(page, "() => document.querySelector('video.video').readyState >= 1", 20)


@pytest.mark.parametrize("locale", LOCALES)
def test_media_pages_pass_axe_at_desktop_width(browser, hub: Hub, locale: str) -> None:  # type: ignore[no-untyped-def]
    context, page = desk_page(browser, hub.url, f"editor-{locale}@irna.example")
    problems = {}
    for name, path in _pages(hub).items():
        answer = page.goto(hub.url + path)
        assert answer is not None and answer.status == 200, path
        assert page.get_attribute("html", "lang") == locale
        assert page.get_attribute("html", "dir") == ("rtl" if locale == "fa" else "ltr")
        _media_shown(page, name)
        if found := serious_problems(page):
            problems[name] = found
    context.close()
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_media_pages_fit_a_phone(browser, hub: Hub, locale: str) -> None:  # type: ignore[no-untyped-def]
    context, page = desk_page(browser, hub.url, f"editor-{locale}@irna.example", width=PHONE["width"])
    page.set_viewport_size(PHONE)
    overflowing, dotted = {}, []
    for name, path in _pages(hub).items():
        page.goto(hub.url + path)
        _media_shown(page, name)
        if page.evaluate("document.documentElement.scrollWidth > innerWidth"):
            overflowing[name] = page.evaluate(WIDEST)
        if locale == "fa" and "\u00b7" in page.inner_text("body"):  # "·" beside Persian digits reads as "۰"
            dotted.append(name)
        if (locale, name, True) in SCREENSHOTS:
            file, full_page = SCREENSHOTS[(locale, name, True)]
            page.screenshot(path=str(DOCS_SCREENSHOTS / file), full_page=full_page)
    context.close()
    assert overflowing == {}, overflowing
    assert dotted == [], f"pages with a middle dot in Persian: {dotted}"


def test_a_dropped_photo_is_uploaded_and_published(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    """The drop zone's own handler (tus-upload.js): the drop starts the upload and ends the zone's highlight."""
    context, page = desk_page(browser, hub.url, "editor-kk@silk-way-tv.example")
    page.goto(f"{hub.url}/outgoing/media")
    assert not page.locator("#upload-state").is_visible()
    photo = _photo((900, 600))
    _drop(page, "#drop-zone", "bazaar.jpg", photo)
    assert page.locator("#upload-state").is_visible() and page.inner_text("#file-name") == "bazaar.jpg"
    until(page, "() => document.getElementById('upload-id').value !== ''", 60)
    assert page.locator("#upload-progress").evaluate("p => p.value === p.max && p.max === %d" % len(photo))
    assert page.locator("#drop-zone.dragging").count() == 0  # the drop ended the drag's highlight
    assert page.locator("#media-file").is_disabled()  # the form sends the upload's id, not the bytes again
    page.fill("#headline", "Базардағы керуен")
    page.fill("#description", "Мешхедтің ескі базарындағы керуен.")
    page.fill("#credit", "Silk Way TV")
    page.select_option("#language", "kk")
    page.screenshot(path=str(DOCS_SCREENSHOTS / "media-upload-kazakh.png"))
    page.click("#publish-media")
    page.wait_for_url("**/items/*")
    deadline = time.monotonic() + 60
    while not page.evaluate(PICTURE_SHOWN):
        assert time.monotonic() < deadline, "the dropped photo's preview never showed"
        page.wait_for_timeout(300)  # the in-process worker makes the preview; the page says to reload
        page.reload()
    assert "Базардағы керуен" in page.inner_text("h1") and page.locator("img.picture").count() == 1
    context.close()
