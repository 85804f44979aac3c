"""A joint documentary made in the desk by two members of two organizations, each in a browser
context of their own: Kazinform's editor starts the project from the agreement, plans an episode and
drafts it in Kazakh; IRNA's editor (desk in Persian) translates it to Persian; both comment; both edit
the Kazakh draft at once and the second sees the conflict view and takes the merge; both approve;
Kazinform publishes and the items reach both desks. The board, the deliverable and the conflict view
are photographed into docs/screenshots/ (English and Persian, one at phone width)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import create_organization, get_organization
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, writing
from newsbridge.db.migrate import upgrade
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from tests.browser.desk_world import desk_page
from tests.browser.test_desk import AXE
from tests.browser.test_screenshots import DOCS_SCREENSHOTS
from tests.live_server import serving

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth"


@dataclass(frozen=True)
class Hub:
    url: str
    agreement: str


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("projects-desk")
    settings = load_settings(env={}, database_url=f"sqlite:///{root / 'hub.db'}", media_dir=str(root / "media"))
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        create_organization(conn, "kazinform", "Kazinform", timezone="Asia/Almaty", credit_name="Kazinform",
                            languages=["kk", "ru"])
        create_organization(conn, "irna", "IRNA", timezone="Asia/Tehran", credit_name="IRNA", languages=["fa", "en"])
        add_member(conn, "kazinform", "aigerim@kazinform.example", "Aigerim Bekova", "editor", PASSWORD)
        add_member(conn, "irna", "reza@irna.example", "رضا تهرانی", "editor", PASSWORD, locale="fa")
        kazinform = get_organization(conn, "kazinform")
        agreement = create_agreement(conn, kazinform, "test", {
            "title": "Kazinform – IRNA joint work", "parties": ["kazinform", "irna"],
            "terms": [{"from": "kazinform"}, {"from": "irna"}]})
        act(conn, agreement.id, Action.PROPOSE, kazinform, "test")
        act(conn, agreement.id, Action.SIGN, kazinform, "test")
        act(conn, agreement.id, Action.SIGN, get_organization(conn, "irna"), "test")
    try:
        with serving(create_app(settings, engine, migrate=False)) as url:
            yield Hub(url, agreement.id)
    finally:
        engine.dispose()


def _type_body(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Write into the editable body (the toolbar editor replaces the textarea when script runs)."""
    editor = page.locator(".body-editor")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def _violations(page) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on the page as it stands."""
    page.evaluate(AXE.read_text("utf-8"))  # evaluate: the CSP refuses inline script tags
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [(v["id"], v["help"]) for v in found if v["impact"] in ("serious", "critical")]


def _shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(DOCS_SCREENSHOTS / name), full_page=True)


def test_two_organizations_make_a_documentary_together(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    kz_context, kz = desk_page(browser, hub.url, "aigerim@kazinform.example")
    ir_context, ir = desk_page(browser, hub.url, "reza@irna.example")
    try:
        # Kazinform starts the project from the agreement and plans two episodes, one of them late
        kz.goto(f"{hub.url}/agreements/{hub.agreement}")
        kz.click("#new-project-link")
        kz.fill("#p-title", "Silk Way: Kazakhstan and Iran")
        kz.check("input[name=participants][value=irna]")
        kz.check("input[name=languages][value=kk]")
        kz.check("input[name=languages][value=fa]")
        kz.click("button[type=submit].primary")
        kz.wait_for_url(re.compile(r"/projects/\w+\?done=created"))
        project_url = kz.url.split("?")[0]
        for title, due in (("Episode 1: The caravan roads", date.today() + timedelta(days=20)),
                           ("Episode 3: Nauryz in Almaty and Tehran", date.today() - timedelta(days=5))):
            kz.fill("#d-title", title)
            kz.select_option("#d-kind", "documentary_episode")
            kz.select_option("#d-source", "kk")
            kz.select_option("#d-assignee", "kazinform")
            kz.fill("#d-due", due.isoformat())
            kz.get_by_role("button", name="Plan it").click()
            kz.wait_for_url("**done=added")
        late = kz.locator(".timeline li.is-overdue")
        assert late.count() == 1 and "Episode 3" in late.inner_text() and "Overdue" in late.inner_text()
        kz.click(".board >> text=Episode 1: The caravan roads")
        deliverable_url = kz.url.split("?")[0]

        # the Kazakh draft with formatting and a shot list
        kz.fill("#headline", "Керуен жолдары")
        kz.fill("#lead", "Ұлы Жібек жолы Қазақстан мен Иранды ғасырлар бойы байланыстырды.")
        _type_body(kz, "Түркістаннан Нишапурға дейінгі керуен сарайлары бүгін де сақталған.")
        kz.keyboard.press("Home")
        kz.keyboard.press("Shift+End")
        kz.click(".toolbar button[data-command=bold]")
        kz.fill("input[name=shot_start] >> nth=0", "00:00:05")
        kz.fill("input[name=shot_text] >> nth=0", "Түркістандағы керуен сарайы, таң")
        kz.get_by_role("button", name="Save the draft").click()
        kz.wait_for_url("**done=saved")
        assert kz.locator("text=revision 1").first.is_visible()

        # IRNA translates to Persian in a desk in Persian, and comments
        ir.goto(project_url)
        assert ir.locator("html[dir=rtl]").count() == 1
        ir.goto(f"{deliverable_url}?language=fa")
        ir.fill("#headline", "راه‌های کاروان")
        ir.fill("#lead", "جاده ابریشم قرن‌ها قزاقستان و ایران را به هم پیوند داده است.")
        _type_body(ir, "کاروانسراهای میان ترکستان و نیشابور هنوز پابرجا هستند.")
        ir.get_by_role("button", name="ذخیره پیش‌نویس").click()
        ir.wait_for_url("**done=saved")
        ir.goto(f"{deliverable_url}?language=kk")
        ir.fill("#new-comment", "@aigerim لطفاً تاریخ‌ها را بررسی کنید")
        ir.get_by_role("button", name="فرستادن نظر").click()
        ir.wait_for_url("**done=commented")

        # Kazinform answers the comment and resolves it
        kz.goto(f"{deliverable_url}?language=kk")
        kz.click(".comment >> summary")
        kz.fill(".comment .reply textarea", "Тексерілді, рахмет!")
        kz.click(".comment .reply button[type=submit]")
        kz.wait_for_url("**done=commented")
        kz.get_by_role("button", name="Resolve").click()
        kz.wait_for_url("**done=resolved")
        ir.goto(f"{hub.url}/desk")  # Kazinform's reply: a notification for IRNA in the navigation
        ir.wait_for_selector("#project-count:not([hidden])")
        assert ir.inner_text("#project-count") == "۱"

        # both edit the Kazakh draft at once: Kazinform saves first, IRNA gets the conflict view
        kz.goto(f"{deliverable_url}?language=kk")
        ir.goto(f"{deliverable_url}?language=kk")
        kz.fill("#headline", "Керуен жолдары: Түркістаннан Нишапурға")
        kz.get_by_role("button", name="Save the draft").click()
        kz.wait_for_url("**done=saved")
        ir.fill("#lead", "Ұлы Жібек жолы Қазақстан мен Иранды мыңдаған жылдар бойы байланыстырды.")
        ir.get_by_role("button", name="ذخیره پیش‌نویس").click()
        ir.wait_for_selector("text=کس دیگری این پیش‌نویس را تغییر داد")
        assert "Aigerim Bekova (kazinform)" in ir.inner_text(".flash.error")
        assert ir.input_value("#m-headline") == "Керуен жолдары: Түркістаннан Нишапурға"
        assert "мыңдаған" in ir.input_value("#m-lead")  # the merge keeps both changes
        ir.set_viewport_size({"width": 1280, "height": 900})
        _shoot(ir, "project-conflict-fa.png")
        ir.click("#take-merge")
        ir.wait_for_url("**done=saved")

        # the translation shows its source changed; IRNA updates it; review and both approvals
        ir.goto(f"{deliverable_url}?language=fa")
        assert ir.locator(".lang-tabs .badge.updated").count() == 1
        ir.fill("#headline", "راه‌های کاروان: از ترکستان تا نیشابور")
        ir.get_by_role("button", name="ذخیره پیش‌نویس").click()
        ir.wait_for_url("**done=saved")
        kz.goto(deliverable_url)
        kz.get_by_role("button", name="Send for review").click()
        kz.wait_for_url("**done=moved")
        ir.goto(deliverable_url)
        ir.get_by_role("button", name="تأیید از طرف IRNA").click()
        ir.wait_for_url("**done=approved")
        kz.goto(f"{deliverable_url}?language=kk")
        _shoot(kz, "project-deliverable-en.png")
        kz.get_by_role("button", name="Approve for Kazinform").click()
        kz.wait_for_url("**done=approved")
        kz.get_by_role("button", name="Publish jointly").click()
        kz.wait_for_url("**done=published")
        assert kz.locator(".approvals a[href^='/items/']").count() == 2

        # the published items on both desks
        ir.goto(f"{hub.url}/desk")
        ir.wait_for_selector("text=راه‌های کاروان: از ترکستان تا نیشابور", timeout=30_000)
        kz.goto(f"{hub.url}/outgoing")
        kz.wait_for_selector("text=Керуен жолдары: Түркістаннан Нишапурға")

        # screenshots: the board in English, the deliverable in Persian, the board at phone width in Persian
        kz.goto(project_url)
        _shoot(kz, "project-board-en.png")
        assert _violations(kz) == []
        ir.goto(f"{deliverable_url}?language=fa")
        _shoot(ir, "project-deliverable-fa.png")
        assert _violations(ir) == []
        ir.set_viewport_size({"width": 360, "height": 800})
        ir.goto(f"{deliverable_url}?language=kk")
        assert not ir.evaluate(OVERFLOW)
        ir.set_viewport_size({"width": 390, "height": 844})
        ir.goto(project_url)
        assert not ir.evaluate(OVERFLOW)
        _shoot(ir, "project-board-fa-phone.png")
    finally:
        kz_context.close()
        ir_context.close()
