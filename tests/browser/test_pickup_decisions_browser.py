"""Confirming and dismissing a detected pickup in Chromium: the buttons beside the pickup on both
sides' item pages, in every interface language with no serious axe-core violation, and a click that
comes back to the page with the decision shown."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from newsbridge.db.engine import create_engine, writing
from newsbridge.desk.pickups import record_detected_pickup
from tests.browser.desk_world import World, live_world
from tests.browser.test_desk import AXE, publish, sign_in
from tests.browser.test_desk_languages import choose_language

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    directory: Path = tmp_path_factory.mktemp("pickups")
    with live_world(directory) as world:
        stamp = time.time_ns()
        source = publish(world, "kazinform", f"urn:kazinform:p:{stamp}", "Astana and Tehran open a new corridor", "en")
        copy = publish(world, "irna", f"urn:irna:p:{stamp}", "Astana and Tehran open a new corridor, says Kazinform",
                       "en")
        engine = create_engine(f"sqlite:///{directory / 'desk.db'}")  # the live hub's database file
        with writing(engine) as conn:  # what the story worker records
            pickup_id = record_detected_pickup(conn, source, copy, score=0.91, evidence={"method": "same_text"})
        engine.dispose()
        yield world, source, copy, pickup_id


@pytest.mark.parametrize("locale", ["en", "ru", "kk", "fa"])
def test_the_buttons_pass_axe_in_every_language(browser, hub, locale: str) -> None:  # type: ignore[no-untyped-def]
    world, source, _copy, pickup_id = hub
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, world, "admin@kazinform.example")
    choose_language(page, world.url, locale)
    page.goto(f"{world.url}/items/{source}")
    assert page.locator(f"#partner-pickups form[action^='/pickups/{pickup_id}/'] button").count() >= 1
    page.evaluate(AXE.read_text("utf-8"))  # evaluate: the CSP refuses inline script tags
    found = page.evaluate("async () => (await axe.run(document)).violations")
    serious = [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in found
               if v["impact"] in ("serious", "critical")]
    page.context.close()
    assert serious == [], json.dumps(serious, indent=1, ensure_ascii=False)


def test_the_partner_dismisses_then_the_source_confirms(browser, hub) -> None:  # type: ignore[no-untyped-def]
    world, source, copy, pickup_id = hub
    partner = browser.new_context().new_page()
    sign_in(partner, world, "editor@irna.example")
    partner.goto(f"{world.url}/items/{copy}")
    partner.click(f"#republishes form[action='/pickups/{pickup_id}/dismiss'] button")
    partner.wait_for_url(f"**/items/{copy}?pickup=dismissed*")
    assert "Dismissed: not counted in the metrics" in partner.locator("#republishes").inner_text()
    partner.context.close()
    owner = browser.new_context().new_page()
    sign_in(owner, world, "editor@kazinform.example")
    owner.goto(f"{world.url}/items/{source}")
    assert "Dismissed" in owner.locator("#partner-pickups").inner_text()
    assert owner.locator(f"#partner-pickups form[action='/pickups/{pickup_id}/dismiss']").count() == 0
    owner.click(f"#partner-pickups form[action='/pickups/{pickup_id}/confirm'] button")
    owner.wait_for_url(f"**/items/{source}?pickup=confirmed*")
    assert "Confirmed" in owner.locator("#partner-pickups").inner_text()
    owner.context.close()
