"""Broad queries on both databases: the page read by walking the inbox (desk/search.py ``BROAD``)
is the page the hits-first reading gives, and a total and facets counted over the newest index
hits (``COUNTED``) are marked as a lower bound and never count, nor name, an item the caller may
not see, even when the newest hits are other organizations' or embargoed or withdrawn items.
The thresholds are lowered here so that a handful of items is "broad"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from newsbridge.desk import hits as desk_hits
from newsbridge.desk import search as desk_search
from newsbridge.items import queries
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
    assert (walked["total"], walked["total_is_lower_bound"], walked["facets"]) == (6, False, exact["facets"])
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
    # the 8 newest versions holding the word (on PostgreSQL too: a hub of fewer than PG_WINDOW
    # versions has every version tested, newest first): gamma's 4, alpha's withdrawn (2
    # versions), the embargoed one and urn:a:5; beta may see only urn:a:5 of them
    assert body["total"] == 1
    assert {v["value"]: v["count"] for v in body["facets"]["language"]} == {"en": 1}
    assert body["total_is_lower_bound"] is True and body["counted_over"] == 8
    assert len(body["items"]) == 6  # the page is never capped: every visible match, newest first
    assert {v["value"]: v["count"] for v in body["facets"]["partner"]} == {"alpha": body["total"]}
    assert "gamma" not in str(body["facets"]) and "fa" not in str(body["facets"]["language"])
    assert (await find(client, beta, q="caspian", facets="false"))["total"] == body["total"]
    # delta sees gamma's 4 only, all among the same 8 hits
    seen = await find(client, delta, q="caspian")
    assert seen["total"] == 4 and seen["total_is_lower_bound"] and set(page(seen)) == {f"urn:g:{n}" for n in range(4)}
    assert {v["value"]: v["count"] for v in seen["facets"]["partner"]} == {"gamma": 4}
    # a query under the cap is counted exactly and says so
    exact = await find(client, beta, q="grain")
    assert exact["total"] == 1 and exact["total_is_lower_bound"] is False and exact["counted_over"] is None


async def test_postgresql_counts_a_dense_query_over_the_newest_versions(client, engine, partners,
                                                                         monkeypatch) -> None:
    """On PostgreSQL a query held by PG_DENSE of the PG_WINDOW newest versions is counted over those
    hits (GIN would read all of them first); the page still walks the whole inbox."""
    _, beta, _, delta = partners
    exact = await find(client, beta, q="caspian")
    monkeypatch.setattr(desk_hits, "PG_WINDOW", 6)  # the newest 6: gamma's 4 and the withdrawn item's 2
    monkeypatch.setattr(desk_hits, "PG_DENSE", 3)
    body = await find(client, beta, q="caspian", limit=4)
    rest = await find(client, beta, q="caspian", limit=4, before=body["next"])
    assert page(body) + page(rest) == [f"urn:a:{n}" for n in range(5, -1, -1)] == page(exact)
    seen = await find(client, delta, q="caspian")
    if engine.dialect.name == "postgresql":  # dense: beta may see none of the 6 counted, delta gamma's 4
        assert (body["total"], body["total_is_lower_bound"], body["counted_over"]) == (0, True, 6)
        assert body["facets"]["partner"] == [] and "gamma" not in str(body["facets"])
        assert (seen["total"], seen["counted_over"]) == (4, 6)
    else:  # SQLite lists the newest hits as ever: 13, under the cap
        assert (body["total"], body["total_is_lower_bound"], body["counted_over"]) == (6, False, None)
        assert seen["total"] == 4 and not seen["total_is_lower_bound"]
    assert set(page(seen)) == {f"urn:g:{n}" for n in range(4)}
    monkeypatch.setattr(desk_hits, "PG_DENSE", 7)  # not dense: the index lists the hits, all 13
    assert (await find(client, beta, q="caspian"))["total"] == 6
    grain = await find(client, beta, q="grain")  # in none of the newest 6: listed by the index
    assert (grain["total"], grain["total_is_lower_bound"], page(grain)) == (1, False, ["urn:a:other"])


async def test_a_walked_page_reads_the_clock_each_time(client, partners, monkeypatch) -> None:
    """The walk's condition and the facets' statement are kept per caller and query (PostgreSQL):
    the time they test availability against is read when they run, so the same search finds the
    embargoed item once its embargo has passed, in the page and in the counts."""
    _, beta, _, _ = partners
    monkeypatch.setattr(desk_search, "BROAD", 3)  # walked
    before = await find(client, beta, q="caspian")
    assert "urn:a:later" not in page(before) and before["total"] == 6
    later = datetime.now(timezone.utc) + timedelta(days=1, minutes=1)
    monkeypatch.setattr(queries, "utcnow", lambda: later)
    monkeypatch.setattr(desk_search, "utcnow", lambda: later)
    after = await find(client, beta, q="caspian")
    assert page(after)[0] == "urn:a:later" and after["total"] == 7
    assert {v["value"]: v["count"] for v in after["facets"]["partner"]} == {"alpha": 7}
