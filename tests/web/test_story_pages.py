"""The item page's "Same story" and "Same text as": only items the member may read, in their language."""

from __future__ import annotations

import pytest

from newsbridge.stories.evaluation import load
from newsbridge.stories.worker import StoryWorker
from newsbridge.stories.embeddings import E5Embedder
from tests.conftest import active_agreement
from tests.stories.labelled import DATA, ninjs

pytestmark = pytest.mark.anyio
BY_ID = {item["id"]: item for item in load(DATA)}
MANAGE = ("publish", "read", "manage")


async def post(client, partner, doc: dict) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize(("locale", "title"), [("en", "Same story"), ("fa", "همان رویداد"), ("kk", "Сол оқиға")])
async def test_the_item_page_lists_the_readable_items_of_its_story(client, engine, make_partner, sign_in,
                                                                   locale: str, title: str) -> None:
    kazinform, irna, tass = (make_partner(s, scopes=MANAGE) for s in ("kazinform", "irna", "tass"))
    await active_agreement(client, kazinform, irna, {})
    ours = await post(client, irna, ninjs(BY_ID["e01-fa"]))
    theirs = await post(client, kazinform, ninjs(BY_ID["e01-kk"]))
    copy = await post(client, kazinform, ninjs(BY_ID["e01-kk"], uri="urn:kazinform:again"))
    await post(client, tass, ninjs(BY_ID["e01-ru"]))  # never delivered to IRNA
    while StoryWorker(engine, E5Embedder()).run_once():
        pass
    desk = await sign_in("irna", "editor", locale=locale)
    page = (await desk.get(f"/items/{ours}")).text
    assert title in page and f'href="/items/{theirs}"' in page and BY_ID["e01-kk"]["headline"] in page
    assert BY_ID["e01-ru"]["headline"] not in page
    received = (await desk.get(f"/items/{copy}")).text  # Kazinform's second copy: same text as its first
    assert f'href="/items/{theirs}"' in received and 'class="same-text"' in received


async def test_an_item_alone_shows_no_story_section(client, make_partner, sign_in) -> None:
    partner = make_partner("irna")
    item = await post(client, partner, ninjs(BY_ID["e03-fa"]))
    desk = await sign_in("irna", "editor")
    assert 'id="story"' not in (await desk.get(f"/items/{item}")).text
