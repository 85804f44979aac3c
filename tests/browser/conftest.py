"""A real hub on a loopback port and Debian's Chromium driven by Playwright (no browser downloads)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbridge.app import create_app
from newsbridge.config import load_settings
from tests.live_server import serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="module")
def live_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hub served by uvicorn on 127.0.0.1 in a background thread; yields its base URL."""
    settings = load_settings(env={}, database_url=f"sqlite:///{tmp_path_factory.mktemp('live') / 'hub.db'}")
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    settle(page)
    context.close()


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Leave the page for a blank one before its context closes: a navigation still in flight or a live
    connection (the desk's event stream) is ended by a step with a timeout, not by ``context.close()``,
    which has none (CI once hung there for 20 minutes after a test whose last click posted a form)."""
    try:
        page.goto("about:blank", timeout=10_000)
    except Exception:  # noqa: BLE001 - a page that cannot leave is closed with its context all the same
        pass
