"""Sign-in security pages in Chromium, in all four languages: password reset, two-factor set-up, the second
sign-in step, the set-up an organization's rule imposes and the Team rule page. Each is free of serious or
critical axe-core violations at desktop width and has no sideways scrolling on a 360 px phone; the flows
themselves run through the real pages with real TOTP codes."""

from __future__ import annotations

import json
import secrets
import time

import pyotp
import pytest
from playwright.sync_api import expect

from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import get_organization
from newsbridge.accounts.resets import request_reset
from newsbridge.accounts.totp import set_policy
from newsbridge.db.engine import create_engine, writing
from newsbridge.ids import utcnow
from tests.browser.desk_world import PASSWORD, World, live_world
from tests.browser.test_desk import AXE

pytestmark = pytest.mark.browser
LOCALES = ["en", "ru", "kk", "fa"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("signin")
    with live_world(directory) as found:
        engine = create_engine(f"sqlite:///{directory / 'desk.db'}")
        with writing(engine) as conn:
            set_policy(conn, get_organization(conn, "irna").id, "all", actor="test", address=None)
        yield found, engine
        engine.dispose()


def _member(engine, slug: str, locale: str) -> str:  # type: ignore[no-untyped-def]
    email = f"{locale}-{secrets.token_hex(3)}@{slug}.example"
    with writing(engine) as conn:
        add_member(conn, slug, email, f"Member {locale}", "admin", PASSWORD, locale=locale)
    return email


def _checked(page, problems: dict[str, object], name: str) -> None:  # type: ignore[no-untyped-def]
    """axe at 1280 px, then the width of a 360 px phone, then back."""
    page.evaluate(AXE.read_text("utf-8"))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    serious = [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in found
               if v["impact"] in ("serious", "critical")]
    page.set_viewport_size({"width": 360, "height": 800})
    if page.evaluate("document.documentElement.scrollWidth > innerWidth"):
        serious.append(("overflow", "sideways scrolling at 360 px", []))
    page.set_viewport_size({"width": 1280, "height": 900})
    if serious:
        problems[name] = serious


def _password(page, world: World, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{world.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")


@pytest.mark.parametrize("locale", LOCALES)
def test_sign_in_security_pages_in_every_language(browser, world, locale: str) -> None:  # type: ignore[no-untyped-def]
    live, engine = world
    problems: dict[str, object] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "nb_locale", "value": locale, "url": live.url}])
    page = context.new_page()
    email = _member(engine, "kazinform", locale)

    page.goto(f"{live.url}/login")
    assert page.get_attribute("html", "lang") == locale
    _checked(page, problems, "login")
    page.click("a[href='/login/forgot']")
    _checked(page, problems, "forgot")
    page.fill("#email", email)
    page.click("form[action='/login/forgot'] button[type=submit]")
    expect(page.locator("p[role=status]")).to_have_count(1)
    _checked(page, problems, "forgot sent")
    with writing(engine) as conn:
        _member_found, token = request_reset(conn, email, utcnow())
    page.goto(f"{live.url}/reset?token={token}")
    _checked(page, problems, "reset")

    _password(page, live, email)
    page.wait_for_url("**/desk")
    page.goto(f"{live.url}/account/two-factor")
    _checked(page, problems, "two-factor off")
    page.click("form[action='/account/two-factor/begin'] button")
    expect(page.locator("figure.qr svg")).to_have_count(1)
    _checked(page, problems, "two-factor set-up")
    secret = page.inner_text("figcaption code")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form[action='/account/two-factor/confirm'] button")
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    _checked(page, problems, "recovery codes")
    page.goto(f"{live.url}/team/two-factor")
    _checked(page, problems, "team rule")
    context.clear_cookies()
    context.add_cookies([{"name": "nb_locale", "value": locale, "url": live.url}])

    _password(page, live, email)
    page.wait_for_url("**/login/two-factor**")
    _checked(page, problems, "second step")
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("form[action^='/login/two-factor'] button")
    page.wait_for_url("**/desk")

    context.clear_cookies()
    context.add_cookies([{"name": "nb_locale", "value": locale, "url": live.url}])
    _password(page, live, _member(engine, "irna", locale))  # IRNA's rule: everyone
    page.wait_for_url("**/login/two-factor/enrol**")
    _checked(page, problems, "imposed set-up")
    page.fill("#code", pyotp.TOTP(page.inner_text("figcaption code")).now())
    page.click("form[action^='/login/two-factor/enrol'] button")
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    _checked(page, problems, "imposed recovery codes")
    page.click("a.button")
    page.wait_for_url("**/desk")
    context.close()
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
