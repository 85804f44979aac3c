"""An agreement's scorecard laid out for people: the metrics page, the overview and the report.

The numbers are the scorecard's (``metrics.scorecard``, the same the API and the CSV give);
this module only arranges and formats them in the member's language, calendar and digits: the
tables that stand beside every chart (for screen readers and for print), the data the desk's
chart script draws from, and the SVG charts of the printable report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import jdatetime
from babel.dates import format_date, format_skeleton, format_timedelta

from newsbridge.exchange.roadmap import CommitmentStatus
from newsbridge.metrics import report
from newsbridge.metrics.burndown import BurnPoint
from newsbridge.metrics.pace import MIN_PICKUP_BASE, wilson
from newsbridge.metrics.periods import Granularity
from newsbridge.metrics.scorecard import Scorecard, pickup_rate
from newsbridge.vocab import topic_labels
from newsbridge.vocab.mediatopics import vocabulary
from newsbridge.web.i18n import N_, direction, gettext_for, local_time, number, percent
from newsbridge.web.pace_words import component_rows, reasons, state_words

STATE_BADGES = {"keeping_pace": "picked", "slipping": "embargo", "stalled": "withdrawn"}
GRANULARITIES = {"day": N_("Day"), "week": N_("Week"), "month": N_("Month")}
CHART_TITLES = {"volume": N_("Items shared per period, each way"), "same_day": N_("Same-day share"),
                "pickup": N_("Pickup rate"), "burndown": N_("Roadmap burn-down")}
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def period_label(start: date, granularity: Granularity, locale: str) -> str:
    """A period as a reader names it: a month by its name (Persian: the Solar Hijri day it starts), a
    week or a day by its first day."""
    if granularity is Granularity.MONTH and locale != "fa":
        return format_skeleton("yMMM", start, locale=locale)
    return local_time(start, "UTC", locale)


def short_label(day: date, locale: str) -> str:
    """A day in digits only, for the report's SVG axes (WeasyPrint sets no Persian words in SVG)."""
    if locale == "fa":
        found = jdatetime.date.fromgregorian(date=day)
        return f"{found.year}/{found.month}/{found.day}".translate(PERSIAN_DIGITS)
    return format_date(day, "short", locale=locale)


def duration(seconds: float | None, locale: str) -> str:
    """A time to delivery in the locale's words, rounded to its largest unit ("5 min", "2 hr")."""
    if seconds is None:
        return "—"
    text = format_timedelta(timedelta(seconds=seconds), format="short", threshold=1.0, locale=locale)
    return text.translate(PERSIAN_DIGITS) if locale == "fa" else text


def _interval(part: int, whole: int) -> tuple[float, float] | None:
    """The Wilson 95 % interval in percent, only from 20 received items on (as the pace shows it)."""
    if whole < MIN_PICKUP_BASE:
        return None
    low, high = wilson(part, whole)
    return round(100 * low, 3), round(100 * high, 3)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class DirectionView:
    index: int  # the series' place: its pattern, marker and dash
    source: str
    recipient: str
    name: str  # "KRTC → IRNA"
    totals: dict[str, str] = field(default_factory=dict)


@dataclass
class ChartView:
    key: str
    title: str
    kind: str  # bar | line
    unit: str  # count | percent
    labels: list[str]
    series: list[tuple[str, list[float | None]]]  # (name, one value per period)
    steps: bool = False
    # per series, per period: a 95 % interval (low, high) in the chart's unit, or None (pickup rate only)
    intervals: list[list[tuple[float, float] | None]] | None = None

    def rows(self, locale: str) -> list[tuple[str, list[str]]]:
        """The table view: one row per period, one cell per series."""
        def shown(value: float | None) -> str:
            if value is None:
                return "—"
            return percent(round(value), locale) if self.unit == "percent" else number(value, locale)

        def cell(series: int, period: int) -> str:
            text = shown(self.series[series][1][period])
            interval = self.intervals[series][period] if self.intervals else None
            if interval is not None:
                text += f" ({shown(interval[0])}–{shown(interval[1])})"
            return text
        return [(label, [cell(s, i) for s in range(len(self.series))]) for i, label in enumerate(self.labels)]

    def spec(self) -> dict[str, Any]:
        """What the chart script draws from (``static/js/metrics.js``)."""
        return {"kind": self.kind, "unit": self.unit, "labels": self.labels, "steps": self.steps, "title": self.title,
                "series": [{"name": name, "values": values,
                            "intervals": self.intervals[index] if self.intervals else None}
                           for index, (name, values) in enumerate(self.series)]}


