"""Rate limits per API key and per client address: 429 with Retry-After past the limit, counted in the
database (so every hub process shares them), on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from newsbridge.accounts import rate_limits
from newsbridge.accounts.rate_limits import RateLimited
from newsbridge.app import create_app
from newsbridge.db.engine import writing
from newsbridge.ids import utcnow
from tests.media.tus import create

pytestmark = pytest.mark.anyio


def item(n: int) -> dict[str, object]:
    return {"uri": f"urn:limits:{n}", "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": f"Item {n}"}]}


@pytest.fixture
def limited(settings, engine, monkeypatch):  # type: ignore[no-untyped-def]
    # one minute for the whole test: the counters are per minute, and a test crossing a minute's end on a busy
    # machine saw its fourth publish counted in a new minute (a flaky 201 for the 429)
    minute = utcnow().replace(second=5, microsecond=0)
    monkeypatch.setattr(rate_limits, "utcnow", lambda: minute)
    return create_app(settings.replace(rate_publish_per_minute=3, rate_writes_per_ip_per_minute=8), engine,
                      migrate=False)


async def test_a_key_past_its_publishing_limit_gets_429_with_retry_after(limited, make_partner) -> None:
    import httpx

    alpha, beta = make_partner("alpha"), make_partner("beta")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://hub.test") as http:
        answers = [await http.post("/api/v1/items", json=item(n), headers=alpha.headers) for n in range(4)]
        assert [a.status_code for a in answers] == [201, 201, 201, 429]
        refused = answers[-1]
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.json()["error"]["field"] == "Authorization"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # reading is not limited, and another key has its own budget
        assert (await http.get("/api/v1/feed", headers=alpha.headers)).status_code == 200
        assert (await http.post("/api/v1/items", json=item(10), headers=beta.headers)).status_code == 201
        # a new tus upload counts against the key too
        assert [(await create(http, beta.headers, 10)).status_code for _ in range(3)] == [201, 201, 429]


async def test_one_address_is_limited_whatever_the_key(limited, make_partner) -> None:
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://hub.test") as http:
        bad = {"Authorization": "Bearer nb_nope_nope"}
        codes = [(await http.post("/api/v1/items", json=item(n), headers=bad)).status_code for n in range(9)]
    assert codes == [401] * 8 + [429]


def test_counters_are_shared_through_the_database_and_roll_over_each_minute(engine) -> None:
    now = utcnow().replace(second=5)
    for _ in range(2):
        rate_limits.check(engine, "key:k1:publish", 2, "publishing", now=now)
    with pytest.raises(RateLimited) as refused:
        rate_limits.check(engine, "key:k1:publish", 2, "publishing", now=now)  # as another process would
    assert refused.value.retry_after == 55
    rate_limits.check(engine, "key:k1:publish", 2, "publishing", now=now + timedelta(minutes=1))
    with writing(engine) as conn:
        assert rate_limits.forget_before(conn, now + timedelta(minutes=2)) == 1
    rate_limits.check(engine, "key:k1:publish", 0, "publishing", now=now)  # 0: no limit, nothing counted
