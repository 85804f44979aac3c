"""Databases of a test's own, empty, for tests that apply migrations step by step."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from newsbridge.db.engine import create_engine
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
