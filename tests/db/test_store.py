"""Storing versions under concurrency: no duplicate items, no lost or doubled versions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from newsbridge.db.tables import item_versions, items
from newsbridge.errors import VersionConflict
from newsbridge.formats.item import Item
from newsbridge.ingest.pipeline import Ingestor
from tests.conftest import count_rows


def _item(version: str, headline: str = "Astana hosts media forum") -> Item:
    return Item(uri="urn:kazinform:forum", version=version, language="en", headline=headline)


def test_concurrent_first_versions_make_one_item(engine, settings, make_partner) -> None:
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: ingestor.ingest_item(partner.org, _item("1")), range(16)))
    assert len({r.item_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert (count_rows(engine, items), count_rows(engine, item_versions)) == (1, 1)


def test_concurrent_distinct_versions_are_all_kept_or_refused(engine, settings, make_partner) -> None:
    partner = make_partner()
    ingestor = Ingestor(engine, settings)

    def send(n: int) -> str:
        try:
            ingestor.ingest_item(partner.org, _item(str(n), f"Update {n}"))
            return "stored"
        except VersionConflict:
            return "refused"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(send, range(1, 13)))
    stored = outcomes.count("stored")
    assert stored >= 1 and stored + outcomes.count("refused") == 12
    assert count_rows(engine, item_versions) == stored


def test_bulk_ingest_reports_each_refusal_and_keeps_the_rest(engine, settings, make_partner) -> None:
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    batch = [_item("1"), _item("2", "Second"), _item("1", "Conflicting first"), Item(uri=" ", headline="No uri")]
    outcomes = ingestor.ingest_items(partner.org, batch, batch_size=2)
    assert [o.error.code if o.error else "ok" for o in outcomes] == ["ok", "ok", "version_conflict", "invalid"]
    assert count_rows(engine, item_versions) == 2


@pytest.mark.parametrize("pubstatus", ["usable", "withheld", "canceled"])
def test_latest_state_follows_the_newest_version(engine, settings, make_partner, pubstatus) -> None:
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    ingestor.ingest_item(partner.org, _item("1"))
    second = Item(uri="urn:kazinform:forum", version="2", language="en", headline="Later", pubstatus=pubstatus)
    ingestor.ingest_item(partner.org, second)
    with engine.connect() as conn:
        row = conn.execute(items.select()).one()
    assert (row.latest_version, row.pubstatus, row.headline) == (2, pubstatus, "Later")
