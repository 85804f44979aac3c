"""Who receives a joint project's published items, and why: the deliveries of a joint publication.

A published item of a deliverable (publication.py) is not routed by the lead's agreements like its
other items. It goes

* to every other participant, for being one: under the project's agreement, or, for a project made
  by organizations that all accepted it without one, under no agreement (``agreement_id`` NULL);
  each of these deliveries names the project (``project_id``), with the reason "joint project 'P':
  you co-produced it". A participant sees the item because it co-produced it, and nobody else does
  through these rows;
* when the project shares with partners, to each participant's other partners, under that
  participant's agreements and their terms (topics, languages, delay), with the reason
  "joint project 'P' (shared by X): ..." and the routing sentence of the agreement.

A correction (a new version after the deliverable was edited and approved by all again) goes to
every co-producer and to everyone who received an earlier version, under the terms they received
it by: as the hub does for every item, corrections always follow (``item.updated``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization, get_organization_by_id
from newsbridge.db.rollup_tables import mark_items_changed
from newsbridge.db.tables import deliveries, organizations
from newsbridge.exchange.deliveries import load_rules, routable
from newsbridge.exchange.routing import route
from newsbridge.formats.item import Item
from newsbridge.projects.projects import Project

# The delivery reasons joint publication writes (English, stored with each delivery, sent by the API);
# the desk reads them back with read_joint_reason to word them in the member's language.
COPRODUCER_REASON = "joint project '{title}': you co-produced it"
SHARED_REASON = "joint project '{title}' (shared by {partner}): {reason}"
_COPRODUCER = re.compile(r"^joint project '(?P<title>.*)': you co-produced it$", re.DOTALL)
_SHARED = re.compile(r"^joint project '(?P<title>.*)' \(shared by (?P<partner>[a-z0-9-]+)\): (?P<reason>.*)$",
                     re.DOTALL)


class Outcome(Protocol):
    """Where the recipients are told (publication.Published)."""

    delivered_to: list[str]
    shared_with: list[str]


def read_joint_reason(text: str) -> tuple[str, str | None, str | None] | None:
    """(project title, sharing partner's slug or None, the agreement's routing sentence or None) of a
    reason joint publication wrote; None for any other reason."""
    if found := _COPRODUCER.match(text):
        return found["title"], None, None
    if found := _SHARED.match(text):
        return found["title"], found["partner"], found["reason"]
    return None


@dataclass(frozen=True)
class Terms:
    """What one delivery row says beyond the item: under what, why, with which credit and when."""

    agreement_id: str | None
    reason: str
    credit_line: str
    usage_terms: str
    available_from: datetime


def _row(item_id: str, version: int, recipient_id: str, project: Project, terms: Terms, event: str,
         now: datetime) -> dict[str, Any]:
    return {"item_id": item_id, "version": version, "recipient_id": recipient_id, "agreement_id": terms.agreement_id,
            "project_id": project.id, "reason": terms.reason, "credit_line": terms.credit_line,
            "usage_terms": terms.usage_terms, "available_from": terms.available_from, "event": event,
            "created_at": now, "arrives_at": max(now, terms.available_from)}


def _coproducers(project: Project, lead: Organization, credit: str, now: datetime) -> list[tuple[str, str, Terms]]:
    """(organization id, slug, terms) of every participant but the lead."""
    terms = Terms(project.agreement_id, COPRODUCER_REASON.format(title=project.title), credit,
                  f"{credit}: every co-producer may publish it.", now)
    return [(side.id, side.slug, terms) for side in project.participants if side.id != lead.id]


def _told(result: Outcome, slug: str, shared: bool) -> None:
    found = result.shared_with if shared else result.delivered_to
    if slug not in found:
        found.append(slug)


def deliver_first(conn: Connection, project: Project, lead: Organization, item_id: str, version: int, item: Item,
                  credit: str, result: Outcome, now: datetime) -> None:
    """Record the deliveries of a newly published item: co-producers, then (if chosen) their partners."""
    rows: list[dict[str, Any]] = []
    taken = {lead.id}
    for org_id, slug, terms in _coproducers(project, lead, credit, now):
        rows.append(_row(item_id, version, org_id, project, terms, "item.published", now))
        taken.add(org_id)
        _told(result, slug, shared=False)
    if project.share_with_partners:
        participant_ids = {o.id for o in project.participants}
        for side in project.participants:
            org = get_organization_by_id(conn, side.id)
            decided = route(routable(item, item_id, version, org, now), load_rules(conn, org, now.date()),
                            today=now.date())
            for d in decided:
                if d.recipient_id in taken or d.recipient_id in participant_ids:
                    continue
                taken.add(d.recipient_id)
                terms = Terms(d.agreement_id, SHARED_REASON.format(title=project.title, partner=side.slug,
                                                                   reason=d.reason),
                              credit, d.usage_terms, d.available_from)
                rows.append(_row(item_id, version, d.recipient_id, project, terms, "item.published", now))
                _told(result, get_organization_by_id(conn, d.recipient_id).slug, shared=True)
    if rows:
        conn.execute(deliveries.insert(), rows)
        mark_items_changed(conn, [item_id], now)


def deliver_correction(conn: Connection, project: Project, lead: Organization, item_id: str, version: int,
                       credit: str, result: Outcome, now: datetime) -> None:
    """Record the deliveries of a corrected item (a new version): every co-producer, and every other
    organization that received an earlier version, under the terms of its newest delivery (a
    correction never overtakes an earlier version still held back)."""
    earlier = {r.recipient_id: r for r in conn.execute(
        sa.select(deliveries).where(deliveries.c.item_id == item_id).order_by(deliveries.c.version))}
    rows: list[dict[str, Any]] = []
    taken = {lead.id}
    for org_id, slug, terms in _coproducers(project, lead, credit, now):
        rows.append(_row(item_id, version, org_id, project, terms,
                         "item.updated" if org_id in earlier else "item.published", now))
        taken.add(org_id)
        _told(result, slug, shared=False)
    others = [r for r in earlier.values() if r.recipient_id not in taken]
    slugs = dict(conn.execute(sa.select(organizations.c.id, organizations.c.slug)
                              .where(organizations.c.id.in_([r.recipient_id for r in others]))).all()) if others else {}
    for prev in others:
        terms = Terms(prev.agreement_id, prev.reason, prev.credit_line, prev.usage_terms, prev.available_from)
        rows.append(_row(item_id, version, prev.recipient_id, project, terms, "item.updated", now))
        _told(result, slugs.get(prev.recipient_id, prev.recipient_id), shared=True)
    if rows:
        conn.execute(deliveries.insert(), rows)
    mark_items_changed(conn, [item_id], now)
