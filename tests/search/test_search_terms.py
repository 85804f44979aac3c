"""A query's prefixes read as the stored words they stand for (items/search.py, migration 0052):
SQLite keeps every word its index holds in ``item_versions_search_terms``; a prefix is asked as
those words and finds exactly what FTS5 found reading the prefix itself, on words, Persian
compounds and phrases, and past MAX_EXPANSION words as a prefix again. The per-row test a broad
query's walk uses (``version_holds``) agrees with the hits, on both databases."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.tables import item_versions, items, organizations
from newsbridge.items import search as item_search
from newsbridge.items.search import (SQLITE_TABLE, SQLITE_TERMS, matching_versions, sqlite_expression,
                                     sqlite_prefix_expression, version_holds)
from newsbridge.search.query import parse
from newsbridge.search.stemming import index_text

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)
TEXTS = [  # (language, headline, text)
    ("en", "Media cooperation", "Cooperative farms and a cooperating ministry."),
    ("en", "Coop shop opens", "The cooperatives of the valley."),
    ("en", "Media cooperatives meet", "Grain exports and grain exporters."),
    ("en", "Grain exporting", "Exports of grain fell."),
    ("ru", "Сотрудничество агентств", "Сотрудничества информационных агентств Казахстана."),
    ("fa", "راه‌آهن سراسری", "همکاری‌های رسانه‌ای و راه‌آهن‌ها"),
    ("en", "Unrelated", "Nothing here at all."),
]
QUERIES = ["coop", "cooperation", "cooperatives", "grain export", '"grain export"', '"media coop"',
           '"grain exports"', "сотрудничеств", "Казахстан", "راه‌آهن", "همکاری", "nothing", "zzz", '"media zzz"']


def _store(engine: Engine, texts: list[tuple[str, str, str]]) -> None:
    with writing(engine) as conn:
        conn.execute(organizations.insert().values(id="o1", slug="alpha", name="Alpha", languages=["en"],
                                                   timezone="UTC", credit_name="Alpha", created_at=NOW))
        for n, (language, headline, body) in enumerate(texts):
            conn.execute(items.insert().values(id=f"i{n}", organization_id="o1", uri=f"urn:t:{n}", latest_version=1,
                                               pubstatus="usable", created_at=NOW, updated_at=NOW))
            conn.execute(item_versions.insert().values(
                item_id=f"i{n}", version=1, content_hash=f"h{n}", type="text", pubstatus="usable",
                language=language, language_source="declared", language_confidence=None, headline=headline,
                body_text=body, body_html=None, firstcreated=NOW, versioncreated=NOW, embargoed=None,
                document={"headlines": [{"value": headline}]}, received_at=NOW,
                search_stems=index_text(language, headline, body)))


def _found(conn: sa.Connection, query: str) -> list[str]:
    hits = matching_versions(conn.dialect.name, query)
    assert hits is not None
    return sorted(conn.execute(sa.select(item_versions.c.item_id).where(
        sa.tuple_(item_versions.c.item_id, item_versions.c.version).in_(hits))).scalars())


def _found_by_prefixes(conn: sa.Connection, query: str) -> list[str]:
    """What FTS5 finds reading the prefixes itself (the expression before migration 0052)."""
    ids = sa.text(f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH :q").bindparams(
        q=sqlite_prefix_expression(parse(query)))
    return sorted(conn.execute(sa.select(item_versions.c.item_id).where(item_versions.c.id.in_(ids))).scalars())


def _words(conn: sa.Connection) -> set[str]:
    return set(conn.execute(sa.text(f"SELECT term FROM {SQLITE_TERMS}")).scalars())


def _stored_words(texts: list[tuple[str, str, str]]) -> set[str]:
    return {word for language, headline, body in texts for word in index_text(language, headline, body).split()}


@pytest.fixture
def stored(engine: Engine) -> Engine:
    _store(engine, TEXTS)
    return engine


def test_the_table_holds_every_word_stored_and_updated(stored: Engine) -> None:
    if stored.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's GIN index reads a prefix's entries in one range: no table")
    with writing(stored) as conn:
        assert _words(conn) >= _stored_words(TEXTS)
        stems = index_text("en", "Zeppelins", "over the steppe")
        conn.execute(item_versions.update().where(item_versions.c.item_id == "i6").values(search_stems=stems))
        assert "zeppelin" in stems.split() and set(stems.split()) <= _words(conn)
        assert _found(conn, "zeppelin") == ["i6"]


def test_the_migration_fills_the_words_of_versions_stored_before(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(engine, "0051")
    _store(engine, TEXTS)
    upgrade(engine)
    with reading(engine) as conn:
        assert _words(conn) == _stored_words(TEXTS)
        assert _found(conn, "coop") == ["i0", "i1", "i2"]
    engine.dispose()


@pytest.mark.parametrize("cap", [64, 1])
def test_prefixes_read_as_words_find_what_the_prefixes_found(stored: Engine, monkeypatch, cap: int) -> None:
    monkeypatch.setattr(item_search, "MAX_EXPANSION", cap)  # 1: most prefixes are asked as prefixes again
    with reading(stored) as conn:
        for query in QUERIES:
            found = _found(conn, query)
            if stored.dialect.name == "sqlite":
                assert found == _found_by_prefixes(conn, query), query
            holds = version_holds(conn.dialect.name, parse(query), item_versions)
            assert sorted(conn.execute(sa.select(item_versions.c.item_id).where(holds)).scalars()) == found, query
        assert _found(conn, "coop") == ["i0", "i1", "i2"]
        assert _found(conn, '"grain export"') == ["i2", "i3"]
        assert _found(conn, '"media coop"') == ["i0", "i2"]
        assert _found(conn, "راه‌آهن") == ["i5"] and _found(conn, "zzz") == []


def test_prefixes_are_asked_as_words_up_to_the_cap(stored: Engine, monkeypatch) -> None:
    if stored.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 expression")
    with reading(stored) as conn:
        def expression(query: str) -> str:
            return conn.execute(sa.select(sqlite_expression(parse(query)))).scalar_one()

        words = expression("coop")  # cooper, cooperat, coop ...: every stored word, no prefix
        assert "*" not in words and '"coop"' in words and '"cooper"' in words
        assert "*" not in expression('"grain export"')
        assert expression("zzz") == '("zzz")'
        monkeypatch.setattr(item_search, "MAX_EXPANSION", 1)
        assert expression("coop") == '("coop"*)'
        assert expression('"media coop"') == '("media"* + "coop"*)'
