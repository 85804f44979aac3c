"""The story worker refines the Media Topics tagged at ingest (both databases): the version's
document and the desk's topic rows get the combined tagger's topics, the metrics re-roll the item, and
a partner the new topics cover gets the version; deliveries made at ingest stay."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from newsbridge.db.rollup_tables import metrics_marks
from newsbridge.db.tables import deliveries, item_versions, version_topics
from newsbridge.stories.embeddings import E5Embedder, passage
from newsbridge.stories.evaluation import load
from newsbridge.stories.worker import StoryWorker
from newsbridge.vocab import tagging
from newsbridge.vocab.tagging_embeddings import WORKER_CREATOR, shipped_embedding_model
from tests.conftest import active_agreement
from tests.stories.labelled import DATA, ninjs

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")
POLITICS, ECONOMY, SPORT = "medtop:11000000", "medtop:04000000", "medtop:15000000"
# A TASS item on an Iran-Kazakhstan trade deal: naive Bayes says politics at ingest, naive Bayes
# with the embedding says economy (the gold topic of tests/data/stories).
ITEM = next(item for item in load(DATA) if item["id"] == "e02-ru")


def _state(engine, item_id: str) -> tuple[list[dict], list[str], list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        document = conn.execute(sa.select(item_versions.c.document)
                                .where(item_versions.c.item_id == item_id)).scalar_one()
        topics = conn.execute(sa.select(version_topics.c.qcode).where(version_topics.c.item_id == item_id)
                              .order_by(version_topics.c.qcode)).scalars().all()
        sent = conn.execute(sa.select(deliveries.c.recipient_id, deliveries.c.reason)
                            .where(deliveries.c.item_id == item_id)).all()
    return document["subjects"], list(topics), sorted((r, str(why)) for r, why in sent)


async def test_the_worker_replaces_ingest_topics_and_routes_to_the_partners_they_now_cover(client, engine,
                                                                                      make_partner) -> None:
    ingest = [q for q, _ in tagging.tag(f"{ITEM['headline']} {ITEM['body']}", "ru") if q in tagging.TOP_LEVEL]
    vector = E5Embedder().embed([passage(ITEM["headline"], ITEM["body"])])[0]
    worker_topics = [q for q, _ in shipped_embedding_model().tag(passage(ITEM["headline"], ITEM["body"]), "ru", vector)]
    assert ingest == [POLITICS] and worker_topics == [ECONOMY]  # the case this test is about

    tass, politics, economy = (make_partner(slug, scopes=MANAGE) for slug in ("tass", "politics-desk", "economy-desk"))
    await active_agreement(client, tass, politics, {"topics": [POLITICS]}, title="Politics")
    await active_agreement(client, tass, economy, {"topics": [ECONOMY]}, title="Economy")
    published = await client.post("/api/v1/items", json=ninjs(ITEM), headers=tass.headers)
    assert published.status_code == 201, published.text
    item_id = published.json()["id"]
    subjects, topics, sent = _state(engine, item_id)
    assert [(s["creator"], s["uri"][-8:]) for s in subjects] == [("machine", "11000000")] and topics == [POLITICS]
    assert [recipient for recipient, _ in sent] == [politics.org.id]

    assert StoryWorker(engine, E5Embedder()).run_once() == 1
    subjects, topics, after = _state(engine, item_id)
    assert [(s["creator"], s["uri"][-8:]) for s in subjects] == [(WORKER_CREATOR, "04000000")]
    assert topics == [ECONOMY]
    # the politics desk keeps its delivery; the economy desk, covered by the refined topic, gets the version now
    assert [(r, why) for r, why in after if r == politics.org.id] == sent
    assert sorted(r for r, _ in after) == sorted([politics.org.id, economy.org.id])
    with engine.connect() as conn:
        assert conn.execute(sa.select(metrics_marks.c.item_id).where(metrics_marks.c.item_id == item_id)).first()
    received = await client.get(f"/api/v1/items/{item_id}", headers=economy.headers)
    assert received.status_code == 200 and received.json()["subjects"][0]["uri"].endswith("04000000")
    shown = await client.get(f"/api/v1/items/{item_id}", headers=tass.headers)
    assert shown.status_code == 200 and WORKER_CREATOR in shown.text

    assert StoryWorker(engine, E5Embedder()).run_once() == 0  # the version is done: a round twice changes nothing
    assert _state(engine, item_id) == (subjects, topics, after)


async def test_the_senders_own_media_topic_is_left_alone(client, engine, make_partner) -> None:
    tass = make_partner("tass")
    own = {"name": "sport", "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000", "rel": "about"}
    published = await client.post("/api/v1/items", json={**ninjs(ITEM), "subjects": [own]}, headers=tass.headers)
    assert published.status_code == 201, published.text
    before = _state(engine, published.json()["id"])
    assert StoryWorker(engine, E5Embedder()).run_once() == 1
    assert _state(engine, published.json()["id"]) == before and before[1] == [SPORT]
