"""The demo hub in Chromium, photographed for the README: the desk, a Persian item, an agreement
and its roadmap board. Saved under docs/screenshots/ (committed; checked by eye when they change)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine
from newsbridge.db.migrate import upgrade
from newsbridge.demo import DemoReport, load_demo
from newsbridge.ingest.pipeline import Ingestor
from tests.live_server import serving

pytestmark = pytest.mark.browser
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, DemoReport]]:
    """The demo on a live hub, shared by a file's tests. The background story worker is off: the demo groups its
    stories and detects its pickup as it loads (what these pages show), and the worker would otherwise embed
    the 18 months of generated history, a core busy beside Chromium for the whole file."""
    folder = tmp_path_factory.mktemp("demo")
    settings = load_settings(env={"NEWSBRIDGE_STORY_WORKER": "false"}, database_url=f"sqlite:///{folder / 'demo.db'}",
                             media_dir=str(folder / "media"))
    engine = create_engine(settings.database_url)
    upgrade(engine)
    report = load_demo(engine, Ingestor(engine, settings))
    try:
        with serving(create_app(settings, engine, migrate=False)) as url:
            yield url, report
    finally:
        engine.dispose()


def sign_in(page, demo: tuple[str, DemoReport], email: str) -> None:  # type: ignore[no-untyped-def]
    url, report = demo
    password = next(p for _org, e, _role, p in report.members if e == email)
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk")


def test_screenshots_of_the_demo_desk(page, demo) -> None:  # type: ignore[no-untyped-def]
    url, _report = demo
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, demo, "editor@kazinform.example")
    rows = page.locator("#row-list .row")
    assert rows.count() >= 3  # a lived-in desk: IRNA's stories, in Persian and English
    page.screenshot(path=str(DOCS_SCREENSHOTS / "desk.png"))

    persian = page.locator("#row-list .row a.headline[lang=fa]").first
    persian.click()
    page.wait_for_url("**/items/*")
    assert page.locator("[dir=rtl]").count() >= 1
    assert "IRNA" in page.inner_text(".terms")
    page.screenshot(path=str(DOCS_SCREENSHOTS / "item-persian.png"), full_page=True)

    page.goto(f"{url}/agreements")
    page.locator("main a[href^='/agreements/']").first.click()
    page.wait_for_url("**/agreements/*")
    assert page.locator("#roadmap").is_visible()
    page.screenshot(path=str(DOCS_SCREENSHOTS / "agreement.png"))
    page.locator("#roadmap").screenshot(path=str(DOCS_SCREENSHOTS / "roadmap.png"))


def test_screenshots_of_the_demo_metrics(page, demo) -> None:  # type: ignore[no-untyped-def]
    """The demo's 18 months of history: Kazakhstan–Iran keeps pace, Iran–Russia slips (IRNA sees both)."""
    url, _report = demo
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, demo, "editor@irna.example")
    page.goto(f"{url}/cooperation")
    page.wait_for_function("[...document.querySelectorAll('canvas[data-chart]')].every(c => c.chart)")
    rows = page.locator("article.overview-row")
    assert rows.count() >= 2
    states = {rows.nth(i).locator("h2").inner_text(): rows.nth(i).locator(".badge[class*=state-]").inner_text()
              for i in range(rows.count())}
    assert any("Kazakhstan" in title and "Keeping pace" in state for title, state in states.items()), states
    assert any("Russia" in title and "Slipping" in state for title, state in states.items()), states
    page.screenshot(path=str(DOCS_SCREENSHOTS / "metrics-overview.png"), full_page=True)

    page.locator("article.overview-row h2 a", has_text="Russia").first.click()
    page.wait_for_url("**/metrics")
    page.wait_for_function("[...document.querySelectorAll('canvas[data-chart]')].every(c => c.chart)")
    assert page.locator("#table-volume tbody tr").count() in (12, 13)  # the default: 84 days, in ISO weeks
    page.screenshot(path=str(DOCS_SCREENSHOTS / "metrics-agreement.png"), full_page=True)
