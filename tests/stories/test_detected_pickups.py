"""Detected pickups on both databases: the story worker records a partner's own item that
republishes (translated, or the same text shortened) an item delivered to it; the partner's own
coverage of the same event is not a pickup, and an organization that never received the item is
never said to have picked it up."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import sqlalchemy as sa

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.story_tables import story_members
from newsbridge.db.tables import deliveries, pickups
from newsbridge.desk.pickups import detected_from, list_pickups, pickups_by_partners
from newsbridge.ids import utcnow
from newsbridge.stories.clustering import Profile
from newsbridge.stories.evaluation import load
from newsbridge.stories.gazetteer import Gazetteer
from newsbridge.stories.pickups import Text, containment, credit_keys, judge
from newsbridge.stories.worker import StoryWorker
from newsbridge.stories.embeddings import E5Embedder
from tests.conftest import active_agreement
from tests.stories.labelled import DATA, ninjs

pytestmark = pytest.mark.anyio
BY_ID = {item["id"]: item for item in load(DATA)}
SOURCE = BY_ID["e01-kk"]  # Kazinform, in Kazakh: Tokayev and Pezeshkian sign 12 documents in Tehran
TRANSLATED = {**BY_ID["e01-fa"], "body": "به گزارش کازینفورم، " + BY_ID["e01-fa"]["body"]}  # credits the source
CREDITED_RU = {**BY_ID["e01-ru"], "body": BY_ID["e01-ru"]["body"] + " Об этом сообщает Казинформ."}


async def publish(client, partner, doc: dict) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def run(engine) -> None:  # type: ignore[no-untyped-def]
    worker = StoryWorker(engine, E5Embedder())
    while worker.run_once():
        pass


def detected(engine) -> dict[tuple[str, str], sa.Row]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(pickups).where(pickups.c.kind == "detected")).all()
    return {(r.item_id, r.evidence_item_id): r for r in rows}


@pytest.fixture
async def shared(client, engine, make_partner):  # type: ignore[no-untyped-def]
    """Kazinform shares with IRNA; TASS receives nothing; Kazinform's E01 item is delivered to IRNA."""
    kazinform, irna, tass = (make_partner(slug, scopes=("publish", "read", "manage"), name=name)
                             for slug, name in (("kazinform", "Kazinform"), ("irna", "IRNA"), ("tass", "TASS")))
    await active_agreement(client, kazinform, irna, {})
    source = await publish(client, kazinform, ninjs(SOURCE))
    run(engine)
    return kazinform, irna, tass, source


async def test_a_credited_translation_of_a_received_item_is_a_detected_pickup(client, engine, shared) -> None:
    kazinform, irna, _tass, source = shared
    republished = await publish(client, irna, ninjs(TRANSLATED, uri="urn:irna:e01"))
    run(engine)
    found = detected(engine)
    assert list(found) == [(source, republished)]
    row = found[(source, republished)]
    assert row.organization_id == irna.org.id and row.evidence["method"] == "translation"
    assert 0.75 <= row.score <= 1.0 and "kazinform" in row.evidence["credit"]
    assert row.evidence["languages"] == ["kk", "fa"] and "12" in row.evidence["numbers"]
    with engine.connect() as conn:  # the source's view (item page, metrics) and the recipient's
        [seen] = pickups_by_partners(conn, get_organization(conn, "kazinform"), [source])[source]
        [ours] = list_pickups(conn, get_organization(conn, "irna"), source)
        [on_own_item] = detected_from(conn, get_organization(conn, "irna"), republished)
    assert (seen.kind, seen.method, seen.organization) == ("detected", "translation", "IRNA")
    assert ours.kind == "detected" and ours.evidence_item_id == republished and ours.member_name is None
    assert on_own_item.item_id == source
    run(engine)
    assert len(detected(engine)) == 1  # a round twice records nothing twice


