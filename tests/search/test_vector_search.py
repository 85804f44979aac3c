"""Which vector search the database offers, found at start (stories/vector_search.py): SQLite has
no loadable sqlite-vec here; this machine's PostgreSQL has no pgvector package, so its catalogue
answers "absent"; the other answers a server can give (packaged, created, not creatable by this
role) are given by a stand-in catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Connection

from newsbridge.db.engine import create_engine
from newsbridge.stories.vector_search import Catalogue, VectorSearch, create_extension, detect, read_catalogue
from tests.conftest import POSTGRES_URL
from tests.databases import postgres_database


def test_sqlite_compares_exactly(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    assert detect(engine) == VectorSearch("exact-window", "unsupported")
    engine.dispose()


def test_this_postgresql_has_no_pgvector_and_the_hub_says_so() -> None:
    with postgres_database(POSTGRES_URL, prefix="newsbridge_vectors") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            assert read_catalogue(conn) == Catalogue(available=False, installed=False)
            assert create_extension(conn) is False  # refused by the server, and the transaction goes on
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
        assert detect(engine) == VectorSearch("exact-window", "absent")
        engine.dispose()


@pytest.mark.parametrize(("catalogue", "creatable", "extension", "created"), [
    (Catalogue(available=False, installed=False), True, "absent", False),
    (Catalogue(available=True, installed=True), True, "created", False),  # created before: not again
    (Catalogue(available=True, installed=False), True, "created", True),
    (Catalogue(available=True, installed=False), False, "not created", True),  # this role may not
])
def test_the_catalogue_decides(catalogue: Catalogue, creatable: bool, extension: str, created: bool) -> None:
    asked: list[bool] = []

    def create(conn: Connection) -> bool:
        asked.append(True)
        return creatable

    with postgres_database(POSTGRES_URL, prefix="newsbridge_vectors") as url:
        engine = create_engine(url)
        found = detect(engine, catalogue=lambda conn: catalogue, create=create)
        engine.dispose()
    assert found == VectorSearch("exact-window", extension)
    assert asked == ([True] if created else [])
    assert found.as_dict() == {"vector_search": "exact-window", "vector_extension": extension}
