"""The rows the migration tests start from, written with the tables' current definitions (columns a test's
older revision already has): two partners, Kazinform's item and IRNA's webhook endpoint."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from newsbridge.db.tables import endpoints, items, organizations


def partners_and_item(conn: Connection, now: datetime, latest_version: int = 1) -> None:
    """Organizations ``kazinform`` and ``irna``, and Kazinform's usable item ``i1``."""
    for org in ("kazinform", "irna"):
        conn.execute(organizations.insert().values(id=org, slug=org, name=org, languages=[], timezone="UTC",
                                                   credit_name=org, created_at=now))
    conn.execute(items.insert().values(id="i1", organization_id="kazinform", uri="kz-1", latest_version=latest_version,
                                       pubstatus="usable", created_at=now, updated_at=now))


def irna_endpoint(conn: Connection, now: datetime, events: list[str]) -> None:
    """IRNA's endpoint ``e1`` (ninjs 3), taking ``events``."""
    conn.execute(endpoints.insert().values(id="e1", organization_id="irna", url="https://irna.example/hook",
                                           events=events, ninjs_version="3", format="ninjs3", secret="s",
                                           enabled=True, created_at=now))
