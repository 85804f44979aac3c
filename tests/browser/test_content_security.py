"""The Content-Security-Policy in Chromium: every desk page and the API docs work under it, and
nothing on them needs an inline script or style the policy would refuse."""

from __future__ import annotations

import pytest

from tests.browser.desk_world import World, live_world
from tests.browser.test_desk import publish, sign_in

pytestmark = pytest.mark.browser

# Recorded by the page itself: Chromium fires this event for every refused script, style or request.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with live_world(tmp_path_factory.mktemp("csp")) as found:
        yield found


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate("window.__violations || []")


def test_every_page_works_under_the_policy(page, world: World) -> None:  # type: ignore[no-untyped-def]
    page.add_init_script(WATCH_VIOLATIONS)
    item_id = publish(world, "kazinform", "urn:kazinform:csp:1", "Astana and Tehran sign a media memorandum", "en")
    sign_in(page, world, "admin@irna.example")
    for path in ("/desk", f"/items/{item_id}", "/agreements", f"/agreements/{world.agreement_id}", "/partners",
                 "/outgoing", "/account"):
        response = page.goto(f"{world.url}{path}")
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        page.wait_for_load_state("load")
        assert violations(page) == [], path
    # htmx still runs under the policy: the desk list is swapped in on a live arrival.
    page.goto(f"{world.url}/desk")
    assert page.evaluate("typeof window.htmx") == "object"
    page.wait_for_timeout(500)
    publish(world, "kazinform", "urn:kazinform:csp:2", "Silk Way TV opens a bureau in Tehran", "en")
    page.get_by_text("Silk Way TV opens a bureau in Tehran").wait_for(timeout=3_000)
    assert violations(page) == []


def test_the_api_docs_render_under_the_policy(page, world: World) -> None:  # type: ignore[no-untyped-def]
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(f"{world.url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    assert violations(page) == []


def test_an_inline_script_is_refused(page, world: World) -> None:  # type: ignore[no-untyped-def]
    """The policy has teeth: a script written into a hub page does not run."""
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(f"{world.url}/login")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = true'; document.body.appendChild(s); }""")
    page.wait_for_timeout(100)
    assert page.evaluate("window.__ran === true") is False
    assert any(v.startswith("script-src") for v in violations(page))
