"""Migration 0008 fills the inbox arrival time of deliveries written before it, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.tables import agreements, deliveries, item_versions
from tests.db.seed_rows import partners_and_item

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def test_arrival_is_the_later_of_routing_and_availability(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0007")
    with writing(fresh_engine) as conn:
        partners_and_item(conn, NOW, latest_version=2)
        conn.execute(agreements.insert().values(id="a1", title="A", status="active", terms=[], terms_revision=1,
                                                created_by="kazinform", created_at=NOW, updated_at=NOW))
        for version in (1, 2):
            conn.execute(item_versions.insert().values(
                item_id="i1", version=version, content_hash=str(version), type="text", pubstatus="usable",
                language_source="declared", document={}, received_at=NOW))
        common = {"item_id": "i1", "recipient_id": "irna", "agreement_id": "a1", "reason": "r", "credit_line": "c",
                  "usage_terms": "u", "event": "item.published"}
        conn.execute(deliveries.insert().values(
            [{**common, "version": 1, "created_at": NOW, "available_from": NOW - HOUR},  # backdated: arrives now
             {**common, "version": 2, "created_at": NOW, "available_from": NOW + HOUR}]))  # embargoed: later
    upgrade(fresh_engine)
    with reading(fresh_engine) as conn:
        arrivals = dict(conn.execute(sa.select(deliveries.c.version, deliveries.c.arrives_at)).all())
    assert arrivals == {1: NOW, 2: NOW + HOUR}