def _directions(card: Scorecard, names: dict[str, str], locale: str) -> list[DirectionView]:
    arrow = "←" if direction(locale) == "rtl" else "→"
    found = []
    for index, d in enumerate(card.figures.directions):
        total = d.total
        view = DirectionView(index, d.source, d.recipient,
                             f"{names.get(d.source, d.source)} {arrow} {names.get(d.recipient, d.recipient)}")
        rate = pickup_rate(total)
        _ = gettext_for(locale)
        view.totals = {
            "items": number(total.items, locale), "deliveries": number(total.deliveries, locale),
            "corrections": number(total.corrections, locale), "withdrawn": number(total.withdrawn, locale),
            "failed": number(total.failed, locale), "pickups": number(total.pickups_declared, locale),
            "detected": number(total.pickups_detected, locale) if getattr(total, "pickups_detected", None) is not None
            else "—",
            "delivery_time": f"{duration(getattr(total, 'delivery_median_seconds', None), locale)} / "
                             f"{duration(getattr(total, 'delivery_p90_seconds', None), locale)}",
            "same_day": percent(round(100 * total.same_day_share), locale) if total.same_day_share is not None
            else "—",
            "pickup_rate": _("%(rate)s (95%% interval %(low)s to %(high)s)",
                             rate=percent(round(100 * rate["value"]), locale),
                             low=percent(round(100 * rate["interval_95"][0]), locale),
                             high=percent(round(100 * rate["interval_95"][1]), locale))
            if rate["value"] is not None else _("not shown below 20 received items (%(count)s received)",
                                                   count=number(total.items, locale)),
        }
        found.append(view)
    return found


def charts(card: Scorecard, burn: list[BurnPoint], directions: list[DirectionView], locale: str) -> list[ChartView]:
    _ = gettext_for(locale)
    window = card.figures.window
    labels = [period_label(p, window.granularity, locale) for p in window.periods()]
    series = card.figures.directions
    volume = ChartView("volume", _(CHART_TITLES["volume"]), "bar", "count", labels,
                       [(v.name, [float(c.items) for c in d.series.values()]) for v, d in zip(directions, series)])
    same_day = ChartView("same_day", _(CHART_TITLES["same_day"]), "line", "percent", labels,
                         [(v.name, [_share(c.same_day, c.items) for c in d.series.values()])
                          for v, d in zip(directions, series)])
    pickup = ChartView("pickup", _(CHART_TITLES["pickup"]), "line", "percent", labels,
                       [(v.name, [_share(c.picked_up, c.items) for c in d.series.values()])
                        for v, d in zip(directions, series)],
                       intervals=[[_interval(c.picked_up, c.items) for c in d.series.values()] for d in series])
    burndown = ChartView("burndown", _(CHART_TITLES["burndown"]), "line", "count",
                         [period_label(p.period, window.granularity, locale) for p in burn],
                         [(_("Open commitments"), [float(p.open) for p in burn]),
                          (_("Due later by the plan"), [float(p.due_later) for p in burn])], steps=True)
    return [volume, same_day, pickup, burndown]


