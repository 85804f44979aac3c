"""The bulk store path (items/store.py, store_first_versions) writes what the one-item path writes:
the same rows, the same search index, on both databases; on SQLite it indexes a batch's versions in
one statement instead of through the trigger, and the trigger is always there afterwards. The list
of the index's words (migration 0052) likewise: the batch's words as its trigger reads them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from newsbridge.db.engine import writing
from newsbridge.db.tables import item_versions
from newsbridge.formats.item import Item
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.items.search import matching_versions
from newsbridge.items.store import (BULK_INDEX_MIN, SEARCH_TRIGGER, SEARCH_TRIGGER_SQL, TERMS_TRIGGER, TERMS_TRIGGER_SQL,
                                    _TERMS_ARRAY, _insert_versions, _search_terms)

WORDS = ["Astana", "Алматы", "Тегеран", "تهران", "Шымкент", "Қарағанды", "Isfahan", "Mashhad"]


def _items(count: int) -> list[Item]:
    when = datetime(2026, 12, 5, 9, tzinfo=timezone.utc)
    return [Item(uri=f"urn:bulk:{n}", version="1", language=None if n % 3 == 0 else "en",
                 headline=f"{WORDS[n % len(WORDS)]} report {n}", body_text=f"Number {n} of the batch: zeta{n}word.",
                 versioncreated=when) for n in range(count)]


def _trigger(engine, name: str = SEARCH_TRIGGER) -> str | None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                    (name,)).scalar()


def _found(engine, text: str) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    query = matching_versions(engine.dialect.name, text)
    assert query is not None
    with engine.connect() as conn:
        return {(row.item_id, row.version) for row in conn.execute(query)}


def test_a_bulk_batch_is_indexed_like_single_items(engine, settings, make_partner) -> None:
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    bulk = ingestor.ingest_items(partner.org, _items(BULK_INDEX_MIN + 15))
    single = ingestor.ingest_item(partner.org, Item(uri="urn:bulk:single", version="1", language="en",
                                                    headline="Astana single", body_text="zetasingleword."))
    assert all(o.stored is not None and o.stored.created for o in bulk)
    for n, outcome in enumerate(bulk):
        assert outcome.stored is not None
        assert _found(engine, f"zeta{n}word") == {(outcome.stored.item_id, 1)}
    assert _found(engine, "zetasingleword") == {(single.item_id, 1)}
    assert len(_found(engine, "Astana")) == len([n for n in range(BULK_INDEX_MIN + 15) if n % len(WORDS) == 0]) + 1
    # a later version of a bulk-stored item replaces nothing in the index: both versions are found
    newer = ingestor.ingest_item(partner.org, Item(uri="urn:bulk:1", version="2", language="en",
                                                   headline="Алматы report 1", body_text="zeta1word again."))
    assert bulk[1].stored is not None
    assert _found(engine, "zeta1word") == {(bulk[1].stored.item_id, 1), (newer.item_id, 2)}
    if engine.dialect.name == "sqlite":
        assert _trigger(engine) == SEARCH_TRIGGER_SQL
        with writing(engine) as conn:  # the index holds exactly the stems of every version (external content)
            conn.exec_driver_sql("INSERT INTO item_versions_search(item_versions_search) VALUES ('integrity-check')")


def test_a_failed_bulk_insert_leaves_the_trigger(engine, settings, make_partner) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the search trigger is SQLite's")
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    stored = ingestor.ingest_items(partner.org, _items(BULK_INDEX_MIN))
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(sa.select(item_versions))]
    for row in rows:
        row.pop("id")
    with writing(engine) as conn:
        with pytest.raises(IntegrityError):  # the same (item, version) again: refused by the unique key
            with conn.begin_nested():
                _insert_versions(conn, rows)
        assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = ?",
                                    (SEARCH_TRIGGER,)).scalar() == 1
    assert _trigger(engine) == SEARCH_TRIGGER_SQL
    assert len(_found(engine, "report")) == len(stored)
    later = ingestor.ingest_item(partner.org, Item(uri="urn:bulk:later", version="1", language="en",
                                                   headline="Later", body_text="zetalaterword."))
    assert _found(engine, "zetalaterword") == {(later.item_id, 1)}  # indexed by the trigger again


# What the words trigger reads out of a version's stems, asked of SQLite itself.
_TRIGGER_WORDS = (f"SELECT DISTINCT value FROM json_each(CASE WHEN json_valid({_TERMS_ARRAY}) THEN {_TERMS_ARRAY} "
                  "ELSE '[]' END) WHERE value <> ''").replace("new.search_stems", ":stems")


@pytest.mark.parametrize("stems", [
    "астана форум\nтегеран", "a  b   c", " lead and trail ", "", "\n\n", "tab\tsep", 'quo"ted back\\slash',
    "carriage\rreturn", "bell\x07", "nul\x00x", "del\x7f ok", "تهران\u200cها", "emoji 🎉 ok", "dup dup dup",
    "\u2028line sep",
])
def test_the_batch_words_are_those_the_trigger_reads(stems: str) -> None:
    import sqlite3

    with sqlite3.connect(":memory:") as conn:
        expected = {row[0] for row in conn.execute(_TRIGGER_WORDS, {"stems": stems})}
    assert {word for (word,) in _search_terms([{"search_stems": stems}])} == expected
    assert _search_terms([{"search_stems": None}, {"search_stems": stems}, {"search_stems": stems}]) == sorted(
        (word,) for word in expected)


def test_a_bulk_batch_lists_its_words_like_the_trigger(engine, settings, make_partner) -> None:
    if engine.dialect.name != "sqlite" or _trigger(engine, TERMS_TRIGGER) is None:
        pytest.skip("the list of words is SQLite's (migration 0052)")
    assert _trigger(engine, TERMS_TRIGGER) == TERMS_TRIGGER_SQL  # else the bulk path leaves it to the trigger
    with writing(engine) as conn:  # words are never removed: earlier tests' are there
        conn.exec_driver_sql("DELETE FROM item_versions_search_terms")
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    ingestor.ingest_items(partner.org, _items(BULK_INDEX_MIN + 15))
    ingestor.ingest_item(partner.org, Item(uri="urn:bulk:single", version="1", language="en",
                                           headline="Astana single", body_text="zetasingleword."))
    every_word = _TRIGGER_WORDS.replace(":stems", "iv.search_stems").replace("json_each(", "item_versions AS iv, json_each(")
    with engine.connect() as conn:
        listed = set(conn.exec_driver_sql("SELECT term FROM item_versions_search_terms").scalars())
        expected = set(conn.exec_driver_sql(every_word).scalars())
    assert "zeta7word" in listed and "zetasingleword" in listed
    assert listed == expected
    assert _trigger(engine, TERMS_TRIGGER) == TERMS_TRIGGER_SQL


def test_bulk_rows_are_stored_as_sqlalchemy_stores_them(engine, make_partner) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from newsbridge.db.tables import items
    from newsbridge.formats.item import IngestWarning
    from newsbridge.ids import new_id, utcnow
    from newsbridge.ingest.prepare import prepare_item
    from newsbridge.db.bulk import insert_dicts
    from newsbridge.items.store import _version_row

    org = make_partner().org
    now = utcnow()
    sent = [Item(uri="urn:rows:1", version="1", language="kk", headline="Астана", body_text="Қала.",
                 versioncreated=datetime(2026, 12, 5, 9, tzinfo=timezone.utc)),
            Item(uri="urn:rows:2", headline="تهران", body_html="<p>شهر</p>", embargoed=now + timedelta(hours=1),
                 versioncreated=now, warnings=[IngestWarning("uri_derived", "$.uri", "derived")])]
    prepared = [prepare_item(item, languages=("en", "ru", "kk", "fa"), accuracy="low") for item in sent]
    stored = {}
    for way in ("core", "bulk"):
        ids = [new_id() for _ in prepared]
        item_rows = [{"id": item_id, "organization_id": org.id, "uri": f"{p.item.uri}:{way}", "latest_version": 1,
                      "pubstatus": "usable", "headline": p.item.headline, "language": p.item.language,
                      "created_at": now, "updated_at": now} for item_id, p in zip(ids, prepared)]
        version_rows = [_version_row(item_id, 1, p, now) for item_id, p in zip(ids, prepared)]
        with writing(engine) as conn:
            if way == "core":
                conn.execute(items.insert(), item_rows)
                conn.execute(item_versions.insert(), version_rows)
            else:
                insert_dicts(conn, items, item_rows)
                insert_dicts(conn, item_versions, version_rows)
        with engine.connect() as conn:  # the stored text itself, as the driver reads it
            rows = conn.exec_driver_sql("SELECT * FROM item_versions WHERE item_id IN (?, ?) ORDER BY version, headline"
                                        if engine.dialect.name == "sqlite" else
                                        "SELECT * FROM item_versions WHERE item_id IN (%s, %s) ORDER BY version, "
                                        "headline", tuple(ids)).all()
            stored[way] = [{k: v for k, v in row._mapping.items() if k not in ("id", "item_id")} for row in rows]
    assert len(stored["core"]) == 2
    assert stored["bulk"] == stored["core"]


def test_topic_rows_are_each_versions_topics_with_their_broader_ones() -> None:
    from newsbridge.items.store import _topic_rows
    from newsbridge.vocab.mediatopics import item_topics

    uri = "http://cv.iptc.org/newscodes/mediatopic/"
    subject_lists = [
        [{"name": "economy", "uri": uri + "04000000"}], [{"name": "economy", "uri": uri + "04000000"}],
        [{"qcode": "medtop:20000045"}, {"uri": uri + "04000000"}], [{"qcode": "medtop:20000045"}],
        [{"code": "20000045"}], [{"literal": "20000045", "uri": "urn:other"}], [{"uri": ["not", "hashable"]}],
        [{"uri": 4000000}], [{"uri": uri + "99999999"}], [], [{"name": "no code"}],
        [{"uri": uri + "04000000", "rel": "about"}, {"qcode": "medtop:20000045", "creator": "machine"}],
    ]
    rows = [{"item_id": f"i{n}", "version": n % 3 + 1, "document": {"uri": "u", "subjects": subjects}}
            for n, subjects in enumerate(subject_lists * 2)]
    rows.append({"item_id": "none", "version": 1, "document": {"uri": "u"}})
    expected = [(row["item_id"], row["version"], qcode)
                for row in rows for qcode in sorted(item_topics(row["document"].get("subjects", [])))]
    assert len(expected) > 20
    assert _topic_rows(rows) == expected


def test_a_batch_lists_the_words_of_its_stems_pieces_as_the_trigger_reads_them() -> None:
    import random

    from newsbridge.items.store import _batch_terms
    from newsbridge.search.stemming import index_text

    chars = ["a", "b", "Қ", "ә", "ж", "ت", "ها", "\u200c", " ", "  ", "\n", "\t", '"', "\\", "\x07", "\x00", "\x7f", "'",
             "-", "_", "1", "é", "e\u0301", "\u2028", "\u00a0", "😀", "İ"]
    rng = random.Random(11)
    for _ in range(300):
        rows, parts = [], set()  # type: ignore[var-annotated]
        for _ in range(rng.randint(1, 8)):
            texts = ["".join(rng.choice(chars) for _ in range(rng.randint(0, 30))) for _ in range(2)]
            rows.append({"search_stems": index_text(rng.choice(["en", "kk", "fa", None]), *texts, parts=parts)})
        assert _batch_terms(rows, parts) == _search_terms(rows)
        assert _batch_terms(rows, None) == _search_terms(rows)
    assert _batch_terms([{"search_stems": 'a "b'}], {'a "b'}) == _search_terms([{"search_stems": 'a "b'}])
