"""Rate limits per API key and per client address, shared by every hub process.

A fixed window of one minute per bucket: each counted request adds one to its bucket's row for the
current minute (one upsert, ``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite and
PostgreSQL alike) and is refused with 429 and ``Retry-After`` (the seconds left in the minute) once
the count passes the limit. The buckets:

- ``key:<api key id>:publish`` — every write an API key makes with its ``publish`` scope
  (items, uploads, media, drafts): ``NEWSBRIDGE_RATE_PUBLISH_PER_MINUTE``;
- ``ip:<address>`` — every write request from one client address, signed in or not, before the
  key is checked (a flood of bad keys counts too): ``NEWSBRIDGE_RATE_WRITES_PER_IP_PER_MINUTE``.

A limit of 0 turns its bucket off. Sign-in has its own back-off per address and e-mail
(accounts/throttle.py). Old minutes are deleted as they pass (and by ``newsbridge purge``).
"""

from __future__ import annotations

import math
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from newsbridge.db.engine import writing
from newsbridge.db.limit_tables import rate_counters
from newsbridge.errors import NewsbridgeError
from newsbridge.ids import utcnow


class RateLimited(NewsbridgeError):
    status = 429
    code = "rate_limited"

    def __init__(self, what: str, limit: int, retry_after: int, field: str | None = None) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(f"{what} is limited to {limit} requests a minute; wait {self.retry_after} s "
                         "(Retry-After) and send again, or ask the hub operator for a higher limit", field=field)


def _minute(now: datetime) -> int:
    return int(now.timestamp() // 60)


def count(conn: Connection, bucket: str, now: datetime) -> int:
    """Add one to ``bucket`` for this minute; the count so far."""
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(rate_counters)
    statement = (insert.values(bucket=bucket, minute=_minute(now), hits=1)
                 .on_conflict_do_update(index_elements=["bucket", "minute"],
                                        set_={"hits": rate_counters.c.hits + 1})
                 .returning(rate_counters.c.hits))
    return int(conn.execute(statement).scalar_one())


def check(engine: Engine, bucket: str, limit: int, what: str, *, field: str | None = None,
          now: datetime | None = None) -> None:
    """Count one request in ``bucket``; raise :class:`RateLimited` past ``limit`` a minute (0: no limit)."""
    if limit <= 0:
        return
    now = now or utcnow()
    with writing(engine) as conn:
        hits = count(conn, bucket, now)
        if hits == 1:  # the first request of a minute in this bucket clears what earlier minutes left
            conn.execute(rate_counters.delete().where(rate_counters.c.bucket == bucket,
                                                      rate_counters.c.minute < _minute(now)))
    if hits > limit:
        raise RateLimited(what, limit, math.ceil(60 - now.timestamp() % 60), field)


def forget_before(conn: Connection, now: datetime) -> int:
    """Delete the counters of minutes before this one (``newsbridge purge``)."""
    return conn.execute(rate_counters.delete().where(rate_counters.c.minute < _minute(now))).rowcount
