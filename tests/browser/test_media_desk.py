"""A video report travels through the desk in Chromium: Silk Way TV's editor drops a video on the
upload page (tus, progress bar), fills in the shot list and publishes; the in-process worker makes the
proxy; IRNA's open desk shows the thumbnail without a reload; IRNA's editor plays the proxy and seeks
by clicking a shot; a stranger finds nothing. The item page is photographed into docs/screenshots/ at
desktop and phone width, in English and in Persian (look at them when they change)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import create_organization, get_organization
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.media.links import signer
from tests.browser.desk_world import sign_video_exchange
from tests.browser.test_desk import AXE
from tests.browser.test_screenshots import DOCS_SCREENSHOTS
from tests.live_server import serving

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="Debian's ffmpeg is not installed")]
PASSWORD = "correct horse battery"
OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth"
HEADLINE = "Silk Road caravan reaches Mashhad"
SHOTS = [("00:00:00", "Camels leave the caravanserai at dawn"), ("00:00:04", "Close-up of the lead camel's bell"),
         ("00:00:07", "Crowd greets the caravan in Mashhad")]


@dataclass(frozen=True)
class Hub:
    url: str
    engine: object
    settings: object
    video: Path


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("media-desk")
    video = root / "caravan.mp4"  # ten seconds of colour bars and a tone, made here
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=1280x720:rate=25:duration=10", "-f", "lavfi", "-i", "sine=frequency=440:duration=10",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    str(video)], check=True, timeout=120)
    settings = load_settings(env={}, database_url=f"sqlite:///{root / 'hub.db'}", media_dir=str(root / "media"))
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        for slug, name, zone in (("silk-way-tv", "Silk Way TV", "Asia/Almaty"), ("irna", "IRNA", "Asia/Tehran"),
                                 ("stranger", "Stranger Daily", "UTC")):
            create_organization(conn, slug, name, timezone=zone, credit_name=name)
            add_member(conn, slug, f"editor@{slug}.example", f"Editor of {name}", "editor", PASSWORD)
        add_member(conn, "irna", "dabir@irna.example", "دبیر ایرنا", "editor", PASSWORD, locale="fa")
        sign_video_exchange(conn, "Silk Way TV – IRNA video exchange")
    try:
        with serving(create_app(settings, engine, migrate=False)) as url:
            yield Hub(url, engine, settings, video)
    finally:
        engine.dispose()


def until(page, script: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``script`` (a function of no arguments) is true in the page. Polled through evaluate:
    Playwright's wait_for_function evaluates strings, which the desk's CSP (no unsafe-eval) refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script}"
        page.wait_for_timeout(100)


def serious_problems(page) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on the page as it stands."""
    page.evaluate(AXE.read_text("utf-8"))  # evaluate: the CSP refuses inline script tags
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [(v["id"], v["help"]) for v in found if v["impact"] in ("serious", "critical")]


