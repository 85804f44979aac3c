"""Cross-lingual search's third list, on both databases: the other items of the stories of the
items holding the words are found (marked ``story``) even when their meaning is too far from a
short query, and a story's hidden members are never found nor counted. Stories and vectors are
made up here (no model); tests/translation/test_cross_lingual.py runs the real one."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from newsbridge.db.engine import reading, writing
from newsbridge.db.story_tables import stories, story_members
from newsbridge.desk import cross_lingual
from newsbridge.desk.cross_lingual import search_across_languages
from newsbridge.desk.matches import SearchFilters
from newsbridge.desk.vector_cache import VectorCache
from newsbridge.ids import utcnow
from tests.conftest import active_agreement
from tests.search.test_vector_cache import MANAGE, QUERY, add_vector, near

pytestmark = pytest.mark.anyio


class Query:
    """Embeds every text as :data:`QUERY`."""

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([QUERY for _ in texts])


def story(uri: str, language: str, headline: str) -> dict[str, object]:
    return {"uri": uri, "version": "1", "type": "text", "language": language,
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": headline + "."}]}


def group(engine: sa.Engine, story_id: str, item_ids: list[str]) -> None:
    now = utcnow()
    with writing(engine) as conn:
        conn.execute(stories.insert().values(id=story_id, created_at=now, updated_at=now))
        conn.execute(story_members.insert(), [{"item_id": item_id, "story_id": story_id, "joined_at": now}
                                              for item_id in item_ids])


async def test_a_word_matchs_story_brings_its_other_languages(client, make_partner, engine, monkeypatch) -> None:
    monkeypatch.setattr(cross_lingual, "VECTORS", VectorCache())
    alpha, beta, gamma = (make_partner(slug, scopes=MANAGE) for slug in ("alpha", "beta", "gamma"))
    await active_agreement(client, alpha, beta, {})
    made = {}
    for partner, uri, language, headline in (
            (alpha, "urn:a:en", "en", "Central bank raises the base rate"),
            (alpha, "urn:a:ru", "ru", "Нацбанк повысил ставку до 16,5 процента"),
            (gamma, "urn:g:kk", "kk", "Ұлттық банк базалық мөлшерлемені көтерді"),  # beta may not see it
            (alpha, "urn:a:other", "ru", "Курс тенге укрепился")):
        response = await client.post("/api/v1/items", json=story(uri, language, headline), headers=partner.headers)
        assert response.status_code == 201, response.text
        made[uri] = response.json()["id"]
    for uri, similarity in (("urn:a:en", 0.86), ("urn:a:ru", 0.78), ("urn:g:kk", 0.79), ("urn:a:other", 0.6)):
        add_vector(engine, made[uri], 1, near(similarity))
    group(engine, "s1", [made["urn:a:en"], made["urn:a:ru"], made["urn:g:kk"]])

    with reading(engine) as conn:
        found = search_across_languages(conn, beta.org, SearchFilters(q="base rate"), Query())
    assert [(entry.hit.record.id, entry.by_words, entry.by_meaning, entry.by_story) for entry in found.hits] == [
        (made["urn:a:en"], True, True, False), (made["urn:a:ru"], False, False, True)]
    assert found.hits[1].similarity is None  # 0.78: under the meaning list's threshold
    assert found.total == 2 and {v.value: v.count for v in found.facets["language"]} == {"en": 1, "ru": 1}

    response = await client.get("/api/v1/search", params={"q": "base rate", "cross_lingual": "true"},
                                headers=beta.headers)
    found_by = {entry["item"]["id"]: entry["found_by"] for entry in response.json()["items"]}  # the real model
    assert "words" in found_by[made["urn:a:en"]] and found_by[made["urn:a:ru"]] == ["story"]
    with reading(engine) as conn:  # the hidden member's own partner finds nothing through beta's items
        assert search_across_languages(conn, gamma.org, SearchFilters(q="base rate"), Query()).hits == []


async def test_the_closest_by_meanings_stories_bring_their_other_languages(client, make_partner, engine,
                                                                          monkeypatch) -> None:
    """No item holds the words: the stories of the closest items by meaning are followed, an item is in the story
    list only through another item of its story, and a hidden member is never found."""
    monkeypatch.setattr(cross_lingual, "VECTORS", VectorCache())
    alpha, beta, gamma = (make_partner(slug, scopes=MANAGE) for slug in ("alpha", "beta", "gamma"))
    await active_agreement(client, alpha, beta, {})
    made = {}
    for partner, uri, language, headline, similarity in (
            (alpha, "urn:a:en", "en", "Iran's currency hits a new bottom", 0.86),
            (alpha, "urn:a:fa", "fa", "دلار از مرز ۱۰۰ هزار تومان گذشت", 0.83),
            (alpha, "urn:a:ru", "ru", "Курс доллара в Иране превысил 100 тысяч туманов", 0.79),  # under 0.82
            (gamma, "urn:g:kk", "kk", "Иран валютасы құлдырады", 0.9),  # beta may not see it
            (alpha, "urn:a:lone", "en", "Gold prices climb in Tehran", 0.84),
            (gamma, "urn:g:fa", "fa", "قیمت طلا در تهران بالا رفت", 0.5)):  # lone's story: hidden from beta
        response = await client.post("/api/v1/items", json=story(uri, language, headline), headers=partner.headers)
        assert response.status_code == 201, response.text
        made[uri] = response.json()["id"]
        add_vector(engine, made[uri], 1, near(similarity))
    group(engine, "s1", [made["urn:a:en"], made["urn:a:fa"], made["urn:a:ru"], made["urn:g:kk"]])
    group(engine, "s2", [made["urn:a:lone"], made["urn:g:fa"]])

    with reading(engine) as conn:
        found = search_across_languages(conn, beta.org, SearchFilters(q="rial record low"), Query())
    flags = {entry.hit.record.id: (entry.by_words, entry.by_meaning, entry.by_story) for entry in found.hits}
    assert flags == {made["urn:a:en"]: (False, True, True),  # in the story list through the Persian report
                     made["urn:a:fa"]: (False, True, True),  # ... and it through the English one
                     made["urn:a:ru"]: (False, False, True),  # too far from the query, brought by its story
                     made["urn:a:lone"]: (False, True, False)}  # never in the story list through itself
    assert found.hits[0].hit.record.id == made["urn:a:en"]
    assert found.total == 4 and {v.value: v.count for v in found.facets["language"]} == {"en": 2, "fa": 1, "ru": 1}
