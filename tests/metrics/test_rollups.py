"""The metrics rollup on both databases: what it serves equals a recomputation from the raw rows,
whether built from scratch or kept up by the worker through new, late, corrected and withdrawn
items and declared and detected pickups; and an incremental rollup equals a rebuilt one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.rollup_tables import (mark_items_changed, metrics_built, metrics_days, metrics_delays,
                                         metrics_keys, metrics_marks)
from newsbridge.db.tables import deliveries, item_versions, items, organizations, outbox
from newsbridge.delivery.outbox import Claim, Outcome, record, replay
from newsbridge.desk.pickups import record_detected_pickup, record_pickup
from newsbridge.exchange.agreements import load_agreement
from newsbridge.metrics.days import Day, Days, live_days, raw_days
from newsbridge.metrics.periods import Granularity, Window, day_number
from newsbridge.metrics.rollups import (_rolled, agreed_topics, build_missing, day_ranges, missing, read_days,
                                        rebuild_agreement, refresh, watched_zones)
from newsbridge.metrics.worker import RollupWorker
from newsbridge.retries import RETRY_SCHEDULE, State
from tests.metrics.history import NOW, START, History, built_once, restore

WINDOWS = [("Asia/Tehran", date(2024, 8, 1), date(2026, 3, 31)), ("Asia/Almaty", date(2025, 1, 1), date(2025, 3, 31)),
           ("UTC", date(2025, 12, 20), date(2026, 3, 5)), ("Europe/Moscow", date(2024, 9, 1), date(2026, 3, 31))]


@pytest.fixture(scope="module")
def built(migrated_engine: Engine) -> Iterator[tuple[History, list[str]]]:
    """The history (no rollup: the tests build it), built once per database for the module and kept
    in the database to be written back for each test."""
    yield from built_once(migrated_engine)


@pytest.fixture
def history(engine: Engine, built: tuple[History, list[str]]) -> Iterator[History]:
    """The module's history, written back for each test (the ``engine`` fixture empties the tables)."""
    with writing(engine) as conn:
        restore(conn, built[1])
    yield built[0]


def _clean(days: Days) -> Days:
    return {key: day for key, day in days.items() if day != Day()}


def _raw(conn: Connection, agreement_id: str, window: Window) -> Days:
    agreement = load_agreement(conn, agreement_id)
    found = raw_days(conn, agreement, window, agreed_topics(agreement))
    for key, cell in live_days(conn, agreement, window, NOW).items():
        found.setdefault(key, Day()).add(cell)
    return _clean(found)


def _served(conn: Connection, agreement_id: str, window: Window) -> Days:
    return _clean(read_days(conn, load_agreement(conn, agreement_id), window, NOW))


def _assert_served_equals_raw(engine: Engine, history: History) -> None:
    with reading(engine) as conn:
        for name, agreement_id in history.agreements.items():
            for zone_name, first, last in WINDOWS:
                window = Window(first, last, ZoneInfo(zone_name), Granularity.DAY)
                assert _served(conn, agreement_id, window) == _raw(conn, agreement_id, window), (name, zone_name)


def _tables(engine: Engine) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    with reading(engine) as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in
                (metrics_days, metrics_delays, metrics_keys)}


def _drain(engine: Engine) -> None:
    for _ in range(100):
        with writing(engine) as conn:
            if not refresh(conn, NOW, limit=7):  # small rounds: marks are taken a few at a time
                return
    raise AssertionError("marks never drained")


def test_built_rollup_serves_the_raw_figures(engine: Engine, history: History) -> None:
    with writing(engine) as conn:
        assert len(missing(conn)) == 9  # three agreements, each in UTC and its parties' two zones
        while build_missing(conn, NOW, limit=2):
            pass
        assert missing(conn) == []
        kz_ir = load_agreement(conn, history.agreements["kz_ir"])
        assert watched_zones(conn, kz_ir) == ["Asia/Almaty", "Asia/Tehran", "UTC"]
        rows = conn.execute(sa.select(sa.func.count()).select_from(metrics_days)).scalar_one()
    assert rows > 1000
    _assert_served_equals_raw(engine, history)  # Moscow is not kz_ir's: read raw, equal all the same
    with writing(engine) as conn:  # the rollup is what is read: a wrong rollup row shows
        conn.execute(metrics_days.update().where(metrics_days.c.agreement_id == history.agreements["kz_ir"],
                                                 metrics_days.c.zone == "Asia/Tehran").values(items=999))
    with reading(engine) as conn:
        window = Window(date(2025, 1, 1), date(2025, 1, 31), ZoneInfo("Asia/Tehran"), Granularity.DAY)
        assert _served(conn, history.agreements["kz_ir"], window) != _raw(conn, history.agreements["kz_ir"], window)