async def test_own_coverage_of_the_same_event_is_not_a_pickup(client, engine, shared) -> None:
    _kazinform, irna, _tass, source = shared
    own = await publish(client, irna, ninjs(BY_ID["e01-fa"], uri="urn:irna:own"))  # no credit: IRNA's own report
    run(engine)
    assert detected(engine) == {}
    with engine.connect() as conn:  # the same story all the same
        stories = dict(conn.execute(sa.select(story_members.c.item_id, story_members.c.story_id)).all())
    assert stories[own] == stories[source]


async def test_a_shortened_copy_in_the_same_language_is_a_same_text_pickup(client, engine, shared) -> None:
    _kazinform, irna, _tass, source = shared
    body = SOURCE["body"].split(",")[0] + "."  # the first clause only, no credit
    copy = await publish(client, irna, ninjs({**SOURCE, "body": body}, uri="urn:irna:copy"))
    run(engine)
    row = detected(engine)[(source, copy)]
    assert row.evidence["method"] == "same_text" and row.score >= 0.5


async def test_an_uncredited_translation_keeping_the_source_s_figures_is_a_detected_pickup(client, engine,
                                                                                          shared) -> None:
    kazinform, irna, _tass, _source = shared
    pairs = json.loads((DATA.parent / "pickups.json").read_text("utf-8"))
    [original] = [o for o in pairs["originals"] if o["id"] == "o01"]  # Kazinform (kk): Almaty-Tehran flights
    [copy] = [p for p in pairs["pairs"] if p["id"] == "o01-t2"]  # its Russian translation, shortened, no credit
    [own] = [p for p in pairs["pairs"] if p["id"] == "o01-f1"]  # the same event reported with other figures
    source = await publish(client, kazinform, ninjs(original, uri="urn:kazinform:o01"))
    run(engine)
    republished = await publish(client, irna, ninjs(copy, uri="urn:irna:o01-t2"))
    await publish(client, irna, ninjs(own, uri="urn:irna:o01-f1"))
    run(engine)
    found = [row for (item, _copy), row in detected(engine).items() if item == source]
    assert [row.evidence_item_id for row in found] == [republished]
    assert found[0].evidence["faithful"] and found[0].evidence["credit"] == []


async def test_an_organization_that_never_received_the_item_picks_nothing_up(client, engine, shared) -> None:
    _kazinform, _irna, tass, _source = shared
    await publish(client, tass, ninjs(CREDITED_RU, uri="urn:tass:e01"))  # credits Kazinform, same story
    await publish(client, tass, ninjs(SOURCE, uri="urn:tass:copy"))  # even the very same text
    run(engine)
    assert detected(engine) == {}


async def test_pickups_are_looked_for_only_in_what_arrived_in_the_previous_72_hours(client, engine,
                                                                                       shared) -> None:
    _kazinform, irna, _tass, source = shared
    with engine.begin() as conn:  # the delivery is four days old
        conn.execute(deliveries.update().where(deliveries.c.item_id == source)
                     .values(created_at=utcnow() - timedelta(days=4), arrives_at=utcnow() - timedelta(days=4)))
    await publish(client, irna, ninjs(TRANSLATED, uri="urn:irna:late"))
    run(engine)
    assert detected(engine) == {}


def vector(*values: float) -> np.ndarray:
    found = np.zeros(384, dtype=np.float32)
    found[: len(values)] = values
    return found / np.linalg.norm(found)


@pytest.mark.parametrize(("copy_text", "copy_language", "names", "expected"), [
    ("Tokayev met Pezeshkian in Tehran and signed 12 documents, IRNA reports.", "en", {"irna", "tehran"},
     "translation"),
    ("Tokayev met Pezeshkian in Tehran and signed 12 documents.", "en", {"tehran"}, None),  # no credit: own coverage
    ("Tokayev met Pezeshkian in Tehran and signed 12 documents, IRNA reports. " * 4, "en", {"irna"}, None),  # too long
    ("Токаев встретился с Пезешкианом в Тегеране и подписал 12 документов, сообщает ИРНА.", "ru", {"irna"},
     "translation"),
])
def test_judge_tells_republication_from_coverage(copy_text, copy_language, names, expected) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2026, 11, 2, 10, tzinfo=timezone.utc)
    source = Text(Profile("a", "org-irna", "fa", when, vector(1.0, 0.1), frozenset({"tehran"}), frozenset({"12"})),
                  "توکایف و پزشکیان در تهران ۱۲ سند امضا کردند.", credit_keys(Gazetteer(), "irna", "IRNA"))
    copy = Text(Profile("b", "org-kazinform", copy_language, when, vector(1.0, 0.1), frozenset(names),
                        frozenset({"12"})), copy_text)
    found = judge(source, copy)
    assert (found.method if found else None) == expected


