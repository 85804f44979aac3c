"""The desk's main journeys in all four interface languages on a 360 px phone, in Chromium.

An IRNA editor reads a partner's item, records a pickup, publishes an item from the form and
finds it among our items, then opens the alert centre; the source then sees the pickup. At every
step the page must not scroll sideways and must be in the member's language.
"""

from __future__ import annotations

import time

import pytest

from tests.browser.desk_world import World, live_world
from tests.browser.test_desk import publish, sign_in

pytestmark = pytest.mark.browser
# One word each page shows in every language: the navigation's "Incoming".
INCOMING = {"en": "Incoming", "ru": "Входящие", "kk": "Кіріс", "fa": "دریافتی"}
OVERFLOW = "document.documentElement.scrollWidth > innerWidth"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with live_world(tmp_path_factory.mktemp("journeys")) as found:
        yield found


def fits(page, step: str) -> None:  # type: ignore[no-untyped-def]
    assert not page.evaluate(OVERFLOW), f"{step}: the page scrolls sideways"


@pytest.mark.parametrize("locale", list(INCOMING))
def test_read_pick_up_publish_and_check_alerts(browser, world: World, locale: str) -> None:  # type: ignore[no-untyped-def]
    stamp = time.time_ns()
    headline = f"Kazinform and IRNA open a joint bureau {stamp}"
    received = publish(world, "kazinform", f"urn:kazinform:journey:{stamp}", headline, "en")
    page = browser.new_context(viewport={"width": 360, "height": 780}).new_page()
    sign_in(page, world, "editor@irna.example")
    page.goto(f"{world.url}/account")
    page.select_option("#locale", locale)
    page.click("form[action='/account/preferences'] button[type=submit]")
    page.wait_for_url("**/account")

    page.goto(f"{world.url}/desk")
    assert INCOMING[locale] in page.locator("nav").inner_text()
    page.get_by_text(headline).first.click()
    page.wait_for_url(f"**/items/{received}")
    fits(page, "item")
    page.fill("#url", f"https://www.irna.ir/news/{stamp}")
    page.locator("form[action$='/pickup'] button[type=submit]").click()
    page.wait_for_url(f"**/items/{received}?picked=1")
    assert f"https://www.irna.ir/news/{stamp}" in page.content()
    fits(page, "after pickup")

    own = f"IRNA report from the joint bureau {stamp}"
    page.goto(f"{world.url}/outgoing")
    fits(page, "outgoing")
    page.fill("#headline", own)
    page.fill("#body", "تهران – خبرنگاران دو کشور در دفتر مشترک کار می‌کنند.")
    page.locator("form[action='/outgoing/publish'] button[type=submit]").click()
    page.wait_for_load_state("load")
    page.goto(f"{world.url}/outgoing?q={stamp}")
    assert own in page.inner_text("main")
    fits(page, "outgoing search")

    page.goto(f"{world.url}/alerts")
    assert page.get_attribute("html", "lang") == locale
    fits(page, "alerts")
    page.context.close()

    source = browser.new_context(viewport={"width": 360, "height": 780}).new_page()
    sign_in(source, world, "editor@kazinform.example")
    source.goto(f"{world.url}/items/{received}")
    assert f"https://www.irna.ir/news/{stamp}" in source.content()  # the source sees the pickup
    fits(source, "source's item")
    source.context.close()
