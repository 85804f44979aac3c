"""The demo desk in Persian (right to left) and Kazakh, in Chromium: what the browser lays out.

IRNA's editor chooses Persian on the account page and Kazinform's editor Kazakh, as members do.
Checked by computed style and geometry, at desktop width and at a 360 px phone; the desk and an
item page in both languages are photographed into docs/screenshots/ (look at them when they change).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_screenshots import DOCS_SCREENSHOTS, demo, sign_in  # noqa: F401  (demo: fixture)

pytestmark = pytest.mark.browser
LATIN_DIGIT = re.compile(r"[0-9]")
OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth"


def choose_language(page, url: str, locale: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/account")
    page.select_option("#locale", locale)
    page.click("form[action='/account/preferences'] button[type=submit]")
    page.wait_for_url("**/account")
    assert page.get_attribute("html", "lang") == locale


def open_an_english_item(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#row-list .row a.headline[lang=en]").first.click()
    page.wait_for_url("**/items/*")


def test_the_persian_desk_reads_right_to_left(page, demo) -> None:  # type: ignore[no-untyped-def]
    url, _report = demo
    sign_in(page, demo, "editor@irna.example")
    choose_language(page, url, "fa")
    page.goto(f"{url}/desk")
    assert page.get_attribute("html", "dir") == "rtl"

    # an English headline lines up with its details on the right, its own text still left to right
    row = page.locator("#row-list .row:has(a.headline[lang=en])").first
    headline, meta = row.locator("a.headline"), row.locator(".meta")
    assert headline.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert headline.evaluate("e => getComputedStyle(e).textAlign") == "right"
    text_right = headline.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); "
                                   "return r.getBoundingClientRect().right }")
    assert abs(text_right - meta.bounding_box()["x"] - meta.bounding_box()["width"]) < 4
    # the time in a row is one isolated run with Persian digits and no seconds
    time = row.locator(".meta bdi.time").inner_text()
    assert not LATIN_DIGIT.search(time) and re.search(r"[۰-۹]+:[۰-۹]{2}$", time), time
    page.screenshot(path=str(DOCS_SCREENSHOTS / "desk-persian.png"))

    open_an_english_item(page)
    header = page.locator(".item-meta")
    received = header.locator("bdi.received")
    assert received.count() == 1 and received.inner_text().startswith("دریافت: ")
    assert not LATIN_DIGIT.search(received.inner_text())
    assert received.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
    # version lines carry their words and no Latin list number that would show as ".1"
    assert page.locator("ol.versions").evaluate("e => getComputedStyle(e).listStyleType") == "none"
    assert page.locator("ol.versions li").first.inner_text().startswith("نسخهٔ ۱")
    # the URL field reads left to right, so its placeholder shows "https://", not "//:https"
    assert page.locator("#url").evaluate("e => getComputedStyle(e).direction") == "ltr"
    page.screenshot(path=str(DOCS_SCREENSHOTS / "item-desk-persian.png"), full_page=True)

    page.goto(f"{url}/agreements")
    page.locator("main a[href^='/agreements/0']").first.click()
    page.wait_for_url("**/agreements/*")
    arrow = page.locator("a.back .icon-back")
    assert arrow.evaluate("e => getComputedStyle(e).transform") == "matrix(-1, 0, 0, 1, 0, 0)"  # points right
    link = page.locator("a.back").bounding_box()
    assert arrow.bounding_box()["x"] + arrow.bounding_box()["width"] >= link["x"] + link["width"] - 1  # at the start
    progress = page.locator("#progress").inner_text()
    assert "٪" in progress and "انجام شد" in progress and not LATIN_DIGIT.search(progress), progress


@pytest.mark.parametrize("locale, email", [("fa", "editor@irna.example"), ("kk", "editor@kazinform.example")])
def test_no_sideways_scrolling_at_360_px(page, demo, locale: str, email: str) -> None:  # type: ignore[no-untyped-def]
    url, _report = demo
    sign_in(page, demo, email)
    choose_language(page, url, locale)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{url}/desk")
    assert not page.evaluate(OVERFLOW)
    search = page.locator("#q")
    assert search.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # the placeholder is not cut off the box
    page.locator("#row-list .row a.headline").first.click()
    page.wait_for_url("**/items/*")
    assert not page.evaluate(OVERFLOW)
    page.goto(f"{url}/agreements")
    assert not page.evaluate(OVERFLOW)


def test_the_kazakh_desk(page, demo) -> None:  # type: ignore[no-untyped-def]
    url, _report = demo
    sign_in(page, demo, "editor@kazinform.example")
    choose_language(page, url, "kk")
    page.goto(f"{url}/desk")
    assert page.get_attribute("html", "dir") == "ltr"
    words = page.inner_text("main")
    assert "Кіріс" in words and "парсы тілі" in words  # language names, not codes
    time = page.locator("#row-list .row .meta bdi.time").first.inner_text()
    assert re.fullmatch(r"\d{4}\s?ж\. \d{1,2} \w+\.?, \d{2}:\d{2}", time), time
    page.screenshot(path=str(DOCS_SCREENSHOTS / "desk-kazakh.png"))
    page.locator("#row-list .row a.headline[lang=fa]").first.click()
    page.wait_for_url("**/items/*")
    header = page.inner_text(".item-meta")
    assert "Алынды:" in header and "-нұсқа" in header, header
    assert "received under" not in page.inner_text("main")
    page.screenshot(path=str(DOCS_SCREENSHOTS / "item-desk-kazakh.png"), full_page=True)