@pytest.mark.parametrize(("copy_text", "expected"), [
    # no credit, but every figure of the copy is the source's: a faithful translation
    ("Tokayev met Pezeshkian in Tehran: 12 documents, trade to reach $3 billion, 45 companies.", True),
    ("Tokayev met Pezeshkian in Tehran and signed 12 documents.", False),  # one shared figure: any coverage
    # the same figures and its own: a partner's own coverage of the event
    ("Tokayev met Pezeshkian in Tehran: 12 documents, $3 billion, 45 companies; 7 ministers, 30 reporters, 150 guests.",
     False),
])
def test_an_uncredited_copy_is_a_pickup_when_its_figures_are_the_source_s(copy_text, expected) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2026, 11, 2, 10, tzinfo=timezone.utc)
    source = Text(Profile("a", "org-irna", "fa", when, vector(1.0, 0.1), frozenset({"tehran"}), frozenset({"12"})),
                  "توکایف و پزشکیان در تهران ۱۲ سند امضا کردند؛ تجارت به ۳ میلیارد دلار می‌رسد، ۴۵ شرکت.",
                  credit_keys(Gazetteer(), "irna", "IRNA"))
    copy = Text(Profile("b", "org-kazinform", "en", when, vector(1.0, 0.1), frozenset({"tehran"}), frozenset({"12"})),
                copy_text)
    found = judge(source, copy)
    assert (found is not None) == expected
    if found is not None:
        assert found.evidence["faithful"] and found.evidence["credit"] == []
        assert found.evidence["figures_from_source"] == "3/3"


def test_containment_counts_the_copy_s_passages_found_in_the_source() -> None:
    source = "one two three four five six seven eight nine ten"
    assert containment("one two three four five", source) == 1.0
    assert containment("eleven twelve thirteen fourteen", source) == 0.0
    assert credit_keys(Gazetteer(), "irna", "Islamic Republic News Agency (IRNA)") == {"org:irna", "irna"}


async def test_an_outlet_s_uncredited_copy_of_what_its_holding_received_is_a_detected_pickup(
        client, engine, make_partner) -> None:  # type: ignore[no-untyped-def]
    # Kazinform shares with the holding (the Kazakh TV and Radio Complex): its outlet republishes, translated.
    kazinform = make_partner("kazinform", scopes=("publish", "read", "manage"), name="Kazinform")
    holding = make_partner("krtc", scopes=("publish", "read", "manage"), name="Kazakh TV and Radio Complex")
    outlet = make_partner("silk-way-tv", scopes=("publish", "read"), name="Silk Way TV", parent="krtc")
    await active_agreement(client, kazinform, holding, {})
    pairs = json.loads((DATA.parent / "pickups.json").read_text("utf-8"))
    [original] = [o for o in pairs["originals"] if o["id"] == "o01"]
    [copy] = [p for p in pairs["pairs"] if p["id"] == "o01-t2"]  # translated, shortened, no credit
    source = await publish(client, kazinform, ninjs(original, uri="urn:kazinform:o01"))
    run(engine)
    republished = await publish(client, outlet, ninjs(copy, uri="urn:silkway:o01-t2"))
    run(engine)
    found = [row for (item, _copy), row in detected(engine).items() if item == source]
    assert [row.evidence_item_id for row in found] == [republished]
