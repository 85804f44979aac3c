"""``GET /api/v1/agreements/{id}/metrics`` (+ ``.csv``): parties see the figures, everyone else 404."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlalchemy.engine import Engine

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.organizations import create_organization
from newsbridge.db.engine import writing
from tests.metrics.history import History, build

pytestmark = pytest.mark.anyio


@pytest.fixture
def keyed(engine: Engine) -> tuple[History, dict[str, dict[str, str]]]:
    with writing(engine) as conn:
        history = build(conn)
        create_organization(conn, "stranger", "Stranger", timezone="UTC")
        keys = {slug: {"Authorization": f"Bearer {create_api_key(conn, slug, ('read',))[1]}"}
                for slug in ("krtc", "kazinform", "irna", "ria", "stranger")}
    return history, keys


async def test_parties_and_outlets_read_the_metrics(client: httpx.AsyncClient, keyed) -> None:  # type: ignore[no-untyped-def]
    history, keys = keyed
    url = f"/api/v1/agreements/{history.agreements['kz_ir']}/metrics"
    query = {"from": "2025-01-01", "to": "2025-03-31", "granularity": "month"}
    answers = [await client.get(url, params=query, headers=keys[who]) for who in ("krtc", "kazinform", "irna")]
    assert [a.status_code for a in answers] == [200, 200, 200]
    body = answers[2].json()
    assert body["timezone"] == "Asia/Tehran"  # the caller's organization's days
    assert answers[0].json()["timezone"] == "Asia/Almaty"
    assert body["periods"] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert {(s["from"], s["to"]) for s in body["series"]} == {("krtc", "irna"), ("irna", "krtc")}
    krtc = next(s for s in body["series"] if s["from"] == "krtc")
    assert set(krtc["periods"][0]) >= {"items", "deliveries", "same_day_share", "pickups_declared", "pickups_detected"}
    assert krtc["total"]["items"] == sum(p["items"] for p in krtc["periods"]) > 20
    assert krtc["pickup_rate"]["value"] == pytest.approx(krtc["total"]["picked_up"] / krtc["total"]["items"])
    assert 0 < body["balance"] <= 1
    assert body["pace"]["state"] in ("keeping_pace", "slipping", "stalled")
    assert [c["name"] for c in body["pace"]["components"]] == [
        "volume_trend", "balance", "same_day_share", "pickup_rate", "topic_coverage", "roadmap"]
    assert all({"value", "target", "met", "reason"} <= set(c) for c in body["pace"]["components"])
    assert set(body["topic_coverage"]["months"]) == {"2025-01-01", "2025-02-01", "2025-03-01"}


@pytest.mark.parametrize("who", ["stranger", "ria"])
async def test_others_get_404_as_for_a_missing_agreement(client: httpx.AsyncClient, keyed, who: str) -> None:  # type: ignore[no-untyped-def]
    history, keys = keyed
    for suffix in ("metrics", "metrics.csv"):
        answer = await client.get(f"/api/v1/agreements/{history.agreements['kz_ir']}/{suffix}", headers=keys[who])
        missing = await client.get(f"/api/v1/agreements/nope/{suffix}", headers=keys[who])
        assert answer.status_code == missing.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


async def test_no_key_is_401(client: httpx.AsyncClient, keyed) -> None:  # type: ignore[no-untyped-def]
    history, _ = keyed
    answer = await client.get(f"/api/v1/agreements/{history.agreements['kz_ir']}/metrics")
    assert answer.status_code == 401


@pytest.mark.parametrize("query, field", [
    ({"from": "2025-13-01"}, "from"), ({"to": "yesterday"}, "to"), ({"granularity": "year"}, "granularity"),
    ({"from": "2025-03-01", "to": "2025-02-01"}, "from"), ({"tz": "Mars/Olympus"}, "tz"),
    ({"from": "2020-01-01", "to": "2025-01-01"}, "to"),
])
async def test_bad_parameters_name_their_field(client: httpx.AsyncClient, keyed, query: dict[str, str],
                                               field: str) -> None:  # type: ignore[no-untyped-def]
    history, keys = keyed
    answer = await client.get(f"/api/v1/agreements/{history.agreements['kz_ir']}/metrics", params=query,
                              headers=keys["irna"])
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


async def test_csv_holds_the_same_figures(client: httpx.AsyncClient, keyed) -> None:  # type: ignore[no-untyped-def]
    history, keys = keyed
    base = f"/api/v1/agreements/{history.agreements['ir_ru']}/metrics"
    query = {"from": "2025-06-01", "to": "2025-08-31", "granularity": "week", "tz": "Europe/Moscow"}
    body = (await client.get(base, params=query, headers=keys["ria"])).json()
    answer = await client.get(base + ".csv", params=query, headers=keys["ria"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    header = rows[0]
    figures = [dict(zip(header, r)) for r in rows[1:] if r and r[0] != "pace"]
    want = [(p["start"], s["from"], s["to"], str(p["items"]), str(p["deliveries"]))
            for s in body["series"] for p in s["periods"]]
    assert [(r["period"], r["from"], r["to"], r["items"], r["deliveries"]) for r in figures] == want
    pace = [r for r in rows if r and r[0] == "pace"]
    assert pace[1][1:3] == ["state", body["pace"]["state"]]
    assert [r[1] for r in pace[2:]] == [c["name"] for c in body["pace"]["components"]]
