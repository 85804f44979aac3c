"""The story worker on both databases: stories across organizations and languages, exact and
near duplicates, idempotent rounds, and what a version without text leaves."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from newsbridge.db.story_tables import near_duplicates, stories, story_bands, story_members, story_vectors
from newsbridge.stories.evaluation import load
from newsbridge.stories.worker import StoryWorker
from newsbridge.stories.embeddings import E5Embedder
from tests.conftest import count_rows
from tests.stories.labelled import DATA, ninjs

pytestmark = pytest.mark.anyio
BY_ID = {item["id"]: item for item in load(DATA)}


async def publish(client, partner, doc: dict) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def story_map(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(story_members.c.item_id, story_members.c.story_id)).all())


async def test_one_event_in_three_languages_is_one_story_and_another_event_is_not(client, engine,
                                                                                    make_partner) -> None:
    kazinform, irna, tass = make_partner("kazinform"), make_partner("irna"), make_partner("tass")
    ids = {label: await publish(client, partner, ninjs(BY_ID[label]))
           for label, partner in (("e01-kk", kazinform), ("e01-fa", irna), ("e01-ru", tass), ("h13-kk", kazinform),
                                  ("e02-fa", irna))}
    worker = StoryWorker(engine, E5Embedder(), batch=2)  # several rounds: the online order matters
    while worker.run_once():
        pass
    found = story_map(engine)
    assert found[ids["e01-kk"]] == found[ids["e01-fa"]] == found[ids["e01-ru"]]
    assert found[ids["h13-kk"]] != found[ids["e01-kk"]]  # same people and city, another occasion
    assert found[ids["e02-fa"]] not in {found[ids["e01-kk"]], found[ids["h13-kk"]]}
    with engine.connect() as conn:
        joined = conn.execute(sa.select(story_members.c.signals).where(story_members.c.item_id == ids["e01-ru"])).one()
    assert {"tehran", "tokayev"} <= set(joined.signals["entities"]) and joined.signals["cosine"] > 0.8


async def test_an_item_matching_two_stories_merges_them(client, engine, make_partner) -> None:
    """eval.json's N26 (snow closes the Almaty-Bishkek road): the Russian report falls just short of
    the Kazakh one (0.948) and starts a story with the English one; the Persian report matches
    both stories' items and joins them into one."""
    event = {item["id"]: item for item in load(DATA.with_name("eval.json")) if item["event"] == "N26"}
    orgs = {"kazinform": make_partner("kazinform"), "tass": make_partner("tass"), "trend": make_partner("trend"),
            "irna": make_partner("irna")}
    worker = StoryWorker(engine, E5Embedder(), batch=1)
    ids, seen = {}, []
    for label in ("n26-kk", "n26-ru", "n26-en", "n26-fa"):  # in publication order, one round each
        ids[label] = await publish(client, orgs[event[label]["org"]], ninjs(event[label]))
        while worker.run_once():
            pass
        seen.append(len(set(story_map(engine).values())))
    assert seen == [1, 2, 2, 1]  # two stories until the Persian report joined them
    assert len(set(story_map(engine).values())) == 1 and count_rows(engine, stories) == 1  # the other one went


async def test_a_round_twice_changes_nothing(client, engine, make_partner) -> None:
    kazinform, irna = make_partner("kazinform"), make_partner("irna")
    await publish(client, kazinform, ninjs(BY_ID["e10-kk"]))
    await publish(client, irna, ninjs(BY_ID["e10-fa"]))
    worker = StoryWorker(engine, E5Embedder())
    assert worker.run_once() == 2
    tables = (story_vectors, story_bands, stories, story_members, near_duplicates)
    before = [count_rows(engine, t) for t in tables]
    assert worker.run_once() == 0 and StoryWorker(engine, E5Embedder()).run_once() == 0
    assert [count_rows(engine, t) for t in tables] == before
    assert count_rows(engine, stories) == 1


async def test_same_text_is_linked_exact_and_an_edited_copy_near(client, engine, make_partner) -> None:
    tass, ria = make_partner("tass"), make_partner("ria")
    original = BY_ID["e06-ru"]
    first = await publish(client, tass, ninjs(original))
    copy = await publish(client, ria, ninjs({**original, "headline": original["headline"].upper() + "!"},
                                            uri="urn:ria:copy"))
    edited = {**original, "body": original["body"].replace("обсудил ядерную сделку", "обсудил ядерную сделку и Сирию")}
    near = await publish(client, ria, ninjs(edited, uri="urn:ria:edited"))
    other = await publish(client, ria, ninjs(BY_ID["h04-ru"]))
    StoryWorker(engine, E5Embedder()).run_once()
    with engine.connect() as conn:
        links = {(r.item_id, r.duplicate_of): (r.kind, r.similarity) for r in conn.execute(sa.select(near_duplicates))}
    assert links[(copy, first)] == ("exact", 1.0)
    assert links[(near, first)][0] == "near" and links[(near, first)][1] >= 0.6
    assert not any(other in pair for pair in links)


async def test_a_version_without_text_is_marked_done_without_a_vector(client, engine, make_partner) -> None:
    partner = make_partner()
    item = await publish(client, partner, {"uri": "urn:x:empty", "version": "1", "type": "text", "language": "en"})
    assert StoryWorker(engine, E5Embedder()).run_once() == 1
    with engine.connect() as conn:
        row = conn.execute(sa.select(story_vectors).where(story_vectors.c.item_id == item)).one()
    assert row.vector is None and row.minhash is None and count_rows(engine, story_members) == 0


class _Meeting(E5Embedder):
    """An embedder that holds each worker until the other has read the same pending versions too."""

    def __init__(self, barrier) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.barrier = barrier

    def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.barrier.wait(timeout=30)
        return super().embed(texts)


async def test_two_workers_on_the_same_versions_store_each_once_without_a_failed_round(client, engine,
                                                                                      make_partner) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    kazinform, irna = make_partner("kazinform"), make_partner("irna")
    await publish(client, kazinform, ninjs(BY_ID["e01-kk"]))
    await publish(client, irna, ninjs(BY_ID["e01-fa"]))
    barrier = threading.Barrier(2)
    workers = [StoryWorker(engine, _Meeting(barrier)) for _ in range(2)]  # two worker processes' rounds
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda w: w.run_once(), workers))  # raises if a round failed
    assert done == [2, 2]
    assert count_rows(engine, story_vectors) == 2 and count_rows(engine, stories) == 1
    assert len(story_map(engine)) == 2
