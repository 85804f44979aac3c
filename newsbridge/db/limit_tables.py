"""Rate-limit counters (``newsbridge/accounts/rate_limits.py``), kept out of ``db/tables.py`` (at its size
limit) on its one ``metadata``; ``tables.py`` imports this module at its end."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata

# One row per bucket ("key:<api key id>:publish", "ip:<address>") and minute (its epoch minute):
# in the database, so every hub process counts against the same limit.
rate_counters = sa.Table(
    "rate_counters",
    metadata,
    sa.Column("bucket", sa.String(200), primary_key=True),
    sa.Column("minute", sa.BigInteger, primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Index("ix_rate_counters_minute", "minute"),
)
