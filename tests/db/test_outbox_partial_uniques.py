"""Migration 0057 turns the outbox's unique indexes on columns most messages leave NULL (agreement event,
project event, media update) into partial ones: the rows are kept, SQLite's rebuilt table keeps its other
indexes, the rule still holds for the rows that fill the column, and an item's message gets no entry in them;
on both databases, and back down. Migration 0058 says the ordering guard's index's predicate as "not finished"
(tests/delivery/test_claim_plan.py shows why): the messages stay, and the index is there either way. Migration
0061 adds each endpoint's unfinished messages in due order, under a third form of the predicate."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from newsbridge.db.engine import reading, writing
from newsbridge.db.migrate import alembic_config, upgrade
from newsbridge.db.outbox_tables import FINISHED_STATES, OUTBOX_AFTER_FINISHED, UNFINISHED_STATES
from newsbridge.db.tables import deliveries, outbox
from tests.db.seed_rows import irna_endpoint, partners_and_item

NOW = datetime(2026, 12, 6, 7, 0, tzinfo=timezone.utc)
PARTIAL = {"ux_outbox_agreement_event", "ux_outbox_project_event", "ix_outbox_media_update_id"}


def _index_sql(conn: sa.Connection) -> dict[str, str]:
    if conn.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' AND sql IS NOT NULL"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'outbox'"
    return {name: sql for name, sql in conn.exec_driver_sql(query)}


def _message(message_id: str, delivery: int | None, media_update_id: int | None = None) -> dict[str, object]:
    return dict(endpoint_id="e1", delivery_id=delivery, event="item.published", message_id=message_id,
                state="pending", attempts=0, next_attempt_at=NOW, created_at=NOW,
                media_update_id=media_update_id)


def test_0057_keeps_the_messages_and_the_rule_and_leaves_item_messages_out(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0056")
    with writing(fresh_engine) as conn:
        partners_and_item(conn, NOW)
        irna_endpoint(conn, NOW, ["item.published"])
        delivery = conn.execute(deliveries.insert().returning(deliveries.c.id).values(
            item_id="i1", version=1, recipient_id="irna", reason="r", credit_line="c", usage_terms="u",
            available_from=NOW, event="item.published", created_at=NOW, arrives_at=NOW)).scalar_one()
        conn.execute(sa.insert(outbox), [_message("m1", delivery), _message("m2", None, media_update_id=7)])
        before = [tuple(r) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id))]
        indexes_before = set(_index_sql(conn))
    upgrade(fresh_engine)
    with reading(fresh_engine) as conn:
        assert [tuple(r) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id))] == before
        indexes = _index_sql(conn)
    assert PARTIAL <= set(indexes)
    assert all("IS NOT NULL" in indexes[name] for name in PARTIAL)
    # SQLite rebuilt the table: every index it had (its unique constraints' own aside) is there again
    assert {n for n in indexes_before if not n.startswith(("sqlite_autoindex", "uq_"))} - set(indexes) == set()

    with writing(fresh_engine) as conn:  # many messages without a media update: no conflict among NULLs
        conn.execute(sa.insert(outbox), [_message(f"n{i}", None) for i in range(3)])
    with pytest.raises(IntegrityError), writing(fresh_engine) as conn:  # the rule holds where the column is filled
        conn.execute(sa.insert(outbox), [_message("m3", None, media_update_id=7)])
    with pytest.raises(IntegrityError), writing(fresh_engine) as conn:  # and the delivery's own rule as before
        conn.execute(sa.insert(outbox), [_message("m4", delivery)])

    command.downgrade(alembic_config(fresh_engine), "0056")
    with reading(fresh_engine) as conn:
        assert len(conn.execute(sa.select(outbox.c.id)).all()) == 5
        assert not (PARTIAL - {"ix_outbox_media_update_id"}) & set(_index_sql(conn))
    upgrade(fresh_engine)


def _named_states(index_sql: str) -> set[str]:
    """The states a partial index's predicate lists (PostgreSQL shows NOT IN as ``<> ALL (ARRAY[...])``)."""
    return {state for state in UNFINISHED_STATES + FINISHED_STATES if f"'{state}'" in index_sql}


def test_0058_says_not_finished_and_keeps_the_messages(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0057")
    with writing(fresh_engine) as conn:
        partners_and_item(conn, NOW)
        irna_endpoint(conn, NOW, ["item.published"])
        conn.execute(sa.insert(outbox), [_message("m1", None), _message("m2", None) | {"state": "delivered"}])
        assert _named_states(_index_sql(conn)["ix_outbox_unfinished_item"]) == set(UNFINISHED_STATES)
    upgrade(fresh_engine)
    with reading(fresh_engine) as conn:
        guard_index = _index_sql(conn)["ix_outbox_unfinished_item"]
        assert _named_states(guard_index) == set(FINISHED_STATES), guard_index
        assert {r.message_id: r.state for r in conn.execute(sa.select(outbox))} == {"m1": "pending", "m2": "delivered"}
    command.downgrade(alembic_config(fresh_engine), "0057")
    with reading(fresh_engine) as conn:
        guard_index = _index_sql(conn)["ix_outbox_unfinished_item"]
        assert _named_states(guard_index) == set(UNFINISHED_STATES), guard_index
        assert len(conn.execute(sa.select(outbox.c.id)).all()) == 2
    upgrade(fresh_engine)


def test_0061_indexes_each_endpoints_unfinished_messages_and_keeps_them(fresh_engine: Engine) -> None:
    """Migration 0061's index holds the unfinished messages, by endpoint then due order, under the predicate the
    endpoints' walk says word for word (delivery/claim_queries.py); the messages stay, up and down."""
    upgrade(fresh_engine, "0060")
    with writing(fresh_engine) as conn:
        partners_and_item(conn, NOW)
        irna_endpoint(conn, NOW, ["item.published"])
        conn.execute(sa.insert(outbox), [_message("m1", None), _message("m2", None) | {"state": "delivered"}])
        assert "ix_outbox_endpoint_due" not in _index_sql(conn)
    upgrade(fresh_engine)
    with reading(fresh_engine) as conn:
        index = _index_sql(conn)["ix_outbox_endpoint_due"]
        assert "endpoint_id, next_attempt_at, id" in index and "coalesce" in index.lower() and "'failed'" in index
        held = sa.select(outbox.c.message_id).where(sa.text(OUTBOX_AFTER_FINISHED))
        if conn.dialect.name == "sqlite":  # the index itself answers: SQLite takes the predicate's words as said
            held = held.with_hint(outbox, "INDEXED BY ix_outbox_endpoint_due", dialect_name="sqlite")
        assert conn.execute(held).scalars().all() == ["m1"]
    command.downgrade(alembic_config(fresh_engine), "0060")
    with reading(fresh_engine) as conn:
        assert "ix_outbox_endpoint_due" not in _index_sql(conn)
        assert len(conn.execute(sa.select(outbox.c.id)).all()) == 2
    upgrade(fresh_engine)
