"""Every real agency file (tests/data/agencies/) through the feed-poll path: a source's URL on a loopback
server serves the file, the hub's poller reads it, and each stored item holds the golden fields and the
reader's warnings, as the upload path does (tests/api/test_agency_upload.py). Both databases."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.engine import writing
from newsbridge.db.tables import items
from newsbridge.ingest.polling import Poller
from newsbridge.ingest.sources import add_source, get_source
from tests.formats.agency_golden import ZONE, agency_files, check_stored, golden_path
from tests.ingest.feed_server import FeedServer

pytestmark = pytest.mark.anyio

LOOPBACK = ("127.0.0.0/8",)
CONTENT_TYPES = {".xml": "application/xml", ".json": "application/json"}


@pytest.fixture
async def poller(engine: Engine, settings: Settings) -> AsyncIterator[Poller]:
    the_poller = Poller(engine, settings.replace(allow_private_targets=LOOPBACK))
    yield the_poller
    await the_poller.fetcher.close()


@pytest.mark.parametrize("path", agency_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
async def test_a_polled_agency_file_is_stored_as_its_golden_says(  # type: ignore[no-untyped-def]
        engine, poller, client, make_partner, path: Path) -> None:
    partner = make_partner(timezone=ZONE)  # a fresh organization: several files share uris and versions
    golden = json.loads(golden_path(path).read_text("utf-8"))["items"]

    with FeedServer(path.read_bytes(), content_type=CONTENT_TYPES[path.suffix]) as feed:
        with writing(engine) as conn:
            source = add_source(conn, partner.org, feed.url, allow=LOOPBACK)
        with engine.connect() as conn:
            source = get_source(conn, partner.org, source.id)
        done = await poller.poll(source)

    assert (done.outcome, done.stored, done.error) == ("ok", len(golden), None)
    with engine.connect() as conn:
        ids = conn.execute(sa.select(items.c.id).where(items.c.organization_id == partner.org.id)).scalars().all()
    stored = [(await client.get(f"/api/v1/items/{item_id}", headers=partner.headers)).json() for item_id in ids]
    for expected in golden:  # a file's items are matched by headline (a poll stores them in no promised order)
        found = [s for s in stored if _headline(s) == " ".join((expected["headline"] or "").split())]
        assert len(found) == 1, [_headline(s) for s in stored]
        check_stored(found[0], expected)


def _headline(item: dict) -> str:  # type: ignore[type-arg]
    return " ".join(item["headlines"][0]["value"].split()) if item.get("headlines") else ""
