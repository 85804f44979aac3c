"""Two secret rotations of one webhook endpoint at once (PostgreSQL, READ COMMITTED): the second
waits for the first and keeps the first's new secret as the previous one, so neither caller is
left holding a secret that never signs anything."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.delivery.endpoints import create_endpoint, rotate_secret, signing_secrets
from newsbridge.ids import utcnow


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar_one())


def test_concurrent_rotations_lose_no_secret(engine: Engine, make_partner) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers take turns from BEGIN IMMEDIATE: no two rotations ever overlap")
    alpha = make_partner("alpha")
    with writing(engine) as conn:
        endpoint, _ = create_endpoint(conn, alpha.org, "https://93.184.216.34/hook")
    second: list[str] = []
    with writing(engine) as conn:
        first = rotate_secret(conn, alpha.org, endpoint.id)
        worker = threading.Thread(target=lambda: second.append(_rotate(engine, alpha.org, endpoint.id)))
        worker.start()
        deadline = time.monotonic() + 10
        while not _waiting_on_a_lock(engine):  # the second rotation has reached the row and waits for us
            assert worker.is_alive() and time.monotonic() < deadline, "the second rotation did not wait"
            time.sleep(0.01)
    worker.join(10)
    with reading(engine) as conn:
        assert signing_secrets(conn, endpoint.id, utcnow()) == [second[0], first]


def _rotate(engine: Engine, org, endpoint_id: str) -> str:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        return rotate_secret(conn, org, endpoint_id)
