"""Detected pickups through the API, on both databases: both sides read the same record (the source
on its item, the partner on its own republishing item and on the item it received), either side
confirms or dismisses it (idempotent, who and when kept), a declared pickup is not decided, anyone
else gets 404; and a dismissed pickup stays listed but leaves the agreement's figures, rolled up
or read raw alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.db.engine import reading, writing
from newsbridge.desk.pickups import record_detected_pickup, record_pickup
from newsbridge.exchange.agreements import load_agreement
from newsbridge.ids import utcnow
from newsbridge.metrics.indicators import measure_one
from newsbridge.metrics.worker import RollupWorker
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")


def story(uri: str, headline: str, **extra: Any) -> dict[str, Any]:
    return {"uri": uri, "version": "1", "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": f"{headline}. Text."}], **extra}


@pytest.fixture
async def pair(client, engine, make_partner):  # type: ignore[no-untyped-def]
    """Kazinform shares with IRNA; IRNA's own item republishes Kazinform's (detected); TASS is a stranger."""
    kazinform = make_partner("kazinform", scopes=MANAGE, timezone="Asia/Almaty")
    irna = make_partner("irna", scopes=MANAGE, timezone="Asia/Tehran")
    tass = make_partner("tass", scopes=MANAGE)
    agreement = await active_agreement(client, kazinform, irna, {})
    published = (utcnow() - timedelta(minutes=30)).isoformat()
    ids = []
    for uri, who in (("urn:kazinform:1", kazinform), ("urn:kazinform:2", kazinform), ("urn:irna:copy", irna)):
        answer = await client.post("/api/v1/items", json=story(uri, f"Story {uri}", firstCreated=published),
                                   headers=who.headers)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    source, other, copy = ids
    with writing(engine) as conn:
        pickup_id = record_detected_pickup(conn, source, copy, score=0.93,
                                           evidence={"method": "same_text", "containment": 0.93})
        declared = record_pickup(conn, irna.org, None, other, "https://irna.test/other")
    return {"kazinform": kazinform, "irna": irna, "tass": tass, "agreement": agreement, "source": source,
            "other": other, "copy": copy, "pickup": pickup_id, "declared": declared.id}


async def listed(client, partner, item_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    answer = await client.get(f"/api/v1/items/{item_id}/pickups", headers=partner.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["count"] == len(answer.json()["pickups"])
    return answer.json()["pickups"]


async def test_both_sides_read_the_same_record_and_strangers_get_404(client, pair) -> None:  # type: ignore[no-untyped-def]
    kazinform, irna, tass = pair["kazinform"], pair["irna"], pair["tass"]
    [theirs] = await listed(client, kazinform, pair["source"])  # the source's view of its item
    assert {k: theirs[k] for k in ("id", "kind", "by", "item", "picked_up_item", "source", "score", "status",
                                   "decided")} == {
        "id": pair["pickup"], "kind": "detected", "by": "irna", "item": pair["copy"],
        "picked_up_item": pair["source"], "source": "kazinform", "score": 0.93, "status": "detected", "decided": None}
    assert theirs["evidence"] == {"method": "same_text", "containment": 0.93}
    assert await listed(client, irna, pair["copy"]) == [theirs]  # the partner, on its own republishing item
    assert await listed(client, irna, pair["source"]) == [theirs]  # ... and on the item it received
    [declared] = await listed(client, kazinform, pair["other"])
    assert (declared["kind"], declared["by"], declared["item"], declared["status"]) == ("declared", "irna", None,
                                                                                        "confirmed")
    hidden = await client.get(f"/api/v1/items/{pair['copy']}/pickups", headers=kazinform.headers)
    assert hidden.status_code == 404  # IRNA's own item was never delivered to Kazinform
    for path in (f"/api/v1/items/{pair['source']}/pickups", f"/api/v1/pickups/{pair['pickup']}:confirm",
                 f"/api/v1/pickups/{pair['pickup']}:dismiss"):
        answer = await client.request("GET" if path.endswith("pickups") else "POST", path, headers=tass.headers)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found", path
    assert (await listed(client, irna, pair["source"]))[0]["status"] == "detected"  # the stranger changed nothing


async def test_either_side_confirms_or_dismisses_idempotently(client, pair) -> None:  # type: ignore[no-untyped-def]
    kazinform, irna = pair["kazinform"], pair["irna"]
    url = f"/api/v1/pickups/{pair['pickup']}"
    first = await client.post(f"{url}:confirm", headers=irna.headers)
    assert first.status_code == 200, first.text
    confirmed = first.json()
    assert confirmed["status"] == "confirmed"
    assert confirmed["decided"]["by"] == "key nb_" + irna.key.split("_")[1]
    assert confirmed["decided"]["organization"] == "irna"
    again = await client.post(f"{url}:confirm", headers=kazinform.headers)  # the same word again: nothing changes
    assert again.status_code == 200 and again.json() == {**confirmed, "decided": {**confirmed["decided"], "by": None}}
    dismissed = (await client.post(f"{url}:dismiss", headers=kazinform.headers)).json()
    assert (dismissed["status"], dismissed["decided"]["organization"]) == ("dismissed", "kazinform")
    assert dismissed["decided"]["at"] >= confirmed["decided"]["at"]
    assert (await client.post(f"{url}:dismiss", headers=irna.headers)).json() == \
        {**dismissed, "decided": {**dismissed["decided"], "by": None}}  # who at Kazinform: Kazinform's to know
    for partner, item in ((kazinform, pair["source"]), (irna, pair["copy"])):  # still listed, as dismissed
        assert [p["status"] for p in await listed(client, partner, item)] == ["dismissed"]
    [seen] = await listed(client, irna, pair["copy"])  # who at Kazinform decided stays with Kazinform
    assert seen["decided"] == {**dismissed["decided"], "by": None}
    assert (await listed(client, kazinform, pair["source"]))[0]["decided"] == dismissed["decided"]
    refused = await client.post(f"/api/v1/pickups/{pair['declared']}:dismiss", headers=kazinform.headers)
    assert refused.status_code == 409
    assert refused.json()["error"] | {"message": ""} == {"code": "pickup_not_detected", "field": "pickup_id",
                                                         "message": ""}


async def test_deciding_needs_the_publish_scope(client, engine, pair) -> None:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        _key, raw = create_api_key(conn, "irna", ("read",))
    headers = {"Authorization": f"Bearer {raw}"}
    assert (await client.get(f"/api/v1/items/{pair['copy']}/pickups", headers=headers)).status_code == 200
    refused = await client.post(f"/api/v1/pickups/{pair['pickup']}:confirm", headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


async def test_a_dismissed_pickup_leaves_the_figures_and_a_confirmed_one_counts(client, engine, pair) -> None:  # type: ignore[no-untyped-def]
    worker = RollupWorker(engine)
    while worker.run_once() != (0, 0):  # zones built, marks taken: figures come from the rollup
        pass
    url = f"/api/v1/agreements/{pair['agreement']['id']}/metrics"

    async def total() -> dict[str, Any]:
        answer = await client.get(url, headers=pair["kazinform"].headers)
        assert answer.status_code == 200, answer.text
        return next(s for s in answer.json()["series"] if s["from"] == "kazinform")["total"]

    counted = await total()
    assert (counted["items"], counted["pickups_declared"], counted["pickups_detected"], counted["picked_up"]) == \
        (2, 1, 1, 2)
    for action, detected in (("dismiss", 0), ("confirm", 1), ("dismiss", 0)):
        done = await client.post(f"/api/v1/pickups/{pair['pickup']}:{action}", headers=pair["irna"].headers)
        assert done.status_code == 200, done.text
        raw = await total()  # the item is marked: its days are read from the rows
        worker.run_once()
        rolled = await total()
        assert raw == rolled
        assert (rolled["pickups_declared"], rolled["pickups_detected"], rolled["picked_up"]) == \
            (1, detected, 1 + detected), action


async def test_the_pickup_rate_indicator_leaves_a_dismissed_pickup_out(client, engine, pair) -> None:  # type: ignore[no-untyped-def]
    indicator = {"kind": "pickup_rate", "at_least": 0.5, "weeks": 4}

    def counted() -> tuple[int, list[str]]:
        with reading(engine) as conn:
            agreement = load_agreement(conn, pair["agreement"]["id"])
            found = measure_one(conn, agreement, indicator, None, None, utcnow() + timedelta(days=2))  # today judged
        return found.evidence["count"], sorted(found.evidence["items"])

    assert counted() == (2, sorted([pair["source"], pair["other"]]))
    done = await client.post(f"/api/v1/pickups/{pair['pickup']}:dismiss", headers=pair["kazinform"].headers)
    assert done.status_code == 200, done.text
    assert counted() == (1, [pair["other"]])