def signed_in(browser, hub: Hub, email: str, width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{hub.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk")
    return context, page


def test_a_video_report_from_upload_to_the_partner_player(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    irna_context, irna = signed_in(browser, hub, "editor@irna.example")  # IRNA's desk is open all along
    assert irna.locator("[data-live]").count() == 1
    silk_context, silk = signed_in(browser, hub, "editor@silk-way-tv.example")

    silk.goto(f"{hub.url}/outgoing")
    silk.click("a[href='/outgoing/media']")
    silk.wait_for_url("**/outgoing/media")
    assert serious_problems(silk) == []
    seen: list[str] = []

    def drop_the_first_patch(route) -> None:  # type: ignore[no-untyped-def]
        seen.append(route.request.method)
        if route.request.method == "PATCH" and seen.count("PATCH") == 1:
            route.abort("connectionreset")  # the connection drops mid-upload
        else:
            route.continue_()

    silk.route("**/api/v1/uploads/*", drop_the_first_patch)
    silk.set_input_files("#media-file", str(hub.video))
    assert silk.locator("#upload-progress").is_visible()  # the bar shows as soon as the upload starts
    until(silk, "() => document.getElementById('upload-id').value !== ''", 60)
    progress = silk.locator("#upload-progress")
    assert progress.evaluate("p => p.value === p.max && p.max === %d" % hub.video.stat().st_size)
    assert seen.count("PATCH") == 2 and "HEAD" in seen[1:]  # retried: asked where the hub stands, went on
    assert silk.locator("#media-file").is_disabled()  # the form sends the upload's id, not the bytes again
    silk.fill("#headline", HEADLINE)
    silk.fill("#description", "The caravan retraced the old trade route over three weeks.")
    silk.fill("#credit", "Silk Way TV")
    silk.fill("#byline", "Camera: Arman Omarov")
    silk.select_option("#language", "en")
    for index, (timecode, text) in enumerate(SHOTS, start=1):
        if silk.locator(f"#shot-time-{index}").count() == 0:
            silk.click("#add-shot")
        silk.fill(f"#shot-time-{index}", timecode)
        silk.fill(f"#shot-text-{index}", text)
    silk.screenshot(path=str(DOCS_SCREENSHOTS / "media-upload.png"), full_page=True)
    silk.click("#publish-media")
    silk.wait_for_url("**/items/*")
    item_path = urlsplit(silk.url).path

    # IRNA's open desk: the row arrives live (the changes feed holds a version until its media is processed,
    # so it comes with the previews; a placeholder would ask again meanwhile) and shows its thumbnail
    row = irna.locator("#row-list .row", has_text=HEADLINE)
    row.wait_for(timeout=120_000)
    row.locator("img.thumb").wait_for(timeout=60_000)
    until(irna, "() => [...document.querySelectorAll('#row-list img.thumb')].some(i => i.complete && i.naturalWidth > 0)",
          15)  # the picture itself loads (a signed URL the hub serves to IRNA)
    irna.screenshot(path=str(DOCS_SCREENSHOTS / "media-desk.png"))

    row.locator("a.headline").click()
    irna.wait_for_url(f"**{item_path}")
    assert "Silk Way TV via Newsbridge" in irna.inner_text(".terms")  # the credit line over the player
    video = irna.locator("video.video")
    video.wait_for()
    until(irna, "() => document.querySelector('video.video').readyState >= 1")
    assert video.evaluate("v => v.duration") == pytest.approx(10, abs=0.5)
    irna.locator("button.shot", has_text="lead camel").click()
    until(irna, "() => document.querySelector('video.video').currentTime >= 4", 10)
    assert video.evaluate("v => v.currentTime") < 7
    assert irna.locator("button.shot[aria-current=true]", has_text="lead camel").count() == 1
    irna.evaluate("document.querySelector('video.video').pause()")
    assert serious_problems(irna) == []
    irna.screenshot(path=str(DOCS_SCREENSHOTS / "media-item.png"), full_page=True)
    media_urls = irna.evaluate("""() => [...new Set([...document.querySelectorAll(
        'video[src], video[poster], img[src^="/media/"], a[href^="/media/"]')].flatMap(e =>
        [e.getAttribute('src'), e.getAttribute('poster'), e.getAttribute('href')]).filter(u => u && u.startsWith('/media/')))]""")
    assert len(media_urls) >= 4  # proxy, poster, storyboard, original
    for url in media_urls:
        assert irna_context.request.get(hub.url + url, headers={"Range": "bytes=0-9"}).status == 206

    # a phone: the player, then the shot list below it, nothing sideways
    phone_context, phone = signed_in(browser, hub, "editor@irna.example", width=390, height=844)
    phone.goto(hub.url + item_path)
    phone.locator("video.video").wait_for()
    assert not phone.evaluate(OVERFLOW)
    player, shots = phone.locator(".player").bounding_box(), phone.locator("nav.shots").bounding_box()
    assert shots["y"] >= player["y"] + player["height"] - 1
    phone.screenshot(path=str(DOCS_SCREENSHOTS / "media-item-phone.png"), full_page=True)
    phone.set_viewport_size({"width": 360, "height": 800})
    phone.goto(f"{hub.url}/desk")  # the row with its thumbnail fits too
    phone.locator("#row-list .row img.thumb").first.wait_for()
    assert not phone.evaluate(OVERFLOW)
    phone.screenshot(path=str(DOCS_SCREENSHOTS / "media-desk-phone.png"))
    phone.goto(f"{hub.url}/outgoing/media")  # the upload page fits the narrowest phone too
    assert not phone.evaluate(OVERFLOW)
    phone_context.close()

    # Persian: right to left, the shot list's times read left to right with Persian digits around them
    fa_context, fa = signed_in(browser, hub, "dabir@irna.example")
    fa.goto(hub.url + item_path)
    assert fa.get_attribute("html", "dir") == "rtl"
    assert "فهرست نماها" in fa.inner_text("nav.shots")
    assert fa.locator("button.shot .timecode").first.evaluate("e => getComputedStyle(e).direction") == "ltr"
    fa.locator("video.video").wait_for()
    fa.screenshot(path=str(DOCS_SCREENSHOTS / "media-item-persian.png"), full_page=True)
    assert serious_problems(fa) == []
    fa.set_viewport_size({"width": 390, "height": 844})
    fa.reload()
    assert not fa.evaluate(OVERFLOW)
    fa.screenshot(path=str(DOCS_SCREENSHOTS / "media-item-persian-phone.png"), full_page=True)
    fa.goto(f"{hub.url}/outgoing/media")  # the upload form, right to left on a phone; times stay left to right
    assert not fa.evaluate(OVERFLOW) and fa.get_attribute("html", "dir") == "rtl"
    assert fa.locator("#shot-time-1").evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert serious_problems(fa) == []
    fa_context.close()

    # a stranger: the item page is the 404 page, and a media URL signed for the stranger's own organization
    # finds nothing (entitlement is asked again at each request); IRNA's URL re-addressed to it is refused
    stranger_context, stranger = signed_in(browser, hub, "editor@stranger.example")
    answer = stranger.goto(hub.url + item_path)
    assert answer is not None and answer.status == 404
    assert HEADLINE not in stranger.content()
    thumb = stranger_context.request.get(f"{hub.url}{item_path}/thumbnail")
    assert thumb.status == 404
    with reading(hub.engine) as conn:
        theirs = signer(hub.engine, hub.settings, get_organization(conn, "stranger"))
        irna_org = get_organization(conn, "irna")
    for url in media_urls:
        rendition = urlsplit(url).path.rsplit("/", 1)[1]
        assert stranger_context.request.get(hub.url + urlsplit(theirs.href(rendition)).path + "?"
                                            + urlsplit(theirs.href(rendition)).query).status == 404
        stolen = httpx.get(hub.url + url.replace(irna_org.id, theirs.organization_id))
        assert (stolen.status_code, stolen.json()["error"]["code"]) == (403, "link_invalid")
    for context in (stranger_context, silk_context, irna_context):
        context.close()


def test_a_file_that_lies_about_its_type_is_refused_with_the_hubs_words(browser, hub: Hub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    context, page = signed_in(browser, hub, "editor@silk-way-tv.example")
    fake = tmp_path / "report.mp4"
    fake.write_text("This is a script, not a video.\n" * 40)
    page.goto(f"{hub.url}/outgoing/media")
    page.set_input_files("#media-file", str(fake))
    status = page.locator("#upload-status.error")
    status.wait_for(timeout=30_000)
    assert status.inner_text().startswith("The upload failed: ")
    assert "not in a format" in status.inner_text() or "media" in status.inner_text().lower()
    assert page.evaluate("() => document.getElementById('upload-id').value") == ""
    page.fill("#headline", "A report without its video")
    refused = status.inner_text()
    page.click("#publish-media")  # the form repeats why instead of publishing an item without its video
    assert page.locator("#upload-status.error").inner_text() == refused
    assert "/outgoing/media" in page.url
    context.close()
