"""PostgreSQL's stored tsvector (migration 0046): filled for the versions stored before it, kept by
the database for every version written after (insert, update of the stems, delete), the same words
found as with the index on the expression it replaces, and the planner answers from its index.
SQLite keeps its FTS5 table and has no such column."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import alembic_config, upgrade
from newsbridge.db.tables import item_versions, items, organizations
from newsbridge.items.search import matching_versions, pg_expression
from newsbridge.search.query import parse
from newsbridge.search.stemming import index_text
from tests.conftest import POSTGRES_URL
from tests.databases import postgres_database
from tests.db.test_search_index import NOW, _version

STORIES = [("i1", 1, "kk", "Қазақстанның астанасы", "Астанада форум өтті."),
           ("i1", 2, "kk", "Қазақстанда медиа форум", "Форумға агенттіктер келді."),
           ("i2", 1, "fa", "همکاری رسانه‌ای ایران", "کتاب‌های تازه"),
           ("i3", 1, "en", "Media cooperation agreed", "Agencies signed a roadmap.")]
QUERIES = {"Қазақстан": ["i1/1", "i1/2"], "форум": ["i1/1", "i1/2"], "کتاب": ["i2/1"], "همکاری‌ها": ["i2/1"],
           '"media cooperation"': ["i3/1"], "agency": ["i3/1"], "nothingmatches": []}


def _rows() -> list[dict]:
    return [{**_version(item_id, version, headline, body, []), "language": language,
             "search_stems": index_text(language, headline, body)}
            for item_id, version, language, headline, body in STORIES]


def _found(conn: sa.Connection, query: str) -> list[str]:
    hits = matching_versions("postgresql", query)
    assert hits is not None
    return sorted(f"{item_id}/{version}" for item_id, version in conn.execute(hits))


def _columns(conn: sa.Connection) -> set[str]:
    return set(conn.execute(sa.text("SELECT column_name FROM information_schema.columns "
                                    "WHERE table_name = 'item_versions'")).scalars())


def test_the_stored_vector_is_filled_kept_and_searched() -> None:
    with postgres_database(POSTGRES_URL, prefix="newsbridge_search_vector") as url:
        engine = create_engine(url)
        upgrade(engine, "0045")
        with writing(engine) as conn:
            conn.execute(organizations.insert().values(id="o1", slug="kazinform", name="Kazinform", languages=[],
                                                       timezone="UTC", credit_name="Kazinform", created_at=NOW))
            conn.execute(items.insert(), [{"id": i, "organization_id": "o1", "uri": i, "latest_version": 1,
                                           "pubstatus": "usable", "created_at": NOW, "updated_at": NOW}
                                          for i in ("i1", "i2", "i3")])
            conn.execute(item_versions.insert(), _rows())
        with reading(engine) as conn:  # before: the index on the expression finds the same
            assert "search_vector" not in _columns(conn)
            document = "to_tsvector('simple'::regconfig, COALESCE(search_stems, ''))"
            before = {query: sorted(f"{i}/{v}" for i, v in conn.execute(sa.text(
                f"SELECT item_id, version FROM item_versions WHERE {document} @@ to_tsquery('simple', :q)"),
                {"q": pg_expression(parse(query))})) for query in QUERIES}
            assert before == QUERIES
        upgrade(engine)
        with reading(engine) as conn:
            assert "search_vector" in _columns(conn)
            stale = conn.execute(sa.text("SELECT count(*) FROM item_versions WHERE search_vector IS DISTINCT FROM "
                                         "to_tsvector('simple', COALESCE(search_stems, ''))")).scalar_one()
            assert stale == 0  # the versions stored before were filled
            assert {query: _found(conn, query) for query in QUERIES} == QUERIES
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = conn.execute(sa.text("EXPLAIN " + str(matching_versions("postgresql", "forum").compile(
                engine, compile_kwargs={"literal_binds": True})))).scalars().all()
            assert any("ix_item_versions_search" in line for line in plan), plan
        with writing(engine) as conn:  # written after: the database keeps the vector
            conn.execute(item_versions.update().where(item_versions.c.item_id == "i3").values(
                search_stems=index_text("en", "Grain exports", "Rail freight.")))
            conn.execute(item_versions.delete().where(item_versions.c.item_id == "i2"))
            conn.execute(item_versions.insert().values(**{**_version("i2", 2, "Zeppelins", "Over Tehran.", []),
                                                          "search_stems": index_text("en", "Zeppelins", "Over.")}))
        with reading(engine) as conn:
            assert _found(conn, "agency") == [] and _found(conn, "exports") == ["i3/1"]
            assert _found(conn, "کتاب") == [] and _found(conn, "zeppelin") == ["i2/2"]
        command.downgrade(alembic_config(engine), "0045")  # and back: the index on the expression again
        with reading(engine) as conn:
            assert "search_vector" not in _columns(conn)
            indexed = conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = "
                                           "'ix_item_versions_search'")).scalar_one()
        engine.dispose()
    assert "to_tsvector" in indexed


def test_sqlite_has_no_stored_vector(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(engine)
    with reading(engine) as conn:
        columns = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(item_versions)")}
    engine.dispose()
    assert "search_stems" in columns and "search_vector" not in columns
