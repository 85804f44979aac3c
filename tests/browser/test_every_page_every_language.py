"""Every desk page in all four interface languages, in Chromium: no serious or critical axe-core
violation at desktop width, and no sideways scrolling on a 360 px phone."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.browser.desk_world import World, live_world
from tests.browser.test_desk import AXE, publish, sign_in

pytestmark = pytest.mark.browser
LOCALES = ["en", "ru", "kk", "fa"]
WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
            .slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with live_world(tmp_path_factory.mktemp("languages")) as found:
        yield found


@pytest.fixture(scope="module")
def pages(world: World) -> list[str]:
    stamp = time.time_ns()
    received = publish(world, "irna", f"urn:irna:lang:{stamp}", "همکاری رسانه‌ای ایران و قزاقستان گسترش می‌یابد",
                       "fa", "خبرگزاری جمهوری اسلامی ایران و کازینفورم توافق کردند.")
    own = publish(world, "kazinform", f"urn:kazinform:lang:{stamp}",
                  "Astana hosts the Eurasian media forum with partners from twelve countries", "en",
                  "A long paragraph about the forum. " * 20)
    glossary = httpx.post(f"{world.url}/api/v1/glossary", headers={"Authorization": f"Bearer {world.keys['kazinform']}"},
                          json={"forms": {"kk": "Қасым-Жомарт Тоқаев", "ru": "Касым-Жомарт Токаев",
                                          "fa": "قاسم جومارت توکایف", "en": f"Kassym-Jomart Tokayev {stamp}"}})
    assert glossary.status_code == 201, glossary.text
    return ["/glossary", "/desk/across?q=media+cooperation",
            "/desk", "/outgoing", "/agreements", f"/agreements/{world.agreement_id}", "/agreements/new",
            "/partners", "/partners/irna", "/account", "/team/profile", "/alerts", f"/items/{received}", f"/items/{own}",
            "/cooperation", f"/agreements/{world.agreement_id}/metrics", f"/agreements/{world.agreement_id}/report"]


def member_in(browser, world: World, locale: str, width: int):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, world, "admin@kazinform.example")
    page.goto(f"{world.url}/account")
    page.select_option("#locale", locale)
    page.click("form[action='/account/preferences'] button[type=submit]")
    page.wait_for_url("**/account")
    assert page.get_attribute("html", "lang") == locale
    return page


@pytest.mark.parametrize("locale", LOCALES)
def test_no_serious_accessibility_problem_on_any_page(browser, world: World, pages: list[str], locale: str) -> None:  # type: ignore[no-untyped-def]
    page = member_in(browser, world, locale, 1280)
    problems = {}
    for path in pages:
        response = page.goto(f"{world.url}{path}")
        assert response is not None and response.status == 200, path
        page.evaluate(AXE.read_text("utf-8"))  # evaluate: the CSP refuses inline script tags
        found = page.evaluate("async () => (await axe.run(document)).violations")
        serious = [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in found
                   if v["impact"] in ("serious", "critical")]
        if serious:
            problems[path] = serious
    page.context.close()
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_fits_a_phone(browser, world: World, pages: list[str], locale: str) -> None:  # type: ignore[no-untyped-def]
    page = member_in(browser, world, locale, 360)
    overflowing, dotted = {}, []
    for path in pages:
        page.goto(f"{world.url}{path}")
        if page.evaluate("document.documentElement.scrollWidth > innerWidth"):
            overflowing[path] = page.evaluate(WIDEST)
        if locale == "fa" and "\u00b7" in page.inner_text("body"):  # "·" beside Persian digits reads as "۰"
            dotted.append(path)
    page.context.close()
    assert overflowing == {}, overflowing
    assert dotted == [], f"pages with a middle dot in Persian: {dotted}"
