"""Roadmap commitments the hub measures itself: value against target, a state, and the evidence.

A commitment with an indicator (exchange/roadmap.py:parse_indicator) is judged on the periods
that are over, with the period under way shown beside (docs/metrics.md, "Measured commitments"):

* ``items_per_period``: items shared from party X to party Y in the last complete day, week or
  month (the sender's days), counted by metrics/figures like the scorecard;
* ``topic_every_month``: items on Media Topic T (or a narrower one) in the last complete month,
  either way or in one direction (the owner's days);
* ``pickup_rate``: picked up over received in the last N weeks (the scorecard's definition; at
  least 20 received items, or the hub waits);
* ``deliverables``: at least N deliverables of the agreement's joint projects (or of the projects
  the commitment names) published by a day; progress is published over planned (dropped ones not
  counted), and each published deliverable's items are the evidence.

States: **on_track** (the judged period met the target, or the one under way already does),
**off_track** (it did not), and once the due day has passed **done** or **overdue** (the last
period that ended by the due day decides). **waiting**: nothing to judge yet. **blocked** and
**dropped** are set by people and stay: the hub still measures, and moves nothing.

The worker measures every active or suspended agreement's measured commitments every few
minutes (:class:`RoadmapMeasurer`); the API and desk measure one agreement at once after a
change. Each change of state is written into the agreement's history with a sentence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.project_tables import deliverables, project_publications, projects
from newsbridge.db.tables import (COUNTED_PICKUP, agreement_events, agreements, commitments, deliveries,
                                  item_versions, items, organizations, pickups, version_topics)
from newsbridge.exchange.agreements import Agreement, load_agreement
from newsbridge.exchange.lifecycle import Status
from newsbridge.ids import utcnow
from newsbridge.metrics.figures import agreement_figures
from newsbridge.metrics.pace import MIN_PICKUP_BASE
from newsbridge.metrics.periods import Granularity, Window, period_start

log = logging.getLogger(__name__)
MAX_EVIDENCE_ITEMS = 20
MEASURE_EVERY = 600.0  # seconds between the worker's rounds
MEASURED_STATUSES = (Status.ACTIVE.value, Status.SUSPENDED.value)
HUB_ACTOR = "Newsbridge (measured)"


class Measured(StrEnum):
    DONE = "done"
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    OVERDUE = "overdue"
    WAITING = "waiting"
    BLOCKED = "blocked"  # set by a party; the hub measures on and moves nothing
    DROPPED = "dropped"


WORDS = {Measured.DONE: "done", Measured.ON_TRACK: "on track", Measured.OFF_TRACK: "off track",
         Measured.OVERDUE: "overdue", Measured.WAITING: "waiting", Measured.BLOCKED: "blocked",
         Measured.DROPPED: "dropped"}


@dataclass(frozen=True)
class Measurement:
    """One measurement; ``value`` against ``target`` over ``first``..``last`` (local days), and the
    period under way (``current_*``) when there is one."""

    state: Measured
    kind: str
    target: float
    value: float | None = None
    first: str | None = None  # ISO days
    last: str | None = None
    current_value: float | None = None
    current_first: str | None = None
    current_last: str | None = None
    received: int | None = None  # pickup rate: the denominator
    sentence: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)  # {"items": [ids], "count": n, "query": url}

    def to_json(self) -> dict[str, Any]:
        return {k: (v.value if isinstance(v, Measured) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class _Spec:
    """A stored indicator with everything measuring it needs."""

    indicator: Mapping[str, Any]  # organization ids
    due: date | None
    zone: ZoneInfo
    today: date
    slugs: Mapping[str, str]  # id -> slug


def _judged(spec: _Spec, per: Granularity) -> tuple[date, date, date | None, bool]:
    """(first, last) day of the period that decides, the first day of the period under way (None
    once the due day has passed), and whether the due day has passed."""
    if spec.due is not None and spec.due < spec.today:
        after = spec.due + timedelta(days=1)
        last = spec.due if period_start(after, per) == after else period_start(spec.due, per) - timedelta(days=1)
        return period_start(last, per), last, None, True
    current = period_start(spec.today, per)
    last = current - timedelta(days=1)
    return period_start(last, per), last, current, False


def _state(met: bool, current_met: bool, due_passed: bool) -> Measured:
    if due_passed:
        return Measured.DONE if met else Measured.OVERDUE
    return Measured.ON_TRACK if met or current_met else Measured.OFF_TRACK


def _source_of(party_ids: Sequence[str]) -> tuple[sa.ColumnElement[str], Any]:
    """The sharing party of an item (itself, or its holding for an outlet), as figures count it."""
    source_org = organizations.alias("evidence_source")
    return sa.case((items.c.organization_id.in_(party_ids), items.c.organization_id),
                   else_=source_org.c.parent_id), source_org


def _shared(agreement: Agreement, start: datetime, end: datetime, source: str | None,
            recipient: str | None) -> sa.Select:  # type: ignore[type-arg]
    """Items first delivered under the agreement (not withdrawn), published in [start, end)."""
    party_ids = [p.id for p in agreement.parties]
    sharer, source_org = _source_of(party_ids)
    published = sa.func.coalesce(item_versions.c.firstcreated, item_versions.c.versioncreated,
                                 item_versions.c.received_at)
    query = (sa.select(deliveries.c.item_id, published.label("published"))
             .select_from(deliveries)
             .join(items, items.c.id == deliveries.c.item_id)
             .join(source_org, source_org.c.id == items.c.organization_id)
             .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                          item_versions.c.version == deliveries.c.version))
             .where(deliveries.c.agreement_id == agreement.id, deliveries.c.event == "item.published",
                    items.c.pubstatus != "canceled", published >= start, published < end,
                    deliveries.c.recipient_id.in_(party_ids), sharer.in_(party_ids)))
    if source is not None:
        query = query.where(sharer == source)
    if recipient is not None:
        query = query.where(deliveries.c.recipient_id == recipient)
    return query


def _evidence(conn: Connection, query: sa.Select, count: int, link: str) -> dict[str, Any]:  # type: ignore[type-arg]
    """The newest counted items (at most MAX_EVIDENCE_ITEMS), how many were counted, and where the
    figures behind them are."""
    inner = query.subquery("counted")
    newest = (sa.select(inner.c.item_id, sa.func.max(inner.c.published).label("at")).group_by(inner.c.item_id)
              .order_by(sa.desc("at"), inner.c.item_id).limit(MAX_EVIDENCE_ITEMS))
    return {"items": [r.item_id for r in conn.execute(newest)], "count": count, "query": link}


def _link(agreement: Agreement, first: date, last: date, granularity: str, zone: ZoneInfo) -> str:
    return (f"/api/v1/agreements/{agreement.id}/metrics?from={first.isoformat()}&to={last.isoformat()}"
            f"&granularity={granularity}&tz={zone.key}")


def _items_per_period(conn: Connection, agreement: Agreement, spec: _Spec, now: datetime) -> Measurement:
    ind = spec.indicator
    per = Granularity(ind["per"])
    first, last, current, due_passed = _judged(spec, per)
    window = Window(first, spec.today if current else last, spec.zone, per)
    figures = agreement_figures(conn, agreement, window, now)
    source, recipient = spec.slugs.get(ind["from"], "?"), spec.slugs.get(ind["to"], "?")
    series = next((d.series for d in figures.directions if d.source == source and d.recipient == recipient), {})
    value = series[first].items if first in series else 0
    running = series[current].items if current and current in series else 0
    target = ind["at_least"]
    state = _state(value >= target, running >= target, due_passed)
    if current and agreement.valid_from and agreement.valid_from > last:
        state = Measured.ON_TRACK if running >= target else Measured.WAITING  # no full period under the agreement
    end = Window(first, window.last, spec.zone).end_utc
    query = _shared(agreement, window.start_utc, end, ind["from"], ind["to"])
    words = (f"{value} of {target} items from {source} to {recipient} in the {per.value} from {first} to {last}"
             + (f" ({running} so far in the {per.value} under way)" if current else "") + f": {WORDS[state]}")
    return Measurement(state, ind["kind"], target, value, first.isoformat(), last.isoformat(),
                       running if current else None, current.isoformat() if current else None,
                       spec.today.isoformat() if current else None, sentence=words,
                       evidence=_evidence(conn, query, value + running,
                                          _link(agreement, first, window.last, per.value, spec.zone)))


def _topic_every_month(conn: Connection, agreement: Agreement, spec: _Spec) -> Measurement:
    ind = spec.indicator
    first, last, current, due_passed = _judged(spec, Granularity.MONTH)
    end = spec.today if current else last

    def on_topic(start: date, stop: date) -> sa.Select:  # type: ignore[type-arg]
        window = Window(start, stop, spec.zone)
        return (_shared(agreement, window.start_utc, window.end_utc, ind.get("from"), ind.get("to"))
                .join(version_topics, sa.and_(version_topics.c.item_id == deliveries.c.item_id,
                                              version_topics.c.version == deliveries.c.version))
                .where(version_topics.c.qcode == ind["topic"]))

    def distinct(query: sa.Select) -> int:  # type: ignore[type-arg]
        inner = query.subquery("on_topic")
        return conn.execute(sa.select(sa.func.count(sa.distinct(inner.c.item_id)))).scalar_one()

    value = distinct(on_topic(first, last))
    running = distinct(on_topic(current, spec.today)) if current else 0
    target = ind["at_least"]
    state = _state(value >= target, running >= target, due_passed)
    if current and agreement.valid_from and agreement.valid_from > last:
        state = Measured.ON_TRACK if running >= target else Measured.WAITING
    way = (f" from {spec.slugs.get(ind['from'], '?')} to {spec.slugs.get(ind['to'], '?')}" if ind.get("from")
           else " either way")
    words = (f"{value} of {target} items on {ind['topic']}{way} in {first:%B %Y}"
             + (f" ({running} so far this month)" if current else "") + f": {WORDS[state]}")
    return Measurement(state, ind["kind"], target, value, first.isoformat(), last.isoformat(),
                       running if current else None, current.isoformat() if current else None,
                       spec.today.isoformat() if current else None, sentence=words,
                       evidence=_evidence(conn, on_topic(first, end), value + running,
                                          _link(agreement, first, end, "month", spec.zone)))


def _pickup_rate(conn: Connection, agreement: Agreement, spec: _Spec, now: datetime) -> Measurement:
    ind = spec.indicator
    due_passed = spec.due is not None and spec.due < spec.today
    last = spec.due if due_passed and spec.due else spec.today - timedelta(days=1)
    first = last - timedelta(days=7 * ind["weeks"] - 1)
    figures = agreement_figures(conn, agreement, Window(first, last, spec.zone, Granularity.WEEK), now)
    source = spec.slugs.get(ind["from"]) if ind.get("from") else None
    recipient = spec.slugs.get(ind["to"]) if ind.get("to") else None
    received = picked = 0
    for d in figures.directions:
        if source is None or (d.source == source and d.recipient == recipient):
            total = d.total
            received, picked = received + total.items, picked + total.picked_up
    target = ind["at_least"]
    window = Window(first, last, spec.zone)
    picked_query = _shared(agreement, window.start_utc, window.end_utc, ind.get("from"), ind.get("to")).where(
        sa.exists().where(pickups.c.item_id == deliveries.c.item_id, COUNTED_PICKUP,
                          sa.or_(pickups.c.organization_id == deliveries.c.recipient_id,
                                 pickups.c.organization_id.in_(
                                     sa.select(organizations.c.id)
                                     .where(organizations.c.parent_id == deliveries.c.recipient_id)))))
    evidence = _evidence(conn, picked_query, picked, _link(agreement, first, last, "week", spec.zone))
    if received < MIN_PICKUP_BASE:
        words = (f"{received} items received in the {ind['weeks']} weeks to {last}: too few to tell a pickup rate "
                 f"(at least {MIN_PICKUP_BASE})")
        return Measurement(Measured.WAITING, ind["kind"], target, None, first.isoformat(), last.isoformat(),
                           received=received, sentence=words, evidence=evidence)
    value = picked / received
    state = _state(value >= target, False, due_passed)
    words = (f"{picked} of {received} received items picked up in the {ind['weeks']} weeks to {last} "
             f"({value:.0%}, target {target:.0%}): {WORDS[state]}")
    return Measurement(state, ind["kind"], target, value, first.isoformat(), last.isoformat(), received=received,
                       sentence=words, evidence=evidence)


def _deliverables(conn: Connection, agreement: Agreement, spec: _Spec) -> Measurement:
    """Published deliverables of the agreement's joint projects (those named, if any) against the target.
    Done once enough are published; before the day, off track while a planned one is overdue."""
    ind = spec.indicator
    by = date.fromisoformat(ind["by"])
    chosen = sa.select(projects.c.id).where(projects.c.agreement_id == agreement.id)
    if ind.get("projects"):
        chosen = chosen.where(projects.c.id.in_(ind["projects"]))
    project_ids = list(conn.execute(chosen).scalars())
    rows = conn.execute(sa.select(deliverables.c.id, deliverables.c.status, deliverables.c.due)
                        .where(deliverables.c.project_id.in_(project_ids))).all() if project_ids else []
    planned = [r for r in rows if r.status != "dropped"]
    # published once counts, also while a correction of it is in review (projects/publication.py)
    ever = set(conn.execute(sa.select(project_publications.c.deliverable_id).distinct().where(
        project_publications.c.deliverable_id.in_([r.id for r in rows]))).scalars()) if rows else set()
    published = [r.id for r in rows if r.status == "published" or r.id in ever]
    item_ids = list(conn.execute(sa.select(project_publications.c.item_id)
                                 .where(project_publications.c.deliverable_id.in_(published))
                                 .order_by(project_publications.c.published_at.desc())
                                 .limit(MAX_EVIDENCE_ITEMS)).scalars()) if published else []
    evidence = {"items": item_ids, "count": len(published), "projects": project_ids,
                "deliverables": {"done": len(published), "total": len(planned)},
                "query": f"/api/v1/projects/{project_ids[0]}" if len(project_ids) == 1 else "/api/v1/projects"}
    target = ind["at_least"]
    if not planned:
        words = (f"{target} joint-project deliverables by {by}: no deliverable is planned in "
                 f"{'the named projects' if ind.get('projects') else 'the agreement' + chr(39) + 's joint projects'} yet")
        return Measurement(Measured.WAITING, ind["kind"], target, None, last=ind["by"], sentence=words,
                           evidence=evidence)
    late = [r for r in planned if r.id not in published and r.due is not None and r.due < spec.today]
    if len(published) >= target:
        state = Measured.DONE
    elif by < spec.today:
        state = Measured.OVERDUE
    else:
        state = Measured.OFF_TRACK if late else Measured.ON_TRACK
    words = (f"{len(published)} of {len(planned)} joint-project deliverables published (at least {target} by {by})"
             + (f", {len(late)} overdue" if late else "") + f": {WORDS[state]}")
    return Measurement(state, ind["kind"], target, float(len(published)), last=ind["by"], sentence=words,
                       evidence=evidence)


def measure_one(conn: Connection, agreement: Agreement, indicator: Mapping[str, Any], due: date | None,
                owner_id: str | None, now: datetime) -> Measurement:
    """Measure one indicator (stored form, organization ids) of an agreement at ``now``."""
    zones = dict(conn.execute(sa.select(organizations.c.id, organizations.c.timezone)
                              .where(organizations.c.id.in_([p.id for p in agreement.parties]))).all())
    home = indicator.get("from") if indicator["kind"] == "items_per_period" else owner_id
    zone = ZoneInfo(zones.get(home or "", "") or zones.get(agreement.parties[0].id) or "UTC")
    spec = _Spec(indicator, due, zone, now.astimezone(zone).date(), {p.id: p.slug for p in agreement.parties})
    if indicator["kind"] == "items_per_period":
        return _items_per_period(conn, agreement, spec, now)
    if indicator["kind"] == "topic_every_month":
        return _topic_every_month(conn, agreement, spec)
    if indicator["kind"] == "pickup_rate":
        return _pickup_rate(conn, agreement, spec, now)
    return _deliverables(conn, agreement, spec)


def _status(state: Measured, stored: str) -> str:
    """The roadmap status a measurement gives (people's blocked and dropped stay)."""
    if stored in ("blocked", "dropped") or state is Measured.WAITING:
        return stored
    return "done" if state is Measured.DONE else "in_progress"


def _measure_rows(conn: Connection, agreement_id: str, now: datetime) -> dict[str, tuple[Any, Measurement]]:
    """Measure every measured commitment of an agreement (reads only): commitment id -> (the
    indicator measured, its measurement)."""
    agreement = load_agreement(conn, agreement_id)
    rows = conn.execute(sa.select(commitments).where(commitments.c.agreement_id == agreement_id,
                                                     commitments.c.indicator.is_not(None))).all()
    return {row.id: (row.indicator, measure_one(conn, agreement, row.indicator, row.due, row.owner_id, now))
            for row in rows if row.indicator}  # a JSON null written by an older hub: followed by hand


def _store(conn: Connection, agreement_id: str, found: Mapping[str, tuple[Any, Measurement]], now: datetime) -> int:
    """Store measurements taken a moment ago, under the agreement's lock: move statuses and write each
    change of state into the history. A commitment whose indicator changed since is left to the
    next round. Returns how many states changed."""
    conn.execute(sa.select(agreements.c.id).where(agreements.c.id == agreement_id).with_for_update())
    agreement = load_agreement(conn, agreement_id)
    rows = conn.execute(sa.select(commitments).where(commitments.c.agreement_id == agreement_id,
                                                     commitments.c.id.in_(list(found)))).all()
    changed = 0
    for row in rows:
        indicator, measured = found[row.id]
        if row.indicator != indicator:
            continue
        if row.status in ("blocked", "dropped"):
            measured = Measurement(**{**asdict(measured), "state": Measured(row.status)})
        before = (row.measure or {}).get("state")
        status = _status(measured.state, row.status)
        conn.execute(commitments.update().where(commitments.c.id == row.id).values(
            measure=measured.to_json(), measured_at=now, status=status,
            **({"updated_at": now} if status != row.status else {})))
        manual = {Measured.BLOCKED.value, Measured.DROPPED.value}
        if before != measured.state.value and not ({before, measured.state.value} & manual):
            changed += 1
            conn.execute(agreement_events.insert().values(
                agreement_id=agreement_id, action="commitment_measured",
                organization_id=row.owner_id or agreement.created_by, actor=HUB_ACTOR,
                from_status=agreement.status.value, to_status=agreement.status.value, at=now,
                details={"commitment": row.id, "title": row.title, "from": before, "to": measured.state.value,
                         "status_from": row.status, "status_to": status, "value": measured.value,
                         "target": measured.target, "sentence": measured.sentence}))
    return changed


def measure_agreement(conn: Connection, agreement_id: str, now: datetime) -> int:
    """Measure every measured commitment of an agreement, store the measurements, move statuses
    and write each change of state into the agreement's history, in the caller's write
    transaction (which holds, or here takes, the agreement's lock). Returns how many states changed."""
    conn.execute(sa.select(agreements.c.id).where(agreements.c.id == agreement_id).with_for_update())
    return _store(conn, agreement_id, _measure_rows(conn, agreement_id, now), now)


def measure_if_running(conn: Connection, agreement_id: str, now: datetime | None = None) -> int:
    """After a change of the roadmap: measure at once when the agreement runs (active or suspended),
    so people see the figure without waiting for the worker's next round."""
    status = conn.execute(sa.select(agreements.c.status).where(agreements.c.id == agreement_id)).scalar_one_or_none()
    return measure_agreement(conn, agreement_id, now or utcnow()) if status in MEASURED_STATUSES else 0


def measured_agreement_ids(conn: Connection) -> list[str]:
    """Agreements with at least one measured commitment that still run (active or suspended)."""
    has = sa.exists().where(commitments.c.agreement_id == agreements.c.id, commitments.c.indicator.is_not(None))
    return list(conn.execute(sa.select(agreements.c.id).where(has, agreements.c.status.in_(MEASURED_STATUSES))
                             .order_by(agreements.c.id)).scalars())


def measure_all(engine: Engine, now: datetime | None = None) -> int:
    """One round of the worker: every running agreement's measured commitments, counted in a read
    transaction and stored in a short write transaction per agreement. Returns how many states changed."""
    with reading(engine) as conn:
        ids = measured_agreement_ids(conn)
    changed = 0
    for agreement_id in ids:
        at = now or utcnow()
        with reading(engine) as conn:  # the counting, outside the write lock (SQLite has one writer)
            found = _measure_rows(conn, agreement_id, at)
        with writing(engine) as conn:
            changed += _store(conn, agreement_id, found, at)
    return changed


class RoadmapMeasurer:
    """Measures roadmap commitments every ``every`` seconds (in ``serve`` and ``newsbridge worker``)."""

    def __init__(self, engine: Engine, every: float = MEASURE_EVERY) -> None:
        self.engine, self.every = engine, every

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(measure_all, self.engine)
            except Exception:  # one bad round must not stop measuring for good
                log.exception("measuring roadmap commitments failed")
            try:
                await asyncio.wait_for(stop.wait(), self.every)
            except asyncio.TimeoutError:
                pass