def heat_map(card: Scorecard, directions: list[DirectionView], locale: str) -> list[dict[str, Any]]:
    """Topic coverage per direction: one row per agreed topic, one cell per month, the count in the
    cell and a shade from 0 (none: hatched) to 4 (the direction's busiest month for a topic)."""
    topics = vocabulary()
    found = []
    for view, d in zip(directions, card.figures.directions):
        if not d.topic_months:
            continue
        months = sorted({m for cells in d.topic_months.values() for m in cells})
        highest = max((n for cells in d.topic_months.values() for n in cells.values()), default=0)
        rows = []
        for qcode, cells in d.topic_months.items():
            label = topic_labels.label(qcode, locale) if qcode in topics else qcode
            rows.append((label, [(number(cells.get(m, 0), locale), _level(cells.get(m, 0), highest)) for m in months]))
        found.append({"direction": view.name, "index": view.index, "rows": rows,
                      "months": [period_label(m, Granularity.MONTH, locale) for m in months]})
    return found


def _level(count: int, highest: int) -> int:
    if count <= 0 or highest <= 0:
        return 0
    return min(4, 1 + (4 * count - 1) // highest)


def scorecard_view(card: Scorecard, burn: list[BurnPoint], names: dict[str, str], locale: str) -> dict[str, Any]:
    """Everything the metrics page and the report show, formatted (``names``: party slug -> name)."""
    views = _directions(card, names, locale)
    found = charts(card, burn, views, locale)
    status = card.agreement.status.value
    window = card.figures.window
    balance = card.figures.balance
    return {
        "card": card, "directions": views, "charts": found,
        "chart_data": {"locale": locale, "rtl": direction(locale) == "rtl",
                       "charts": {c.key: c.spec() for c in found}},
        "heat": heat_map(card, views, locale),
        "balance": number(round(balance, 2), locale) if balance is not None else "—",
        "state": card.pace.state.value, "state_words": state_words(card.pace, locale),
        "state_badge": STATE_BADGES.get(card.pace.state.value, ""),
        "reasons": reasons(card.pace, status, locale, names),
        "components": component_rows(card.pace, locale, names),
        "first": window.first, "last": window.last, "granularity": window.granularity.value,
        "granularities": GRANULARITIES, "zone": window.zone.key,
        "roadmap": [{"title": c.title, "owner": names.get(c.owner or "", c.owner or ""), "due": c.due,
                     "status": c.status.value,
                     "overdue": bool(c.due and c.due < card.today
                                     and c.status not in (CommitmentStatus.DONE, CommitmentStatus.DROPPED))}
                    for c in card.commitments],
    }


def report_svgs(card: Scorecard, burn: list[BurnPoint], found: list[ChartView], locale: str) -> dict[str, str]:
    """The report's charts as SVG (the same series as the desk's charts)."""
    rtl = direction(locale) == "rtl"
    window = card.figures.window
    days = [short_label(p, locale) for p in window.periods()]
    burn_days = [short_label(p.end, locale) for p in burn]
    svgs = {}
    for chart in found:
        labels = burn_days if chart.key == "burndown" else days
        series = [report.Series(values, chart.intervals[i] if chart.intervals else None)
                  for i, (_name, values) in enumerate(chart.series)]
        if chart.unit == "percent":
            svgs[chart.key] = report.line_chart(labels, series, lambda v: percent(round(v), locale), chart.title,
                                                top=100, rtl=rtl)
        elif chart.kind == "bar":
            svgs[chart.key] = report.bar_chart(labels, series, lambda v: number(round(v, 1), locale), chart.title,
                                               rtl=rtl)
        else:
            svgs[chart.key] = report.line_chart(labels, series, lambda v: number(round(v, 1), locale), chart.title,
                                                rtl=rtl, steps=chart.steps)
    return svgs


def sparkline(card: Scorecard, names: dict[str, str], locale: str) -> ChartView:
    """Weekly items each way, for the overview."""
    views = _directions(card, names, locale)
    window = card.figures.window
    labels = [period_label(p, window.granularity, locale) for p in window.periods()]
    return ChartView("spark", gettext_for(locale)("Items shared per week, each way"), "line", "count", labels,
                     [(v.name, [float(c.items) for c in d.series.values()])
                      for v, d in zip(views, card.figures.directions)])
