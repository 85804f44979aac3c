"""What a member did with an alert: read it (it stops counting) or dismissed it (it leaves the list).

Alerts are computed, so marks are kept by the alert's key (``withdrawn:<item>:<version>`` …):
a new correction, a new revision to sign or a commitment turning overdue has a new key and
alerts again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from newsbridge.db.tables import alert_marks
from newsbridge.ids import utcnow


@dataclass(frozen=True)
class Mark:
    read_at: datetime | None
    dismissed_at: datetime | None


def marks_of(conn: Connection, member_id: str) -> dict[str, Mark]:
    rows = conn.execute(sa.select(alert_marks.c.key, alert_marks.c.read_at, alert_marks.c.dismissed_at)
                        .where(alert_marks.c.member_id == member_id))
    return {r.key: Mark(r.read_at, r.dismissed_at) for r in rows}


def _mark(conn: Connection, member_id: str, keys: Iterable[str], column: str) -> None:
    now = utcnow()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for key in dict.fromkeys(keys):
        values = {"read_at": now} if column == "read_at" else {"read_at": now, "dismissed_at": now}
        statement = insert(alert_marks).values(member_id=member_id, key=key, **values)
        # an earlier mark stays: reading again does not move the time it was first read
        kept = {name: sa.func.coalesce(getattr(alert_marks.c, name), now) for name in values}
        conn.execute(statement.on_conflict_do_update(index_elements=[alert_marks.c.member_id, alert_marks.c.key],
                                                     set_=kept))


def mark_read(conn: Connection, member_id: str, keys: Iterable[str]) -> None:
    """The member read these alerts (callers pass keys of alerts the member sees: alerts.feed.find_alert)."""
    _mark(conn, member_id, keys, "read_at")


def dismiss(conn: Connection, member_id: str, keys: Iterable[str]) -> None:
    """The member dismissed these alerts: read, and no longer listed."""
    _mark(conn, member_id, keys, "dismissed_at")
