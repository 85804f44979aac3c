"""Agreements on the desk in Chromium: two members of two organizations propose and sign, then
items route; the roadmap moves; strangers get 404; the pages pass an accessibility check."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.desk_world import World, live_world
from tests.browser.test_desk import AXE, publish, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with live_world(tmp_path_factory.mktemp("agreements")) as found:
        yield found


def test_propose_and_sign_with_two_organizations_then_items_route(browser, world: World) -> None:  # type: ignore[no-untyped-def]
    kazinform = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(kazinform, world, "admin@kazinform.example")
    kazinform.goto(f"{world.url}/agreements/new")
    kazinform.fill("#title", "Kazinform–Stranger Daily sports exchange")
    kazinform.select_option("select[name=partners]", "stranger")
    kazinform.click("button[type=submit].primary")
    kazinform.wait_for_url("**/agreements/*")
    agreement_url = kazinform.url
    assert "proposed" in kazinform.inner_text("main").lower()

    stranger = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(stranger, world, "admin@stranger.example")
    stranger.goto(agreement_url)
    with stranger.expect_navigation():  # the form's POST and its redirect, not the page before it
        stranger.get_by_role("button", name="Sign the current terms").click()
    assert "active" in stranger.inner_text("main").lower()
    stranger.screenshot(path=str(SCREENSHOTS / "desk-agreement.png"), full_page=True)

    headline = f"Kazinform sport story {time.time_ns()}"
    publish(world, "kazinform", f"urn:kazinform:sport:{time.time_ns()}", headline, "en")
    stranger.goto(f"{world.url}/desk")
    stranger.get_by_text(headline).wait_for(timeout=5_000)


def test_roadmap_status_change_moves_the_commitment(page, world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, world, "admin@irna.example")
    page.goto(f"{world.url}/agreements/{world.agreement_id}")
    before = page.inner_text("main")
    form = page.locator("form[action*='/roadmap/']").first
    form.locator("select").select_option("done")
    with page.expect_navigation():
        form.locator("button").click()
    after = page.inner_text("main")
    assert "100%" in after and "100%" not in before


def test_a_stranger_cannot_open_the_agreement(page, world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, world, "editor@stranger.example")
    response = page.goto(f"{world.url}/agreements/{world.agreement_id}")
    assert response.status == 404
    assert "Kazinform–IRNA news exchange" not in page.content()


def test_viewers_see_no_lifecycle_buttons(page, world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, world, "viewer@irna.example")
    page.goto(f"{world.url}/agreements/{world.agreement_id}")
    for name in ("Sign the current terms", "Suspend", "End for good", "Propose for signature"):
        assert page.get_by_role("button", name=name, exact=True).count() == 0


@pytest.mark.parametrize("path", ["/agreements", "/agreements/new", "agreement"])
def test_agreement_pages_have_no_serious_accessibility_problems(page, world: World, path: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, world, "admin@irna.example")
    page.goto(f"{world.url}/agreements/{world.agreement_id}" if path == "agreement" else f"{world.url}{path}")
    page.evaluate(AXE.read_text("utf-8"))  # evaluate: the CSP refuses inline script tags
    found = page.evaluate("async () => (await axe.run(document)).violations")
    serious = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in found
               if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)
