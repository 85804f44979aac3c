"""Broad queries on both databases: the page read by walking the inbox (desk/search.py ``BROAD``)
is the page the hits-first reading gives, and a total and facets counted over the newest index
hits (``COUNTED``) are marked as a lower bound and never count, nor name, an item the caller may
not see, even when the newest hits are other organizations' or embargoed or withdrawn items.
The thresholds are lowered here so that a handful of items is "broad"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from newsbridge.desk import search as desk_search
from tests.search.test_search_api import MANAGE, agree, find, publish, story

pytestmark = pytest.mark.anyio


def page(body: dict[str, Any]) -> list[str]:
    return [entry["item"]["uri"] for entry in body["items"]]


@pytest.fixture
async def partners(client, make_partner):  # type: ignore[no-untyped-def]
    """alpha shares with beta; gamma with delta only. Newest of all: gamma's, an embargoed and a
    withdrawn item of alpha's, all holding the searched word."""
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    gamma, delta = make_partner("gamma", scopes=MANAGE), make_partner("delta", scopes=MANAGE)
    await agree(client, alpha, beta)
    await agree(client, gamma, delta)
    for n in range(6):
        await publish(client, alpha, story(f"urn:a:{n}", "en" if n % 2 else "ru", f"Caspian shipping {n}",
                                           "Ferries cross the Caspian sea."))
    await publish(client, alpha, story("urn:a:other", "en", "Grain harvest", "Nothing about the sea."))
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    await publish(client, alpha, story("urn:a:later", "en", "Caspian ports", "Caspian", embargoedUntil=tomorrow))
    withdrawn = story("urn:a:gone", "en", "Caspian caviar", "Caspian")
    await publish(client, alpha, withdrawn)
    await publish(client, alpha, {**withdrawn, "version": "2", "pubStatus": "canceled"})
    for n in range(4):
        await publish(client, gamma, story(f"urn:g:{n}", "fa", f"Caspian {n}", "Caspian"))
    return alpha, beta, gamma, delta


@pytest.mark.parametrize("limit", [2, 20])
async def test_a_broad_page_is_the_same_page(client, partners, monkeypatch, limit: int) -> None:
    _, beta, _, _ = partners
    exact = await find(client, beta, q="caspian", limit=limit)
    assert exact["total"] == 6 and not exact["total_is_lower_bound"] and exact["counted_over"] is None
    monkeypatch.setattr(desk_search, "BROAD", 3)  # 13 versions hold the word: the inbox is walked
    walked = await find(client, beta, q="caspian", limit=limit)
    assert page(walked) == page(exact) and walked["next"] == exact["next"]
    if exact["next"]:
        rest = await find(client, beta, q="caspian", limit=limit, before=exact["next"])
        assert page(rest) == page(await find(client, beta, q="caspian", limit=limit, before=walked["next"]))
    assert page(walked)[0] == "urn:a:5" and "urn:a:other" not in page(walked)


async def test_capped_counts_are_marked_and_count_only_what_the_caller_sees(client, engine, partners,
                                                                          monkeypatch) -> None:
    alpha, beta, gamma, delta = partners
    monkeypatch.setattr(desk_search, "COUNTED", 8)
    monkeypatch.setattr(desk_search, "BROAD", 9)
    body = await find(client, beta, q="caspian")
    if engine.dialect.name == "sqlite":
        # the 8 newest versions holding the word: gamma's 4, alpha's withdrawn (2 versions), the
        # embargoed one and urn:a:5; beta may see only urn:a:5 of them
        assert body["total"] == 1
        assert {v["value"]: v["count"] for v in body["facets"]["language"]} == {"en": 1}
    else:  # the first 8 the index yields, oldest first: urn:a:0-5, the embargoed, the withdrawn one
        assert body["total"] == 6
        assert {v["value"]: v["count"] for v in body["facets"]["language"]} == {"en": 3, "ru": 3}
    assert body["total_is_lower_bound"] is True and body["counted_over"] == 8
    assert len(body["items"]) == 6  # the page is never capped: every visible match, newest first
    assert {v["value"]: v["count"] for v in body["facets"]["partner"]} == {"alpha": body["total"]}
    assert "gamma" not in str(body["facets"]) and "fa" not in str(body["facets"]["language"])
    assert (await find(client, beta, q="caspian", facets="false"))["total"] == body["total"]
    # delta sees gamma's 4 only: counted over the same 8 hits, none of them (PostgreSQL) or all 4
    seen = await find(client, delta, q="caspian")
    assert seen["total"] == (4 if engine.dialect.name == "sqlite" else 0) and seen["total_is_lower_bound"] and page(seen) and set(page(seen)) == {
        f"urn:g:{n}" for n in range(4)}
    assert {v["value"]: v["count"] for v in seen["facets"]["partner"]} == (
        {"gamma": 4} if engine.dialect.name == "sqlite" else {})
    # a query under the cap is counted exactly and says so
    exact = await find(client, beta, q="grain")
    assert exact["total"] == 1 and exact["total_is_lower_bound"] is False and exact["counted_over"] is None
