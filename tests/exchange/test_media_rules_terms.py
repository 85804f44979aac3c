"""Media rules of a term, pure: parsing (slugs to ids, field-precise errors), storage round trip,
the kinds a term shares, per-partner limits (an outlet follows its holding), the words the
console shows, and routing by media kind."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from newsbridge.errors import InvalidInput
from newsbridge.exchange.lifecycle import Status
from newsbridge.exchange.media_rules import Limits, MediaRules, describe, parse_media_rules, shared_kinds
from newsbridge.exchange.routing import AgreementRules, RoutableItem, RoutingTable, explain, route
from newsbridge.exchange.terms import Terms

PARTIES = {"krtc": "org-krtc", "irna": "org-irna", "ria": "org-ria"}


def parse(raw: object) -> MediaRules:
    return parse_media_rules(raw, "terms[0].media", "org-krtc", PARTIES)


def test_partner_limits_take_the_term_wide_values_they_leave_out() -> None:
    rules = parse({"types": ["video", "picture", "video"], "max_resolution": 1080,
                   "partners": {"irna": {"proxy_only": True}, "ria": {"max_resolution": None, "allow_gps": True}}})
    assert rules.types == ("video", "picture")
    assert rules.limits == Limits(max_resolution=1080)
    assert dict(rules.partners) == {"org-irna": Limits(proxy_only=True, max_resolution=1080),
                                    "org-ria": Limits(allow_gps=True)}
    assert rules.limits_for(["org-irna"]) == Limits(proxy_only=True, max_resolution=1080)
    assert rules.limits_for(["org-outlet", "org-ria"]) == Limits(allow_gps=True)  # an outlet: its holding's
    assert rules.limits_for(["org-other"]) == rules.limits
    assert MediaRules.from_json(rules.to_json()) == rules
    assert rules.to_json({"org-irna": "irna", "org-ria": "ria"})["partners"] == {
        "irna": {"proxy_only": True, "max_resolution": 1080, "allow_gps": False},
        "ria": {"proxy_only": False, "max_resolution": None, "allow_gps": True}}


def test_terms_without_media_rules_read_as_the_defaults() -> None:
    stored = Terms("org-krtc", topics=("medtop:11000000",)).to_json()
    del stored["media"]  # as agreements made before media rules are stored
    assert Terms.from_json(stored).media == MediaRules()
    assert parse(None) == MediaRules() and parse({}) == MediaRules()


@pytest.mark.parametrize("media_types, term_types, kinds", [
    ((), (), {"picture", "video", "audio", "graphic"}),
    ((), ("text",), set()),  # a text-only term shares no media
    ((), ("text", "picture"), {"picture"}),
    (("video",), ("text",), {"video"}),  # video attached to text items
])
def test_the_kinds_a_term_shares(media_types: tuple[str, ...], term_types: tuple[str, ...], kinds: set[str]) -> None:
    assert shared_kinds(MediaRules(media_types), term_types) == kinds


@pytest.mark.parametrize("raw, field", [
    ({"types": "picture"}, "terms[0].media.types"),
    ({"types": ["photo"]}, "terms[0].media.types"),
    ({"allow_gps": 1}, "terms[0].media.allow_gps"),
    ({"max_resolution": 20000}, "terms[0].media.max_resolution"),
    ({"max_resolution": True}, "terms[0].media.max_resolution"),
    ({"partners": ["irna"]}, "terms[0].media.partners"),
    ({"partners": {"krtc": {}}}, "terms[0].media.partners"),
    ({"partners": {"irna": {"max_resolution": "1080"}}}, "terms[0].media.partners.irna.max_resolution"),
    ({"partners": {"irna": "proxy"}}, "terms[0].media.partners.irna"),
])
def test_bad_rules_name_their_field(raw: object, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse(raw)
    assert raised.value.field == field


def test_the_console_words() -> None:
    names = {"org-irna": "irna"}
    assert describe(MediaRules(), (), names) == "all media"
    assert describe(MediaRules(), ("text",), names) == "no media"
    rules = MediaRules(("video", "picture"), Limits(proxy_only=True, max_resolution=720),
                       (("org-irna", Limits(allow_gps=True)),))
    assert describe(rules, (), names) == "picture, video; proxy only; <= 720 px; irna: GPS allowed"


def _item(kind: str) -> RoutableItem:
    now = datetime(2026, 12, 4, tzinfo=timezone.utc)
    return RoutableItem(f"item-{kind}", 1, "org-krtc", None, "KRTC", kind, "en", frozenset(), "usable", now)


def test_routing_leaves_out_media_items_of_kinds_not_shared() -> None:
    terms = Terms("org-krtc", types=("text", "picture", "video"), media=MediaRules(("picture",)))
    table = RoutingTable.build([AgreementRules("a1", "Pool", Status.ACTIVE, None, None, ("org-irna", "org-krtc"),
                                               (terms,))])
    today = date(2026, 12, 4)
    assert [d.recipient_id for d in route(_item("picture"), table, today=today)] == ["org-irna"]
    assert [d.recipient_id for d in route(_item("text"), table, today=today)] == ["org-irna"]
    assert route(_item("video"), table, today=today) == []
    [why] = explain(_item("video"), table, today=today)
    assert why.why.kind == "type" and why.reason == "agreement 'Pool' does not share video items (shares picture, text)"
    # without media types, the term's types decide alone, as before
    plain = RoutingTable.build([AgreementRules("a1", "Pool", Status.ACTIVE, None, None, ("org-irna", "org-krtc"),
                                               (Terms("org-krtc"),))])
    assert [d.recipient_id for d in route(_item("video"), plain, today=today)] == ["org-irna"]
