"""The media rules form of the agreement page in Chromium: Silk Way TV's admin opens it, a wrong
resolution comes back with the hub's words beside the field, a right one amends the terms; in English
and in Persian (right to left), at desktop and at 360 px, axe-clean, nothing sideways. The terms
section is photographed into docs/screenshots/ (look at the pictures when they change)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import create_organization, get_organization
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.exchange.agreements import act, create_agreement, load_agreement
from newsbridge.exchange.lifecycle import Action
from tests.browser.test_media_desk import OVERFLOW, serious_problems
from tests.browser.test_screenshots import DOCS_SCREENSHOTS
from tests.live_server import serving

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
TERMS = "section[aria-labelledby=terms-title]"


@dataclass(frozen=True)
class Hub:
    url: str
    engine: object
    agreement_id: str


@pytest.fixture  # one hub per test: each starts from the same terms
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("agreement-media")
    settings = load_settings(env={}, database_url=f"sqlite:///{root / 'hub.db'}", media_dir=str(root / "media"))
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        for slug, name, zone in (("silk-way-tv", "Silk Way TV", "Asia/Almaty"), ("irna", "IRNA", "Asia/Tehran"),
                                 ("kazinform", "Kazinform", "Asia/Almaty")):
            create_organization(conn, slug, name, timezone=zone, credit_name=name)
        add_member(conn, "silk-way-tv", "admin@silk-way-tv.example", "Aigerim Omarova", "admin", PASSWORD)
        add_member(conn, "silk-way-tv", "modir@silk-way-tv.example", "مدیر سیلک وی", "admin", PASSWORD, locale="fa")
        silk = get_organization(conn, "silk-way-tv")
        agreement = create_agreement(conn, silk, "test", {
            "title": "Silk Way TV – IRNA – Kazinform video exchange", "parties": ["silk-way-tv", "irna", "kazinform"],
            "terms": [{"from": "silk-way-tv", "types": ["text", "video"], "languages": ["en", "ru"],
                       "media": {"types": ["video"], "max_resolution": 1080,
                                 "partners": {"irna": {"proxy_only": True}}}},
                      {"from": "irna", "languages": ["fa", "en"]}]})
        act(conn, agreement.id, Action.PROPOSE, silk, "test")
        for slug in ("silk-way-tv", "irna", "kazinform"):
            act(conn, agreement.id, Action.SIGN, get_organization(conn, slug), "test")
    try:
        with serving(create_app(settings, engine, migrate=False)) as url:
            yield Hub(url, engine, agreement.id)
    finally:
        engine.dispose()


def signed_in(browser, hub: Hub, email: str, width: int):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{hub.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk")
    page.goto(f"{hub.url}/agreements/{hub.agreement_id}")
    page.click("#media-0 summary")
    return context, page


@pytest.mark.parametrize(("email", "name"), [("admin@silk-way-tv.example", "agreement-media-rules"),
                                             ("modir@silk-way-tv.example", "agreement-media-rules-persian")])
def test_the_media_rules_form_reads_well_wide_and_narrow(browser, hub: Hub, email: str, name: str) -> None:  # type: ignore[no-untyped-def]
    context, page = signed_in(browser, hub, email, 1280)
    form = page.locator("#media-0 form")
    assert form.is_visible() and page.locator("input[name='proxy_only:irna']").is_checked()
    assert page.locator("#media0-max_resolution").input_value() == "1080"
    assert page.locator("input[name=kinds][value=video]").is_checked()
    assert page.locator("details.media-rules").count() == 1  # IRNA's term is IRNA's to change
    if "persian" in name:
        assert page.get_attribute("html", "dir") == "rtl"
        assert "ذخیرهٔ قواعد رسانه" in form.inner_text()
    assert serious_problems(page) == []
    page.locator(TERMS).screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 360, "height": 800})
    page.reload()
    page.click("#media-0 summary")
    assert not page.evaluate(OVERFLOW)
    assert serious_problems(page) == []
    page.locator(TERMS).screenshot(path=str(DOCS_SCREENSHOTS / f"{name}-phone.png"))
    context.close()


def test_a_wrong_resolution_is_shown_beside_the_field_and_a_right_one_amends(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    context, page = signed_in(browser, hub, "admin@silk-way-tv.example", 360)
    page.fill("#media0-max_resolution", "8")
    page.click("#media-0 button[type=submit]")
    field = page.locator("#media0-max_resolution")
    expect(field).to_have_attribute("aria-invalid", "true")  # the answer's page, not the form before it
    assert field.input_value() == "8"
    assert "a whole number from 16 to 16384" in page.inner_text("#media0-max_resolution-error")
    assert not page.evaluate(OVERFLOW) and serious_problems(page) == []
    field.fill("720")
    page.check("input[name='own:kazinform']")
    page.check("input[name='allow_gps:kazinform']")
    page.click("#media-0 button[type=submit]")
    page.wait_for_url("**done=amended**")
    assert "Kazinform may receive the GPS location recorded in originals." in page.inner_text(TERMS)
    with reading(hub.engine) as conn:  # type: ignore[arg-type]
        media = load_agreement(conn, hub.agreement_id).terms[0].media
    assert media.limits.max_resolution == 720 and dict(media.partners).keys() == {
        get_organization_id(hub, "irna"), get_organization_id(hub, "kazinform")}
    context.close()


def get_organization_id(hub: Hub, slug: str) -> str:
    with reading(hub.engine) as conn:  # type: ignore[arg-type]
        return get_organization(conn, slug).id
