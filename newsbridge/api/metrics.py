"""``/api/v1/agreements/{id}/metrics``: an agreement's figures and pace, as JSON or CSV.

Only the parties (and their outlets) see them; anyone else gets 404 ``not_found``, exactly as for
the agreement itself. Days are the caller's organization's (``tz`` overrides).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub
from newsbridge.db.engine import reading
from newsbridge.ids import utcnow
from newsbridge.metrics.periods import Window, zone
from newsbridge.metrics.scorecard import Scorecard, scorecard, scorecard_csv, scorecard_json
from newsbridge.web.views import metrics as metrics_report

router = APIRouter(prefix="/api/v1", tags=["metrics"])


def _card(the_hub: Hub, principal: Principal, agreement_id: str, first: str | None, last: str | None,
          granularity: str | None, tz: str | None) -> Scorecard:
    now: datetime = utcnow()
    today = now.astimezone(zone(tz or principal.organization.timezone)).date()
    window = Window.parse(first, last, tz or principal.organization.timezone, granularity, today)
    with reading(the_hub.engine) as conn:
        return scorecard(conn, principal.organization, agreement_id, window, now, today)


@router.get("/agreements/{agreement_id}/metrics", summary="Cooperation figures and pace of an agreement")
def metrics(agreement_id: str, first: str | None = Query(None, alias="from", description="first day, YYYY-MM-DD"),
            last: str | None = Query(None, alias="to", description="last day, YYYY-MM-DD (default: today)"),
            granularity: str | None = Query(None, description="day, week (default) or month"),
            tz: str | None = Query(None, description="IANA time zone of the days (default: your organization's)"),
            principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Items, deliveries, same-day share and pickups per period and direction, balance, topic
    coverage, roadmap and the pace indicator with every component (docs/metrics.md)."""
    return scorecard_json(_card(the_hub, principal, agreement_id, first, last, granularity, tz))


@router.get("/agreements/{agreement_id}/metrics.csv", summary="The same figures as CSV",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def metrics_csv(agreement_id: str, first: str | None = Query(None, alias="from"),
                last: str | None = Query(None, alias="to"), granularity: str | None = Query(None),
                tz: str | None = Query(None), principal: Principal = Depends(caller("read")),
                the_hub: Hub = Depends(hub)) -> Response:
    card = _card(the_hub, principal, agreement_id, first, last, granularity, tz)
    name = f"metrics-{agreement_id}-{card.figures.window.first}-{card.figures.window.last}.csv"
    return Response(scorecard_csv(card), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/agreements/{agreement_id}/report.pdf", summary="The printable report of an agreement, as PDF",
            response_class=Response,
            responses={200: {"description": "The report: pace, figures, charts, topic coverage and roadmap",
                             "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
def report_pdf(agreement_id: str, first: str | None = Query(None, alias="from", description="first day, YYYY-MM-DD"),
               last: str | None = Query(None, alias="to", description="last day, YYYY-MM-DD (default: today)"),
               granularity: str | None = Query(None, description="day, week (default) or month"),
               lang: str | None = Query(None, description="en, ru, kk or fa (default: your organization's first "
                                                           "of these languages, else en)"),
               tz: str | None = Query(None, description="IANA time zone of the days (default: your organization's)"),
               principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> Response:
    """The report a partnership manager brings to a bilateral meeting (docs/metrics.md, "The report"):
    the same figures as ``/metrics``, with the charts, the pace components and the roadmap, in
    English, Russian, Kazakh or Persian (right to left)."""
    pdf, name = metrics_report.report_pdf(the_hub.engine, principal.organization, agreement_id, first, last,
                                          granularity, lang, tz)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})
