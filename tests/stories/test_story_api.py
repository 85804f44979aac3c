"""``GET /api/v1/items/{id}/story`` never reveals an item the caller may not read."""

from __future__ import annotations

import pytest

from newsbridge.stories.evaluation import load
from newsbridge.stories.worker import StoryWorker
from newsbridge.stories.embeddings import E5Embedder
from tests.conftest import active_agreement
from tests.stories.labelled import DATA, ninjs

pytestmark = pytest.mark.anyio
BY_ID = {item["id"]: item for item in load(DATA)}


async def publish(client, partner, doc: dict) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
async def one_story(client, engine, make_partner):  # type: ignore[no-untyped-def]
    """Kazinform shares with IRNA; TASS shares with nobody; all three cover E01; Stranger sees none."""
    kazinform, irna, tass, stranger = (make_partner(s, scopes=("publish", "read", "manage"))
                                       for s in ("kazinform", "irna", "tass", "stranger"))
    await active_agreement(client, kazinform, irna, {})
    ids = {"kk": await publish(client, kazinform, ninjs(BY_ID["e01-kk"])),
           "fa": await publish(client, irna, ninjs(BY_ID["e01-fa"])),
           "ru": await publish(client, tass, ninjs(BY_ID["e01-ru"]))}
    while StoryWorker(engine, E5Embedder()).run_once():
        pass
    return {"kazinform": kazinform, "irna": irna, "tass": tass, "stranger": stranger}, ids


async def test_the_story_lists_only_items_the_caller_may_read(client, one_story) -> None:
    partners, ids = one_story
    irna = (await client.get(f"/api/v1/items/{ids['fa']}/story", headers=partners["irna"].headers)).json()
    assert irna["story"] and irna["count"] == 1
    assert [(i["id"], i["language"], i["source"]["slug"]) for i in irna["items"]] == [(ids["kk"], "kk", "kazinform")]
    # the same story through the item IRNA received: its own item, never TASS's
    received = (await client.get(f"/api/v1/items/{ids['kk']}/story", headers=partners["irna"].headers)).json()
    assert [i["id"] for i in received["items"]] == [ids["fa"]]
    tass = (await client.get(f"/api/v1/items/{ids['ru']}/story", headers=partners["tass"].headers)).json()
    assert tass["items"] == [] and tass["count"] == 0
    assert ids["ru"] not in str(irna) and ids["ru"] not in str(received)


async def test_a_stranger_gets_not_found_like_a_missing_item(client, one_story) -> None:
    partners, ids = one_story
    missing = await client.get("/api/v1/items/01NOSUCHITEM0000000000000/story", headers=partners["stranger"].headers)
    for item_id in ids.values():
        hidden = await client.get(f"/api/v1/items/{item_id}/story", headers=partners["stranger"].headers)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["error"]["code"] == missing.json()["error"]["code"]
    outsider = await client.get(f"/api/v1/items/{ids['ru']}/story", headers=partners["irna"].headers)
    assert outsider.status_code == 404 and outsider.json()["error"]["code"] == missing.json()["error"]["code"]


async def test_an_item_in_no_story_yet_answers_null(client, make_partner) -> None:
    partner = make_partner()
    item = await publish(client, partner, ninjs(BY_ID["e03-en"]))
    answer = (await client.get(f"/api/v1/items/{item}/story", headers=partner.headers)).json()
    assert answer == {"id": item, "story": None, "items": [], "count": 0, "sameTextAs": []}
