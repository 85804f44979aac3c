"""The metrics pages in Chromium over an 18-month generated history: the overview's sparklines and the
agreement's charts are drawn (canvases with ink on them) under the Content-Security-Policy, the table
views hold the numbers, in English and in Persian (right to left, Persian digits). Screenshots at
desktop and phone width, and the PDF report's pages as PNG, go to docs/screenshots/."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.members import add_member
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, writing
from newsbridge.db.migrate import upgrade
from newsbridge.exchange.roadmap import add_commitments
from tests.browser.test_content_security import WATCH_VIOLATIONS
from tests.live_server import serving
from tests.metrics.history import build

pytestmark = pytest.mark.browser
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery"
PERIOD = "from=2025-09-01&to=2026-02-28"
INKED = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { inked += 1; } }
  return {inked, width: canvas.width, series: canvas.chart ? canvas.chart.data.datasets.length : 0};
}"""


class Hub:
    def __init__(self, url: str, agreement_id: str, key: str) -> None:
        self.url, self.agreement_id, self.key = url, agreement_id, key


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    directory = tmp_path_factory.mktemp("metrics")
    settings = load_settings(env={}, database_url=f"sqlite:///{directory / 'hub.db'}", in_process_worker=False)
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        history = build(conn)
        kz_ir = history.agreements["kz_ir"]
        add_commitments(conn, kz_ir, [history.orgs["krtc"].id, history.orgs["irna"].id], [
            {"title": "Exchange news every day", "owner": "krtc", "due": "2025-11-30", "status": "done"},
            {"title": "Joint documentary on the Silk Road", "owner": "irna", "due": "2025-12-31",
             "status": "in_progress"},
            {"title": "Persian desk at Kazinform", "owner": "krtc", "due": "2026-06-30"}], history.orgs["krtc"])
        for locale in ("en", "fa"):
            add_member(conn, "irna", f"{locale}@irna.example", f"Member of IRNA ({locale})", "viewer", PASSWORD,
                       locale=locale)
        key = create_api_key(conn, "irna", ("read",))[1]
    try:
        with serving(create_app(settings, engine, migrate=False)) as url:
            yield Hub(url, kz_ir, key)
    finally:
        engine.dispose()


def member(browser, hub: Hub, locale: str, width: int):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(f"{hub.url}/login")
    page.fill("#email", f"{locale}@irna.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk")
    return page


def drawn(page) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    page.wait_for_function("document.querySelectorAll('canvas[data-chart]').length > 0 && "
                           "[...document.querySelectorAll('canvas[data-chart]')].every(c => c.chart)")
    return {c.get_attribute("data-chart"): c.evaluate(INKED) for c in page.query_selector_all("canvas[data-chart]")}


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / name), full_page=True)


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_agreement_metrics_page_draws_its_charts(browser, hub: Hub, locale: str) -> None:  # type: ignore[no-untyped-def]
    page = member(browser, hub, locale, 1280)
    response = page.goto(f"{hub.url}/agreements/{hub.agreement_id}/metrics?{PERIOD}&granularity=week")
    assert response is not None and response.status == 200
    charts = drawn(page)
    assert set(charts) == {"volume", "same_day", "pickup", "burndown"}
    for key, found in charts.items():
        assert found["series"] == 2 and found["inked"] > 2000, (key, found)
    assert page.evaluate("window.__violations") == []
    assert page.get_attribute("html", "dir") == ("rtl" if locale == "fa" else "ltr")
    # the table view: hidden until asked for, then shown with the chart's numbers
    table = page.locator("#table-volume")
    assert not table.is_visible() or table.bounding_box()["width"] <= 1  # type: ignore[index]
    page.click("button[data-table-toggle='table-volume']")
    assert table.bounding_box()["width"] > 200  # type: ignore[index]
    assert page.get_attribute("button[data-table-toggle='table-volume']", "aria-expanded") == "true"
    cells = table.locator("tbody td").all_inner_texts()
    assert len(cells) == 2 * 26 and all(cell.strip() for cell in cells)
    digits = "".join(cells)
    if locale == "fa":
        assert re.search("[۰-۹]", digits) and not re.search("[0-9]", digits)
    else:
        assert re.search("[0-9]", digits)
    page.click("button[data-table-toggle='table-volume']")
    if locale == "fa":  # the English pages are photographed from the demo (tests/browser/test_screenshots.py)
        shoot(page, "metrics-agreement-persian.png")
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_overview_draws_a_sparkline_per_agreement(browser, hub: Hub, locale: str) -> None:  # type: ignore[no-untyped-def]
    page = member(browser, hub, locale, 1280)
    page.goto(f"{hub.url}/cooperation?to=2026-02-28")
    charts = drawn(page)
    assert len(charts) == 3  # Kazakhstan-Iran, Iran-Russia and the old pact
    assert all(found["inked"] > 200 for found in charts.values()), charts
    assert page.evaluate("window.__violations") == []
    if locale == "fa":
        shoot(page, "metrics-overview-persian.png")
    page.context.close()


@pytest.mark.parametrize("path", ["/cooperation?to=2026-02-28", f"/agreements/{{id}}/metrics?{PERIOD}",
                                  f"/agreements/{{id}}/report?{PERIOD}"])
def test_the_metrics_pages_fit_a_phone(browser, hub: Hub, path: str) -> None:  # type: ignore[no-untyped-def]
    page = member(browser, hub, "fa", 360)
    page.goto(hub.url + path.replace("{id}", hub.agreement_id))
    if "report" not in path:
        drawn(page)
    assert not page.evaluate("document.documentElement.scrollWidth > innerWidth")
    if path.startswith("/agreements/{id}/metrics"):
        shoot(page, "metrics-agreement-phone.png")
    page.context.close()


def test_the_pdf_report_pages_as_pictures(hub: Hub, tmp_path: Path) -> None:
    for lang, page_number, name in (("en", 1, "metrics-report.png"), ("fa", 2, "metrics-report-persian.png")):
        answer = httpx.get(f"{hub.url}/api/v1/agreements/{hub.agreement_id}/report.pdf?{PERIOD}&granularity=month"
                           f"&lang={lang}", headers={"Authorization": f"Bearer {hub.key}"}, timeout=60)
        assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")
        pdf = tmp_path / f"{lang}.pdf"
        pdf.write_bytes(answer.content)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(page_number), "-l", str(page_number),
                        "-singlefile", str(pdf), str(tmp_path / lang)], check=True)
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (DOCS_SCREENSHOTS / name).write_bytes((tmp_path / f"{lang}.png").read_bytes())


def test_the_report_page_prints_without_the_desk_around_it(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    page = member(browser, hub, "en", 1280)
    page.goto(f"{hub.url}/agreements/{hub.agreement_id}/report?{PERIOD}&granularity=month")
    assert page.locator(".topbar").is_visible() and page.locator(".report svg.chart").count() == 4
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible() and not page.locator(".crumbs").is_visible()
    assert page.locator(".report h1").inner_text() == "Kazakhstan-Iran"
    pdf = page.pdf(format="A4")  # Chromium's own print of the page
    assert pdf.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 2
    assert page.evaluate("window.__violations") == []
    page.context.close()
