"""The desk's metrics pages over a generated 18-month history (tests/metrics/history.py): the overview,
an agreement's metrics page and its printable report show the scorecard the API gives, in the
member's language, digits and calendar; the PDF report in four languages, read back with pdftotext.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.db.engine import writing
from newsbridge.db.tables import agreement_events
from newsbridge.exchange.roadmap import add_commitments
from newsbridge.metrics.pace import wilson
from tests.metrics.history import History, build

pytestmark = pytest.mark.anyio
PERIOD = {"from": "2025-10-01", "to": "2026-02-28"}
ASCII_DIGIT = re.compile(r"[0-9]")


@pytest.fixture
def history(engine: Engine) -> History:
    with writing(engine) as conn:
        built = build(conn)
        kz_ir = built.agreements["kz_ir"]
        orgs = built.orgs
        party_ids = [orgs["krtc"].id, orgs["irna"].id]
        done, late, _planned = add_commitments(conn, kz_ir, party_ids, [
            {"title": "Exchange news every day", "owner": "krtc", "due": "2025-11-30", "status": "done"},
            {"title": "Joint documentary on the Silk Road", "owner": "irna", "due": "2025-12-31",
             "status": "in_progress"},
            {"title": "Persian desk at Kazinform", "owner": "krtc", "due": "2026-06-30"}], orgs["krtc"])
        # the first commitment was done on 10 November 2025 (Asia/Tehran), as the history says
        conn.execute(agreement_events.insert().values(
            agreement_id=kz_ir, action="commitment", organization_id=orgs["krtc"].id, actor="test",
            from_status="active", to_status="active", at=datetime(2025, 11, 10, 9, tzinfo=timezone.utc),
            details={"commitment": done.id, "title": done.title, "from": "in_progress", "to": "done"}))
    return built


def text(response: httpx.Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def chart_data(response: httpx.Response) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script type="application/json" id="metrics-data">(.*?)</script>', response.text, re.S)
    assert found, "the page carries no chart data"
    return json.loads(found[1])


def table(response: httpx.Response, element_id: str) -> list[list[str]]:
    found = re.search(rf'<div class="table-view" id="{element_id}">(.*?)</div>', response.text, re.S)
    assert found, element_id
    rows = re.findall(r"<tr>(.*?)</tr>", found[1], re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows]


def api_key(engine: Engine, slug: str) -> dict[str, str]:
    with writing(engine) as conn:
        return {"Authorization": f"Bearer {create_api_key(conn, slug, ('read',))[1]}"}


async def test_the_metrics_page_shows_the_figures_the_api_gives(sign_in, client, engine, history) -> None:
    kz_ir = history.agreements["kz_ir"]
    irna = await sign_in("irna", "viewer")
    query = {**PERIOD, "granularity": "month"}
    page = await irna.get(f"/agreements/{kz_ir}/metrics?" + "&".join(f"{k}={v}" for k, v in query.items()))
    assert page.status_code == 200, text(page)
    api = (await client.get(f"/api/v1/agreements/{kz_ir}/metrics", params={**query, "tz": "Asia/Tehran"},
                            headers=api_key(engine, "irna"))).json()
    data = chart_data(page)
    volume = data["charts"]["volume"]
    assert volume["labels"] == ["Oct 2025", "Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026"]
    assert [s["values"] for s in volume["series"]] == [[float(p["items"]) for p in s["periods"]] for s in api["series"]]
    assert [s["name"] for s in volume["series"]] == ["IRNA → KRTC", "KRTC → IRNA"]
    # the table view holds the same numbers as the chart
    rows = table(page, "table-volume")
    assert rows[0] == ["Period", "IRNA → KRTC", "KRTC → IRNA"]
    assert [r[1:] for r in rows[1:]] == [[f"{p['items']:,}" for p in (s["periods"][i] for s in api["series"])]
                                         for i in range(5)]
    same_day = data["charts"]["same_day"]["series"][0]["values"]
    assert same_day == [round(100 * p["same_day_share"], 1) if p["same_day_share"] is not None else None
                        for p in api["series"][0]["periods"]]
    words = text(page)
    state = {"keeping_pace": "Keeping pace", "slipping": "Slipping", "stalled": "Stalled"}[api["pace"]["state"]]
    assert f"Pace: {state}" in words
    for component in ("Volume trend", "Balance", "Same-day share", "Pickup rate", "Topic coverage", "Roadmap"):
        assert component in words
    assert "1 of 3 commitments done, 2 overdue, 0 blocked" in words  # the roadmap component (today: Dec 2026)
    assert f"Balance: {api['balance']:.2f}".rstrip("0") in words
    total = api["series"][1]["total"]
    assert f"KRTC → IRNA {total['items']:,} {total['deliveries']:,}" in words
    assert f"{total['pickups_declared']:,} {total['pickups_detected']:,} " in words  # declared and detected, apart
    assert "politics" in words and "economy, business and finance" in words  # the heat map's agreed topics
    # the downloads of the period shown, signed by the session (no API key in a browser)
    csv_link = re.search(r'href="(/agreements/\w+/metrics\.csv\?[^"]+)"', page.text)
    pdf_link = re.search(r'href="(/agreements/\w+/report\.pdf\?[^"]+)"', page.text)
    assert csv_link and pdf_link
    csv_file = await irna.get(html.unescape(csv_link[1]))
    api_csv = await client.get(f"/api/v1/agreements/{kz_ir}/metrics.csv", params={**query, "tz": "Asia/Tehran"},
                               headers=api_key(engine, "irna"))
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.text == api_csv.text
    pdf = await irna.get(html.unescape(pdf_link[1]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-") and "-en.pdf" in pdf.headers["content-disposition"]


async def test_the_pickup_table_gives_the_interval_from_20_items_on(sign_in, client, engine, history) -> None:
    kz_ir = history.agreements["kz_ir"]
    irna = await sign_in("irna", "viewer")
    page = await irna.get(f"/agreements/{kz_ir}/metrics?from=2025-10-01&to=2026-02-28&granularity=month")
    api = (await client.get(f"/api/v1/agreements/{kz_ir}/metrics", headers=api_key(engine, "irna"),
                            params={**PERIOD, "granularity": "month", "tz": "Asia/Tehran"})).json()
    rows = table(page, "table-pickup")
    for column, series in enumerate(api["series"], start=1):
        for row, period in zip(rows[1:], series["periods"]):
            rate = round(100 * period["picked_up"] / period["items"])
            if period["items"] < 20:
                assert row[column] == f"{rate}%"
            else:
                low, high = wilson(period["picked_up"], period["items"])
                assert row[column] == f"{rate}% ({round(100 * low)}%–{round(100 * high)}%)"
    assert any("–" in row[1] for row in rows[1:]) and any("–" not in row[1] for row in rows[1:])


async def test_the_roadmap_burns_down_by_its_history(sign_in, history) -> None:
    kz_ir = history.agreements["kz_ir"]
    krtc = await sign_in("krtc", "admin")
    page = await krtc.get(f"/agreements/{kz_ir}/metrics?from=2025-10-01&to=2026-01-31&granularity=month")
    rows = table(page, "table-burndown")
    # open: 3 until the first was done on 10 November; due later: after 30 Nov one is due, after 31 Dec two
    assert [r[1:] for r in rows[1:]] == [["3", "3"], ["2", "2"], ["2", "1"], ["2", "1"]]


async def test_persian_page_in_persian_digits_solar_hijri_and_right_to_left(sign_in, history) -> None:
    kz_ir = history.agreements["kz_ir"]
    irna = await sign_in("irna", "editor", locale="fa")
    page = await irna.get(f"/agreements/{kz_ir}/metrics?from=2025-10-01&to=2026-02-28&granularity=month")
    assert page.status_code == 200
    assert '<html lang="fa" dir="rtl">' in page.text
    data = chart_data(page)
    assert data["rtl"] is True and data["locale"] == "fa"
    assert data["charts"]["volume"]["labels"][0] == "۹ مهر ۱۴۰۴"  # 1 October 2025
    rows = table(page, "table-volume")
    assert rows[0][0] == "دوره"
    cells = [cell for row in rows[1:] for cell in row[1:]]
    assert cells and not any(ASCII_DIGIT.search(cell) for cell in cells), cells
    words = text(page)
    assert "روند حجم" in words and "سهم همان روز" in words and "موازنه" in words


async def test_the_overview_lists_our_agreements_with_weekly_volume(sign_in, history) -> None:
    irna = await sign_in("irna", "viewer")
    page = await irna.get("/cooperation?to=2026-02-28")
    assert page.status_code == 200, text(page)
    data = chart_data(page)
    ids = {history.agreements["kz_ir"], history.agreements["ir_ru"], history.agreements["ended"]}
    assert set(data["charts"]) == {f"spark-{i}" for i in ids}
    spark = data["charts"][f"spark-{history.agreements['kz_ir']}"]
    assert len(spark["labels"]) == 26 and spark["spark"] is True
    assert sum(sum(s["values"]) for s in spark["series"]) > 0
    words = text(page)
    assert "Kazakhstan-Iran" in words and "Iran-Russia" in words and "Old pact" in words
    assert "The agreement is ended" in words  # the old pact is stalled, and says why
    # a member of the holding's outlet sees the holding's agreement, not Iran-Russia
    kazinform = await sign_in("kazinform", "viewer")
    theirs = chart_data(await kazinform.get("/cooperation?to=2026-02-28"))
    assert set(theirs["charts"]) == {f"spark-{history.agreements['kz_ir']}"}


async def test_a_stranger_sees_no_metrics(sign_in, make_partner, history) -> None:
    make_partner("stranger")
    stranger = await sign_in("stranger", "admin")
    overview = await stranger.get("/cooperation")
    assert overview.status_code == 200 and "Kazakhstan-Iran" not in overview.text
    assert "Your organization has no agreements with figures yet." in text(overview)
    for path in ("metrics", "report"):
        answer = await stranger.get(f"/agreements/{history.agreements['kz_ir']}/{path}")
        assert answer.status_code == 404 and "Kazakhstan-Iran" not in answer.text


async def test_a_wrong_period_is_explained(sign_in, history) -> None:
    irna = await sign_in("irna", "viewer")
    answer = await irna.get(f"/agreements/{history.agreements['kz_ir']}/metrics?from=2026-02-01&to=2025-01-01")
    assert answer.status_code == 422 and "from must not be after to" in text(answer)


async def test_the_printable_report_in_the_desk(sign_in, history) -> None:
    krtc = await sign_in("krtc", "viewer", locale="ru")
    page = await krtc.get(f"/agreements/{history.agreements['kz_ir']}/report?from=2025-10-01&to=2026-02-28")
    assert page.status_code == 200
    assert page.text.count("<svg xmlns") >= 4  # the charts, drawn on the server
    assert 'href="/static/css/metrics-report.css"' in page.text
    words = text(page)
    assert "Отчёт о сотрудничестве" in words and "Kazakhstan-Iran" in words


def pdf_text(pdf: bytes, tmp_path, name: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    # -raw: the content stream's order, so a table cell's words stay together however the cell wraps
    words = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return words, int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]


@pytest.mark.parametrize("lang, heading, pace, figure", [
    ("en", "COOPERATION REPORT", "Volume trend", "Items shared"),
    ("ru", "ОТЧЁТ О СОТРУДНИЧЕСТВЕ", "Динамика объёма", "Передано материалов"),
    ("kk", "ЫНТЫМАҚТАСТЫҚ ЕСЕБІ", "Көлем үрдісі", "Берілген материалдар"),
    ("fa", "گزارش همکاری", "روند حجم", "خبرهای به‌اشتراک‌گذاشته"),
])
async def test_the_pdf_report_in_four_languages(client, engine, history, tmp_path, lang, heading, pace,
                                                figure) -> None:
    kz_ir = history.agreements["kz_ir"]
    headers = api_key(engine, "krtc")
    answer = await client.get(f"/api/v1/agreements/{kz_ir}/report.pdf",
                              params={**PERIOD, "granularity": "month", "lang": lang}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf" and answer.content.startswith(b"%PDF-")
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # WeasyPrint's import turns it on; the media probe needs it off
    assert f'report-{kz_ir}-2025-10-01-2026-02-28-{lang}.pdf' in answer.headers["content-disposition"]
    words, pages = pdf_text(answer.content, tmp_path, lang)
    api = (await client.get(f"/api/v1/agreements/{kz_ir}/metrics", params={**PERIOD, "granularity": "month"},
                            headers=headers)).json()
    assert 3 <= pages <= 6, pages
    folded = " ".join(words.split())
    if lang == "fa":  # pdftotext gives Persian in visual order: look for the words, not the line
        assert all(part in words for part in heading.split()) and all(part in words for part in pace.split())
        assert "۲" in words or "۱" in words  # Persian digits
        assert not ASCII_DIGIT.search(folded), "Latin digits in the Persian report"
    else:
        assert heading.lower() in folded.lower() and pace in folded and figure in folded
        total = api["series"][1]["total"]["items"]
        shown = {"en": f"{total:,}", "ru": f"{total:,}".replace(",", "\u00a0"),
                 "kk": f"{total:,}".replace(",", "\u00a0")}[lang]
        assert shown in words or shown.replace("\u00a0", " ") in folded
    assert "Kazakhstan-Iran" in words and "Persian desk at Kazinform" in words


async def test_the_pdf_report_is_for_the_parties_only(client, engine, make_partner, history) -> None:
    make_partner("stranger")
    kz_ir = history.agreements["kz_ir"]
    theirs = await client.get(f"/api/v1/agreements/{kz_ir}/report.pdf", headers=api_key(engine, "stranger"))
    assert theirs.status_code == 404 and theirs.json()["error"]["code"] == "not_found"
    wrong = await client.get(f"/api/v1/agreements/{kz_ir}/report.pdf", params={"lang": "de"},
                             headers=api_key(engine, "krtc"))
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "lang"


@pytest.mark.parametrize("first, last", [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")])
async def test_days_out_of_the_calendars_range_are_refused(client, engine, history, first, last) -> None:
    kz_ir = history.agreements["kz_ir"]
    for path in ("metrics", "metrics.csv", "report.pdf"):
        answer = await client.get(f"/api/v1/agreements/{kz_ir}/{path}", params={"from": first, "to": last},
                                  headers=api_key(engine, "krtc"))
        assert answer.status_code == 422 and answer.json()["error"]["field"] in ("from", "to"), answer.text