def _new_delivery(conn: Connection, history: History, item_id: str, version: int, event: str, arrives) -> None:  # type: ignore[no-untyped-def]
    row = next(r for r in history.rows if r.item_id == item_id)
    conn.execute(deliveries.insert().values(
        item_id=item_id, version=version, recipient_id=history.orgs[row.recipient].id, agreement_id=row.agreement,
        reason="r", credit_line="c", usage_terms="u", available_from=arrives, event=event, created_at=arrives,
        arrives_at=arrives))


def _new_version(conn: Connection, item_id: str, version: int, pubstatus: str, published) -> None:  # type: ignore[no-untyped-def]
    conn.execute(item_versions.insert().values(
        item_id=item_id, version=version, content_hash=f"{item_id}-{version}", type="text", pubstatus=pubstatus,
        language="en", language_source="declared", headline="h", firstcreated=published, versioncreated=published,
        document={}, received_at=published))
    conn.execute(items.update().where(items.c.id == item_id).values(latest_version=version, pubstatus=pubstatus))


def _change_history(engine: Engine, history: History) -> None:
    """Corrections, withdrawals (with and without a delivery), a late delivery, new and future
    (pending) items, declared and detected pickups: each written with its mark, as the hub does."""
    rows = {r.item_id: r for r in history.rows}
    old = [r for r in history.rows if not r.withdrawn and not r.corrections and r.published < START + timedelta(days=200)]
    with writing(engine) as conn:
        for row in old[:5]:  # corrections arriving now, months after publication
            _new_version(conn, row.item_id, 2, "usable", row.published)
            _new_delivery(conn, history, row.item_id, 2, "item.updated", NOW - timedelta(hours=5))
            mark_items_changed(conn, [row.item_id], NOW)
        for row in old[5:10]:  # withdrawals: last year's "shared" becomes "withdrawn"
            _new_version(conn, row.item_id, 2, "canceled", row.published)
            _new_delivery(conn, history, row.item_id, 2, "item.withdrawn", NOW - timedelta(hours=2))
            mark_items_changed(conn, [row.item_id], NOW)
        ended = next(r for r in history.rows if r.agreement == history.agreements["ir_ru"] and not r.withdrawn
                     and not r.corrections and r.item_id not in {o.item_id for o in old[:10]})
        _new_version(conn, ended.item_id, 2, "canceled", ended.published)  # withdrawn, nothing delivered
        mark_items_changed(conn, [ended.item_id], NOW)
        source = history.orgs["irna"]
        for n, (published, arrives) in enumerate([(START + timedelta(days=30), NOW - timedelta(hours=1)),  # late
                                                  (NOW - timedelta(hours=3), NOW + timedelta(days=2))]):  # pending
            item_id = f"late-{n}"
            conn.execute(items.insert().values(id=item_id, organization_id=source.id, uri=f"urn:late:{n}",
                                               latest_version=1, pubstatus="usable", headline="h", language="en",
                                               created_at=published, updated_at=published))
            _new_version(conn, item_id, 1, "usable", published)
            conn.execute(deliveries.insert().values(
                item_id=item_id, version=1, recipient_id=history.orgs["krtc"].id,
                agreement_id=history.agreements["kz_ir"], reason="r", credit_line="c", usage_terms="u",
                available_from=arrives, event="item.published", created_at=published, arrives_at=arrives))
            mark_items_changed(conn, [item_id], NOW)
        received = [r for r in history.rows if r.recipient == "irna" and not r.withdrawn and not r.pickups
                    and not r.detected][:4]
        record_pickup(conn, history.orgs["irna"], None, received[0].item_id, "https://irna.test/a")
        evidence = next(r for r in history.rows if r.source == "irna")
        assert record_detected_pickup(conn, received[1].item_id, evidence.item_id) is not None
        assert record_detected_pickup(conn, received[1].item_id, evidence.item_id) is None  # once
        assert rows[received[0].item_id].agreement


