"""Cross-lingual search's vectors in memory (desk/vector_cache.py) and the meaning list built from
them (desk/cross_lingual.found_by_meaning), on both databases: vectors written after a search are
read by the next one, a late row inside the overlap too; a rebuilt database starts the cache again;
past its capacity the newest are kept; and the closest vectors belonging to items the caller may not
see never push its own out nor show through. Vectors are made up here (no model): what is tested
is the reading and the access rule, not the meaning."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from newsbridge.db.engine import reading, writing
from newsbridge.db.story_tables import story_vectors
from newsbridge.db.tables import item_versions, items
from newsbridge.desk import cross_lingual, vector_cache
from newsbridge.desk.cross_lingual import found_by_meaning
from newsbridge.desk.matches import SearchFilters
from newsbridge.desk.vector_cache import OVERLAP, VectorCache
from newsbridge.ids import utcnow
from newsbridge.stories.embeddings import pack
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
RNG = np.random.default_rng(16)
MANAGE = ("publish", "read", "manage")
QUERY = np.eye(384, dtype=np.float32)[0]


def near(similarity: float) -> np.ndarray:
    """A unit vector whose similarity to :data:`QUERY` is ``similarity``."""
    other = RNG.normal(size=384).astype(np.float32)
    other[0] = 0
    other /= np.linalg.norm(other)
    return (QUERY * similarity + other * np.sqrt(1 - similarity ** 2)).astype(np.float32)


def item(uri: str, version: str = "1") -> dict[str, object]:
    return {"uri": uri, "version": version, "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": f"Story {uri}"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "A text."}]}


def add_vector(engine: sa.Engine, item_id: str, version: int, vector: np.ndarray,
               created_at: datetime | None = None) -> None:
    with writing(engine) as conn:
        version_id, organization_id = conn.execute(
            sa.select(item_versions.c.id, items.c.organization_id).join(items, items.c.id == item_versions.c.item_id)
            .where(item_versions.c.item_id == item_id, item_versions.c.version == version)).one()
        conn.execute(story_vectors.insert().values(
            version_id=version_id, item_id=item_id, organization_id=organization_id, language="en",
            published_at=utcnow(), content_key=None, vector=pack(vector), minhash=None, entities={},
            created_at=created_at or utcnow()))


async def publish(client, partner, uri: str, version: str = "1") -> str:  # type: ignore[no-untyped-def]
    made = await client.post("/api/v1/items", json=item(uri, version), headers=partner.headers)
    assert made.status_code in (200, 201), made.text
    return made.json()["id"]


def meaning(engine: sa.Engine, viewer, **filters: object) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return [(seen.item_id, round(similarity, 2))
                for seen, similarity in found_by_meaning(conn, viewer, SearchFilters(**filters), QUERY)]


@pytest.fixture
def fresh_cache(monkeypatch):  # type: ignore[no-untyped-def]
    cache = VectorCache()
    monkeypatch.setattr(cross_lingual, "VECTORS", cache)
    return cache


async def test_vectors_written_after_a_search_are_read_by_the_next(client, make_partner, engine, fresh_cache,
                                                                   monkeypatch) -> None:
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {})
    monkeypatch.setattr(vector_cache, "REREAD_EVERY", 3600.0)
    first = await publish(client, alpha, "urn:a:1")
    add_vector(engine, first, 1, near(0.95))
    assert meaning(engine, beta.org) == [(first, 0.95)]
    second, late = await publish(client, alpha, "urn:a:2"), await publish(client, alpha, "urn:a:3")
    add_vector(engine, second, 1, near(0.9))
    # stamped before the newest row held, inside the overlap: a transaction that committed late
    add_vector(engine, late, 1, near(0.85), created_at=utcnow() - OVERLAP / 2)
    assert meaning(engine, beta.org) == [(first, 0.95), (second, 0.9)]
    monkeypatch.setattr(vector_cache, "REREAD_EVERY", 0.0)  # the next look back is due
    assert meaning(engine, beta.org) == [(first, 0.95), (second, 0.9), (late, 0.85)]
    with reading(engine) as conn:
        assert len(fresh_cache.current(conn).matrix) == 3


async def test_a_rebuilt_database_starts_the_cache_again(client, make_partner, engine, fresh_cache) -> None:
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {})
    first = await publish(client, alpha, "urn:a:1")
    add_vector(engine, first, 1, near(0.95))
    assert meaning(engine, beta.org) == [(first, 0.95)]
    with writing(engine) as conn:  # the rows go, and come back with other vectors (a restore, a test's reset)
        conn.execute(story_vectors.delete())
    add_vector(engine, first, 1, near(0.5))
    assert meaning(engine, beta.org) == []
    with reading(engine) as conn:
        assert len(fresh_cache.current(conn).matrix) == 1


async def test_past_its_capacity_the_newest_vectors_are_kept(client, make_partner, engine, fresh_cache) -> None:
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {})
    fresh_cache.capacity = 3
    now = utcnow()
    made = [await publish(client, alpha, f"urn:a:{n}") for n in range(5)]
    for n, item_id in enumerate(made):
        add_vector(engine, item_id, 1, near(0.9), created_at=now - timedelta(hours=5 - n))
    found = [item_id for item_id, _ in meaning(engine, beta.org)]
    assert set(found) == set(made[3:])  # nine tenths of 3: the two newest
    with reading(engine) as conn:
        assert len(fresh_cache.current(conn).matrix) == 2


async def test_close_vectors_of_hidden_items_neither_show_nor_crowd_out(client, make_partner, engine,
                                                                        fresh_cache, monkeypatch) -> None:
    alpha, beta, gamma, delta = (make_partner(slug, scopes=MANAGE) for slug in ("alpha", "beta", "gamma", "delta"))
    await active_agreement(client, alpha, beta, {})
    await active_agreement(client, gamma, delta, {}, title="Gamma-Delta")
    monkeypatch.setattr(cross_lingual, "FIRST_CHECK", 2)  # so that the check goes round several times
    hidden = [await publish(client, gamma, f"urn:g:{n}") for n in range(12)]
    for n, item_id in enumerate(hidden):
        add_vector(engine, item_id, 1, near(0.99 - n * 0.001))
    own = await publish(client, alpha, "urn:a:far")
    add_vector(engine, own, 1, near(0.84))
    assert meaning(engine, beta.org) == [(own, 0.84)]
    assert [item_id for item_id, _ in meaning(engine, delta.org)] == hidden
    with reading(engine) as conn:  # at most ``depth``, the most similar
        assert [seen.item_id for seen, _ in found_by_meaning(conn, delta.org, SearchFilters(), QUERY, depth=5)] \
            == hidden[:5]
    assert meaning(engine, beta.org, partner="gamma") == []
    assert meaning(engine, make_partner("stranger", scopes=MANAGE).org) == []


async def test_the_version_the_viewer_sees_is_the_one_compared(client, make_partner, engine, fresh_cache) -> None:
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {})
    changed = await publish(client, alpha, "urn:a:changed")
    add_vector(engine, changed, 1, near(0.97))
    await publish(client, alpha, "urn:a:changed", version="2")
    add_vector(engine, changed, 2, near(0.5))  # rewritten: no longer close
    kept = await publish(client, alpha, "urn:a:kept")
    add_vector(engine, kept, 1, near(0.6))
    await publish(client, alpha, "urn:a:kept", version="2")
    add_vector(engine, kept, 2, near(0.9))  # rewritten: now close
    assert meaning(engine, beta.org) == [(kept, 0.9)]
    with reading(engine) as conn:
        [(seen, _)] = found_by_meaning(conn, beta.org, SearchFilters(), QUERY)
    assert (seen.item_id, seen.version) == (kept, 2)
