"""Media rules of a term: which media kinds a party shares, and what each partner may fetch of them.

A term (``exchange/terms.py``) says what one party shares; its ``media`` object adds:

* ``types``: the media kinds shared (``picture``, ``video``, ``audio``, ``graphic``), for media
  items and for media attached to other items alike. Empty: every kind the term's ``types`` rule
  allows (all of them when that is empty too), so a text-only term shares no pictures;
* ``proxy_only`` (the original is neither listed nor served: the preview, proxy, thumbnail are),
  ``max_resolution`` (renditions whose shorter side is larger are not offered, the original
  included: ``1080`` keeps 1080p video and 1920 x 1080 pictures) and ``allow_gps`` (the original's
  GPS may reach the partner), for every receiving partner;
* ``partners``: the same three per receiving party (slug on the way in and out, id when stored),
  each key it leaves out taken from the term-wide value.

Kept apart from the rest of the terms so their parsing and storage stay in one place.
:func:`offer_for` answers, at the moment of reading or fetching, what a recipient is offered of an
item's media under the agreement its delivery came by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import agreement_parties, agreements, organizations
from newsbridge.errors import InvalidInput

MEDIA_KINDS = ("picture", "video", "audio", "graphic")
MAX_RESOLUTION = (16, 16384)  # pixels on the shorter side; 8K video is 4320
_LIMIT_KEYS = ("proxy_only", "max_resolution", "allow_gps")


@dataclass(frozen=True)
class Limits:
    """What one receiving partner may fetch of the media it is sent."""

    proxy_only: bool = False
    max_resolution: int | None = None
    allow_gps: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"proxy_only": self.proxy_only, "max_resolution": self.max_resolution, "allow_gps": self.allow_gps}


@dataclass(frozen=True)
class MediaRules:
    types: tuple[str, ...] = ()
    limits: Limits = Limits()
    partners: tuple[tuple[str, Limits], ...] = ()  # (organization id, limits), in the order given

    def to_json(self, names: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Stored form (partners by id), or with ``names`` (id -> slug) the form people read and send."""
        return {"types": list(self.types), **self.limits.to_json(),
                "partners": {(names or {}).get(org, org): limits.to_json() for org, limits in self.partners}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "MediaRules":
        if not data:
            return cls()
        default = Limits(**{k: data[k] for k in _LIMIT_KEYS if k in data})
        partners = tuple((org, Limits(**{k: v for k, v in limits.items() if k in _LIMIT_KEYS}))
                         for org, limits in (data.get("partners") or {}).items())
        return cls(tuple(data.get("types") or ()), default, partners)

    def limits_for(self, recipient_ids: Iterable[str]) -> Limits:
        """The limits of the first of ``recipient_ids`` (an outlet, then its holding) the rules name."""
        named = dict(self.partners)
        return next((named[r] for r in recipient_ids if r in named), self.limits)


def shared_kinds(rules: MediaRules, term_types: Iterable[str]) -> frozenset[str]:
    """The media kinds a term shares: its media ``types``, else the kinds its item ``types`` name, else all."""
    if rules.types:
        return frozenset(rules.types)
    named = frozenset(term_types)
    return frozenset(MEDIA_KINDS) & named if named else frozenset(MEDIA_KINDS)


def _limits_words(limits: Limits) -> list[str]:
    return [words for on, words in ((limits.proxy_only, "proxy only"),
                                    (bool(limits.max_resolution), f"<= {limits.max_resolution} px"),
                                    (limits.allow_gps, "GPS allowed")) if on]


def describe(rules: MediaRules, term_types: Iterable[str], names: Mapping[str, str]) -> str:
    """The rules in a few English words, for the console: ``picture, video; proxy only; beta: GPS allowed``."""
    kinds = shared_kinds(rules, term_types)
    if not kinds:
        return "no media"
    parts = [", ".join(k for k in MEDIA_KINDS if k in kinds) if len(kinds) < len(MEDIA_KINDS) else "all media"]
    parts += _limits_words(rules.limits)
    for org, limits in rules.partners:
        parts.append(f"{names.get(org, org)}: {', '.join(_limits_words(limits)) or 'no limits'}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Offer:
    """What a reader is offered of an item's media: the kinds, and the limits on renditions."""

    kinds: frozenset[str] = frozenset(MEDIA_KINDS)
    limits: Limits = field(default_factory=lambda: Limits(allow_gps=True))

    @classmethod
    def everything(cls) -> "Offer":
        """The source's own view: every kind and rendition, GPS included."""
        return cls()


def _limits(raw: Any, where: str, base: Limits) -> Limits:
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where} must be an object", field=where)
    unknown = set(raw) - set(_LIMIT_KEYS)
    if unknown:
        raise InvalidInput(f"{where} has unknown fields: {', '.join(sorted(unknown))} (it takes "
                           f"{', '.join(_LIMIT_KEYS)})", field=f"{where}.{min(unknown)}")
    values = base.to_json()
    for flag in ("proxy_only", "allow_gps"):
        if flag in raw:
            if not isinstance(raw[flag], bool):
                raise InvalidInput(f"{flag} must be true or false", field=f"{where}.{flag}")
            values[flag] = raw[flag]
    if "max_resolution" in raw:
        value = raw["max_resolution"]
        low, high = MAX_RESOLUTION
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
            raise InvalidInput(f"max_resolution is the largest shorter side in pixels, a whole number from {low} "
                               f"to {high} (1080 for 1080p), or null for no limit", field=f"{where}.max_resolution")
        values["max_resolution"] = value
    return Limits(**values)


def parse_media_rules(raw: Any, where: str, from_id: str, party_ids: Mapping[str, str]) -> MediaRules:
    """Check a term's ``media`` object as sent (partner slugs) and resolve it to ids."""
    if raw is None:
        return MediaRules()
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where} must be an object like {{\"types\": [\"picture\"], \"proxy_only\": true}}",
                           field=where)
    unknown = set(raw) - {"types", "partners", *_LIMIT_KEYS}
    if unknown:
        raise InvalidInput(f"{where} has unknown fields: {', '.join(sorted(unknown))}", field=f"{where}.{min(unknown)}")
    types = raw.get("types") or []
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise InvalidInput(f"{where}.types must be a list of media kinds", field=f"{where}.types")
    if bad := [t for t in types if t not in MEDIA_KINDS]:
        raise InvalidInput(f"media type {bad[0]!r} is not one of {', '.join(MEDIA_KINDS)}", field=f"{where}.types")
    default = _limits({k: v for k, v in raw.items() if k in _LIMIT_KEYS}, where, Limits())
    partners_raw = raw.get("partners") or {}
    if not isinstance(partners_raw, Mapping):
        raise InvalidInput(f"{where}.partners must map a receiving party's slug to its limits",
                           field=f"{where}.partners")
    partners = []
    for slug, limits in partners_raw.items():
        org = party_ids.get(slug)
        if org is None or org == from_id:
            others = [s for s, i in party_ids.items() if i != from_id]
            raise InvalidInput(f"{slug!r} is not a receiving party of this term (one of {', '.join(others)})",
                               field=f"{where}.partners")
        partners.append((org, _limits(limits, f"{where}.partners.{slug}", default)))
    return MediaRules(tuple(dict.fromkeys(types)), default, tuple(partners))


def sharing_term(terms: Sequence[Mapping[str, Any]] | None, source_id: str,
                 parent_id: str | None) -> Mapping[str, Any] | None:
    """The term of an agreement's ``terms`` under which ``source_id`` shares its items: its own, or its
    holding's (``parent_id``) when that term names no outlets or names this one. None: no such term."""
    sharers = (source_id, parent_id)
    return next((t for t in (terms or []) if t.get("from_id") in sharers
                 and (not t.get("outlets") or source_id in t["outlets"])), None)


def term_offer(term: Mapping[str, Any], recipients: tuple[str, ...]) -> Offer:
    """What a signed ``term`` offers ``recipients`` (an organization and its holding) of the sharer's media."""
    rules = MediaRules.from_json(term.get("media"))
    return Offer(shared_kinds(rules, term.get("types") or ()), rules.limits_for(recipients))


def offer_for(conn: Connection, viewer: Organization, source_id: str, agreement_id: str | None,
              cache: dict[tuple[str, str], Offer] | None = None) -> Offer:
    """What ``viewer`` is offered of the media of an item by ``source_id`` that reached it under
    ``agreement_id`` (the agreement of the delivery it sees, items/queries.py ``received``): the
    kinds the source's term shares and the limits it sets for the viewer (or its holding), once
    the sharing party has signed the terms as they stand; while an amendment waits for its
    signature, nothing. The source itself (no agreement) is offered everything. ``cache`` keeps
    answers for one page."""
    if agreement_id is None or viewer.id == source_id:
        return Offer.everything()
    key = (source_id, agreement_id)
    if cache is not None and key in cache:
        return cache[key]
    row = conn.execute(sa.select(agreements.c.terms, agreements.c.terms_revision)
                       .where(agreements.c.id == agreement_id)).first()
    parent = conn.execute(sa.select(organizations.c.parent_id).where(organizations.c.id == source_id)).scalar()
    term = sharing_term(row.terms if row else None, source_id, parent)
    signed = term is not None and conn.execute(
        sa.select(agreement_parties.c.signed_revision).where(agreement_parties.c.agreement_id == agreement_id,
                                                             agreement_parties.c.organization_id == term["from_id"])
    ).scalar() == row.terms_revision  # type: ignore[union-attr]
    if not signed:
        # No term for the source any more, or terms its party has not signed (an amendment any party
        # may propose): rules the sharing party has not consented to open nothing of its media.
        offer = Offer(frozenset(), Limits(proxy_only=True, max_resolution=MAX_RESOLUTION[0]))
    else:
        offer = term_offer(term, (viewer.id, viewer.parent_id) if viewer.parent_id else (viewer.id,))
    if cache is not None:
        cache[key] = offer
    return offer
