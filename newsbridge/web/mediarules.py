"""An agreement term's media rules (exchange/media_rules.py) in the words a partner reads on the
agreement page: which media kinds are shared, and what partners may fetch of them (proxies only, a
largest resolution, the GPS of originals), for everyone and per partner. One fact per sentence,
each a whole sentence in the catalogue (newsbridge/web/locale/*/mediarules.po)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from newsbridge.exchange.media_rules import MEDIA_KINDS, Limits, MediaRules, shared_kinds
from newsbridge.web.i18n import gettext_for, number, words
from newsbridge.web.wording import ITEM_KINDS, _isolated

_KIND_ORDER = {kind: n for n, kind in enumerate(MEDIA_KINDS)}


def _limit_sentences(limits: Limits, locale: str) -> list[str]:
    """What every partner may fetch (the term-wide limits)."""
    _ = gettext_for(locale)
    found = []
    if limits.proxy_only:
        found.append(_("Partners receive previews and proxies of the media, not the originals."))
    if limits.max_resolution:
        found.append(_("Partners receive media up to %(pixels)s pixels on the shorter side.",
                       pixels=number(limits.max_resolution, locale)))
    found.append(_("Partners may receive the GPS location recorded in originals.") if limits.allow_gps
                 else _("The GPS location recorded in originals is removed for partners."))
    return found


def _partner_sentences(name: str, limits: Limits, default: Limits, locale: str) -> list[str]:
    """What one partner may fetch, where it differs from every partner's."""
    _ = gettext_for(locale)
    found = []
    if limits.proxy_only != default.proxy_only:
        found.append(_("%(partner)s receives previews and proxies only, not the originals.", partner=name)
                     if limits.proxy_only else _("%(partner)s receives the originals too.", partner=name))
    if limits.max_resolution != default.max_resolution:
        found.append(_("%(partner)s receives media up to %(pixels)s pixels on the shorter side.", partner=name,
                       pixels=number(limits.max_resolution, locale)) if limits.max_resolution
                     else _("%(partner)s receives media in any resolution.", partner=name))
    if limits.allow_gps != default.allow_gps:
        found.append(_("%(partner)s may receive the GPS location recorded in originals.", partner=name)
                     if limits.allow_gps else
                     _("The GPS location recorded in originals is removed for %(partner)s.", partner=name))
    return found


def media_sentences(rules: MediaRules, term_types: Iterable[str], names: Mapping[str, str], locale: str) -> list[str]:
    """The term's media rules as sentences; ``names`` maps organization ids to the names shown."""
    _ = gettext_for(locale)
    kinds = sorted(shared_kinds(rules, term_types), key=_KIND_ORDER.__getitem__)
    if not kinds:
        return [_("No pictures, video, audio or graphics are shared.")]
    found = []
    if len(kinds) < len(MEDIA_KINDS):
        found.append(_("Media shared: %(kinds)s.", kinds=words([_(ITEM_KINDS[k]) for k in kinds], locale)))
    found += _limit_sentences(rules.limits, locale)
    for org_id, limits in rules.partners:
        found += _partner_sentences(_isolated(names.get(org_id, org_id), locale), limits, rules.limits, locale)
    return found
