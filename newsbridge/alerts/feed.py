"""The alerts a member has: computed from the hub's state on every look, never stored.

Seven kinds, each a query over tables other parts of the hub keep:

* ``withdrawn`` / ``corrected``: an item the organization picked up has a newer version
  available to it than the one picked up, a withdrawal or a correction (loud: the
  republication, whose URL the alert carries, must come down or be corrected);
* ``signature``: a proposed agreement whose current terms revision the organization has not signed;
* ``roadmap``: a commitment of an agreement the organization sees, open, owned by it (or by
  nobody), due within :data:`DUE_SOON` or overdue;
* ``endpoint``: one of the organization's webhook endpoints failing or switched off by the hub;
* ``source``: one of its polled feeds failing since its last good poll;
* ``search``: a new arrival matching one of the member's saved searches.

Each alert has a stable key; the member's marks (read, dismissed) are kept by key
(alerts/marks.py), so a new correction or a commitment turning overdue alerts again. The access
rule is the hub's: an alert is only ever about the organization's own pickups, agreements,
endpoints and sources, or items delivered to it, and :func:`find_alert` answers NotFound for
any key the member does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member
from newsbridge.accounts.organizations import Organization
from newsbridge.alerts.marks import marks_of
from newsbridge.alerts.saved_searches import list_searches
from newsbridge.alerts.settings import ALWAYS, KINDS, AlertSettings, get_settings
from newsbridge.db.planning import plan_each_time, unindexed
from newsbridge.db.tables import (COUNTED_PICKUP, agreement_parties, agreements, commitments, deliveries, endpoints,
                                  item_versions, items, organizations, pickups, source_polls, sources, version_topics)
from newsbridge.delivery.endpoints import health
from newsbridge.desk.incoming import Filters, conditions
from newsbridge.errors import NotFound
from newsbridge.exchange.agreements import visible_agreement_ids
from newsbridge.ids import utcnow
from newsbridge.items.queries import inbox_page, viewer_ids
from newsbridge.items.search import matching_versions
from newsbridge.vocab.mediatopics import item_topics

DUE_SOON = timedelta(days=7)
SEARCH_HITS = 20  # newest matches per saved search


@dataclass(frozen=True)
class Alert:
    key: str
    kind: str  # one of alerts.settings.KINDS
    at: datetime  # when it was raised (sorting, digests)
    title: str  # a headline, an agreement's title, a commitment's title or a URL
    link: str  # the desk page where the member acts on it
    partners: tuple[tuple[str, str], ...] = ()  # (slug, name) of the partners it concerns
    topics: frozenset[str] = frozenset()  # the item's Media Topics with their broader ones
    language: str | None = None  # of the title, for its direction
    pickup_urls: tuple[str | None, ...] = ()  # our republications (None: recorded without a URL)
    due: date | None = None
    overdue: bool = False
    detail: str | None = None  # an endpoint's last error, the saved search's name …
    read: bool = False

    @property
    def loud(self) -> bool:
        return self.kind == "withdrawn"


def _picked_up(conn: Connection, org: Organization, now: datetime) -> list[Alert]:
    ids = viewer_ids(org)
    picked = (sa.select(pickups.c.item_id, sa.func.max(pickups.c.version).label("picked"),
                        sa.func.max(pickups.c.at).label("picked_at"))
              .where(pickups.c.organization_id == org.id, COUNTED_PICKUP)  # a dismissed detection: no pickup
              .group_by(pickups.c.item_id).subquery())
    # the picked items' deliveries, not all the organization's (51 ms an alerts page at 100,000 on SQLite)
    newest = (sa.select(deliveries.c.item_id, sa.func.max(deliveries.c.version).label("version"))
              .where(unindexed(deliveries.c.recipient_id).in_(ids), deliveries.c.available_from <= now,
                     deliveries.c.item_id.in_(sa.select(picked.c.item_id)))
              .group_by(deliveries.c.item_id).subquery())
    query = (sa.select(picked.c.item_id, picked.c.picked, picked.c.picked_at, newest.c.version, deliveries.c.event,
                       deliveries.c.arrives_at, items.c.pubstatus, items.c.latest_version, items.c.updated_at,
                       item_versions.c.headline, item_versions.c.language, organizations.c.slug, organizations.c.name)
             .join(newest, newest.c.item_id == picked.c.item_id)
             .join(deliveries, sa.and_(deliveries.c.item_id == newest.c.item_id,
                                       deliveries.c.version == newest.c.version, deliveries.c.recipient_id.in_(ids)))
             .join(items, items.c.id == picked.c.item_id)
             .join(item_versions, sa.and_(item_versions.c.item_id == newest.c.item_id,
                                          item_versions.c.version == newest.c.version))
             .join(organizations, organizations.c.id == items.c.organization_id)
             # withdrawn at the source counts even when the withdrawal never reached us (an ended agreement)
             .where(sa.or_(newest.c.version > picked.c.picked, items.c.pubstatus == "canceled")))
    rows = {r.item_id: r for r in conn.execute(query)}
    if not rows:
        return []
    urls: dict[str, list[str | None]] = {}
    for p in conn.execute(sa.select(pickups.c.item_id, pickups.c.url).where(
            pickups.c.organization_id == org.id, pickups.c.item_id.in_(list(rows))).order_by(pickups.c.at)):
        urls.setdefault(p.item_id, []).append(p.url)
    topics = _topics(conn, [(r.item_id, r.version) for r in rows.values()])
    found = []
    for item_id, r in rows.items():
        withdrawn = r.pubstatus == "canceled" or r.event == "item.withdrawn"
        kind = "withdrawn" if withdrawn else "corrected"
        version = r.latest_version if r.pubstatus == "canceled" else r.version
        # raised when it reached us, or when we picked up an item already withdrawn or corrected
        at = max(r.arrives_at if r.version > r.picked else r.updated_at, r.picked_at)
        found.append(Alert(f"{kind}:{item_id}:{version}", kind, at, r.headline or item_id, f"/items/{item_id}",
                           ((r.slug, r.name),), topics.get(item_id, frozenset()), r.language,
                           tuple(dict.fromkeys(urls.get(item_id, [])))))
    return found


def _topics(conn: Connection, versions: list[tuple[str, int]]) -> dict[str, frozenset[str]]:
    """Each item's Media Topics (with their broader ones) in the given version."""
    if not versions:
        return {}
    found: dict[str, set[str]] = {}
    rows = conn.execute(sa.select(version_topics.c.item_id, version_topics.c.qcode).where(
        sa.tuple_(version_topics.c.item_id, version_topics.c.version).in_(versions)))
    for r in rows:
        found.setdefault(r.item_id, set()).add(r.qcode)
    return {k: frozenset(v) for k, v in found.items()}