def test_incremental_rollup_equals_raw_and_a_rebuild(engine: Engine, history: History) -> None:
    with writing(engine) as conn:
        for agreement_id in history.agreements.values():
            rebuild_agreement(conn, agreement_id, NOW)
    before = _tables(engine)
    _change_history(engine, history)
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(metrics_marks)).scalar_one() == 15
        kz_ir = history.agreements["kz_ir"]
        window = Window(date(2024, 9, 1), date(2026, 3, 31), ZoneInfo("Asia/Tehran"), Granularity.DAY)
        stale_rollup = _clean(_rolled(conn, kz_ir, "Asia/Tehran", day_number(window.first),
                                      day_number(window.last), set()))
        raw = _raw(conn, kz_ir, window)
        assert {k: (d.items, d.withdrawn, d.deliveries) for k, d in stale_rollup.items()} != \
            {k: (d.items, d.withdrawn, d.deliveries) for k, d in raw.items()}  # the changes moved figures
    _assert_served_equals_raw(engine, history)  # marks not taken yet: their days are read raw
    _drain(engine)
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(metrics_marks)).scalar_one() == 0
    _assert_served_equals_raw(engine, history)
    incremental = _tables(engine)
    assert incremental != before
    with writing(engine) as conn:
        for agreement_id in history.agreements.values():
            rebuild_agreement(conn, agreement_id, NOW)
    assert _tables(engine) == incremental


def test_worker_round_builds_then_refreshes(engine: Engine, history: History) -> None:
    worker = RollupWorker(engine)
    rounds = [worker.run_once() for _ in range(10)]
    assert sum(built for _, built in rounds) == 9 and rounds[-1] == (0, 0)
    _change_history(engine, history)
    assert worker.run_once()[0] == 15
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(metrics_built)).scalar_one() == 9
    _assert_served_equals_raw(engine, history)


def test_a_new_outlet_zone_is_read_raw_until_built(engine: Engine, history: History) -> None:
    with writing(engine) as conn:
        while build_missing(conn, NOW, limit=5):
            pass
        conn.execute(organizations.update().where(organizations.c.id == history.orgs["kazinform"].id)
                     .values(timezone="Asia/Kathmandu"))  # +05:45
        assert ("Asia/Kathmandu" in {z for _, z in missing(conn)})
    window = Window(date(2025, 2, 1), date(2025, 4, 30), ZoneInfo("Asia/Kathmandu"), Granularity.DAY)
    with reading(engine) as conn:
        raw = _raw(conn, history.agreements["kz_ir"], window)
        assert _served(conn, history.agreements["kz_ir"], window) == raw
    with writing(engine) as conn:
        while build_missing(conn, NOW, limit=5):
            pass
    with reading(engine) as conn:
        assert conn.execute(sa.select(metrics_built.c.zone).where(
            metrics_built.c.agreement_id == history.agreements["kz_ir"],
            metrics_built.c.zone == "Asia/Kathmandu")).first() is not None
        assert _served(conn, history.agreements["kz_ir"], window) == raw


@pytest.mark.parametrize("days, most, ranges", [
    ([], 6, []), ([5], 6, [(5, 5)]), ([3, 4, 5, 9], 6, [(3, 5), (9, 9)]),
    ([1, 3, 10, 30, 31], 2, [(1, 10), (30, 31)]), ([1, 2, 100], 1, [(1, 100)]),
])
def test_day_ranges(days: list[int], most: int, ranges: list[tuple[int, int]]) -> None:
    assert day_ranges(days, most) == ranges


