"""The metrics rollup tables (metrics/rollups.py), on the one ``metadata`` of ``db/tables.py``.

A module of their own because ``tables.py`` is at its size limit; ``tables.py`` imports this
module at its end, so every table is known wherever ``metadata`` is. Why per local day in each
zone its parties use (and not per UTC hour or 15-minute slot) is written in docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import metadata
from newsbridge.db.types import Document, UTCDateTime

_DIRECTION_DAY = ("agreement_id", "zone", "source_id", "recipient_id", "day")
# The page reads a window of days of one agreement and zone, both directions, and sums them in SQL
# (metrics/sums.py): these indexes put the day before the direction and hold every column read, so
# the read is one range of one index (migration 0027).
READ_ORDER = ("agreement_id", "zone", "day", "source_id", "recipient_id")


def _direction_day() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("agreement_id", sa.String(32), primary_key=True),
            sa.Column("zone", sa.String(64), primary_key=True),  # IANA name: the days are this zone's
            sa.Column("source_id", sa.String(32), primary_key=True),  # the sharing party
            sa.Column("recipient_id", sa.String(32), primary_key=True),
            sa.Column("day", sa.Integer, primary_key=True)]  # local day number: days since 1970-01-01


# Items whose figures changed (a delivery, a withdrawal, a pickup) and that the rollup worker has
# not re-rolled yet: written in the same transaction as the change, so a day the rollup may not
# know about is always found here and read from the raw rows instead.
metrics_marks = sa.Table(
    "metrics_marks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(32), nullable=False, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
)

# Which (agreement, zone) pairs the rollup holds; ``topics`` are the agreed topics counted in
# ``metrics_keys`` (other topics are not rolled up).
metrics_built = sa.Table(
    "metrics_built",
    metadata,
    sa.Column("agreement_id", sa.String(32), sa.ForeignKey("agreements.id"), primary_key=True),
    sa.Column("zone", sa.String(64), primary_key=True),
    sa.Column("topics", Document, nullable=False),
    sa.Column("built_at", UTCDateTime, nullable=False),
    sa.Column("refreshed_at", UTCDateTime, nullable=False),
)

metrics_days = sa.Table(  # one direction's figures on one local day (figures.py defines each)
    "metrics_days",
    metadata,
    *_direction_day(),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("withdrawn", sa.Integer, nullable=False),
    sa.Column("same_day", sa.Integer, nullable=False),
    sa.Column("picked_up", sa.Integer, nullable=False),
    sa.Column("deliveries", sa.Integer, nullable=False),
    sa.Column("corrections", sa.Integer, nullable=False),
    sa.Column("pickups_declared", sa.Integer, nullable=False),
    sa.Column("pickups_detected", sa.Integer, nullable=False),
    # deliveries arriving that day whose webhook gave up (dead or failed): the outbox marks the item
    # when a message gives up or is replayed (migration 0041; it was counted live before)
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_metrics_days_read", *READ_ORDER, "items", "withdrawn", "same_day", "picked_up", "deliveries",
             "corrections", "pickups_declared", "pickups_detected", "failed"),
)

metrics_delays = sa.Table(  # items published that day by delivery-time bucket (metrics/delivery_times.py)
    "metrics_delays",
    metadata,
    *_direction_day(),
    sa.Column("bucket", sa.Integer, primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Index("ix_metrics_delays_read", *READ_ORDER, "bucket", "n"),
)

metrics_keys = sa.Table(  # items published that day by type, language and agreed topic
    "metrics_keys",
    metadata,
    *_direction_day(),
    sa.Column("dimension", sa.String(16), primary_key=True),  # type | language | topic
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Index("ix_metrics_keys_read", *READ_ORDER, "dimension", "key", "n"),
)


def mark_items_changed(conn: Connection, item_ids: Iterable[str], at: datetime) -> None:
    """Note, in the caller's transaction, that these items' figures changed (metrics/rollups.py)."""
    rows = [{"item_id": item_id, "at": at} for item_id in dict.fromkeys(item_ids)]
    if rows:
        conn.execute(metrics_marks.insert(), rows)
