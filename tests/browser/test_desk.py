"""The desk in Debian's Chromium: sign in, live arrival, filters and search, pickup, Persian, access."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.desk_world import PASSWORD, World, live_world

pytestmark = pytest.mark.browser
AXE = Path(__file__).with_name("vendor") / "axe.min.js"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with live_world(tmp_path_factory.mktemp("desk")) as found:
        yield found


def publish(world: World, slug: str, uri: str, headline: str, language: str, body: str = "Text.") -> str:
    item = {"uri": uri, "version": "1", "type": "text", "language": language,
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": body}]}
    response = httpx.post(f"{world.url}/api/v1/items", json=item,
                          headers={"Authorization": f"Bearer {world.keys[slug]}"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def sign_in(page, world: World, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{world.url}/desk")
    assert "/login" in page.url
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk")


def test_wrong_password_is_refused_politely(page, world: World) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{world.url}/login")
    page.fill("#email", "editor@irna.example")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text().startswith("That e-mail and password do not match")


@pytest.mark.serial  # timed: run alone, after the parallel run
def test_an_item_from_a_partner_appears_without_reload(page, world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, world, "editor@irna.example")
    page.wait_for_timeout(500)  # the live connection opens
    marker = f"Astana hosts Eurasian media forum {time.time_ns()}"
    started = time.monotonic()
    publish(world, "kazinform", f"urn:kazinform:live:{time.time_ns()}", marker, "en")
    page.get_by_text(marker).wait_for(timeout=2_000)
    assert time.monotonic() - started < 2.0
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "desk-incoming.png"))


def test_filters_and_search_narrow_the_list(page, world: World) -> None:  # type: ignore[no-untyped-def]
    publish(world, "kazinform", "urn:kazinform:ru:1", "Казахстан и Иран расширяют обмен новостями", "ru")
    publish(world, "kazinform", "urn:kazinform:kk:1", "Қазақстан мен Иран ақпарат алмасуды кеңейтеді", "kk")
    sign_in(page, world, "viewer@irna.example")
    page.goto(f"{world.url}/desk?language=ru")
    assert page.get_by_text("Казахстан и Иран расширяют обмен новостями").is_visible()
    assert page.get_by_text("Қазақстан мен Иран ақпарат алмасуды кеңейтеді").count() == 0
    page.goto(f"{world.url}/desk")
    page.fill("#q", "кеңейтеді")
    page.click("text=Apply")
    expect(page.locator("#row-list .row")).to_have_count(1)
    page.fill("#q", "")
    page.fill("#since", "2099-01-01")  # arrival dates: nothing has arrived after that day yet
    page.click("text=Apply")
    expect(page.locator("#row-list .row")).to_have_count(0)
    assert "since=2099-01-01" in page.url
    page.click("text=Clear filters")
    expect(page.locator("#row-list .row").nth(1)).to_be_attached()  # two rows or more again
    page.goto(f"{world.url}/desk?q=nothing-like-this")
    assert "Nothing matches these filters" in page.inner_text("main")


def test_keyboard_opens_the_selected_item(page, world: World) -> None:  # type: ignore[no-untyped-def]
    publish(world, "kazinform", "urn:kazinform:kbd:1", "Keyboard story", "en")
    sign_in(page, world, "editor@irna.example")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/items/*")


def test_pick_up_is_recorded(page, world: World) -> None:  # type: ignore[no-untyped-def]
    item_id = publish(world, "kazinform", "urn:kazinform:pick:1", "Story to republish", "en")
    sign_in(page, world, "editor@irna.example")
    page.goto(f"{world.url}/items/{item_id}")
    assert "Kazinform via Newsbridge" in page.inner_text(".terms")
    page.fill("#url", "https://www.irna.ir/news/123")
    page.click("text=Record pickup")
    expect(page.locator("main")).to_contain_text("Pickup recorded")
    assert page.locator("a[href='https://www.irna.ir/news/123']").count() == 1
    page.goto(f"{world.url}/desk?status=picked")
    assert page.get_by_text("Story to republish").is_visible()


def test_persian_renders_right_to_left(page, world: World) -> None:  # type: ignore[no-untyped-def]
    item_id = publish(world, "irna", "urn:irna:fa:1", "گسترش همکاری رسانه‌ای ایران و قزاقستان", "fa",
                      "ایرنا و کازینفورم تبادل خبر را گسترش می‌دهند.")
    sign_in(page, world, "editor@kazinform.example")
    page.goto(f"{world.url}/items/{item_id}")
    heading = page.locator("h1")
    assert heading.get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).direction") == "rtl"
    assert page.locator(".article").get_attribute("dir") == "rtl"
    page.screenshot(path=str(SCREENSHOTS / "desk-persian.png"))


def test_a_stranger_cannot_open_the_item_or_the_agreement(page, world: World) -> None:  # type: ignore[no-untyped-def]
    item_id = publish(world, "kazinform", "urn:kazinform:secret:1", "Only for IRNA", "en")
    sign_in(page, world, "admin@stranger.example")
    for path in (f"/items/{item_id}", "/items/01NOSUCHITEM0000000000000"):
        response = page.goto(f"{world.url}{path}")
        assert response.status == 404
        assert "Only for IRNA" not in page.content()
        assert "nothing your organization may see" in page.inner_text("main")


def test_russian_interface(page, world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, world, "admin@kazinform.example")
    page.goto(f"{world.url}/account")
    page.select_option("#locale", "ru")
    with page.expect_navigation():  # the preference is saved before the next page is asked for
        page.click("form[action='/account/preferences'] button")
    page.goto(f"{world.url}/desk")
    assert page.locator("nav").inner_text().split()[:2] == ["Входящие", "Исходящие"]
    assert page.locator("html").get_attribute("lang") == "ru"
    page.goto(f"{world.url}/account")
    page.select_option("#locale", "en")
    with page.expect_navigation():  # the form's answer before the context closes (closing mid-navigation hung)
        page.click("form[action='/account/preferences'] button")


@pytest.mark.parametrize("path", ["/login", "/desk", "/outgoing", "/partners", "/account"])
def test_pages_have_no_serious_accessibility_problems(page, world: World, path: str) -> None:  # type: ignore[no-untyped-def]
    if path != "/login":
        sign_in(page, world, "admin@irna.example")
    page.goto(f"{world.url}{path}")
    page.evaluate(AXE.read_text("utf-8"))  # evaluate: the CSP refuses inline script tags
    found = page.evaluate("async () => (await axe.run(document)).violations")
    serious = [(v["id"], v["impact"], v["help"]) for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)


def test_phone_width_has_no_sideways_scrolling(page, world: World) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, world, "editor@irna.example")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392
    page.screenshot(path=str(SCREENSHOTS / "desk-phone.png"))
