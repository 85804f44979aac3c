"""The operator console in Chromium, in all four languages: signed in on /login it lands on /operator; on a
360 px phone no page scrolls sideways (Persian right to left), and axe-core finds no serious problem; the
support-access pages too (an organization granted it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.members import hash_password
from newsbridge.accounts.operators import add_operator
from newsbridge.accounts.organizations import create_organization
from newsbridge.accounts.support import grant_support
from newsbridge.accounts.team import invite
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, writing
from newsbridge.db.migrate import upgrade
from newsbridge.ids import utcnow
from tests.browser.test_desk import AXE
from tests.browser.test_media_desk import OVERFLOW
from tests.live_server import serving

pytestmark = pytest.mark.browser
PASSWORD = "operator horse battery"
PAGES = ["/operator", "/operator/organizations/kazinform", "/operator/health", "/operator/audit?scope=hub",
         "/operator/organizations/kazinform/items"]


def serious_problems(page) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations, with the first elements each was found on."""
    page.evaluate(AXE.read_text("utf-8"))  # evaluate: the CSP refuses inline script tags
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [(v["id"], [str(n["target"]) for n in v["nodes"][:3]]) for v in found
            if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    root = tmp_path_factory.mktemp("operator")
    settings = load_settings(env={}, database_url=f"sqlite:///{root / 'hub.db'}", media_dir=str(root / "media"))
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        create_organization(conn, "krtc", "TV and Radio Complex of the Kazakh President", timezone="Asia/Almaty")
        org = create_organization(conn, "kazinform", "Kazinform International News Agency", parent="krtc",
                                  timezone="Asia/Almaty")
        invite(conn, org.id, "chief-editor-with-a-long-address@kazinform-international.example", "admin",
               actor="test")
        for locale in ("en", "ru", "kk", "fa"):
            add_operator(conn, f"op-{locale}@hub.example", "Operator", hash_password(PASSWORD), locale=locale)
        _key, raw = create_api_key(conn, "kazinform", ("publish",))
        grant_support(conn, org.id, utcnow() + timedelta(days=3), actor="chief@kazinform.example")
    try:
        with serving(create_app(settings, engine, migrate=False)) as url:
            item = {"uri": "urn:kazinform:1", "language": "kk", "headlines": [{"value": "Астанада көктем ерте келді"}],
                    "bodies": [{"contentType": "text/plain", "value": "Биыл көктем ерте келді.\nЕгін ерте басталды."}]}
            made = httpx.post(f"{url}/api/v1/items", json=item, headers={"Authorization": f"Bearer {raw}"})
            assert made.status_code == 201, made.text
            yield url, [*PAGES, f"/operator/organizations/kazinform/items/{made.json()['id']}"]
    finally:
        engine.dispose()


@pytest.mark.parametrize("locale", ["en", "ru", "kk", "fa"])
def test_every_console_page_fits_a_phone_and_is_axe_clean(  # type: ignore[no-untyped-def]
        browser, hub: tuple[str, list[str]], locale: str) -> None:
    url, pages = hub
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("#email", f"op-{locale}@hub.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/operator")
    for path in pages:
        response = page.goto(f"{url}{path}")
        assert response is not None and response.status == 200, path
        assert page.get_attribute("html", "dir") == ("rtl" if locale == "fa" else "ltr")
        assert not page.evaluate(OVERFLOW), path
        assert serious_problems(page) == [], path
    context.close()
