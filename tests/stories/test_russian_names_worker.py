"""The story worker with natasha selected (``gazetteer.RUSSIAN_NER``), on both databases: a Russian
version's stored names are natasha's (its model loaded by the worker, not by the request that
stored the item); other languages and the default ("off") keep the capitalized-word rule."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from newsbridge.db.story_tables import story_vectors
from newsbridge.stories import gazetteer
from newsbridge.stories.worker import StoryWorker
from newsbridge.stories.embeddings import E5Embedder
from tests.stories.labelled import ninjs

pytestmark = pytest.mark.anyio
RUSSIAN = {"id": "ner-ru", "lang": "ru", "hour": 10, "headline": "Награждение в Москве",
           "body": "Церемония прошла в Кремле. Карабаева наградили орденом."}


async def stored_names(client, engine, partner, item: dict) -> set[str]:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=ninjs(item, f"urn:test:{item['id']}"), headers=partner.headers)
    assert response.status_code == 201, response.text
    StoryWorker(engine, E5Embedder()).run_items([response.json()["id"]])
    with engine.connect() as conn:
        entities = conn.execute(sa.select(story_vectors.c.entities)
                                .where(story_vectors.c.item_id == response.json()["id"])).scalar_one()
    return set(entities["names"])


@pytest.mark.parametrize("mode", ["off", "replace"])
async def test_the_worker_stores_natasha_s_names_when_selected(client, engine, make_partner, monkeypatch,
                                                               mode: str) -> None:
    monkeypatch.setattr(gazetteer, "RUSSIAN_NER", mode)
    names = await stored_names(client, engine, make_partner("tass"), RUSSIAN)
    assert "moscow" in names
    assert ("~krbv" in names) == (mode == "replace")  # a sentence's first word: only natasha sees the name
    english = {**RUSSIAN, "id": "ner-en", "lang": "en", "headline": "Award in Moscow",
               "body": "The ceremony took place in the Kremlin. Karabayev was decorated."}
    assert "~krbv" not in await stored_names(client, engine, make_partner("trend"), english)
