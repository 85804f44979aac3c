"""Databases of a test's own, empty, for tests that apply migrations step by step."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import create_engine
from newsbridge.db.types import UTCDateTime
from tests.conftest import POSTGRES_URL
from tests.databases import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """An empty database of this test's own (no migrations applied)."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
        yield engine
        engine.dispose()
        return
    with postgres_database(POSTGRES_URL, prefix="newsbridge_migrate") as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def bulk_table(engine: Engine) -> Iterator[sa.Table]:
    """A table of the test's own on the hub database, for newsbridge.db.bulk's tests: a key, a text, a
    timestamp and a number (each nullable but the key)."""
    meta = sa.MetaData()
    made = sa.Table("bulk_check", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("name", sa.String(40), nullable=True), sa.Column("at", UTCDateTime, nullable=True),
                    sa.Column("n", sa.Integer, nullable=True))
    meta.create_all(engine)
    yield made
    meta.drop_all(engine)
