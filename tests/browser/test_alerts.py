"""Alerts and the preview pane in Debian's Chromium: the unread count in the navigation and the
tab title updating live, a desktop notification once permission is granted, the preview pane
driven by the keyboard, and a screenshot of the alert centre for the docs."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.desk_world import PASSWORD, World, live_world

pytestmark = pytest.mark.browser
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Records each desktop notification the page creates (the real one is still shown).
NOTIFICATION_SPY = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notifications = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title: title, body: options && options.body });
    }
  }
  window.Notification = Recorded;
})();
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with live_world(tmp_path_factory.mktemp("alerts")) as found:
        yield found


def api(world: World, slug: str, method: str, path: str, body: object) -> dict:  # type: ignore[type-arg]
    response = httpx.request(method, f"{world.url}{path}", json=body,
                             headers={"Authorization": f"Bearer {world.keys[slug]}"})
    assert response.status_code in (200, 201), response.text
    return response.json()


def publish(world: World, uri: str, headline: str, body: str, version: str = "1", status: str = "usable") -> str:
    return api(world, "kazinform", "POST", "/api/v1/items", {
        "uri": uri, "version": version, "type": "text", "language": "en", "pubStatus": status,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}]})["id"]


def wait_until(page, expression: str, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Poll ``expression`` in the page (wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)


def sign_in(page, world: World, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{world.url}/desk")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk")


def pick_up(page, world: World, item_id: str, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{world.url}/items/{item_id}")
    page.fill("#url", url)
    page.click("text=Record pickup")
    expect(page.locator("main")).to_contain_text("Pickup recorded")


def test_the_count_updates_live_and_a_desktop_notification_follows_a_withdrawal(browser, world: World) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["notifications"], origin=world.url)
    context.add_init_script(NOTIFICATION_SPY)
    page = context.new_page()
    try:
        first = publish(world, "urn:kz:alerts:1", "Astana to host the media forum", "Forum opens on Monday.")
        second = publish(world, "urn:kz:alerts:2", "Grain exports hit a record", "Exports rose by a third.")
        sign_in(page, world, "editor@irna.example")
        pick_up(page, world, first, "https://www.irna.ir/news/forum")
        pick_up(page, world, second, "https://www.irna.ir/news/grain")
        page.goto(f"{world.url}/desk")
        wait_until(page, "document.getElementById('alert-count').hidden === true")
        page.wait_for_timeout(500)  # the live stream opens
        publish(world, "urn:kz:alerts:1", "Astana to host the media forum", "Forum opens on Monday.", "2",
                "canceled")
        wait_until(page, "document.getElementById('alert-count').textContent === '1'")
        assert page.locator("#alert-count").is_visible()
        assert page.title().startswith("(1) ")
        assert page.evaluate("window.__notifications") == []  # not asked for yet

        page.click("#alerts-link")
        page.wait_for_url("**/alerts")
        assert "https://www.irna.ir/news/forum" in page.inner_text(".alert-entry.loud")
        page.locator("#desktop-notify-button").click()
        wait_until(page, "window.__notifications.length === 1")
        assert page.evaluate("window.__notifications") == [
            {"title": "Withdrawn: take your republication down", "body": "Astana to host the media forum"}]
        assert "Desktop notifications are on" in page.inner_text("#desktop-notify")

        page.goto(f"{world.url}/desk")  # a withdrawal arriving live notifies once, and only the new one
        wait_until(page, "document.getElementById('alert-count').textContent === '1'")
        page.wait_for_timeout(500)
        publish(world, "urn:kz:alerts:2", "Grain exports hit a record", "Exports rose by a third.", "2", "canceled")
        wait_until(page, "window.__notifications.length === 1")
        assert page.evaluate("window.__notifications[0].body") == "Grain exports hit a record"
        assert page.locator("#alert-count").inner_text() == "2"

        page.goto(f"{world.url}/alerts")  # reading an alert lowers the count
        page.locator(".alert-entry.loud a", has_text="Grain exports").click()
        page.wait_for_url("**/items/*")
        wait_until(page, "document.getElementById('alert-count').textContent === '1'")
    finally:
        context.close()


def test_the_preview_pane_follows_the_keyboard(page, world: World) -> None:  # type: ignore[no-untyped-def]
    older = publish(world, f"urn:kz:preview:{time.time_ns()}", "Older story for the pane",
                    "The older story's first paragraph.\n\nIts second paragraph.")
    publish(world, f"urn:kz:preview:{time.time_ns()}", "Newer story for the pane", "The newer story's text.")
    sign_in(page, world, "editor@irna.example")
    assert page.locator("#preview").is_visible()
    page.keyboard.press("j")
    page.locator("#preview").get_by_text("The newer story's text.").wait_for(timeout=3_000)
    page.keyboard.press("j")
    page.locator("#preview").get_by_text("Its second paragraph.").wait_for(timeout=3_000)
    assert "Newer story" not in page.inner_text("#preview")
    assert page.locator(".row.selected .snippet").inner_text() == "The older story's first paragraph."
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/items/{older}")


def test_screenshot_of_the_alert_centre(page, world: World) -> None:  # type: ignore[no-untyped-def]
    picked = publish(world, "urn:kz:shot:1", "Kazakhstan and Iran sign a media cooperation memorandum",
                     "The agencies will exchange news daily.")
    corrected = publish(world, "urn:kz:shot:2", "Caspian summit moved to Aktau", "The summit opens in Aktau.")
    sign_in(page, world, "editor@irna.example")
    pick_up(page, world, picked, "https://www.irna.ir/news/85012345")
    pick_up(page, world, corrected, "https://en.irna.ir/news/85012399")
    page.goto(f"{world.url}/desk?q=caspian")
    page.click("text=Save this search")
    publish(world, "urn:kz:shot:1", "Kazakhstan and Iran sign a media cooperation memorandum",
            "The agencies will exchange news daily.", "2", "canceled")
    publish(world, "urn:kz:shot:2", "Caspian summit moved to Aktau on 12 August", "The summit opens in Aktau.", "2")
    publish(world, "urn:kz:shot:3", "Caspian states agree on shipping rules", "Ministers met in Baku.")
    proposal = api(world, "kazinform", "POST", "/api/v1/agreements", {
        "title": "Kazinform–IRNA photo exchange", "parties": ["kazinform", "irna"],
        "terms": [{"from": "kazinform", "types": ["picture"]}]})
    api(world, "kazinform", "POST", f"/api/v1/agreements/{proposal['id']}:propose", {})
    api(world, "irna", "POST", f"/api/v1/agreements/{world.agreement_id}/roadmap", {
        "title": "Publish a joint Nowruz special", "owner": "irna", "due": (date.today() + timedelta(days=3)).isoformat()})
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{world.url}/alerts")
    wait_until(page, "!document.getElementById('alert-count').hidden")
    kinds = page.eval_on_selector_all(".alert-entry.unread", "entries => entries.map(e => e.className)")
    for kind in ("withdrawn", "corrected", "signature", "roadmap", "search"):
        assert any(f"kind-{kind} " in k for k in kinds), (kind, kinds)
    DOCS_SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / "alerts.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
