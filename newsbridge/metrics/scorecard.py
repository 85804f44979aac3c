"""One agreement's scorecard: its figures, pace and roadmap, as the API, the CSV and the page show it.

The API (``GET /api/v1/agreements/{id}/metrics``), its CSV and the desk's metrics page all call
:func:`scorecard`, so what a partner downloads and what a minister sees are the same numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.exchange.agreements import Agreement, get_agreement
from newsbridge.exchange.roadmap import Commitment, list_commitments, progress
from newsbridge.metrics.figures import Counts, Figures, agreement_figures, daily_items
from newsbridge.metrics.pace import EARLIER_DAYS, RECENT_DAYS, MIN_PICKUP_BASE, Pace, assess, coverage_by_month, wilson
from newsbridge.metrics.periods import Granularity, Window


@dataclass(frozen=True)
class Scorecard:
    agreement: Agreement
    figures: Figures
    pace: Pace
    commitments: tuple[Commitment, ...]
    today: date


def scorecard(conn: Connection, viewer: Organization, agreement_id: str, window: Window, now: datetime,
              today: date) -> Scorecard:
    """Figures and pace of an agreement the viewer sees (NotFound otherwise, as for any agreement)."""
    agreement = get_agreement(conn, viewer, agreement_id)
    trend = trend_window(window)
    figures = agreement_figures(conn, agreement, window, now, daily=(trend.first, trend.last))
    return assemble(conn, agreement, figures, now, today)


def trend_window(window: Window) -> Window:
    """The days of the pace's volume trend: the 16 weeks ending on the window's last day."""
    return Window(window.last - timedelta(days=RECENT_DAYS + EARLIER_DAYS - 1), window.last, window.zone,
                  Granularity.DAY)


def assemble(conn: Connection, agreement: Agreement, figures: Figures, now: datetime, today: date) -> Scorecard:
    """The scorecard of figures already read: the roadmap, and the pace scored on both."""
    commitments = tuple(list_commitments(conn, agreement.id))
    daily = daily_items(conn, agreement, trend_window(figures.window), now, figures)  # the figures' own days
    pace = assess(figures, daily, commitments, agreement.status.value, today, agreement.targets)
    return Scorecard(agreement, figures, pace, commitments, today)


def _counts_json(counts: Counts) -> dict[str, Any]:
    return {"items": counts.items, "withdrawn": counts.withdrawn, "corrections": counts.corrections,
            "deliveries": counts.deliveries, "pending": counts.pending, "failed": counts.failed,
            "same_day": counts.same_day, "same_day_share": counts.same_day_share, "picked_up": counts.picked_up,
            "pickups_declared": counts.pickups_declared, "pickups_detected": counts.pickups_detected,
            "delivery_median_seconds": counts.delivery_median_seconds,
            "delivery_p90_seconds": counts.delivery_p90_seconds}


def pickup_rate(counts: Counts) -> dict[str, Any]:
    """Picked up over received, with its Wilson 95 % interval; only from 20 received items on."""
    if counts.items < MIN_PICKUP_BASE:
        return {"value": None, "interval_95": None, "picked_up": counts.picked_up, "received": counts.items}
    low, high = wilson(counts.picked_up, counts.items)
    return {"value": counts.picked_up / counts.items, "interval_95": [low, high], "picked_up": counts.picked_up,
            "received": counts.items}


def _measured(c: Commitment) -> dict[str, Any] | None:
    """The hub's last measurement of a measured commitment, in short (docs/metrics.md)."""
    if not c.measure:
        return None
    return {k: c.measure.get(k) for k in ("state", "value", "target", "first", "last", "current_value", "sentence")}


def scorecard_json(card: Scorecard) -> dict[str, Any]:
    figures, window = card.figures, card.figures.window
    done = progress(card.commitments, card.today)
    coverage = coverage_by_month(figures)
    return {
        "agreement": {"id": card.agreement.id, "title": card.agreement.title, "status": card.agreement.status.value,
                      "parties": [p.slug for p in card.agreement.parties]},
        "from": window.first.isoformat(), "to": window.last.isoformat(), "granularity": window.granularity.value,
        "timezone": window.zone.key,
        "periods": [p.isoformat() for p in window.periods()],
        "series": [{"from": d.source, "to": d.recipient,
                    "periods": [{"start": start.isoformat(), **_counts_json(c)} for start, c in d.series.items()],
                    "total": _counts_json(d.total), "pickup_rate": pickup_rate(d.total),
                    "by_type": d.by_type, "by_language": d.by_language} for d in figures.directions],
        "balance": figures.balance,
        "topic_coverage": {
            "months": {m.isoformat(): v for m, v in coverage.items()},
            "directions": [{"from": d.source, "to": d.recipient, "topics": list(d.topics),
                            "cells": {q: {m.isoformat(): n for m, n in months.items()}
                                      for q, months in d.topic_months.items()}} for d in figures.directions]},
        "roadmap": {"done": done.done, "counted": done.counted, "overdue": done.overdue, "by_status": done.by_status,
                    "commitments": [{"id": c.id, "title": c.title, "owner": c.owner, "status": c.status.value,
                                     "due": c.due.isoformat() if c.due else None,
                                     "indicator": dict(c.indicator) if c.indicator else None,
                                     "measured": _measured(c)} for c in card.commitments]},
        "pace": {"state": card.pace.state.value, "reasons": list(card.pace.reasons),
                 "targets": card.agreement.targets.to_json(),
                 "components": [{"name": c.name, "value": c.value, "target": c.target, "met": c.met,
                                 "reason": c.reason, "details": dict(c.details)} for c in card.pace.components]},
    }


CSV_COLUMNS = ("period", "from", "to", "items", "withdrawn", "corrections", "deliveries", "pending", "failed",
               "same_day", "same_day_share", "picked_up", "pickups_declared", "pickups_detected",
               "delivery_median_seconds", "delivery_p90_seconds")


def scorecard_csv(card: Scorecard) -> str:
    """Every figure of the series, one row per period and direction, then the pace components
    (``period`` = ``pace``) so a spreadsheet holds the whole scorecard."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for d in card.figures.directions:
        for start, c in d.series.items():
            row = _counts_json(c)
            writer.writerow([start.isoformat(), d.source, d.recipient,
                             *("" if row[k] is None else row[k] for k in CSV_COLUMNS[3:])])
    writer.writerow([])
    writer.writerow(("pace", "component", "value", "target", "met", "reason"))
    writer.writerow(("pace", "state", card.pace.state.value, "", "", "; ".join(card.pace.reasons)))
    for c in card.pace.components:
        writer.writerow(("pace", c.name, "" if c.value is None else round(c.value, 4), c.target or "",
                         "" if c.met is None else str(c.met).lower(), c.reason))
    return out.getvalue()