def test_cli_rebuild(engine: Engine, history: History) -> None:
    from typer.testing import CliRunner

    from newsbridge.cli import app

    url = engine.url.render_as_string(hide_password=False)
    with writing(engine) as conn:  # a wrong row the rebuild must replace
        build_missing(conn, NOW, limit=1)
        conn.execute(metrics_days.update().values(items=999))
    result = CliRunner().invoke(app, ["--database-url", url, "metrics", "rebuild", "--agreement",
                                      history.agreements["kz_ir"]], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "rebuilt 1 agreement(s)" in result.stdout
    with reading(engine) as conn:
        zones = set(conn.execute(sa.select(metrics_built.c.zone).where(
            metrics_built.c.agreement_id == history.agreements["kz_ir"])).scalars())
        assert zones == {"Asia/Almaty", "Asia/Tehran", "UTC"}
    window = Window(date(2025, 1, 1), date(2025, 3, 31), ZoneInfo("Asia/Almaty"), Granularity.DAY)
    with reading(engine) as conn:
        assert _served(conn, history.agreements["kz_ir"], window) == _raw(conn, history.agreements["kz_ir"], window)
    missing_one = CliRunner().invoke(app, ["--database-url", url, "metrics", "rebuild", "--agreement", "nope"])
    assert missing_one.exit_code == 1 and "not_found" in missing_one.output


def test_trend_days_from_the_figures_equal_a_fresh_read(engine: Engine, history: History) -> None:
    from newsbridge.metrics.figures import agreement_figures, daily_items

    with reading(engine) as conn:
        agreement = load_agreement(conn, history.agreements["ir_ru"])
        long = Window(date(2024, 10, 1), date(2026, 2, 28), ZoneInfo("Asia/Tehran"), Granularity.WEEK)
        trend = Window(date(2025, 11, 9), date(2026, 2, 28), ZoneInfo("Asia/Tehran"), Granularity.DAY)
        figures = agreement_figures(conn, agreement, long, NOW)
        reused = daily_items(conn, agreement, trend, NOW, figures)
        assert reused == daily_items(conn, agreement, trend, NOW) and sum(reused.values()) > 50
        assert min(reused) >= trend.first and max(reused) <= trend.last


def _failed_served(engine: Engine, history: History) -> int:
    window = Window(START.date(), NOW.date(), ZoneInfo("Asia/Tehran"), Granularity.DAY)
    with reading(engine) as conn:
        return sum(d.failed for a in history.agreements.values() for d in _served(conn, a, window).values())


def test_webhooks_giving_up_and_replayed_keep_the_rolled_failed_equal_to_the_raw_rows(
        engine: Engine, history: History) -> None:
    """``failed`` is rolled up: a message that gives up (after its last retry, on 410 Gone, when its
    endpoint is turned off) and a replay mark the item, and after the worker the rollup's figure
    equals the raw rows' again (both ways: up and down)."""
    with writing(engine) as conn:
        for agreement_id in history.agreements.values():
            rebuild_agreement(conn, agreement_id, NOW)
        dead = conn.execute(sa.select(sa.func.count()).select_from(outbox)
                            .where(outbox.c.state == "dead")).scalar_one()
        assert dead > 0
    assert _failed_served(engine, history) == dead
    with writing(engine) as conn:
        assert replay(conn, "ep-irna", NOW) == dead  # sent again: no longer failed
        assert conn.execute(sa.select(sa.func.count()).select_from(metrics_marks)).scalar_one() > 0
    _drain(engine)
    assert _failed_served(engine, history) == 0
    _assert_served_equals_raw(engine, history)
    with writing(engine) as conn:  # messages in flight give up, one after another
        taken = conn.execute(sa.select(outbox.c.id, outbox.c.delivery_id, outbox.c.message_id)
                             .order_by(outbox.c.id).limit(4)).all()
        conn.execute(outbox.update().where(outbox.c.id.in_([t.id for t in taken])).values(
            state="in_flight", claimed_by="w", lease_until=NOW + timedelta(minutes=1)))
        claims = [Claim(t.id, "ep-irna", t.delivery_id, "item.published", t.message_id, len(RETRY_SCHEDULE) + 1, "w")
                  for t in taken]
        assert record(conn, claims[0], Outcome(500, "boom"), NOW) == State.DEAD  # the last retry
        conn.execute(outbox.update().where(outbox.c.id == taken[3].id).values(state="pending", claimed_by=None))
        assert record(conn, claims[1], Outcome(410, "gone"), NOW) == State.FAILED  # turns the endpoint off
        failed = conn.execute(sa.select(outbox.c.state).where(outbox.c.id.in_([t.id for t in taken]))
                              .order_by(outbox.c.id)).scalars().all()
        assert failed == ["dead", "failed", "in_flight", "failed"]  # the waiting ones fail with their endpoint
        gave_up = conn.execute(sa.select(sa.func.count()).select_from(outbox)
                               .where(outbox.c.state.in_(["dead", "failed"]))).scalar_one()
        assert gave_up == dead - 1  # all but the one still in flight
    _drain(engine)
    assert _failed_served(engine, history) == gave_up
    _assert_served_equals_raw(engine, history)
