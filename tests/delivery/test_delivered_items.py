"""delivered_items (the worker's load of a claimed batch) reads each item version once and each delivery's
terms apart: what it returns is what one full row per delivery gave (the reference query below, the
changes feed's own), on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from receivers import Exchange, sign_agreement
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.tables import deliveries
from newsbridge.ids import utcnow
from newsbridge.items.queries import _delivered_query, _received, _record, delivered_items
from newsbridge.items.withdrawal import notice_only


def one_row_per_delivery(engine: Engine, ids: list[int]) -> dict:
    """The read delivered_items replaced: item, version, source and terms joined for every delivery."""
    hidden = notice_only([deliveries.c.recipient_id], utcnow())
    with engine.connect() as conn:
        rows = conn.execute(_delivered_query(hidden).where(deliveries.c.id.in_(ids))).all()
    return {row.delivery_id: (_record(row), _record(row).latest, _received(row)) for row in rows}


def test_a_batch_reads_the_same_records_and_terms_as_one_row_per_delivery(
        engine: Engine, settings: Settings, make_partner) -> None:  # type: ignore[no-untyped-def]
    source = make_partner("source").org
    first, second, third = (make_partner(f"partner-{n}").org for n in range(3))
    exchange = Exchange.between(engine, settings, source, first)  # two agreements: terms differ per recipient
    sign_agreement(engine, source, [second, third], {"usage_terms": "no resale"})
    exchange.publish("urn:story", 1, headline="Story, first take")
    exchange.publish("urn:story", 2, headline="Story, second take")
    exchange.publish("urn:other", 1)
    exchange.publish("urn:wrong", 1, body_text="A claim that turned out false.")
    exchange.publish("urn:wrong", 2, pubstatus="canceled", body_text="A claim that turned out false.")
    with engine.connect() as conn:
        ids = list(conn.execute(sa.select(deliveries.c.id).order_by(deliveries.c.id)).scalars())
    assert len(ids) == 5 * 3  # every version to each of the three partners
    with engine.connect() as conn:
        found = delivered_items(conn, ids + [10**9])  # an unknown id is left out, as before
    expected = one_row_per_delivery(engine, ids)
    assert found == expected
    assert set(found) == set(ids)
    withdrawn = [record for record, _version, _how in found.values() if record.uri == "urn:wrong"]
    assert withdrawn and all(record.latest.notice_only for record in withdrawn)  # v1 too: the notice only
    assert len({how.agreement_id for _record_, _version, how in found.values()}) == 2  # terms per delivery
    assert {how.usage_terms for _record_, _version, how in found.values()} == {"", "no resale"}
    # deliveries of one version (and one notice state) share one record: the document is decoded once
    by_version: dict[tuple[str, int, bool], set[int]] = {}
    for record, version, _how in found.values():
        by_version.setdefault((record.id, version.version, version.notice_only), set()).add(id(record))
    assert all(len(objects) == 1 for objects in by_version.values())
    with engine.connect() as conn:
        assert delivered_items(conn, []) == {} and delivered_items(conn, [10**9]) == {}
