"""Pace targets signed with the terms, and measured commitments, over the API on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from newsbridge.metrics.pace import State, Targets, assess
from tests.conftest import Partner

pytestmark = pytest.mark.anyio


async def _agreement(client: httpx.AsyncClient, a: Partner, b: Partner, **extra: Any) -> httpx.Response:
    return await client.post("/api/v1/agreements", headers=a.headers, json={
        "title": "Targets", "parties": [a.org.slug, b.org.slug], "terms": [{"from": a.org.slug}, {"from": b.org.slug}],
        **extra})


async def _sign(client: httpx.AsyncClient, agreement_id: str, *partners: Partner) -> None:
    for partner in partners:
        done = await client.post(f"/api/v1/agreements/{agreement_id}:sign", headers=partner.headers)
        assert done.status_code == 200, done.text


async def test_targets_are_proposed_and_amended_with_the_terms(client: httpx.AsyncClient, make_partner) -> None:  # type: ignore[no-untyped-def]
    a, b = make_partner(scopes=("read", "manage", "publish")), make_partner(scopes=("read", "manage", "publish"))
    plain = await _agreement(client, a, b)
    assert plain.json()["targets"] == {"balance": 0.5, "topic_coverage": 0.8, "same_day_share": None,
                                       "pickup_rate": None, "volume_not_falling": True}
    created = await _agreement(client, a, b, targets={"balance": 0.3, "same_day_share": 0.6})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["targets"] == {"balance": 0.3, "topic_coverage": 0.8, "same_day_share": 0.6, "pickup_rate": None,
                               "volume_not_falling": True}
    await client.post(f"/api/v1/agreements/{body['id']}:propose", headers=a.headers)
    await _sign(client, body["id"], a, b)
    amend = {"title": "Targets", "terms": [{"from": a.org.slug}, {"from": b.org.slug}], "revision": 1,
             "targets": {"pickup_rate": 0.1, "volume_not_falling": False}}
    amended = await client.post(f"/api/v1/agreements/{body['id']}:amend", headers=b.headers, json=amend)
    assert amended.status_code == 200, amended.text
    found = amended.json()
    # fields left out stay as signed; the new targets wait for every signature like the terms
    assert found["targets"] == {"balance": 0.3, "topic_coverage": 0.8, "same_day_share": 0.6, "pickup_rate": 0.1,
                                "volume_not_falling": False}
    assert found["status"] == "proposed" and not any(p["signed"] for p in found["parties"])
    events = (await client.get(f"/api/v1/agreements/{body['id']}/history", headers=a.headers)).json()["events"]
    assert events[-1]["details"]["targets"]["from"]["pickup_rate"] is None
    assert events[-1]["details"]["targets"]["to"]["pickup_rate"] == 0.1
    kept = await client.post(f"/api/v1/agreements/{body['id']}:amend", headers=a.headers,
                             json={**amend, "revision": 2, "targets": None, "title": "Renamed"})
    assert kept.json()["targets"]["pickup_rate"] == 0.1  # an amendment without targets keeps them


@pytest.mark.parametrize("targets, field", [
    ({"balance": 1.5}, "targets.balance"),
    ({"balance": True}, "targets.balance"),
    ({"pickup_rate": "high"}, "targets.pickup_rate"),
    ({"volume_not_falling": "yes"}, "targets.volume_not_falling"),
    ({"speed": 1}, "targets.speed"),
    ([0.5], "targets"),
])
async def test_wrong_targets_are_refused(client: httpx.AsyncClient, make_partner, targets: Any, field: str) -> None:  # type: ignore[no-untyped-def]
    a, b = make_partner(scopes=("read", "manage")), make_partner()
    refused = await _agreement(client, a, b, targets=targets)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == field


async def test_the_scorecard_scores_against_the_signed_targets(client: httpx.AsyncClient, make_partner) -> None:  # type: ignore[no-untyped-def]
    a, b = make_partner(scopes=("read", "manage")), make_partner(scopes=("read", "manage"))
    created = (await _agreement(client, a, b, targets={"balance": None, "same_day_share": 0.9,
                                                       "volume_not_falling": False})).json()
    metrics = (await client.get(f"/api/v1/agreements/{created['id']}/metrics", headers=a.headers)).json()
    parts = {c["name"]: c for c in metrics["pace"]["components"]}
    assert metrics["pace"]["targets"]["same_day_share"] == 0.9
    assert (parts["balance"]["target"], parts["balance"]["met"]) == (None, None)
    assert (parts["volume_trend"]["target"], parts["volume_trend"]["met"]) == (None, None)
    assert parts["same_day_share"]["target"] == ">= 0.9"


def test_volume_off_is_shown_and_not_scored() -> None:
    from datetime import date, timedelta

    from newsbridge.metrics.figures import Counts, Direction, Figures
    from newsbridge.metrics.periods import Window, zone
    last = date(2026, 3, 31)
    window = Window(last - timedelta(days=111), last, zone("UTC"))
    directions = [Direction(s, r, {window.first: Counts(items=50, same_day=50)}) for s, r in (("a", "b"), ("b", "a"))]
    falling = {last - timedelta(days=n): (1 if n < 28 else 4) for n in range(112)}
    scored = assess(Figures("x", window, directions), falling, [], "active", last)
    assert scored.state is State.SLIPPING
    off = assess(Figures("x", window, directions), falling, [], "active", last, Targets(volume_not_falling=False))
    assert off.state is State.KEEPING_PACE and off.components[0].met is None and off.components[0].value < 1


async def test_commitments_with_indicators_over_the_api(client: httpx.AsyncClient, make_partner) -> None:  # type: ignore[no-untyped-def]
    a, b = make_partner(scopes=("read", "manage")), make_partner(scopes=("read", "manage"))
    created = (await _agreement(client, a, b, roadmap=[
        {"title": "Ten items a week", "owner": a.org.slug,
         "indicator": {"kind": "items_per_period", "from": a.org.slug, "to": b.org.slug, "at_least": 10,
                       "per": "week"}}])).json()
    first = created["roadmap"]["commitments"][0]
    assert first["indicator"] == {"kind": "items_per_period", "from": a.org.slug, "to": b.org.slug, "at_least": 10,
                                  "per": "week"}
    await client.post(f"/api/v1/agreements/{created['id']}:propose", headers=a.headers)
    await _sign(client, created["id"], a, b)
    added = await client.post(f"/api/v1/agreements/{created['id']}/roadmap", headers=b.headers, json={
        "title": "Economy every month", "indicator": {"kind": "topic_every_month", "topic": "medtop:04000000"}})
    assert added.status_code == 201, added.text
    measure = added.json()["commitments"][0]["measure"]  # measured at once, not at the worker's next round
    assert measure["state"] in ("off_track", "waiting") and measure["value"] == 0 and measure["target"] == 1
    roadmap = (await client.get(f"/api/v1/agreements/{created['id']}/roadmap", headers=a.headers)).json()
    assert all(c["measure"] is not None and c["measured_at"] for c in roadmap["commitments"])
    metrics = (await client.get(f"/api/v1/agreements/{created['id']}/metrics", headers=b.headers)).json()
    shown = {c["title"]: c for c in metrics["roadmap"]["commitments"]}
    assert shown["Ten items a week"]["indicator"]["per"] == "week"
    assert shown["Ten items a week"]["measured"]["state"] == "off_track"  # nothing was shared
    assert shown["Ten items a week"]["measured"]["value"] == 0 and shown["Ten items a week"]["measured"]["target"] == 10
    done = await client.patch(f"/api/v1/agreements/{created['id']}/roadmap/{first['id']}", headers=a.headers,
                              json={"status": "done"})
    assert done.status_code == 422 and done.json()["error"]["field"] == "status"
    changed = await client.patch(f"/api/v1/agreements/{created['id']}/roadmap/{first['id']}", headers=a.headers,
                                 json={"indicator": {"kind": "pickup_rate", "at_least": 0.2, "weeks": 8}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["indicator"]["kind"] == "pickup_rate" and changed.json()["measure"]["state"] == "waiting"
    wrong = await client.patch(f"/api/v1/agreements/{created['id']}/roadmap/{first['id']}", headers=a.headers,
                               json={"indicator": {"kind": "pickup_rate", "at_least": 2}})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "$.indicator.at_least"
