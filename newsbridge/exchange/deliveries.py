"""Routing against the database: load the agreements, record deliveries, explain, list the inbox.

:func:`route_version` runs inside the transaction that stores the item version, so an
acknowledged item is never stored without its deliveries (nor the other way round).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.accounts.suspension import CONTACT, OrganizationSuspended
from newsbridge.db.rollup_tables import mark_items_changed
from newsbridge.db.tables import agreement_parties, agreements, deliveries, items, organizations
from newsbridge.exchange.agreements import visible_agreement_ids
from newsbridge.exchange.lifecycle import Status, effective_status
from newsbridge.exchange.rule_cache import read_stamp, routing_table
from newsbridge.exchange.routing import (AgreementRules, Delivery, Explanation, Previous, RoutableItem, RoutingTable,
                                         explain, route)
from newsbridge.exchange.terms import Terms
from newsbridge.formats.item import Item
from newsbridge.ids import utcnow
from newsbridge.vocab.mediatopics import item_topics


def load_rules(conn: Connection, source: Organization, today: date) -> RoutingTable:
    """Every agreement the source (or its holding) sees, indexed for routing.

    Someone else's draft naming the source is left out: it routes nothing anyway, and the
    source's routing report must not show it (drafts are their creator's own until proposed).
    A suspended source is refused (403 ``organization_suspended``); suspended parties are left out
    as recipients while they are suspended. The table is kept between calls and used again while
    the rows it was read from are unchanged, which one small query checks on every call
    (exchange/rule_cache.py).
    """
    sides = [source.id] + ([source.parent_id] if source.parent_id else [])
    stamp = read_stamp(conn, sides, today)
    stopped = stamp.suspended
    if source.id in stopped:  # a suspended organization publishes nothing (accounts/suspension.py)
        raise OrganizationSuspended(CONTACT.format(name=source.name), field="Authorization")
    return routing_table(conn, (source.id, source.parent_id), stamp,
                         lambda: _read_rules(conn, source, sides, stopped, today))


def _read_rules(conn: Connection, source: Organization, sides: list[str], stopped: frozenset[str],
                today: date) -> RoutingTable:
    ids = visible_agreement_ids(sides)
    rows = conn.execute(sa.select(agreements).where(agreements.c.id.in_(ids))).all()
    parties: dict[str, list[str]] = {}
    for agreement_id, org_id in conn.execute(sa.select(agreement_parties.c.agreement_id,
                                                       agreement_parties.c.organization_id)
                                             .where(agreement_parties.c.agreement_id.in_(ids))):
        if org_id in (source.id, source.parent_id) or org_id not in stopped:  # and receives nothing new
            parties.setdefault(agreement_id, []).append(org_id)
    return RoutingTable.build(
        AgreementRules(r.id, r.title, effective_status(Status(r.status), r.valid_until, today), r.valid_from,
                       r.valid_until, tuple(sorted(parties.get(r.id, ()))), tuple(Terms.from_json(t) for t in r.terms))
        for r in rows)


def previous_recipients(conn: Connection, item_id: str) -> dict[str, Previous]:
    """The newest delivery of this item to each recipient so far."""
    rows = conn.execute(sa.select(deliveries).where(deliveries.c.item_id == item_id).order_by(deliveries.c.version))
    return {r.recipient_id: Previous(r.agreement_id, r.credit_line, r.usage_terms, r.available_from) for r in rows}


def _published(item: Item, fallback: datetime) -> datetime:
    if isinstance(item.firstcreated, datetime):
        return item.firstcreated
    if isinstance(item.firstcreated, date):
        return datetime.combine(item.firstcreated, time(0, 0), tzinfo=timezone.utc)
    return item.versioncreated or fallback


def routable(item: Item, item_id: str, version: int, source: Organization, now: datetime) -> RoutableItem:
    return RoutableItem(item_id, version, source.id, source.parent_id, source.credit_name, item.type, item.language,
                        item_topics(item.subjects), item.pubstatus, _published(item, now), item.embargoed)


def event_type(item: Item, first_for_recipient: bool) -> str:
    """The webhook/feed event a delivery announces."""
    if item.pubstatus == "canceled":
        return "item.withdrawn"
    return "item.published" if first_for_recipient else "item.updated"


def _rows(item_id: str, version: int, item: Item, decided: list[Delivery], earlier: Mapping[str, Previous],
          now: datetime) -> list[dict[str, object]]:
    return [{"item_id": item_id, "version": version, "recipient_id": d.recipient_id, "agreement_id": d.agreement_id,
             "reason": d.reason, "credit_line": d.credit_line, "usage_terms": d.usage_terms,
             "available_from": d.available_from, "event": event_type(item, d.recipient_id not in earlier),
             "created_at": now, "arrives_at": max(now, d.available_from)} for d in decided]


def route_version(conn: Connection, source: Organization, item_id: str, version: int, item: Item,
                  table: RoutingTable | None = None) -> list[Delivery]:
    """Route one stored version and record its deliveries (same transaction as the store)."""
    now = utcnow()
    table = table if table is not None else load_rules(conn, source, now.date())
    earlier = previous_recipients(conn, item_id)
    decided = route(routable(item, item_id, version, source, now), table, earlier, today=now.date())
    if decided:
        conn.execute(deliveries.insert(), _rows(item_id, version, item, decided, earlier, now))
    if decided or earlier:  # a withdrawal moves earlier figures even when nothing new goes out
        mark_items_changed(conn, [item_id], now)
    return decided


def route_refined(conn: Connection, source: Organization, item_id: str, version: int, item: Item) -> list[Delivery]:
    """Route a stored version again after the hub refined its Media Topics (the story worker): a partner the
    new topics cover and that has no delivery of this version yet gets one now; deliveries made at ingest stay.
    Nothing happens once a newer version exists (it was routed with its own topics)."""
    latest = conn.execute(sa.select(items.c.latest_version).where(items.c.id == item_id)).scalar()
    if latest != version:
        return []
    now = utcnow()
    have = set(conn.execute(sa.select(deliveries.c.recipient_id).where(
        deliveries.c.item_id == item_id, deliveries.c.version == version)).scalars())
    earlier = previous_recipients(conn, item_id)
    decided = [d for d in route(routable(item, item_id, version, source, now), load_rules(conn, source, now.date()),
                                earlier, today=now.date()) if d.recipient_id not in have]
    if decided:
        conn.execute(deliveries.insert(), _rows(item_id, version, item, decided, earlier, now))
    return decided


def route_first_versions(conn: Connection, source: Organization, stored: list[tuple[str, int, Item]],
                         table: RoutingTable) -> int:
    """Route many first versions (no earlier recipients to look up) with one insert; returns deliveries made."""
    if not table.by_source.get(source.id) and not (source.parent_id and table.by_source.get(source.parent_id)):
        return 0  # no term shares the source's items (nor its holding's): a first version reaches nobody
    now = utcnow()
    rows = []
    for item_id, version, item in stored:
        rows += _rows(item_id, version, item, route(routable(item, item_id, version, source, now), table,
                                                     today=now.date()), {}, now)
    if rows:
        conn.execute(deliveries.insert(), rows)
        mark_items_changed(conn, [str(r["item_id"]) for r in rows], now)
    return len(rows)


@dataclass(frozen=True)
class RoutingReport:
    """For the source: each partner, delivered or not, and why."""

    version: int
    partners: list[tuple[str, str, Explanation]]  # (slug, name, explanation)


def explain_routing(conn: Connection, source: Organization, item_id: str, version: int, item: Item) -> RoutingReport:
    now = utcnow()
    table = load_rules(conn, source, now.date())
    found = explain(routable(item, item_id, version, source, now), table, previous_recipients(conn, item_id),
                    today=now.date())
    names = {r.id: (r.slug, r.name) for r in conn.execute(sa.select(organizations.c.id, organizations.c.slug,
                                                                     organizations.c.name))}
    return RoutingReport(version, [(names[e.recipient_id][0], names[e.recipient_id][1], e) for e in found])
