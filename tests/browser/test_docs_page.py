"""The OpenAPI docs render in a real browser, offline, from the hub's own assets."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


def test_docs_render_every_operation_offline(live_hub: str, page) -> None:  # type: ignore[no-untyped-def]
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_hub) else None)
    page.goto(f"{live_hub}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/items" in p for p in paths)
    assert any("/api/v1/items:upload" in p for p in paths)
    assert page.locator("button.authorize").count() == 1
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "docs.png"), full_page=False)
    assert [u for u in outside if not u.startswith("data:")] == []
