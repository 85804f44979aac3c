"""The pace indicator in the member's words: component names, values, targets and reasons.

``metrics.pace`` gives each component an English sentence for the API; the desk and the report
build the same sentence from the component's parts (its details) with translated templates, so
a Persian reader gets Persian digits and words throughout. A component this module does not
know yet (a new one added to the pace) keeps its English sentence rather than vanish.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from newsbridge.metrics.pace import Component, Pace
from newsbridge.web.i18n import N_, gettext_for, number, percent
from newsbridge.web.wording import status_word

STATES = {"keeping_pace": N_("Keeping pace"), "slipping": N_("Slipping"), "stalled": N_("Stalled")}
NAMES = {"volume_trend": N_("Volume trend"), "balance": N_("Balance"), "same_day_share": N_("Same-day share"),
         "pickup_rate": N_("Pickup rate"), "topic_coverage": N_("Topic coverage"), "roadmap": N_("Roadmap")}
SHARES = {"same_day_share", "pickup_rate", "topic_coverage", "roadmap"}  # shown as percentages
TARGET_WORDS = {"not falling": N_("not falling"), "none overdue or blocked": N_("none overdue or blocked")}
MET = {True: N_("met"), False: N_("missed"), None: N_("not scored")}


@dataclass(frozen=True)
class ComponentRow:
    name: str
    value: str
    target: str
    met: bool | None
    met_words: str
    reason: str


def _decimal(value: float, locale: str, places: int = 2) -> str:
    return number(round(value, places), locale)


def format_value(component: Component, locale: str) -> str:
    if component.value is None:
        return "—"
    if component.name in SHARES:
        return percent(round(component.value * 100), locale)
    return _decimal(component.value, locale)


def format_target(component: Component, locale: str) -> str:
    _ = gettext_for(locale)
    target = component.target
    if target is None:
        return _("none set")
    if target in TARGET_WORDS:
        return _(TARGET_WORDS[target])
    if target.startswith(">= "):
        try:
            value = float(target[3:])
        except ValueError:
            return target
        shown = percent(round(value * 100), locale) if component.name in SHARES else _decimal(value, locale)
        return f"≥ {shown}"
    return target


def _reason(component: Component, locale: str, names: Mapping[str, str]) -> str:
    _ = gettext_for(locale)
    d: Mapping[str, Any] = component.details
    n: Callable[[Any], str] = lambda value: number(value, locale)
    if component.name == "volume_trend" and "recent" in d:
        if component.value is None:
            return _("%(recent)s items in the last 4 weeks, none in the 12 weeks before", recent=n(d["recent"]))
        words = _("%(recent)s items in the last 4 weeks against %(earlier)s in the 12 weeks before: %(rate)s times "
                  "the earlier daily rate (p = %(p)s)", recent=n(d["recent"]), earlier=n(d["earlier"]),
                  rate=_decimal(component.value, locale), p=_decimal(float(d["p_value"]), locale, 3))
        falling = component.value < 1 and float(d["p_value"]) < 0.05
        return words + _(", a significant fall") if falling else words + _(", no significant fall")
    if component.name == "balance" and "items" in d:
        items: Mapping[str, int] = d["items"]
        if component.value is None or not items:
            return _("Nothing was shared either way in the period")
        thin = min(items, key=lambda k: items[k])
        source, _sep, recipient = thin.partition(">")
        return _("The thinnest direction (%(source)s to %(recipient)s) carried %(value)s of the busiest",
                 source=names.get(source, source), recipient=names.get(recipient, recipient),
                 value=_decimal(component.value, locale))
    if component.name in ("same_day_share", "pickup_rate") and "denominator" in d:
        if component.value is None:
            return _("Too few items to tell (%(count)s; at least %(minimum)s needed)", count=n(d["denominator"]),
                     minimum=n(20 if component.name == "pickup_rate" else 1))
        if component.name == "same_day_share":
            return _("%(part)s of %(whole)s shared items arrived on the day they were published",
                     part=n(d["numerator"]), whole=n(d["denominator"]))
        low, high = d.get("interval_95") or (0.0, 0.0)
        return _("%(part)s of %(whole)s shared items were picked up (95%% interval %(low)s to %(high)s)",
                 part=n(d["numerator"]), whole=n(d["denominator"]), low=percent(round(low * 100), locale),
                 high=percent(round(high * 100), locale))
    if component.name == "topic_coverage":
        if component.value is None:
            return _("The terms name no topics")
        return _("On average %(share)s of the agreed topics carried items each month",
                 share=percent(round(component.value * 100), locale))
    if component.name == "roadmap":
        if component.value is None or "counted" not in d:
            return _("The roadmap has no commitments")
        return _("%(done)s of %(counted)s commitments done, %(overdue)s overdue, %(blocked)s blocked",
                 done=n(d["done"]), counted=n(d["counted"]), overdue=n(d["overdue"]), blocked=n(d["blocked"]))
    return component.reason


def component_rows(pace: Pace, locale: str, names: Mapping[str, str]) -> list[ComponentRow]:
    """Every component of the pace as the table shows it (``names``: party slug -> name)."""
    _ = gettext_for(locale)
    return [ComponentRow(_(NAMES[c.name]) if c.name in NAMES else c.name, format_value(c, locale),
                         format_target(c, locale), c.met, _(MET[c.met]), _reason(c, locale, names))
            for c in pace.components]


def state_words(pace: Pace, locale: str) -> str:
    _ = gettext_for(locale)
    return _(STATES[pace.state.value]) if pace.state.value in STATES else pace.state.value


def reasons(pace: Pace, status: str, locale: str, names: Mapping[str, str]) -> list[str]:
    """Why the state is what it is: the missed components' sentences, in the member's words."""
    _ = gettext_for(locale)
    missed = [_reason(c, locale, names) for c in pace.components if c.met is False]
    if pace.state.value == "stalled":
        if status != "active":
            return [_("The agreement is %(status)s", status=status_word(status, locale)), *missed]
        return [_("Nothing was shared either way in the last 4 weeks")]
    if pace.state.value == "keeping_pace":
        return [_("Every scored component meets its target")]
    return missed or list(pace.reasons)
