"""What editors hit first (issue 11), in Chromium: topic chips, the "End for good" confirmation,
every page at 360 px without sideways scrolling, the filters first on a phone, and the
unread-by-partner panel refreshed by a live arrival."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.browser.desk_world import World, live_world
from tests.browser.test_desk import publish, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with live_world(tmp_path_factory.mktemp("editing")) as found:
        yield found


def test_topic_chips_store_qcodes_and_complete_any_topic(page, world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, world, "editor@kazinform.example")
    page.goto(f"{world.url}/outgoing")
    assert page.locator("#topics").is_hidden()  # the multi-select stays as the form's truth
    page.fill("#headline", "Budget for film and television")
    page.fill("#topics-search", "economy, bus")
    page.keyboard.press("Enter")
    page.fill("#topics-search", "arts, cul")
    page.locator("#topics-suggestions [role=option]").first.click()
    chips = page.locator(".chip").all_inner_texts()
    assert sorted(c.replace("×", "").strip() for c in chips) == ["arts, culture, entertainment and media",
                                                                "economy, business and finance"]
    assert page.eval_on_selector("#topics", "s => Array.from(s.selectedOptions).map(o => o.value)") == \
        ["medtop:01000000", "medtop:04000000"]
    page.locator(".chip[data-qcode='medtop:04000000'] .chip-remove").click()
    assert len(page.locator(".chip").all()) == 1
    page.fill("#topics-search", "economy, business")
    page.keyboard.press("Enter")
    page.click("form[action='/outgoing/publish'] button[type=submit]")
    page.wait_for_url("**/items/*")
    text = page.inner_text("main")
    assert "economy, business and finance" in text and "arts, culture, entertainment and media" in text


def test_end_for_good_asks_in_a_dialog_first(browser, world: World) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, world, "admin@kazinform.example")
    page.goto(f"{world.url}/agreements/new")
    page.fill("#title", "A short-lived exchange")
    page.select_option("select[name=partners]", "stranger")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/agreements/*")
    agreement_url = page.url.split("?")[0]
    page.click("#end-for-good")
    dialog = page.locator("#end-dialog")
    assert dialog.is_visible() and page.url.split("?")[0] == agreement_url  # no page load, nothing ended
    dialog.get_by_text("No, keep it").click()
    assert not dialog.is_visible()
    assert "proposed" in page.inner_text("#status").lower()
    page.click("#end-for-good")
    dialog.get_by_role("button", name="Yes, end it for good").click()
    page.wait_for_url("**done=ended*")
    assert "ended" in page.inner_text("#status").lower()


WIDEST = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1 || e.scrollWidth > e.clientWidth + 1)
  .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40)).slice(0, 8)"""


def _pages(world: World, slug: str) -> list[str]:
    own = publish(world, slug, f"urn:{slug}:phone:{time.time_ns()}",
                  "A rather long headline about the regional media cooperation forum in Astana", "en",
                  "https://example.org/a/very/long/path/that/should/wrap/rather/than/push/the/page/sideways")
    return ["/desk", "/outgoing", "/agreements", f"/agreements/{world.agreement_id}", f"/agreements/{world.agreement_id}/end",
            "/agreements/new", "/partners", "/account", f"/items/{own}"]


@pytest.mark.parametrize("who", ["admin@kazinform.example", "editor@irna.example"])
def test_every_page_fits_360_pixels(browser, world: World, who: str) -> None:  # type: ignore[no-untyped-def]
    received = publish(world, "kazinform", f"urn:kazinform:phone:{time.time_ns()}", "Received at phone width", "en")
    page = browser.new_context(viewport={"width": 360, "height": 780}).new_page()
    sign_in(page, world, who)
    slug = who.split("@")[1].split(".")[0]
    page.goto(f"{world.url}/items/{received}")
    if slug == "irna":
        page.fill("#url", "https://www.irna.ir/en/news/85000000/a-long-pickup-address-that-must-wrap-on-a-phone")
        page.click("text=Record pickup")
    for path in [*_pages(world, slug), f"/items/{received}"]:
        page.goto(f"{world.url}{path}")
        width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1], (path, width, page.evaluate(WIDEST))


def test_on_a_phone_the_filters_come_first_folded(browser, world: World) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": 360, "height": 780}).new_page()
    sign_in(page, world, "editor@irna.example")
    panel, rows = page.locator("#filter-panel"), page.locator("#rows")
    assert panel.bounding_box()["y"] < rows.bounding_box()["y"]  # type: ignore[index]
    assert page.evaluate("document.getElementById('filter-panel').open") is False
    page.click("#filter-panel > summary")
    assert page.locator("#q").is_visible()
    page.goto(f"{world.url}/desk?language=en")  # a filter in use stays in sight
    assert page.evaluate("document.getElementById('filter-panel').open") is True


def test_the_unread_panel_refreshes_on_a_live_arrival(page, world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, world, "editor@irna.example")
    page.wait_for_timeout(500)  # the live connection opens
    before = page.locator("#unread").inner_text()
    publish(world, "kazinform", f"urn:kazinform:unread:{time.time_ns()}", "Live arrival for the panel", "en")
    page.get_by_text("Live arrival for the panel").wait_for(timeout=3_000)
    page.wait_for_function("b => document.getElementById('unread').innerText !== b", arg=before, timeout=3_000)
    assert "Kazinform" in page.locator("#unread").inner_text() and "kazinform" not in page.locator("#unread").inner_text()
    assert httpx.get(f"{world.url}/static/favicon.svg").status_code == 200
