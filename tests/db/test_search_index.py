"""The full-text index and the per-version topics: kept at store time, filled for versions
stored before migrations 0007 and 0026 (stems), and used by PostgreSQL's planner; queries parsed safely."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.tables import item_versions, items, organizations, version_topics
from newsbridge.items.search import PG_DOCUMENT, matching_versions
from newsbridge.search.query import parse
from newsbridge.search.stemming import index_text
from tests.conftest import POSTGRES_URL
from tests.databases import postgres_database

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
FOOTBALL = "http://cv.iptc.org/newscodes/mediatopic/20001065"


def _version(item_id: str, version: int, headline: str, body: str, subjects: list[dict[str, str]]) -> dict:
    return {"item_id": item_id, "version": version, "content_hash": f"{item_id}-{version}", "type": "text",
            "pubstatus": "usable", "language": "en", "language_source": "declared", "language_confidence": None,
            "headline": headline, "body_text": body, "body_html": None, "firstcreated": NOW, "versioncreated": NOW,
            "embargoed": None, "document": {"headlines": [{"value": headline}], "subjects": subjects},
            "received_at": NOW}


def _stemmed(item_id: str, version: int, headline: str, body: str, subjects: list[dict[str, str]]) -> dict:
    """A version row as the store writes it since migration 0026: with its stems."""
    return {**_version(item_id, version, headline, body, subjects), "search_stems": index_text("en", headline, body)}


def _found(engine: Engine, query: str) -> list[str]:
    with reading(engine) as conn:
        hits = matching_versions(conn.dialect.name, query)
        assert hits is not None
        found = sa.tuple_(item_versions.c.item_id, item_versions.c.version).in_(hits)
        return sorted(conn.execute(sa.select(item_versions.c.headline).where(found)).scalars())


def test_versions_stored_before_the_index_are_indexed_by_the_migration(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0006")
    with writing(fresh_engine) as conn:
        conn.execute(organizations.insert().values(id="o1", slug="kazinform", name="Kazinform", languages=["kk"],
                                                   timezone="Asia/Almaty", credit_name="Kazinform", created_at=NOW))
        conn.execute(items.insert().values(id="i1", organization_id="o1", uri="kz-1", latest_version=2,
                                           pubstatus="usable", created_at=NOW, updated_at=NOW))
        conn.execute(item_versions.insert(), [
            _version("i1", 1, "Astana derby tonight", "Preview of the match.", [{"uri": FOOTBALL}]),
            _version("i1", 2, "Astana wins the derby", "A late goal decided it.", [{"uri": FOOTBALL}])])
    upgrade(fresh_engine)
    assert _found(fresh_engine, "derbies") == ["Astana derby tonight", "Astana wins the derby"]
    assert _found(fresh_engine, "goal") == ["Astana wins the derby"]
    with reading(fresh_engine) as conn:
        topics = set(conn.execute(sa.select(version_topics.c.version, version_topics.c.qcode)))
    assert topics == {(v, q) for v in (1, 2) for q in ("medtop:20001065", "medtop:20000822", "medtop:15000000")}
    # football, with its broader topics: ball sports and sport
    # New versions reach the index as they are stored (SQLite: triggers; PostgreSQL: the index).
    with writing(fresh_engine) as conn:
        conn.execute(item_versions.insert().values(**_stemmed("i1", 3, "Astana celebrates", "Fans in the streets.",
                                                                [])))
    assert _found(fresh_engine, "fan") == ["Astana celebrates"]
    with writing(fresh_engine) as conn:  # and leave it when deleted (no stale hits on a reused row id)
        conn.execute(item_versions.delete().where(item_versions.c.version == 3))
        conn.execute(item_versions.insert().values(**_stemmed("i1", 4, "Quiet evening", "Nothing.", [])))
    assert _found(fresh_engine, "fans") == []


def test_postgresql_answers_searches_from_the_index() -> None:
    """The query's expression is the index's (SQLite's FTS5 table is an index by nature)."""
    with postgres_database(POSTGRES_URL, prefix="newsbridge_search") as url:
        engine = create_engine(url)
        upgrade(engine)
        with reading(engine) as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            query = matching_versions("postgresql", "derby")
            assert query is not None
            plan = conn.execute(sa.text("EXPLAIN " + str(query.compile(
                engine, compile_kwargs={"literal_binds": True})))).scalars().all()
        engine.dispose()
    assert any("ix_item_versions_search" in line for line in plan), plan
    assert PG_DOCUMENT == "item_versions.search_vector"


@pytest.mark.parametrize(("query", "terms", "phrases"), [
    ("Budget  cooperation", [["budget"], ["cooper"]], []),
    ("КАЗАХСТАН", [["казахста"]], []),
    ('"budget" AND (x OR y)* -z NEAR', [["and"], ["or"], ["near"], ["budget"]], []),  # x, y, z: one letter
    ("документ о коридоре", [["документ"], ["коридор"]], []),  # "о" would start nearly every text's stems
    ("و ایران", [["ایران"]], []),
    ("о", [["о"]], []),  # alone, a one-letter word is asked
    ('"о коридоре" в', [], [["о", "коридор"]]),  # in a phrase it places the next word
    ('"media cooperation" "one"', [["one"]], [["media", "cooper"]]),
    ('"unclosed quote', [["unclos"], ["quot"]], []),
    ("'; drop --", [["drop"]], []),
    ("***", [], []),
    ('""', [], []),
    ("snake_case", [["snake"], ["case"]], []),
    ("ايران", [["ایران"]], []),  # Arabic ye: the Persian spelling, as stored
    ("می\u200cخواهد", [["خواهد"]], []),  # the verb prefix after a ZWNJ is dropped
    ("budget budgets", [["budget"]], []),
])
def test_queries_are_parsed(query: str, terms: list[list[str]], phrases: list[list[str]]) -> None:
    parsed = parse(query)
    assert [list(t) for t in parsed.terms] == terms
    assert [list(p) for p in parsed.phrases] == phrases


def test_queries_are_bounded() -> None:
    assert len(parse(" ".join(f"w{n}" for n in range(100))).terms) == 16
    assert parse("x" * 1000).terms == (("x" * 64,),)
    assert matching_versions("sqlite", "***") is None