def _parties(conn: Connection, agreement_ids: list[str], org: Organization) -> dict[str, tuple[tuple[str, str], ...]]:
    found: dict[str, list[tuple[str, str]]] = {}
    rows = conn.execute(sa.select(agreement_parties.c.agreement_id, organizations.c.slug, organizations.c.name)
                        .join(organizations, organizations.c.id == agreement_parties.c.organization_id)
                        .where(agreement_parties.c.agreement_id.in_(agreement_ids),
                               organizations.c.id.not_in(viewer_ids(org)))
                        .order_by(organizations.c.name))
    for r in rows:
        found.setdefault(r.agreement_id, []).append((r.slug, r.name))
    return {k: tuple(v) for k, v in found.items()}


def _to_sign(conn: Connection, org: Organization) -> list[Alert]:
    rows = conn.execute(
        sa.select(agreements.c.id, agreements.c.title, agreements.c.terms_revision, agreements.c.updated_at)
        .join(agreement_parties, agreement_parties.c.agreement_id == agreements.c.id)
        .where(agreement_parties.c.organization_id == org.id, agreements.c.status == "proposed",
               sa.or_(agreement_parties.c.signed_revision.is_(None),
                      agreement_parties.c.signed_revision != agreements.c.terms_revision))).all()
    parties = _parties(conn, [r.id for r in rows], org)
    return [Alert(f"signature:{r.id}:{r.terms_revision}", "signature", r.updated_at, r.title, f"/agreements/{r.id}",
                  parties.get(r.id, ())) for r in rows]


def _due(conn: Connection, org: Organization, today: date) -> list[Alert]:
    rows = conn.execute(
        sa.select(commitments.c.id, commitments.c.title, commitments.c.due, commitments.c.agreement_id,
                  agreements.c.title.label("agreement_title"))
        .join(agreements, agreements.c.id == commitments.c.agreement_id)
        .where(agreements.c.id.in_(visible_agreement_ids(viewer_ids(org))),
               agreements.c.status.in_(("proposed", "active", "suspended")),
               commitments.c.status.not_in(("done", "dropped")), commitments.c.due.is_not(None),
               commitments.c.due <= today + DUE_SOON,
               sa.or_(commitments.c.owner_id == org.id, commitments.c.owner_id.is_(None)))).all()
    parties = _parties(conn, list({r.agreement_id for r in rows}), org)
    found = []
    for r in rows:
        overdue = r.due < today
        # raised a week before it is due, and again the day it falls overdue
        raised = r.due + timedelta(days=1) if overdue else r.due - DUE_SOON
        at = datetime.combine(raised, datetime.min.time(), tzinfo=timezone.utc)
        found.append(Alert(f"roadmap:{r.id}:{r.due.isoformat()}:{'overdue' if overdue else 'soon'}", "roadmap", at,
                           r.title, f"/agreements/{r.agreement_id}#commitment-{r.id}", parties.get(r.agreement_id, ()),
                           due=r.due, overdue=overdue, detail=r.agreement_title))
    return found


def _endpoints(conn: Connection, org: Organization) -> list[Alert]:
    rows = conn.execute(sa.select(endpoints).where(
        endpoints.c.organization_id == org.id,
        sa.or_(endpoints.c.failing_since.is_not(None),
               sa.and_(endpoints.c.enabled.is_(False), endpoints.c.disabled_reason.is_not(None))))).all()
    found = []
    for r in rows:
        since = r.failing_since.isoformat() if r.failing_since else "off"
        detail = r.disabled_reason if not r.enabled else health(conn, r.id).last_error
        found.append(Alert(f"endpoint:{r.id}:{since}", "endpoint", r.failing_since or r.created_at, r.url,
                           "/partners", detail=detail))
    return found


