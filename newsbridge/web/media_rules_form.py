"""The media rules of an agreement term on the desk's agreement page: one form per term, for the
admins of its sharing party (everyone else reads the rules as sentences, ``web/mediarules.py``).

The form says which media kinds the party shares, and what every receiving partner, or one partner
of its own, may fetch (previews only, a largest resolution, the GPS of originals). What it sends
becomes the term's ``media`` object exactly as the API takes it (partner slugs, ``max_resolution``
a whole number or null), inside an amendment of the whole agreement that keeps everything else:
the API's checks (``exchange/media_rules.py``) judge it, its field names
(``terms[0].media.partners.beta.max_resolution``) map back to the form's, and the history records
it like any amendment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsbridge.exchange.agreements import Agreement
from newsbridge.exchange.lifecycle import TRANSITIONS, Action
from newsbridge.exchange.media_rules import MEDIA_KINDS, Limits, MediaRules, shared_kinds
from newsbridge.exchange.terms import Terms
from newsbridge.formats.item import ITEM_TYPES

LIMITS = ("proxy_only", "max_resolution", "allow_gps")
_FIELD = re.compile(r"terms\[(\d+)\]\.media(?:\.partners\.([^.]+))?(?:\.(\w+))?$")


def _limit_values(limits: Limits) -> dict[str, str]:
    return {"proxy_only": "on" if limits.proxy_only else "", "allow_gps": "on" if limits.allow_gps else "",
            "max_resolution": str(limits.max_resolution or "")}


def rules_values(term: Terms, partners: Sequence[tuple[str, str]], slugs: Mapping[str, str]) -> dict[str, Any]:
    """The form's values for a term's media rules in force; ``partners`` are the receiving parties
    (id, slug). A partner without limits of its own shows every partner's, unticked "own"."""
    rules = term.media
    named = dict(rules.partners)
    return {"kinds": sorted(shared_kinds(rules, term.types), key=MEDIA_KINDS.index), **_limit_values(rules.limits),
            "partners": {slug: {"own": "on" if org in named else "", **_limit_values(named.get(org, rules.limits))}
                         for org, slug in partners}}


def entered_values(form: Mapping[str, Any], kinds: Sequence[str], partner_slugs: Sequence[str]) -> dict[str, Any]:
    """What the member ticked and typed, in the shape of :func:`rules_values` (an unticked box is absent)."""
    def text(name: str) -> str:
        return str(form.get(name, "")).strip()[:100]

    return {"kinds": [k for k in MEDIA_KINDS if k in kinds], **{name: text(name) for name in LIMITS},
            "partners": {slug: {"own": text(f"own:{slug}"), **{name: text(f"{name}:{slug}") for name in LIMITS}}
                         for slug in partner_slugs}}


def _resolution(typed: str) -> Any:
    """A typed resolution as the API takes it: empty is no limit, digits a number; anything else goes
    to the API's check as typed, which says what it takes."""
    return None if not typed else int(typed) if typed.isdigit() and len(typed) < 10 else typed


def _limits_json(values: Mapping[str, str]) -> dict[str, Any]:
    return {"proxy_only": bool(values["proxy_only"]), "allow_gps": bool(values["allow_gps"]),
            "max_resolution": _resolution(values["max_resolution"])}


def term_json(term: Terms, slugs: Mapping[str, str]) -> dict[str, Any]:
    """A stored term as the API takes it (slugs instead of ids)."""
    out = {k: v for k, v in term.to_json().items() if k != "from_id"}
    return {**out, "from": slugs[term.from_id], "outlets": [slugs[o] for o in term.outlets],
            "media": term.media.to_json(slugs)}


def with_media(term: Terms, slugs: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
    """The term as the API takes it, its ``media`` object (and, to share no media at all, its item
    types) replaced by what the form says."""
    body = term_json(term, slugs)
    default = shared_kinds(MediaRules(), term.types)
    kinds = list(values["kinds"])
    if not kinds and default:
        # An empty media "types" means "every kind the item types allow": sharing none is said by the
        # item types, as the API would be told (the term's other item types stay as they were).
        body["types"] = [t for t in (term.types or ITEM_TYPES) if t not in MEDIA_KINDS]
    partners = {slug: _limits_json(limits) for slug, limits in values["partners"].items() if limits["own"]}
    types = list(term.media.types) if set(kinds) == set(term.media.types) else [] if set(kinds) == default else kinds
    body["media"] = {"types": types, **_limits_json(values), "partners": partners}
    return body


def amendment(agreement: Agreement, slugs: Mapping[str, str], index: int, values: Mapping[str, Any]) -> dict[str, Any]:
    """The agreement body of an amendment that changes only term ``index``'s media rules (the pace
    targets are left out, so they stay as they are)."""
    return {"title": agreement.title,
            "valid_from": agreement.valid_from.isoformat() if agreement.valid_from else None,
            "valid_until": agreement.valid_until.isoformat() if agreement.valid_until else None,
            "terms": [with_media(t, slugs, values) if n == index else term_json(t, slugs)
                      for n, t in enumerate(agreement.terms)]}


def form_field(service_field: str | None) -> tuple[int, str] | None:
    """The term index and the form's field for a field the API names (``terms[0].media.partners.beta.
    max_resolution`` -> (0, "max_resolution:beta")); None for a field outside the media rules."""
    found = _FIELD.match(service_field or "")
    if not found:
        return None
    name = found[3] if found[3] in LIMITS else "kinds"
    return int(found[1]), f"{name}:{found[2]}" if found[2] else name


@dataclass(frozen=True)
class MediaForm:
    """One term's media rules form: who shares, the partners it names, the values shown, a problem."""

    index: int
    partners: tuple[tuple[str, str], ...]  # (slug, name) of each receiving party
    values: dict[str, Any]
    error: dict[str, str] = field(default_factory=dict)  # {"field", "message"} of the last attempt


def may_change(agreement: Agreement, term: Terms, organization_id: str, may_manage: bool) -> bool:
    """Only admins of the term's sharing party itself change its media rules, while the agreement can
    be amended at all (not ended or expired)."""
    return (may_manage and term.from_id == organization_id and agreement.party(organization_id) is not None
            and (agreement.status, Action.AMEND) in TRANSITIONS)


def media_forms(agreement: Agreement, organization_id: str, may_manage: bool, slugs: Mapping[str, str],
                entered: tuple[int, dict[str, Any], dict[str, str]] | None = None) -> list[MediaForm | None]:
    """A form per term of the agreement (None where the viewer only reads the rules); ``entered``:
    (index, values, error) of a form sent back with a problem."""
    forms: list[MediaForm | None] = []
    for index, term in enumerate(agreement.terms):
        if not may_change(agreement, term, organization_id, may_manage):
            forms.append(None)
            continue
        partners = [(p.id, p.slug) for p in agreement.parties if p.id != term.from_id]
        names = {p.slug: p.name for p in agreement.parties}
        if entered is not None and entered[0] == index:
            values, error = entered[1], entered[2]
        else:
            values, error = rules_values(term, partners, slugs), {}
        forms.append(MediaForm(index, tuple((slug, names[slug]) for _, slug in partners), values, error))
    return forms
