"""Single sign-on in Chromium through a real OpenID Connect provider: the hub on a loopback port, the provider
(tests/oidc_provider.py, Authlib's provider side) as a subprocess on another, and every step a real HTTP
redirect the browser follows: the hub's sign-in page -> the provider's sign-in form -> the hub's callback ->
the desk, signed in. Also: a refusal shown on the sign-in page, an invitee joining through the directory,
and the SSO pages (the sign-in page and Team › Single sign-on) in all four languages, free of serious axe
violations and fitting a 360 px phone."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from newsbridge.accounts.audit import entries
from newsbridge.accounts.members import add_member
from newsbridge.accounts.oidc import checked_issuer, save_config
from newsbridge.accounts.organizations import create_organization
from newsbridge.accounts.team import invite
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.tables import members
from tests.browser.test_desk import AXE
from tests.live_server import serving
from tests.oidc_provider import Provider, running_provider

pytestmark = pytest.mark.browser
LOCALES = ["en", "ru", "kk", "fa"]
PASSWORD = "correct horse battery"
DOMAIN = "kazinform.example"


@dataclass(frozen=True)
class Hub:
    url: str
    engine: Engine
    provider: Provider
    org_id: str


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    directory = tmp_path_factory.mktemp("sso")
    settings = load_settings(env={}, database_url=f"sqlite:///{directory / 'hub.db'}",
                             allow_private_targets=("127.0.0.0/8",))
    engine = create_engine(settings.database_url)
    app = create_app(settings, engine)
    with running_provider() as provider, serving(app) as url:
        client_id, secret = "newsbridge-desk", secrets.token_urlsafe(16)
        provider.client(client_id, secret, f"{url}/login/sso/callback")
        with writing(engine) as conn:
            org = create_organization(conn, "kazinform", "Kazinform", country="KZ", languages=["kk", "ru"])
            add_member(conn, "kazinform", f"admin@{DOMAIN}", "Admin of Kazinform", "admin", PASSWORD)
            data = {"issuer": provider.issuer, "client_id": client_id, "client_secret": secret, "domains": [DOMAIN],
                    "role_claim": "groups", "roles": {"newsbridge-admins": "admin"}, "create_accounts": True}
            save_config(conn, org.id, data, issuer=checked_issuer(data, settings.allow_private_targets), actor="test")
        yield Hub(url, engine, provider, org.id)
    engine.dispose()


def _through_directory(page, hub: Hub, email: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{hub.url}/login")
    page.click("a[href^='/login/sso']")
    page.fill("#sso-email", email)
    page.click("form[action='/login/sso'] button[type=submit]")
    page.wait_for_url(f"{hub.provider.issuer}/authorize**")  # the provider's own sign-in form
    page.fill("#username", email)
    page.fill("#password", password)
    page.click("#kc-login")


def test_a_member_signs_in_through_the_directory(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    email = f"reporter-{secrets.token_hex(3)}@{DOMAIN}"
    hub.provider.user(email, PASSWORD, groups=["newsbridge-admins"], name="Aigerim Reporter")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _through_directory(page, hub, email)
    page.wait_for_url(f"{hub.url}/desk")
    page.goto(f"{hub.url}/account")
    assert email in page.content()
    page.goto(f"{hub.url}/team/sso")  # the claim made them an admin: the admins' page opens
    assert page.locator("#issuer").input_value() == hub.provider.issuer
    with reading(hub.engine) as conn:
        made = conn.execute(members.select().where(members.c.email == email)).one()
        signed = [e for e in entries(conn, hub.org_id, action="sign_in.succeeded")
                  if e.actor == email]
    assert (made.role, made.name) == ("admin", "Aigerim Reporter")
    assert signed and signed[0].detail == {"via": "sso", "issuer": hub.provider.issuer}
    context.close()


def test_an_address_outside_the_domains_is_refused_on_the_sign_in_page(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    hub.provider.user("visitor@elsewhere.example", PASSWORD)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{hub.url}/login/sso")
    page.fill("#sso-email", f"someone@{DOMAIN}")
    page.click("form[action='/login/sso'] button[type=submit]")
    page.wait_for_url(f"{hub.provider.issuer}/authorize**")
    page.fill("#username", "visitor@elsewhere.example")  # signs in at the directory as someone else entirely
    page.fill("#password", PASSWORD)
    page.click("#kc-login")
    page.wait_for_url(f"{hub.url}/login/sso/callback**")
    assert "visitor@elsewhere.example is not an address of your organization" in page.locator("[role=alert]").inner_text()
    page.goto(f"{hub.url}/desk")
    assert "/login" in page.url  # no session
    context.close()


def test_an_invitee_joins_through_the_directory(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    email = f"invited-{secrets.token_hex(3)}@{DOMAIN}"
    with writing(hub.engine) as conn:
        _, token = invite(conn, hub.org_id, email, "editor", actor="test")
    hub.provider.user(email, PASSWORD, groups=["newsbridge-admins"])
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{hub.url}/invite/{token}")
    page.click(f"form[action='/invite/{token}/sso'] button[type=submit]")
    page.wait_for_url(f"{hub.provider.issuer}/authorize**")
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("#kc-login")
    page.wait_for_url(f"{hub.url}/desk")
    with reading(hub.engine) as conn:
        assert conn.execute(members.select().where(members.c.email == email)).one().role == "editor"  # the invitation's
    context.close()


def _checked(page, problems: dict[str, object], name: str) -> None:  # type: ignore[no-untyped-def]
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


@pytest.mark.parametrize("locale", LOCALES)
def test_sso_pages_in_every_language(browser, hub: Hub, locale: str) -> None:  # type: ignore[no-untyped-def]
    problems: dict[str, object] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "nb_locale", "value": locale, "url": hub.url}])
    page = context.new_page()
    page.goto(f"{hub.url}/login/sso")
    assert page.get_attribute("html", "lang") == locale
    if locale == "fa":
        assert page.get_attribute("html", "dir") == "rtl"
    _checked(page, problems, "sign-in")
    page.fill("#sso-email", "someone@unknown.example")
    page.click("form[action='/login/sso'] button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("unknown.example")
    _checked(page, problems, "no directory")

    email = f"admin-{locale}-{secrets.token_hex(3)}@{DOMAIN}"
    with writing(hub.engine) as conn:
        add_member(conn, "kazinform", email, f"Admin {locale}", "admin", PASSWORD, locale=locale)
    page.goto(f"{hub.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{hub.url}/desk")
    page.goto(f"{hub.url}/team")
    page.click("a[href='/team/sso']")
    assert page.get_attribute("html", "lang") == locale
    _checked(page, problems, "team/sso")
    page.click("form[action='/team/sso'] button[type=submit]")  # saved as it is: the secret kept
    expect(page.locator("p.flash.ok[role=status]")).to_have_count(1)
    _checked(page, problems, "team/sso saved")
    assert problems == {}, json_dump(problems)
    context.close()


def json_dump(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=1)
