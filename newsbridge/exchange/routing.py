"""Routing: which partners receive an item version, under which agreement, and why (pure).

``route(item, table)`` looks only at the rules whose sharing party is the item's source or
the source's holding, so its cost grows with one organization's agreements, not with all of
them. Every decision carries its reason; :func:`explain` also says why a partner did *not*
receive the item.

Rules of the exchange:

* a term of party P applies to P's own items and its outlets' (``outlets`` narrows that);
* types, languages and topics narrow what is shared (a topic includes its narrower topics); a
  term's media rules narrow the media kinds (picture, video, audio, graphic items; what else an
  item carries is filtered on the way out, media/links.py);
* only active agreements within their validity route new items, and only usable versions
  reach new recipients;
* a partner that received an earlier version receives every later one (corrections and
  withdrawals must reach it), whatever the terms say now;
* a delivery becomes available at max(embargo, publication + the term's delay).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from newsbridge.exchange.lifecycle import Status
from newsbridge.exchange.media_rules import MEDIA_KINDS, shared_kinds
from newsbridge.exchange.terms import Terms, render_credit
from newsbridge.formats.item import ITEM_TYPES
from newsbridge.vocab.mediatopics import vocabulary


@dataclass(frozen=True)
class AgreementRules:
    """What routing needs of one agreement (its effective status, parties and terms)."""

    id: str
    title: str
    status: Status
    valid_from: date | None
    valid_until: date | None
    parties: tuple[str, ...]
    terms: tuple[Terms, ...]


@dataclass(frozen=True)
class RoutableItem:
    item_id: str
    version: int
    source_id: str
    source_parent_id: str | None
    source_name: str  # the credit name of the source
    type: str
    language: str | None
    topics: frozenset[str]  # Media Topic qcodes with all their broader topics
    pubstatus: str
    published: datetime
    embargoed: datetime | None = None


@dataclass(frozen=True)
class Previous:
    """An earlier version's delivery to one recipient."""

    agreement_id: str
    credit_line: str
    usage_terms: str
    available_from: datetime


@dataclass(frozen=True)
class Reason:
    """Why a partner received an item version, or why not: the facts, worded by whoever shows them.

    ``kind`` says which rule decided: ``shares`` (a term carries it), ``earlier`` (corrections and
    withdrawals follow an earlier delivery), or the check that stopped a term: ``status``,
    ``validity``, ``outlet``, ``type``, ``language``, ``topic``, ``pubstatus``. :meth:`text` is the
    English sentence stored with a delivery and sent by the API; the desk words the same facts in
    the member's language.
    """

    kind: str
    agreement: str = ""  # the agreement's title; "" when no longer known
    topics: tuple[str, ...] = ()  # shares: the term's topics the item is about; topic: the term's topics
    languages: tuple[str, ...] = ()  # shares: the item's language, when the term names languages; else the term's
    types: tuple[str, ...] = ()  # shares: the item's type, when the term names types; else the term's
    item_topics: tuple[str, ...] = ()  # topic: what the item is about
    language: str = ""  # language: the item's
    type: str = ""  # type: the item's
    status: str = ""  # status: the agreement's
    valid_from: date | None = None
    valid_until: date | None = None
    pubstatus: str = ""  # pubstatus: the version's

    def text(self) -> str:
        if self.kind == "shares":
            parts = []
            if self.topics:
                parts.append("topic " + _labels(self.topics))
            if self.languages:
                parts.append(f"language {self.languages[0]}")
            if self.types:
                parts.append(f"{self.types[0]} items")
            shared = "; ".join(parts) if parts else "all items"
            return f"received under agreement '{self.agreement}' because it shares {shared}"
        if self.kind == "earlier":
            title = f"agreement '{self.agreement}'" if self.agreement else "an earlier agreement"
            return (f"received because an earlier version was delivered under {title} "
                    "(corrections and withdrawals always follow)")
        title = f"agreement '{self.agreement}'"
        if self.kind == "status":
            return f"{title} is {self.status}"
        if self.kind == "validity":
            return f"{title} is valid from {self.valid_from or '…'} to {self.valid_until or '…'}, not on the routing day"
        if self.kind == "outlet":
            return f"{title} does not share items of this outlet"
        if self.kind == "type":
            return f"{title} does not share {self.type} items (shares {', '.join(self.types)})"
        if self.kind == "language":
            return (f"{title} does not share items in {self.language or 'an unknown language'} "
                    f"(shares {', '.join(self.languages)})")
        if self.kind == "topic":
            about = _labels(self.item_topics) if self.item_topics else "no Media Topic"
            return f"{title} shares only {_labels(self.topics)}; the item is about {about}"
        return f"a {self.pubstatus} version goes only to partners that received earlier versions"


