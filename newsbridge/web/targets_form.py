"""The pace targets on the desk's agreement form (propose and amend): shares as percentages.

People type "50" for a balance of 0.5; an empty share field means "show it, do not score it". The
service (exchange/pace_targets.py) checks the values; its field names (``targets.balance``) map
back to the form's (``target_balance``).
"""

from __future__ import annotations

from typing import Any

from newsbridge.errors import InvalidInput
from newsbridge.exchange.pace_targets import TARGET_SHARES, PaceTargets
from newsbridge.web.i18n import N_

FIELD_PREFIX = "target_"
SHOWN = "targets_shown"  # a hidden field: the form carried the targets (an unticked box sends nothing)
LABELS = {"balance": N_("Balance: the thinnest direction against the busiest, at least (%)"),
          "topic_coverage": N_("Agreed topics carrying items each month, at least (%)"),
          "same_day_share": N_("Items arriving on their day of publication, at least (%)"),
          "pickup_rate": N_("Received items picked up, at least (%)"),
          "volume_not_falling": N_("Volume not falling (the last 4 weeks against the 12 before)")}


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:g}"


def targets_values(targets: PaceTargets) -> dict[str, str]:
    """The form's values for targets in force (or the defaults, for a new agreement)."""
    values = {f"{FIELD_PREFIX}{name}": _percent(getattr(targets, name)) for name in TARGET_SHARES}
    values[f"{FIELD_PREFIX}volume_not_falling"] = "on" if targets.volume_not_falling else ""
    values[SHOWN] = "on"
    return values


def targets_body(values: dict[str, Any]) -> dict[str, Any] | None:
    """The ``targets`` of the agreement body from what was typed (percentages to shares); None when
    the form sent no targets (a form from before they existed), which keeps them as they are."""
    if not values.get(SHOWN):
        return None
    found: dict[str, Any] = {}
    for name in TARGET_SHARES:
        raw = str(values.get(f"{FIELD_PREFIX}{name}", "")).strip().replace(",", ".").rstrip("%").strip()
        if not raw:
            found[name] = None
            continue
        try:
            found[name] = float(raw) / 100
        except ValueError:
            raise InvalidInput("a target is a percentage from 0 to 100, like 50; leave it empty to show the figure "
                               "without scoring it", field=f"targets.{name}") from None
    found["volume_not_falling"] = bool(values.get(f"{FIELD_PREFIX}volume_not_falling"))
    return found


def form_field(service_field: str) -> str | None:
    """``targets.balance`` -> ``target_balance``; None for fields that are not targets."""
    if service_field == "targets":
        return f"{FIELD_PREFIX}balance"
    if service_field.startswith("targets."):
        return FIELD_PREFIX + service_field.removeprefix("targets.")
    return None