def _sources(conn: Connection, org: Organization) -> list[Alert]:
    found = []
    for s in conn.execute(sa.select(sources).where(sources.c.organization_id == org.id, sources.c.enabled.is_(True),
                                                   sources.c.failures > 0)).all():
        good = (sa.select(sa.func.max(source_polls.c.at))
                .where(source_polls.c.source_id == s.id, source_polls.c.outcome != "error").scalar_subquery())
        streak = conn.execute(
            sa.select(sa.func.min(source_polls.c.at), sa.func.max(source_polls.c.at))
            .where(source_polls.c.source_id == s.id, source_polls.c.outcome == "error",
                   source_polls.c.at > sa.func.coalesce(good, datetime(1970, 1, 1, tzinfo=timezone.utc)))).first()
        started = streak[0] if streak and streak[0] else s.created_at
        last = conn.execute(sa.select(source_polls.c.error).where(source_polls.c.source_id == s.id)
                            .order_by(source_polls.c.at.desc()).limit(1)).scalar()
        found.append(Alert(f"source:{s.id}:{started.isoformat()}", "source", started, s.url, "/outgoing#sources",
                           detail=last))
    return found


def _searches(conn: Connection, org: Organization, member: Member) -> list[Alert]:
    found = []
    for search in list_searches(conn, member.id):
        if not search.alerts:
            continue
        filters = Filters(partner=search.query.get("partner"), topic=search.query.get("topic"),
                          language=search.query.get("language"), q=search.query.get("q"))
        among = matching_versions(conn.dialect.name, filters.q) if filters.q else None
        if filters.q and among is None:
            continue
        where = [*conditions(conn, org, member, filters), deliveries.c.arrives_at >= search.created_at]
        entries, _ = inbox_page(conn, org, limit=SEARCH_HITS, where=where, among=among)
        for record, how in entries:
            doc = record.latest.document
            headline = next((h.get("value") for h in doc.get("headlines", []) if h.get("value")), record.uri)
            found.append(Alert(f"search:{search.id}:{record.id}:{record.latest.version}", "search",
                               max(how.available_from, record.latest.received_at), headline, f"/items/{record.id}",
                               ((record.source.slug, record.source.name),), item_topics(doc.get("subjects", [])),
                               doc.get("language"), detail=search.name))
    return found


def raised(conn: Connection, org: Organization, member: Member, now: datetime | None = None,
           today: date | None = None) -> list[Alert]:
    """Every alert the member has now, before their settings and marks."""
    # Every open page asks for the unread count every 30 s; with the generic plan PostgreSQL chose for the
    # picked-up items' statement after a few looks, it took 72 ms against 4.4 (20 pickups, 20,000 items:
    # bench/statement_plans.py).
    plan_each_time(conn)
    now = now or utcnow()
    picked = _picked_up(conn, org, now)
    # an item we picked up alerts as withdrawn or corrected; a saved search matching it would only repeat that
    covered = {alert.link for alert in picked}
    searched = [alert for alert in _searches(conn, org, member) if alert.link not in covered]
    return [*picked, *_to_sign(conn, org), *_due(conn, org, today or now.date()), *_endpoints(conn, org),
            *_sources(conn, org), *searched]


def wanted(alert: Alert, settings: AlertSettings) -> bool:
    """Whether the member's settings keep the alert: its kind is chosen, and when it concerns
    partners or topics, one of them is among those chosen (none chosen: all)."""
    if alert.kind in ALWAYS:
        return True
    if alert.kind not in settings.kinds:
        return False
    if settings.partners and alert.partners and not {slug for slug, _ in alert.partners} & settings.partners:
        return False
    return not (settings.topics and alert.kind in ("corrected", "search") and not alert.topics & settings.topics)


def _order(alert: Alert) -> tuple[bool, int, float]:
    """Unread first, then by kind (withdrawals first), then newest first."""
    return alert.read, KINDS.index(alert.kind), -alert.at.timestamp()


def alerts_for(conn: Connection, org: Organization, member: Member, now: datetime | None = None,
               today: date | None = None) -> list[Alert]:
    """The member's alerts as their list shows them: kept by their settings, without the dismissed
    ones, each marked read or not; unread first, loudest first, newest first."""
    settings = get_settings(conn, member.id)
    marks = marks_of(conn, member.id)
    found = []
    for alert in raised(conn, org, member, now, today):
        mark = marks.get(alert.key)
        if mark is not None and mark.dismissed_at is not None or not wanted(alert, settings):
            continue
        found.append(replace(alert, read=mark is not None and mark.read_at is not None))
    return sorted(found, key=_order)


def find_alert(conn: Connection, org: Organization, member: Member, key: str) -> Alert:
    """One of the member's current alerts (dismissed ones included); NotFound for any other key,
    someone else's included."""
    for alert in raised(conn, org, member):
        if alert.key == key:
            return alert
    raise NotFound(f"no alert {key!r}", field="key")
