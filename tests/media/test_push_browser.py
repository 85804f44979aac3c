"""Partners › Media push in Chromium, in all four interface languages: no serious or critical axe-core
violation, and nothing wider than a 360 px phone, with a target and a push in its log (the live hub's
own workers make the push: IRNA's bucket is on a loopback address the operator has not allowed, so
each attempt is refused and recorded)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.media_push_tables import media_pushes
from newsbridge.media.push_targets import create_target
from tests.browser.conftest import browser  # noqa: F401  (Debian's Chromium through Playwright)
from tests.browser.desk_world import World, live_world
from tests.browser.test_desk import AXE, sign_in
from tests.browser.test_every_page_every_language import WIDEST
from tests.media.pictures import picture

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("push")
    with live_world(directory) as found:
        a_push_in_the_log(found, directory)
        yield found


def a_push_in_the_log(world: World, directory: Path) -> None:
    engine = create_engine(f"sqlite:///{directory / 'desk.db'}")
    try:
        with writing(engine) as conn:
            create_target(conn, get_organization(conn, "irna"), {
                "endpoint_url": "http://127.0.0.1:9", "bucket": "irna-archive", "prefix": "newsbridge/incoming",
                "access_key": "AKIAIRNA", "secret_key": "irna-secret"}, allow=("127.0.0.0/8",))
        meta = {"uri": f"urn:kazinform:photo:{time.time_ns()}", "version": "1", "language": "en",
                "headlines": [{"role": "main", "value": "Flag day in Astana"}]}
        answer = httpx.post(f"{world.url}/api/v1/media", headers={"Authorization": f"Bearer {world.keys['kazinform']}"},
                            files={"file": ("flag.jpg", picture(), "image/jpeg")}, data={"meta": json.dumps(meta)})
        assert answer.status_code == 201, answer.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with reading(engine) as conn:
                if conn.execute(sa.select(media_pushes.c.attempts)).scalar():
                    return
            time.sleep(0.3)
        raise AssertionError("the hub's workers made no push attempt in 60 s")
    finally:
        engine.dispose()


@pytest.mark.parametrize("locale", ["en", "ru", "kk", "fa"])
def test_the_media_push_page_is_accessible_and_fits_a_phone(browser, world, locale: str) -> None:  # type: ignore[no-untyped-def]
    found = world
    for width in (1280, 360):
        page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        sign_in(page, found, "admin@irna.example")
        page.goto(f"{found.url}/account")
        page.select_option("#locale", locale)
        page.click("form[action='/account/preferences'] button[type=submit]")
        page.wait_for_url("**/account")
        response = page.goto(f"{found.url}/partners/media-push")
        assert response is not None and response.status == 200
        assert "s3://irna-archive/newsbridge/incoming/" in page.content() and "refused" in page.content()
        assert page.get_attribute("html", "dir") == ("rtl" if locale == "fa" else "ltr")
        if width == 1280:
            page.evaluate(AXE.read_text("utf-8"))
            violations = page.evaluate("async () => (await axe.run(document)).violations")
            serious = [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in violations
                       if v["impact"] in ("serious", "critical")]
            assert serious == [], serious
        else:
            assert not page.evaluate("document.documentElement.scrollWidth > innerWidth"), page.evaluate(WIDEST)
        page.context.close()
