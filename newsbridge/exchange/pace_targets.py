"""Pace targets: what the parties of an agreement aim at, signed with its terms.

The parties propose them with the agreement (``"targets"`` in its JSON body) and change them only
by an amendment, which every party signs again, like the terms; the pace indicator
(metrics/pace.py) scores the cooperation against them. An agreement that names none has the
defaults of docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from newsbridge.errors import InvalidInput


@dataclass(frozen=True)
class PaceTargets:
    """What the parties aim at. A ``None`` share is shown on the scorecard but not scored; the
    defaults are issue 14's (balance >= 0.5, 80 % of agreed topics each month, volume not falling)."""

    balance: float | None = 0.5  # thinnest direction / busiest, at least
    topic_coverage: float | None = 0.8  # share of agreed topics carrying items, per month, at least
    same_day_share: float | None = None  # shared items arriving on their day of publication, at least
    pickup_rate: float | None = None  # received items picked up, at least
    volume_not_falling: bool = True  # a significant fall of the last 4 weeks against the 12 before misses it

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "PaceTargets":
        return cls(**{k: v for k, v in (data or {}).items() if k in TARGET_FIELDS})


TARGET_SHARES = ("balance", "topic_coverage", "same_day_share", "pickup_rate")
TARGET_FIELDS = (*TARGET_SHARES, "volume_not_falling")


def parse_targets(raw: Any, base: PaceTargets | None = None) -> PaceTargets:
    """Check the ``targets`` of an agreement body: shares from 0 to 1 (or null: not scored) and
    ``volume_not_falling`` true or false. Fields left out keep ``base`` (the defaults, or on an
    amendment the targets in force)."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("targets must be an object like {\"balance\": 0.5, \"pickup_rate\": 0.1}", field="targets")
    unknown = set(raw) - set(TARGET_FIELDS)
    if unknown:
        raise InvalidInput(f"targets has unknown fields: {', '.join(sorted(unknown))}; known: "
                           f"{', '.join(TARGET_FIELDS)}", field=f"targets.{min(unknown)}")
    values = asdict(base or PaceTargets())
    for name in TARGET_SHARES:
        if name not in raw:
            continue
        value = raw[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 <= value <= 1):
            raise InvalidInput(f"targets.{name} must be a share from 0 to 1 (like 0.5 for half), or null to show "
                               f"it without scoring it", field=f"targets.{name}")
        values[name] = None if value is None else float(value)
    if "volume_not_falling" in raw:
        if not isinstance(raw["volume_not_falling"], bool):
            raise InvalidInput("targets.volume_not_falling must be true or false", field="targets.volume_not_falling")
        values["volume_not_falling"] = raw["volume_not_falling"]
    return PaceTargets(**values)
