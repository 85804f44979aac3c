"""What the roadmap board shows of a measured commitment: the hub's last measurement, ready to word.

The measurement (metrics/indicators.py) is stored as JSON with ISO days; the board needs days,
party names and a link to the figures behind it (the agreement's metrics page for the judged
period). The template words it in the member's language (roadmap_measure.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from newsbridge.exchange.roadmap import Commitment
from newsbridge.web.i18n import N_

STATES = {"done": N_("done"), "on_track": N_("on track"), "off_track": N_("off track"), "overdue": N_("overdue"),
          "waiting": N_("waiting"), "blocked": N_("blocked"), "dropped": N_("dropped")}
BADGES = {"done": "picked", "on_track": "picked", "off_track": "embargo", "overdue": "withdrawn", "waiting": "",
          "blocked": "withdrawn", "dropped": ""}
EVIDENCE_SHOWN = 5


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def measure_view(agreement_id: str, commitment: Commitment, names: Mapping[str, str]) -> dict[str, Any] | None:
    """The board's view of one commitment's measurement; None for a commitment followed by hand."""
    indicator = commitment.indicator
    if not indicator:
        return None
    measure: Mapping[str, Any] = commitment.measure or {}
    state = str(measure.get("state", ""))
    evidence: Mapping[str, Any] = measure.get("evidence") or {}
    first, last = _day(measure.get("first")), _day(measure.get("current_last") or measure.get("last"))
    granularity = {"items_per_period": indicator.get("per"), "pickup_rate": "week"}.get(indicator["kind"], "month")
    link = (f"/agreements/{agreement_id}/metrics?" + urlencode({"from": first.isoformat(), "to": last.isoformat(),
                                                               "granularity": granularity})
            if first and last and indicator["kind"] != "deliverables" else None)
    projects = list(evidence.get("projects") or [])
    if indicator["kind"] == "deliverables" and len(projects) == 1:
        link = f"/projects/{projects[0]}"  # the joint project whose deliverables are counted
    return {"kind": indicator["kind"], "measured": bool(measure), "state": state,
            "state_label": STATES.get(state, state), "badge": BADGES.get(state, ""),
            "value": measure.get("value"), "target": indicator.get("at_least"), "per": indicator.get("per"),
            "source": names.get(indicator.get("from") or "", indicator.get("from")),
            "recipient": names.get(indicator.get("to") or "", indicator.get("to")),
            "topic": indicator.get("topic"), "weeks": indicator.get("weeks"), "by": _day(indicator.get("by")),
            "first": _day(measure.get("first")), "last": _day(measure.get("last")),
            "current": measure.get("current_value"), "received": measure.get("received"),
            "count": evidence.get("count"), "items": list(evidence.get("items") or [])[:EVIDENCE_SHOWN],
            "planned": (evidence.get("deliverables") or {}).get("total"),
            "link": link}
