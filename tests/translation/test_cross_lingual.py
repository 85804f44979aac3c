"""Cross-lingual search on both databases: an English query finds the Kazakh, Russian and Persian
items about the same thing (the real multilingual model), fused with the word matches, inside the
caller's access: a stranger's items, embargoed items and withdrawn items are never found nor counted."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newsbridge.search.cross_lingual import K, fuse
from newsbridge.stories.worker import StoryWorker
from newsbridge.stories.embeddings import E5Embedder
from tests.conftest import active_agreement
from tests.stories.labelled import ninjs

pytestmark = pytest.mark.anyio
DATA = Path(__file__).resolve().parents[1] / "data" / "stories" / "items.json"
EVENTS = ("E03", "E10", "E12", "E14", "E16", "E17")  # earthquake, media memorandum, Soyuz, base rate, uranium, fire
MANAGE = ("publish", "read", "manage")


def labelled() -> list[dict[str, Any]]:
    return [item for item in json.loads(DATA.read_text("utf-8"))["items"] if item["event"] in EVENTS]


@pytest.fixture
async def world(client, make_partner, engine):  # type: ignore[no-untyped-def]
    """alpha shares every item of six events (in en/ru/kk/fa) with beta; gamma shares the same items with
    delta only; alpha also has an earthquake item under embargo and one it withdrew."""
    alpha, beta, gamma, delta = (make_partner(slug, scopes=MANAGE) for slug in ("alpha", "beta", "gamma", "delta"))
    await active_agreement(client, alpha, beta, {})
    await active_agreement(client, gamma, delta, {}, title="Gamma-Delta")
    ids: dict[str, str] = {}
    for item in labelled():
        for partner in (alpha, gamma):
            made = await client.post("/api/v1/items", json=ninjs(item, f"urn:{partner.org.slug}:{item['id']}"),
                                     headers=partner.headers)
            assert made.status_code == 201, made.text
            ids[f"{partner.org.slug}:{item['id']}"] = made.json()["id"]
    quake = next(i for i in labelled() if i["id"].startswith("e03-fa"))
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat(timespec="seconds")
    hidden = await client.post("/api/v1/items", headers=alpha.headers, json={
        **ninjs(quake, "urn:alpha:embargoed"), "embargoedUntil": tomorrow})
    withdrawn = await client.post("/api/v1/items", headers=alpha.headers, json=ninjs(quake, "urn:alpha:withdrawn"))
    await client.post("/api/v1/items", headers=alpha.headers,
                      json={**ninjs(quake, "urn:alpha:withdrawn"), "version": "2", "pubStatus": "canceled"})
    ids |= {"embargoed": hidden.json()["id"], "withdrawn": withdrawn.json()["id"]}
    while StoryWorker(engine, E5Embedder()).run_once():
        pass
    return alpha, beta, gamma, delta, ids


async def search(client, partner, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/search", params={"cross_lingual": "true", **params}, headers=partner.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_english_query_finds_the_same_event_in_the_other_languages(client, world) -> None:
    _, beta, _, _, ids = world
    found = await search(client, beta, q="earthquake in Iran", facets="false")
    quake = {ids[f"alpha:{i['id']}"] for i in labelled() if i["event"] == "E03"}
    top = [entry["item"]["id"] for entry in found["items"][:len(quake)]]
    assert set(top) == quake, ([entry["item"]["headlines"][0]["value"] for entry in found["items"][:5]],
                               [(entry["item"]["id"], entry["item"]["uri"]) for entry in found["items"][:5]])
    languages = {entry["item"]["language"] for entry in found["items"][:len(quake)]}
    assert languages == {"en", "fa", "ru"}
    by = {entry["item"]["language"]: entry["found_by"] for entry in found["items"][:len(quake)]}
    assert by["fa"] in (["meaning"], ["meaning", "story"]) and "words" in by["en"]  # the Persian item holds none
    assert all(entry["similarity"] is None or 0.8 <= entry["similarity"] <= 1 for entry in found["items"])
    assert found["next"] is None and found["facets"] == {}


async def test_a_query_in_persian_finds_russian_and_kazakh(client, world) -> None:
    _, beta, _, _, ids = world
    found = await search(client, beta, q="پرتاب فضاپیمای سایوز از بایکونور", facets="false")
    soyuz = {ids[f"alpha:{i['id']}"] for i in labelled() if i["event"] == "E12"}
    assert {entry["item"]["id"] for entry in found["items"][:len(soyuz)]} == soyuz


async def test_nothing_outside_the_callers_access_is_found_or_counted(client, world) -> None:
    _, beta, _, delta, ids = world
    found = await search(client, beta, q="earthquake in Iran", limit=100)
    shown = {entry["item"]["id"] for entry in found["items"]}
    alpha_ids = {v for k, v in ids.items() if k.startswith("alpha:")}
    assert shown <= alpha_ids and ids["embargoed"] not in shown and ids["withdrawn"] not in shown
    assert found["total"] == sum(v["count"] for v in found["facets"]["partner"])
    assert [v["value"] for v in found["facets"]["partner"]] == ["alpha"]
    theirs = await search(client, delta, q="earthquake in Iran", limit=100)
    assert {entry["item"]["id"] for entry in theirs["items"]} <= {v for k, v in ids.items() if k.startswith("gamma:")}


async def test_the_filters_apply_to_both_lists(client, world) -> None:
    _, beta, _, _, _ = world
    found = await search(client, beta, q="central bank raises the base rate", lang="kk")
    assert found["items"] and {entry["item"]["language"] for entry in found["items"]} == {"kk"}
    [kazakh] = [v for v in found["facets"]["language"] if v["value"] == "kk"]
    assert kazakh["count"] == found["total"] == len(found["items"])


async def test_the_desk_search_in_all_languages(sign_in, world) -> None:
    editor = await sign_in("beta", "editor")
    page = await editor.get("/desk/across?q=earthquake+in+Iran")
    assert page.status_code == 200 and "Found by meaning" in page.text
    assert "زلزله" in page.text and 'href="/desk?q=earthquake+in+Iran"' in page.text
    assert (await editor.get("/desk/across?q=")).headers["location"] == "/desk"
    assert 'formaction="/desk/across"' in (await editor.get("/desk")).text


def test_fusion_puts_items_both_lists_hold_first() -> None:
    ranked = fuse(["a", "b", "c"], [("x", 0.93), ("b", 0.90)])
    assert [r.key for r in ranked] == ["b", "x", "a", "c"]  # x and a tie (both first of one list): similar wins
    b = ranked[0]
    assert (b.by_words, b.by_meaning, b.similarity) == (True, True, 0.90)
    assert b.score == pytest.approx(1 / (K + 2) + 1 / (K + 2))
    assert [r.key for r in fuse([], [])] == []