_QCODE = re.compile(r"\(([a-z]+:[A-Za-z0-9_-]+)\)")


def read_reason(text: str, agreement: str) -> Reason | None:
    """The facts of a stored delivery reason (see :meth:`Reason.text`), given its agreement's title.

    Deliveries store the English sentence (the API's ``reason``); the desk reads the facts back to
    word them in the member's language. None when the text is not one routing writes (an agreement
    renamed since, say): then the English sentence is shown as it is.
    """
    if text == Reason("earlier", agreement).text():
        return Reason("earlier", agreement)
    prefix = f"received under agreement '{agreement}' because it shares "
    if not text.startswith(prefix):
        return None
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    shared = text.removeprefix(prefix)
    for part in ([] if shared == "all items" else shared.split("; ")):  # written in this order by text()
        if part.startswith("topic "):
            topics = tuple(_QCODE.findall(part))
        elif part.startswith("language "):
            languages = (part.removeprefix("language "),)
        elif part.endswith(" items"):
            types = (part.removesuffix(" items"),)
    found = Reason("shares", agreement, topics, languages, types)
    return found if found.text() == text else None


@dataclass(frozen=True)
class Delivery:
    recipient_id: str
    agreement_id: str
    why: Reason
    credit_line: str
    usage_terms: str
    available_from: datetime

    @property
    def reason(self) -> str:
        return self.why.text()


@dataclass(frozen=True)
class Explanation:
    recipient_id: str
    delivered: bool
    agreement_id: str | None
    why: Reason

    @property
    def reason(self) -> str:
        return self.why.text()


@dataclass(frozen=True)
class _Rule:
    agreement: AgreementRules
    terms: Terms
    recipients: tuple[str, ...]
    topics: frozenset[str]
    languages: frozenset[str]
    types: frozenset[str]
    outlets: frozenset[str]


@dataclass
class RoutingTable:
    """Agreements indexed by sharing party, built once and reused for many items."""

    by_source: dict[str, list[_Rule]] = field(default_factory=lambda: defaultdict(list))
    agreements: dict[str, AgreementRules] = field(default_factory=dict)

    @classmethod
    def build(cls, agreements: Iterable[AgreementRules]) -> "RoutingTable":
        table = cls()
        for agreement in sorted(agreements, key=lambda a: a.id):
            table.agreements[agreement.id] = agreement
            for terms in agreement.terms:
                recipients = tuple(p for p in agreement.parties if p != terms.from_id)
                table.by_source[terms.from_id].append(_Rule(
                    agreement, terms, recipients, frozenset(terms.topics), frozenset(terms.languages),
                    _item_types(terms), frozenset(terms.outlets)))
        return table

    def rules_for(self, item: RoutableItem) -> list[_Rule]:
        """The outlet's own rules and its holding's, in agreement order (the first match wins)."""
        rules = self.by_source.get(item.source_id, [])
        if item.source_parent_id and (holding := self.by_source.get(item.source_parent_id)):
            return sorted(rules + holding, key=lambda r: r.agreement.id)
        return rules


def _item_types(terms: Terms) -> frozenset[str]:
    """The item types a term shares: its ``types`` (empty: all), less the media kinds its media rules
    leave out (a picture item is not routed where pictures are not shared)."""
    if not terms.media.types:
        return frozenset(terms.types)
    left_out = frozenset(MEDIA_KINDS) - shared_kinds(terms.media, terms.types)
    return frozenset(terms.types or ITEM_TYPES) - left_out


def _labels(qcodes: Iterable[str]) -> str:  # English, with the qcode for API readers
    topics = vocabulary()
    return ", ".join(f"{topics[q].label} ({q})" if q in topics else q for q in sorted(qcodes))


