"""Terms per direction: what one party shares with the others, and on which conditions.

Stored as JSON on the agreement (organization ids); shown to people with slugs. Empty lists
mean "no restriction": a term with no topics shares every topic.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from newsbridge.errors import InvalidInput
from newsbridge.exchange.media_rules import MediaRules, parse_media_rules
from newsbridge.formats.item import ITEM_TYPES
from newsbridge.vocab.mediatopics import normalize_qcode

DEFAULT_CREDIT = "{source} via Newsbridge"
CREDIT_FIELDS = {"source", "agreement"}
MAX_DELAY_MINUTES = 60 * 24 * 30
LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Terms:
    from_id: str
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()  # organization ids; empty: the party and all its outlets
    delay_minutes: int = 0
    credit_line: str = DEFAULT_CREDIT
    usage_terms: str = ""
    allow_translation: bool = True
    allow_republication: bool = True
    media: MediaRules = MediaRules()  # media kinds shared, and per partner proxy only / max resolution / GPS

    def to_json(self) -> dict[str, Any]:
        return {**{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if k != "media"},
                "media": self.media.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Terms":
        return cls(**{k: MediaRules.from_json(v) if k == "media" else tuple(v) if isinstance(v, list) else v
                      for k, v in data.items()})


def render_credit(template: str, source: str, agreement: str) -> str:
    return template.format_map({"source": source, "agreement": agreement})


def _strings(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{field} must be a list of strings", field=field)
    return value


def parse_terms(raw: Any, index: int, party_ids: Mapping[str, str], outlets_of: Mapping[str, set[str]],
                org_ids: Mapping[str, str]) -> Terms:
    """Check one term as sent (slugs) and resolve it to ids.

    ``party_ids`` maps party slugs to ids, ``outlets_of`` a party id to its outlets' ids,
    ``org_ids`` any known slug to its id.
    """
    where = f"terms[{index}]"
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where} must be an object", field=where)
    unknown = set(raw) - {"from", "topics", "languages", "types", "outlets", "delay_minutes", "credit_line",
                          "usage_terms", "allow_translation", "allow_republication", "media"}
    if unknown:
        raise InvalidInput(f"{where} has unknown fields: {', '.join(sorted(unknown))}", field=f"{where}.{min(unknown)}")
    source = raw.get("from")
    if not isinstance(source, str) or source not in party_ids:
        raise InvalidInput(f"{where}.from must be one of the parties ({', '.join(party_ids)})", field=f"{where}.from")
    from_id = party_ids[source]
    topics = []
    for code in _strings(raw.get("topics"), f"{where}.topics"):
        qcode = normalize_qcode(code)
        if qcode is None:
            raise InvalidInput(f"{code!r} is not an IPTC Media Topic; use a qcode like medtop:11000000 (politics)",
                               field=f"{where}.topics")
        topics.append(qcode)
    languages = [code.lower() for code in _strings(raw.get("languages"), f"{where}.languages")]
    if bad := [code for code in languages if not LANGUAGE.match(code)]:
        raise InvalidInput(f"languages must be ISO 639 codes like kk, ru, fa, en (not {bad[0]!r})",
                           field=f"{where}.languages")
    types = _strings(raw.get("types"), f"{where}.types")
    if bad := [t for t in types if t not in ITEM_TYPES]:
        raise InvalidInput(f"type {bad[0]!r} is not one of {', '.join(ITEM_TYPES)}", field=f"{where}.types")
    outlets = []
    for slug in _strings(raw.get("outlets"), f"{where}.outlets"):
        outlet = org_ids.get(slug)
        if outlet is None or (outlet != from_id and outlet not in outlets_of.get(from_id, set())):
            raise InvalidInput(f"outlet {slug!r} is not {source} or one of its outlets", field=f"{where}.outlets")
        outlets.append(outlet)
    delay = raw.get("delay_minutes", 0)
    if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= MAX_DELAY_MINUTES:
        raise InvalidInput(f"delay_minutes must be a whole number from 0 to {MAX_DELAY_MINUTES}",
                           field=f"{where}.delay_minutes")
    credit = raw.get("credit_line") or DEFAULT_CREDIT
    if not isinstance(credit, str):
        raise InvalidInput("credit_line must be text, like '{source} via Newsbridge'", field=f"{where}.credit_line")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(credit) if name is not None}
    except ValueError:
        names = {"?"}
    if not isinstance(credit, str) or names - CREDIT_FIELDS:
        raise InvalidInput("credit_line may use only {source} and {agreement} as placeholders",
                           field=f"{where}.credit_line")
    flags = {}
    for flag in ("allow_translation", "allow_republication"):
        value = raw.get(flag, True)
        if not isinstance(value, bool):
            raise InvalidInput(f"{flag} must be true or false", field=f"{where}.{flag}")
        flags[flag] = value
    usage = raw.get("usage_terms") or ""
    if not isinstance(usage, str):
        raise InvalidInput("usage_terms must be text", field=f"{where}.usage_terms")
    return Terms(from_id, tuple(topics), tuple(dict.fromkeys(languages)), tuple(types), tuple(outlets), delay,
                 credit, usage, **flags,
                 media=parse_media_rules(raw.get("media"), f"{where}.media", from_id, party_ids))
