"""Migration 0042 copies each queued message's item and version from its delivery, so the claim's
ordering guard holds for the messages queued before it; on both databases."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.tables import deliveries, outbox
from newsbridge.delivery.outbox import claim
from tests.db.seed_rows import irna_endpoint, partners_and_item

NOW = datetime(2026, 12, 5, 7, 0, tzinfo=timezone.utc)


def test_messages_queued_before_0042_carry_their_item_and_keep_versions_in_order(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0041")
    with writing(fresh_engine) as conn:
        partners_and_item(conn, NOW, latest_version=2)
        irna_endpoint(conn, NOW, ["item.published", "item.updated"])
        for version, event in ((1, "item.published"), (2, "item.updated")):
            delivery = conn.execute(deliveries.insert().returning(deliveries.c.id).values(
                item_id="i1", version=version, recipient_id="irna", reason="r", credit_line="c", usage_terms="u",
                available_from=NOW, event=event, created_at=NOW, arrives_at=NOW)).scalar_one()
            conn.execute(sa.insert(outbox).values(endpoint_id="e1", delivery_id=delivery, event=event,
                                                  message_id=f"m{version}", state="pending", attempts=0,
                                                  next_attempt_at=NOW, created_at=NOW))
    upgrade(fresh_engine)
    with reading(fresh_engine) as conn:
        rows = conn.execute(sa.select(outbox.c.message_id, outbox.c.item_id, outbox.c.version)
                            .order_by(outbox.c.message_id)).all()
    assert [tuple(r) for r in rows] == [("m1", "i1", 1), ("m2", "i1", 2)]
    with writing(fresh_engine) as conn:  # v2 waits behind v1, as before the migration
        assert [c.message_id for c in claim(conn, "w", NOW)] == ["m1"]