def _failure(rule: _Rule, item: RoutableItem, today: date) -> str | None:
    """Which check stops ``rule`` from carrying ``item`` to new recipients (None: it carries it).

    Cheap on purpose: routing only needs yes or no; :func:`_failure_reason` gives explain() the facts.
    """
    agreement = rule.agreement
    if agreement.status is not Status.ACTIVE:
        return "status"
    if agreement.valid_from and today < agreement.valid_from:
        return "validity"
    if agreement.valid_until and today > agreement.valid_until:
        return "validity"
    if rule.outlets and item.source_id not in rule.outlets:
        return "outlet"
    if rule.types and item.type not in rule.types:
        return "type"
    if rule.languages and (item.language or "").split("-")[0].lower() not in rule.languages:
        return "language"
    if rule.topics and not rule.topics & item.topics:
        return "topic"
    if item.pubstatus != "usable":
        return "pubstatus"
    return None


def _failure_reason(check: str, rule: _Rule, item: RoutableItem) -> Reason:
    agreement = rule.agreement
    title = agreement.title
    if check == "status":
        return Reason("status", title, status=agreement.status.value)
    if check == "validity":
        return Reason("validity", title, valid_from=agreement.valid_from, valid_until=agreement.valid_until)
    if check == "type":
        return Reason("type", title, types=tuple(sorted(rule.types)), type=item.type)
    if check == "language":
        return Reason("language", title, languages=tuple(sorted(rule.languages)),
                      language=(item.language or "").split("-")[0].lower())
    if check == "topic":
        return Reason("topic", title, topics=tuple(sorted(rule.topics)), item_topics=tuple(sorted(item.topics)))
    if check == "outlet":
        return Reason("outlet", title)
    return Reason("pubstatus", title, pubstatus=item.pubstatus)


def _reason(rule: _Rule, item: RoutableItem) -> Reason:
    return Reason("shares", rule.agreement.title,
                  topics=tuple(sorted(rule.topics & item.topics)) if rule.topics else (),
                  languages=((item.language or "").split("-")[0].lower(),) if rule.languages else (),
                  types=(item.type,) if rule.types else ())


def _available(rule: _Rule, item: RoutableItem) -> datetime:
    ready = item.published + timedelta(minutes=rule.terms.delay_minutes)
    return max(ready, item.embargoed) if item.embargoed else ready


def _decide(item: RoutableItem, table: RoutingTable, previous: Mapping[str, Previous], today: date,
            explaining: bool = False) -> tuple[dict[str, Delivery], dict[str, Reason]]:
    delivered: dict[str, Delivery] = {}
    failures: dict[str, Reason] = {}
    own = {item.source_id, item.source_parent_id}
    for rule in table.rules_for(item):
        failure = _failure(rule, item, today)
        for recipient in rule.recipients:
            if recipient in own or recipient in delivered:
                continue
            if failure is None:
                ready = _available(rule, item)
                if recipient in previous:  # a correction never overtakes an earlier version still held back
                    ready = max(ready, previous[recipient].available_from)
                delivered[recipient] = Delivery(
                    recipient, rule.agreement.id, _reason(rule, item),
                    render_credit(rule.terms.credit_line, item.source_name, rule.agreement.title),
                    rule.terms.usage_terms, ready)
            elif explaining and recipient not in failures:
                failures[recipient] = _failure_reason(failure, rule, item)
    for recipient, earlier in previous.items():
        if recipient in delivered:
            continue
        title = table.agreements[earlier.agreement_id].title if earlier.agreement_id in table.agreements else ""
        ready = max(earlier.available_from, item.embargoed) if item.embargoed else earlier.available_from
        delivered[recipient] = Delivery(
            recipient, earlier.agreement_id, Reason("earlier", title), earlier.credit_line, earlier.usage_terms, ready)
    return delivered, failures


def route(item: RoutableItem, table: RoutingTable, previous: Mapping[str, Previous] | None = None, *,
          today: date) -> list[Delivery]:
    """The deliveries of one item version: one per recipient, each with its agreement and reason.

    ``today`` is the routing day (validity dates are checked against it), ``previous`` the
    recipients of earlier versions of the item.
    """
    delivered, _ = _decide(item, table, previous or {}, today)
    return sorted(delivered.values(), key=lambda d: d.recipient_id)


def explain(item: RoutableItem, table: RoutingTable, previous: Mapping[str, Previous] | None = None, *,
            today: date) -> list[Explanation]:
    """For every partner the source has an agreement with: delivered and why, or why not."""
    delivered, failures = _decide(item, table, previous or {}, today, explaining=True)
    found = [Explanation(r, True, d.agreement_id, d.why) for r, d in delivered.items()]
    found += [Explanation(r, False, None, why) for r, why in failures.items() if r not in delivered]
    return sorted(found, key=lambda e: e.recipient_id)
