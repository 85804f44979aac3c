"""Measured roadmap commitments on both databases: values counted independently over the generated
history (tests/metrics/history.py), states, statuses moved by the hub, and the history sentences."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import commitments
from newsbridge.errors import InvalidInput
from newsbridge.exchange.agreements import history as agreement_history, load_agreement
from newsbridge.exchange.roadmap import add_commitments, list_commitments, update_commitment
from newsbridge.metrics.indicators import Measured, measure_agreement, measure_all, measure_one
from tests.metrics.history import ECONOMY, NOW, History, build, local

ALMATY, TEHRAN = "Asia/Almaty", "Asia/Tehran"


@pytest.fixture
def history(engine: Engine) -> Iterator[History]:
    with writing(engine) as conn:
        built = build(conn)
    yield built


def _shared(history: History, agreement: str, source: str | None, recipient: str | None) -> list[Any]:
    return [r for r in history.rows if r.agreement == history.agreements[agreement] and not r.withdrawn
            and (source is None or r.source == source) and (recipient is None or r.recipient == recipient)]


def _measure(engine: Engine, history: History, agreement: str, indicator: dict[str, Any], due: date | None = None,
             owner: str | None = None, now: datetime = NOW):  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        found = load_agreement(conn, history.agreements[agreement])
        stored = {k: (history.orgs[v].id if k in ("from", "to") and v else v) for k, v in indicator.items()}
        return measure_one(conn, found, stored, due, history.orgs[owner].id if owner else None, now)


@pytest.mark.parametrize("per", ["day", "week", "month"])
def test_items_per_period_counts_the_last_complete_period_in_the_senders_days(engine: Engine, history: History,
                                                                               per: str) -> None:
    today = local(NOW, ALMATY)
    starts = {"day": lambda d: d, "week": lambda d: d - timedelta(days=d.weekday()), "month": lambda d: d.replace(day=1)}
    current = starts[per](today)
    judged = starts[per](current - timedelta(days=1))
    rows = _shared(history, "kz_ir", "krtc", "irna")
    value = sum(1 for r in rows if judged <= local(r.published, ALMATY) < current)
    running = sum(1 for r in rows if current <= local(r.published, ALMATY) <= today)
    for target, state in ((max(value, 1), Measured.ON_TRACK), (value + running + 1, Measured.OFF_TRACK)):
        found = _measure(engine, history, "kz_ir", {"kind": "items_per_period", "from": "krtc", "to": "irna",
                                                   "at_least": target, "per": per})
        assert (found.value, found.current_value, found.state) == (value, running, state)
        assert (found.first, found.current_first) == (judged.isoformat(), current.isoformat())
    assert found.evidence["count"] == value + running
    newest = sorted((r for r in rows if judged <= local(r.published, ALMATY) <= today),
                    key=lambda r: (r.published, r.item_id), reverse=True)
    assert set(found.evidence["items"]) == {r.item_id for r in newest[:20]}
    assert f"/api/v1/agreements/{history.agreements['kz_ir']}/metrics?from={judged}" in found.evidence["query"]
    assert f"{value} of {value + running + 1} items from krtc to irna" in found.sentence


def test_after_the_due_day_the_last_period_ending_by_it_decides(engine: Engine, history: History) -> None:
    due = date(2026, 1, 14)  # a Wednesday: the week that decides is the one before (5 to 11 January)
    rows = _shared(history, "kz_ir", "irna", "krtc")
    zone = history.orgs["irna"].timezone
    value = sum(1 for r in rows if date(2026, 1, 5) <= local(r.published, zone) <= date(2026, 1, 11))
    indicator = {"kind": "items_per_period", "from": "irna", "to": "krtc", "per": "week"}
    done = _measure(engine, history, "kz_ir", {**indicator, "at_least": value}, due=due)
    late = _measure(engine, history, "kz_ir", {**indicator, "at_least": value + 1}, due=due)
    assert (done.state, late.state, done.value, done.first, done.last) == (
        Measured.DONE, Measured.OVERDUE, value, "2026-01-05", "2026-01-11")
    assert done.current_first is None


def test_a_topic_every_month_counts_narrower_topics_either_way_once(engine: Engine, history: History) -> None:
    today = local(NOW, TEHRAN)
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    rows = _shared(history, "kz_ir", None, None)
    value = len({r.item_id for r in rows if ECONOMY in r.topics and month <= local(r.published, TEHRAN) < today.replace(day=1)})
    found = _measure(engine, history, "kz_ir", {"kind": "topic_every_month", "topic": ECONOMY, "at_least": value},
                     owner="irna")
    assert (found.value, found.state, found.first) == (value, Measured.ON_TRACK, month.isoformat())
    one_way = _measure(engine, history, "kz_ir", {"kind": "topic_every_month", "topic": ECONOMY, "at_least": 1,
                                                  "from": "irna", "to": "krtc"}, owner="irna")
    assert one_way.value == len({r.item_id for r in rows if ECONOMY in r.topics and r.source == "irna"
                                 and month <= local(r.published, TEHRAN) < today.replace(day=1)})


def test_pickup_rate_over_the_last_weeks_and_waiting_below_twenty(engine: Engine, history: History) -> None:
    zone = history.orgs["krtc"].timezone  # owner krtc
    last = local(NOW, zone) - timedelta(days=1)
    first = last - timedelta(days=27)
    rows = [r for r in _shared(history, "kz_ir", None, None) if first <= local(r.published, zone) <= last]
    picked = sum(1 for r in rows if r.pickups or r.detected)  # declared or detected
    found = _measure(engine, history, "kz_ir", {"kind": "pickup_rate", "at_least": 0.2, "weeks": 4}, owner="krtc")
    assert (found.received, found.value) == (len(rows), picked / len(rows))
    assert found.state is (Measured.ON_TRACK if picked / len(rows) >= 0.2 else Measured.OFF_TRACK)
    assert found.evidence["count"] == picked and len(found.evidence["items"]) == min(picked, 20)
    early = _measure(engine, history, "kz_ir", {"kind": "pickup_rate", "at_least": 0.2, "weeks": 1}, owner="krtc",
                     now=datetime(2024, 9, 3, tzinfo=NOW.tzinfo))
    assert early.state is Measured.WAITING and early.value is None and "too few" in early.sentence


def test_deliverables_wait_while_no_joint_project_plans_any(engine: Engine, history: History) -> None:
    found = _measure(engine, history, "kz_ir", {"kind": "deliverables", "at_least": 3, "by": "2026-12-31"})
    assert (found.state, found.value) == (Measured.WAITING, None)
    assert "no deliverable is planned" in found.sentence  # counted from projects: tests/projects/test_roadmap_link.py


def test_the_hub_moves_statuses_records_changes_and_leaves_blocked_alone(engine: Engine, history: History) -> None:
    agreement_id, krtc = history.agreements["kz_ir"], history.orgs["krtc"]
    with writing(engine) as conn:
        parties = [p.id for p in load_agreement(conn, agreement_id).parties]
        easy, hard, blocked = add_commitments(conn, agreement_id, parties, [
            {"title": "A few items a month", "owner": "krtc",
             "indicator": {"kind": "items_per_period", "from": "krtc", "to": "irna", "at_least": 1, "per": "month"}},
            {"title": "A flood of items a day", "owner": "irna",
             "indicator": {"kind": "items_per_period", "from": "irna", "to": "krtc", "at_least": 10_000, "per": "day"}},
            {"title": "Blocked by hand", "status": "blocked",
             "indicator": {"kind": "items_per_period", "from": "irna", "to": "krtc", "at_least": 1, "per": "day"}},
        ], krtc)
        assert measure_agreement(conn, agreement_id, NOW) == 2  # the blocked one records nothing
        assert measure_agreement(conn, agreement_id, NOW) == 0  # nothing changed since
    with reading(engine) as conn:
        found = {c.id: c for c in list_commitments(conn, agreement_id)}
        events = [e for e in agreement_history(conn, agreement_id) if e.action == "commitment_measured"]
    assert found[easy.id].status.value == "in_progress" and found[easy.id].measure["state"] == "on_track"
    assert found[hard.id].measure["state"] == "off_track"
    assert found[blocked.id].status.value == "blocked" and found[blocked.id].measure["state"] == "blocked"
    assert found[blocked.id].measure["value"] is not None  # measured all the same
    assert found[easy.id].indicator == {"kind": "items_per_period", "from": "krtc", "to": "irna", "at_least": 1,
                                        "per": "month"}
    assert sorted((e.details["title"], e.details["from"], e.details["to"]) for e in events) == [
        ("A few items a month", None, "on_track"), ("A flood of items a day", None, "off_track")]
    assert all(e.actor == "Newsbridge (measured)" and "items from" in e.details["sentence"] for e in events)
    with writing(engine) as conn:  # the due day passes: done, and the history says so
        conn.execute(commitments.update().where(commitments.c.id == easy.id).values(due=date(2026, 2, 28)))
        assert measure_agreement(conn, agreement_id, NOW) == 1
    with reading(engine) as conn:
        assert next(c for c in list_commitments(conn, agreement_id) if c.id == easy.id).status.value == "done"
        last = [e for e in agreement_history(conn, agreement_id) if e.action == "commitment_measured"][-1]
    assert (last.details["from"], last.details["to"], last.details["status_to"]) == ("on_track", "done", "done")


def test_the_worker_round_measures_running_agreements_only(engine: Engine, history: History) -> None:
    with writing(engine) as conn:
        for name in ("kz_ir", "ended"):
            agreement = load_agreement(conn, history.agreements[name])
            add_commitments(conn, agreement.id, [p.id for p in agreement.parties], [
                {"title": "Daily news", "indicator": {"kind": "items_per_period", "from": "irna",
                                                      "to": agreement.parties[0].slug if agreement.parties[0].slug != "irna"
                                                      else agreement.parties[1].slug, "at_least": 1, "per": "day"}}],
                history.orgs["irna"])
    assert measure_all(engine, NOW) == 1
    with reading(engine) as conn:
        measured = conn.execute(sa.select(commitments.c.agreement_id).where(commitments.c.measure.is_not(None)))
        assert set(measured.scalars()) == {history.agreements["kz_ir"]}


@pytest.mark.parametrize("indicator, field", [
    ({"kind": "weekly"}, "roadmap[0].indicator.kind"),
    ({"kind": "items_per_period", "from": "krtc", "to": "krtc", "at_least": 3, "per": "week"}, "roadmap[0].indicator.to"),
    ({"kind": "items_per_period", "from": "krtc", "to": "ria", "at_least": 3, "per": "week"}, "roadmap[0].indicator.to"),
    ({"kind": "items_per_period", "from": "krtc", "to": "irna", "at_least": 0, "per": "week"},
     "roadmap[0].indicator.at_least"),
    ({"kind": "items_per_period", "from": "krtc", "to": "irna", "at_least": 3, "per": "year"}, "roadmap[0].indicator.per"),
    ({"kind": "topic_every_month", "topic": "football"}, "roadmap[0].indicator.topic"),
    ({"kind": "topic_every_month", "topic": ECONOMY, "from": "krtc"}, "roadmap[0].indicator.to"),
    ({"kind": "pickup_rate", "at_least": 1.5}, "roadmap[0].indicator.at_least"),
    ({"kind": "pickup_rate", "at_least": 0.1, "weeks": 60}, "roadmap[0].indicator.weeks"),
    ({"kind": "deliverables", "at_least": 2, "by": "soon"}, "roadmap[0].indicator.by"),
    ({"kind": "deliverables", "at_least": 2, "by": "2026-01-01", "per": "week"}, "roadmap[0].indicator.per"),
])
def test_wrong_indicators_are_refused_with_the_field(engine: Engine, history: History, indicator: dict[str, Any],
                                                     field: str) -> None:
    with writing(engine) as conn:
        agreement = load_agreement(conn, history.agreements["kz_ir"])
        with pytest.raises(InvalidInput) as caught:
            add_commitments(conn, agreement.id, [p.id for p in agreement.parties],
                            [{"title": "t", "indicator": indicator}], history.orgs["krtc"])
    assert caught.value.field == field


def test_people_cannot_mark_a_measured_commitment_done(engine: Engine, history: History) -> None:
    with writing(engine) as conn:
        agreement = load_agreement(conn, history.agreements["kz_ir"])
        parties = [p.id for p in agreement.parties]
        indicator = {"kind": "deliverables", "at_least": 2, "by": "2026-12-31"}
        with pytest.raises(InvalidInput):
            add_commitments(conn, agreement.id, parties, [{"title": "t", "status": "done", "indicator": indicator}],
                            history.orgs["krtc"])
        added = add_commitments(conn, agreement.id, parties, [{"title": "t", "indicator": indicator}],
                                history.orgs["krtc"])[0]
        with pytest.raises(InvalidInput) as caught:
            update_commitment(conn, agreement.id, parties, added.id, {"status": "done"}, history.orgs["krtc"])
        assert caught.value.field == "status"
        update_commitment(conn, agreement.id, parties, added.id, {"status": "blocked"}, history.orgs["krtc"])
        manual = update_commitment(conn, agreement.id, parties, added.id, {"indicator": None, "status": "done"},
                                   history.orgs["krtc"])
    assert (manual.status.value, manual.indicator, manual.measure) == ("done", None, None)

