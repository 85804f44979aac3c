"""The item page's translation part in Chromium, in en/ru/kk/fa at 1280 and 360 px: an editor of
Kazinform corrects the machine translation of an IRNA item through the form and shares it; IRNA
sees it on its own item page. Screenshots land in test-results/ (look at them after a change)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsbridge.accounts.members import add_member
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, writing
from newsbridge.db.migrate import upgrade
from tests.browser.conftest import SCREENSHOTS, browser  # noqa: F401  (browser: fixture)
from tests.browser.desk_world import AGREEMENT, PASSWORD
from tests.live_server import serving
from tests.translation.far_side import far_side
from tests.translation.test_translation_pages import FA_STORY

pytestmark = pytest.mark.browser
TEXTS = {  # a corrected headline and text in each desk language
    "en": ("Media cooperation", "A corrected first paragraph.\n\nA meeting with Kassym-Jomart Tokayev."),
    "ru": ("Сотрудничество СМИ", "Исправленный первый абзац.\n\nВстреча с Касым-Жомартом Токаевым."),
    "kk": ("БАҚ саласындағы ынтымақтастық", "Түзетілген бірінші абзац.\n\nҚасым-Жомарт Тоқаевпен кездесу."),
    "fa": ("گفت‌وگوهای همکاری رسانه‌ای", "رئیس‌جمهور با وزیر دیدار کرد.\n\nگفت‌وگوها ادامه یافت."),
}
OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth"
LOCALES = ("en", "ru", "kk", "fa")
EN_STORY = {"uri": "urn:irna:en:1", "language": "en", "headlines": [{"value": "Media cooperation talks"}],
            "bodies": [{"contentType": "text/plain", "value": "The president met the minister.\n\nTalks went on."}]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live hub with a translator on loopback, IRNA and Kazinform under an agreement, an editor of
    Kazinform per desk language, IRNA's Persian item (and, for the Persian desk, an English one)
    delivered to Kazinform, and Kazinform's Russian translation of the first shared with IRNA."""
    from newsbridge.accounts.api_keys import create_api_key
    from newsbridge.accounts.organizations import create_organization, get_organization
    from newsbridge.exchange.agreements import act, create_agreement
    from newsbridge.exchange.lifecycle import Action

    directory: Path = tmp_path_factory.mktemp("corrections")
    with far_side() as side:
        settings = load_settings(env={}, database_url=f"sqlite:///{directory / 'hub.db'}").replace(
            translator_url=side.url, translator_api_key=side.api_key, allow_private_targets=("127.0.0.0/8",))
        engine = create_engine(settings.database_url)
        upgrade(engine)
        with writing(engine) as conn:
            create_organization(conn, "kazinform", "Kazinform", timezone="Asia/Almaty", languages=["kk", "ru", "en"])
            create_organization(conn, "irna", "IRNA", timezone="Asia/Tehran", languages=["fa", "en"])
            key = create_api_key(conn, "irna", ("publish", "read", "manage"))[1]
            theirs = create_api_key(conn, "kazinform", ("publish", "read"))[1]
            for locale in LOCALES:
                add_member(conn, "kazinform", f"editor-{locale}@kazinform.example", f"Editor {locale}", "editor",
                           PASSWORD, locale=locale)
            add_member(conn, "irna", "editor@irna.example", "Editor of IRNA", "editor", PASSWORD, locale="fa")
            kazinform, irna = get_organization(conn, "kazinform"), get_organization(conn, "irna")
            agreement = create_agreement(conn, kazinform, "test", AGREEMENT)
            act(conn, agreement.id, Action.PROPOSE, kazinform, "test")
            act(conn, agreement.id, Action.SIGN, kazinform, "test")
            act(conn, agreement.id, Action.SIGN, irna, "test")
        try:
            with serving(create_app(settings, engine, migrate=False)) as url:
                ids = {}
                for name, doc in (("fa", FA_STORY), ("en", EN_STORY)):
                    made = httpx.post(f"{url}/api/v1/items", json=doc, headers={"Authorization": f"Bearer {key}"})
                    assert made.status_code == 201, made.text
                    ids[name] = made.json()["id"]
                base = f"{url}/api/v1/items/{ids['fa']}/translations/ru"
                kazinform_key = {"Authorization": f"Bearer {theirs}"}
                corrected = {"headline": "Сотрудничество в сфере СМИ",
                             "text": "Первый абзац.\n\nВстреча с Касым-Жомартом Токаевым."}
                assert httpx.put(base, json=corrected, headers=kazinform_key).status_code == 200
                assert httpx.post(f"{base}:share", headers=kazinform_key).status_code == 200
                yield {"url": url, "item_id": ids["fa"], "en_item_id": ids["en"]}
        finally:
            engine.dispose()


def _sign_in(browser, url: str, email: str, width: int):  # type: ignore[no-untyped-def]  # noqa: F811
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk")
    return page


@pytest.mark.parametrize("locale", LOCALES)
def test_correct_and_share_in_every_language(browser, world,  # type: ignore[no-untyped-def]  # noqa: F811
                                             locale: str) -> None:
    # the Persian desk reads the English item: an item is never translated into its own language
    url, item_id = world["url"], world["en_item_id" if locale == "fa" else "item_id"]
    page = _sign_in(browser, url, f"editor-{locale}@kazinform.example", 1280)
    page.goto(f"{url}/items/{item_id}?translate=1")
    assert page.locator("html").get_attribute("dir") == ("rtl" if locale == "fa" else "ltr")
    page.locator("details.translation-edit > summary").click()
    headline, text = TEXTS[locale]
    page.fill("#translation-headline", f"{headline} <b>not bold</b>")
    page.fill("#translation-body", text)
    page.locator("details.translation-edit button[type=submit]").click()
    page.wait_for_url("**translation_saved=1**")
    assert page.locator("#translation strong").first.inner_text().endswith("<b>not bold</b>")  # text, not markup
    page.locator("form.translation-share button").click()
    page.wait_for_url("**translation_shared=1**")
    assert text.split("\n\n")[1] in page.locator("#translation").inner_text()
    page.locator("details.translation-edit > summary").click()  # the form open in the pictures
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        assert not page.evaluate(OVERFLOW), f"{locale} at {width} px scrolls sideways"
        page.locator("#translation").screenshot(path=str(SCREENSHOTS / f"human-translation-{locale}-{width}.png"))
    page.context.close()


def test_the_source_sees_what_was_shared(browser, world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    url, item_id = world["url"], world["item_id"]
    for width in (1280, 360):
        page = _sign_in(browser, url, "editor@irna.example", width)
        page.goto(f"{url}/items/{item_id}")
        shared = page.locator("#shared-translations")
        shared.locator("details").first.locator("summary").click()
        assert not page.evaluate(OVERFLOW)
        assert "Kazinform" in shared.inner_text()
        shared.screenshot(path=str(SCREENSHOTS / f"human-translation-shared-fa-{width}.png"))
        page.context.close()
