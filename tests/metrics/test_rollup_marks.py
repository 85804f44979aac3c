"""The hub's own write paths leave the marks the rollup worker needs: publishing, correcting and
withdrawing over the API, declaring a pickup, and recording a detected one. After a worker round
the API's figures (with the delivery times and detected pickups) are served from the rollup and
equal the raw rows'."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.rollup_tables import metrics_built, metrics_marks
from newsbridge.db.tables import pickups
from newsbridge.desk.pickups import record_detected_pickup, record_pickup
from newsbridge.errors import InvalidInput
from newsbridge.ids import utcnow
from newsbridge.metrics.worker import RollupWorker
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")


def story(uri: str, version: str = "1", **extra: Any) -> dict[str, Any]:
    return {"uri": uri, "version": version, "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": f"Story {uri} v{version}"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "Text."}], **extra}


def _marked(engine: Engine) -> list[str]:
    with reading(engine) as conn:
        return list(conn.execute(sa.select(metrics_marks.c.item_id).order_by(metrics_marks.c.id)).scalars())


async def test_write_paths_mark_and_the_worker_serves_the_api(client: httpx.AsyncClient, make_partner,
                                                              engine: Engine) -> None:  # type: ignore[no-untyped-def]
    kazinform = make_partner("kazinform", scopes=MANAGE, timezone="Asia/Almaty")
    irna = make_partner("irna", scopes=MANAGE, timezone="Asia/Tehran")
    agreement = await active_agreement(client, kazinform, irna, {})
    worker = RollupWorker(engine)
    while worker.run_once() != (0, 0):  # the new agreement's zones are built
        pass
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(metrics_built)).scalar_one() == 3
    published = (utcnow() - timedelta(minutes=30)).isoformat()
    ids = []
    for n in range(3):
        answer = await client.post("/api/v1/items", json=story(f"urn:m:{n}", firstCreated=published),
                                   headers=kazinform.headers)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    assert _marked(engine) == ids  # routed: one mark per delivered item
    url = f"/api/v1/agreements/{agreement['id']}/metrics"
    before = (await client.get(url, headers=irna.headers)).json()  # read raw for the marked days
    worker.run_once()
    assert _marked(engine) == []
    after = (await client.get(url, headers=irna.headers)).json()  # from the rollup now
    assert after["series"] == before["series"]
    total = next(s for s in after["series"] if s["from"] == "kazinform")["total"]
    assert total["items"] == 3 and total["pickups_detected"] == 0
    assert 30 * 60 * 0.92 <= total["delivery_median_seconds"] <= 30 * 60 * 1.08  # published 30 min before
    assert total["delivery_p90_seconds"] >= total["delivery_median_seconds"]

    correction = await client.post("/api/v1/items", json=story("urn:m:0", "2", firstCreated=published),
                                   headers=kazinform.headers)
    withdrawal = await client.post("/api/v1/items", json=story("urn:m:1", "2", firstCreated=published,
                                                                pubStatus="canceled"), headers=kazinform.headers)
    assert correction.status_code == withdrawal.status_code == 201
    with writing(engine) as conn:
        record_pickup(conn, irna.org, None, ids[2], "https://irna.test/story")
    assert _marked(engine) == [ids[0], ids[1], ids[2]]
    own = await client.post("/api/v1/items", json=story("urn:irna:1"), headers=irna.headers)
    with writing(engine) as conn:
        assert record_detected_pickup(conn, ids[0], own.json()["id"]) is not None
        with pytest.raises(InvalidInput):  # kazinform's own item is no pickup of kazinform's
            record_detected_pickup(conn, ids[0], ids[1])
        kinds = sorted(conn.execute(sa.select(pickups.c.kind).where(pickups.c.item_id.in_(ids))).scalars())
    assert kinds == ["declared", "detected"]
    stale = (await client.get(url, headers=irna.headers)).json()
    worker.run_once()
    assert _marked(engine) == []
    fresh = (await client.get(url, headers=irna.headers)).json()
    assert fresh["series"] == stale["series"]
    total = next(s for s in fresh["series"] if s["from"] == "kazinform")["total"]
    assert (total["items"], total["withdrawn"], total["corrections"]) == (2, 1, 1)
    assert (total["pickups_declared"], total["pickups_detected"], total["picked_up"]) == (1, 1, 2)
    csv_text = (await client.get(url + ".csv", headers=irna.headers)).text
    assert csv_text.splitlines()[0].endswith("pickups_detected,delivery_median_seconds,delivery_p90_seconds")
