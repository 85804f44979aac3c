"""Cooperation metrics on the desk: the overview of all our agreements, one agreement's metrics page,
and its printable report (the same HTML the PDF is made from, with a print stylesheet).

Only members of the parties (and their outlets) see an agreement's metrics; anyone else gets the
404 page, exactly as for the agreement itself. Every number comes from ``metrics.scorecard``, the
service behind ``GET /api/v1/agreements/{id}/metrics``; days are the member's time zone's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import Organization, list_organizations
from newsbridge.db.engine import reading
from newsbridge.errors import InvalidInput
from newsbridge.exchange.agreements import history
from newsbridge.ids import utcnow
from newsbridge.metrics.burndown import BurnPoint, burndown
from newsbridge.metrics.overview import overview
from newsbridge.metrics.periods import Window, zone
from newsbridge.metrics.report import swatch, write_pdf
from newsbridge.metrics.scorecard import Scorecard, scorecard, scorecard_csv
from newsbridge.web.context import Viewer, page, sentence, templates, viewer
from newsbridge.web.i18n import (LOCALES, direction, gettext_for, language_name, local_time, ngettext_for, number,
                                 percent, separator, words)
from newsbridge.web.scorecard_view import report_svgs, scorecard_view, sparkline
from newsbridge.web.views.agreements import BADGES
from newsbridge.web.wording import status_word

router = APIRouter(include_in_schema=False)
OVERVIEW_WEEKS = 26


def _names(conn: Connection) -> dict[str, str]:
    return {o.slug: o.name for o in list_organizations(conn)}


def load(conn: Connection, organization: Organization, agreement_id: str, first: str | None, last: str | None,
         granularity: str | None, zone_name: str) -> tuple[Scorecard, list[BurnPoint], dict[str, str]]:
    """The scorecard the viewer asked for, its roadmap burn-down and the parties' names (NotFound
    for an agreement the organization does not see)."""
    now = utcnow()
    today = now.astimezone(zone(zone_name)).date()
    window = Window.parse(first or None, last or None, zone_name, granularity or None, today)
    card = scorecard(conn, organization, agreement_id, window, now, today)
    return card, burndown(card.commitments, history(conn, card.agreement.id), window), _names(conn)


def _query(request: Request) -> tuple[str | None, str | None, str | None]:
    q = request.query_params
    return q.get("from"), q.get("to"), q.get("granularity")


def _links(agreement_id: str, view: dict[str, Any], locale: str) -> dict[str, str]:
    """The downloads of the period shown, from the desk (the session signs them, no API key needed)."""
    period = {"from": view["first"].isoformat(), "to": view["last"].isoformat(), "granularity": view["granularity"]}
    return {"csv": f"/agreements/{agreement_id}/metrics.csv?" + urlencode(period),
            "pdf": f"/agreements/{agreement_id}/report.pdf?" + urlencode({**period, "lang": locale}),
            "report": f"/agreements/{agreement_id}/report?" + urlencode(period)}


@router.get("/cooperation")
def overview_page(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """Every agreement of ours that was put up for signature, with its weekly volume each way over the
    last 26 weeks and its pace (every agreement's figures summed in the same few queries)."""
    end = request.query_params.get("to") or None
    rows = []
    now = utcnow()
    with reading(request.app.state.hub.engine) as conn:
        names = _names(conn)
        today = now.astimezone(zone(who.timezone)).date()
        last = Window.parse(None, end, who.timezone, "week", today).last
        first = (last - timedelta(weeks=OVERVIEW_WEEKS - 1))
        first -= timedelta(days=first.weekday())  # whole weeks
        window = Window.parse(first.isoformat(), last.isoformat(), who.timezone, "week", today)
        for card in overview(conn, who.organization, window, now, today):
            agreement = card.agreement
            burn = burndown(card.commitments, history(conn, agreement.id), window)
            view = scorecard_view(card, burn, names, who.locale)
            spark = sparkline(card, names, who.locale)
            rows.append({"agreement": agreement, "badge": BADGES[agreement.status], "view": view,
                         "spark": spark, "spark_rows": spark.rows(who.locale)})
    data = {"locale": who.locale, "rtl": direction(who.locale) == "rtl",
            "charts": {f"spark-{r['agreement'].id}": {**r["spark"].spec(), "spark": True} for r in rows}}
    return page(request, "metrics_overview.html", who, rows=rows, chart_data=data, first=first, last=last,
                swatch=swatch)


@router.get("/agreements/{agreement_id}/metrics")
def metrics_page(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        card, burn, names = load(conn, who.organization, agreement_id, *_query(request), who.timezone)
    view = scorecard_view(card, burn, names, who.locale)
    return page(request, "metrics_agreement.html", who, links=_links(agreement_id, view, who.locale),
                swatch=swatch, **view)


@router.get("/agreements/{agreement_id}/report")
def report_page(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """The printable report in the desk (print it from the browser, or take the PDF link)."""
    with reading(request.app.state.hub.engine) as conn:
        card, burn, names = load(conn, who.organization, agreement_id, *_query(request), who.timezone)
    view = scorecard_view(card, burn, names, who.locale)
    return page(request, "metrics_report.html", who, links=_links(agreement_id, view, who.locale), swatch=swatch,
                svgs=report_svgs(card, burn, view["charts"], who.locale), generated=utcnow(), **view)


@router.get("/agreements/{agreement_id}/metrics.csv")
def metrics_csv(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> Response:
    """The page's figures as CSV, the same file ``GET /api/v1/agreements/{id}/metrics.csv`` gives."""
    with reading(request.app.state.hub.engine) as conn:
        card, _burn, _names = load(conn, who.organization, agreement_id, *_query(request), who.timezone)
    window = card.figures.window
    name = f"metrics-{agreement_id}-{window.first}-{window.last}.csv"
    return Response(scorecard_csv(card), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/agreements/{agreement_id}/report.pdf")
def report_download(request: Request, agreement_id: str, who: Viewer = Depends(viewer)) -> Response:
    """The PDF report in the member's language (``lang`` picks another) and time zone."""
    first, last, granularity = _query(request)
    pdf, name = report_pdf(request.app.state.hub.engine, who.organization, agreement_id, first, last, granularity,
                           request.query_params.get("lang") or who.locale, who.timezone)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _report_stylesheet() -> str:
    return resources.files("newsbridge.web").joinpath("static", "css", "metrics-report.css").read_text("utf-8")


def report_pdf(engine: Engine, organization: Organization, agreement_id: str, first: str | None, last: str | None,
               granularity: str | None, lang: str | None, tz: str | None) -> tuple[bytes, str]:
    """The report as PDF for an API caller, in ``lang`` (en, ru, kk or fa; default the organization's
    first desk language, else English) and the days of ``tz`` (default the organization's zone)."""
    locale = lang or next((code for code in organization.languages if code in LOCALES), "en")
    if locale not in LOCALES:
        raise InvalidInput(f"lang must be one of {', '.join(LOCALES)}", field="lang")
    zone_name = tz or organization.timezone
    with reading(engine) as conn:
        card, burn, names = load(conn, organization, agreement_id, first, last, granularity, zone_name)
    view = scorecard_view(card, burn, names, locale)
    html = templates.get_template("metrics_report_pdf.html").render(
        **_formatters(locale, zone_name), svgs=report_svgs(card, burn, view["charts"], locale), swatch=swatch,
        generated=utcnow(), **view)
    window = card.figures.window
    name = f"report-{agreement_id}-{window.first}-{window.last}-{locale}.pdf"
    return write_pdf(html, _report_stylesheet()), name


def _formatters(locale: str, zone_name: str) -> dict[str, Any]:
    """What ``context.page`` gives a template, for the report rendered outside a desk request."""
    def when(value: datetime | date | None, fmt: str = "datetime") -> str:
        return local_time(value, zone_name, locale, fmt)

    return {"_": gettext_for(locale), "ngettext": ngettext_for(locale), "when": when,
            "number": lambda n: number(n, locale), "percent": lambda n: percent(n, locale),
            "language_name": lambda code: language_name(code, locale), "status": lambda v: status_word(v, locale),
            "words": lambda found: words(found, locale), "sentence": sentence,
            "locale": locale, "page_dir": direction(locale), "dir_of": direction, "dot": separator(locale)}

