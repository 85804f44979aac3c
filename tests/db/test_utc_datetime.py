"""newsbridge.db.types.UTCDateTime reads back the instant it stored, aware and in UTC, on both databases; on
SQLite also text that names its own zone (a row written by hand or by another tool)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.types import UTCDateTime

TEHRAN = timezone(timedelta(hours=3, minutes=30))


@pytest.fixture
def stamps(engine: Engine) -> Iterator[sa.Table]:
    meta = sa.MetaData()
    made = sa.Table("utc_check", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("at", UTCDateTime, nullable=True))
    meta.create_all(engine)
    yield made
    meta.drop_all(engine)


def test_the_instant_comes_back_aware_and_in_utc(engine: Engine, stamps: sa.Table) -> None:
    written = [datetime(2026, 12, 6, 18, 30, 0, 123456, tzinfo=TEHRAN), datetime(2026, 1, 1, tzinfo=timezone.utc), None]
    with writing(engine) as conn:
        conn.execute(stamps.insert(), [{"id": n, "at": at} for n, at in enumerate(written)])
    with reading(engine) as conn:
        read = list(conn.execute(sa.select(stamps.c.at).order_by(stamps.c.id)).scalars())
    assert read == written
    assert [at.tzinfo for at in read[:2]] == [timezone.utc, timezone.utc]
    assert read[0].hour == 15


def test_naive_datetimes_are_refused(engine: Engine, stamps: sa.Table) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetimes"), writing(engine) as conn:
        conn.execute(stamps.insert().values(id=1, at=datetime(2026, 12, 6)))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("text", ["2026-12-06 18:30:00+03:30", "2026-12-06T15:00:00Z", "2026-12-06 15:00:00"])
def test_sqlite_text_is_read_as_the_instant_it_names(engine: Engine, stamps: sa.Table, text: str) -> None:
    with writing(engine) as conn:
        conn.exec_driver_sql("INSERT INTO utc_check (id, at) VALUES (1, ?)", (text,))
    with reading(engine) as conn:
        at = conn.execute(sa.select(stamps.c.at)).scalar_one()
    assert at == datetime(2026, 12, 6, 15, tzinfo=timezone.utc) and at.tzinfo == timezone.utc
