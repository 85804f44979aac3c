"""Content hashes across the change of format: versions stored under the first format (SHA-256 of
``json.dumps``) are still recognized when their identical content is sent again (items/hashing.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from newsbridge.db.tables import item_versions
from newsbridge.errors import VersionConflict
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import to_ninjs3
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.items.hashing import PREFIX, content_hash, legacy_hash_document, same_content, unversioned_document
from tests.conftest import count_rows

ITEM = Item(uri="urn:kazinform:hash-format", version="1", language="en", headline="Astana hosts media forum",
            body_html="<p>Editors from <b>12</b> countries met.</p>",
            versioncreated=datetime(2026, 3, 2, 6, tzinfo=timezone.utc),
            subjects=[{"uri": "http://cv.iptc.org/newscodes/mediatopic/04000000", "name": "economy"}],
            extra={"slugline": "forum", "standard": {"name": "ninjs", "version": "2.2"}})


def _first_format(item: Item) -> str:
    """The hash as the hub computed it before (ingest/prepare.py until December 2026), verbatim."""
    doc = to_ninjs3(replace(item, version=None))
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def test_the_legacy_function_is_the_first_format() -> None:
    assert legacy_hash_document(unversioned_document(ITEM)) == _first_format(ITEM)
    assert len(_first_format(ITEM)) == len(content_hash(ITEM)) == 64  # both fit item_versions.content_hash
    assert content_hash(ITEM).startswith(PREFIX) and not _first_format(ITEM).startswith(PREFIX)


def test_same_content_knows_both_formats() -> None:
    content = unversioned_document(ITEM)
    other = unversioned_document(replace(ITEM, headline="Another headline"))
    assert same_content(content_hash(ITEM), content_hash(ITEM), content)
    assert same_content(_first_format(ITEM), content_hash(ITEM), content)
    assert not same_content(_first_format(ITEM), content_hash(ITEM), other)
    assert not same_content(content_hash(replace(ITEM, headline="Another headline")), content_hash(ITEM), content)


def _store_under_first_format(engine, ingestor: Ingestor, org) -> str:  # type: ignore[no-untyped-def]
    """Store ITEM, then give its row the hash the hub wrote before (as a hub upgraded in place holds)."""
    stored = ingestor.ingest_item(org, ITEM)
    prepared = ingestor.prepare(org, ITEM)
    with engine.begin() as conn:
        conn.execute(item_versions.update().where(item_versions.c.item_id == stored.item_id)
                     .values(content_hash=_first_format(prepared.item)))
    return stored.item_id


def test_identical_resend_of_a_version_stored_under_the_first_format_is_unchanged(engine, settings,
                                                                                  make_partner) -> None:
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    item_id = _store_under_first_format(engine, ingestor, partner.org)

    again = ingestor.ingest_item(partner.org, ITEM)  # same version, same content
    unversioned = ingestor.ingest_item(partner.org, replace(ITEM, version=None))  # no version: the latest
    bulk = ingestor.ingest_items(partner.org, [ITEM])  # the bulk path

    assert (again.item_id, again.version, again.created) == (item_id, 1, False)
    assert (unversioned.version, unversioned.created) == (1, False)
    assert [(o.stored.version, o.stored.created) for o in bulk if o.stored] == [(1, False)]
    assert count_rows(engine, item_versions) == 1


def test_changed_content_under_a_first_format_version_is_still_a_conflict_or_a_new_version(engine, settings,
                                                                                          make_partner) -> None:
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    _store_under_first_format(engine, ingestor, partner.org)
    changed = replace(ITEM, headline="Astana hosts a larger media forum")

    with pytest.raises(VersionConflict):
        ingestor.ingest_item(partner.org, changed)
    newer = ingestor.ingest_item(partner.org, replace(changed, version=None))

    assert (newer.version, newer.created) == (2, True)
    with engine.connect() as conn:
        hashes = conn.execute(sa.select(item_versions.c.version, item_versions.c.content_hash)
                              .order_by(item_versions.c.version)).all()
    assert [len(h) for _v, h in hashes] == [64, 64]
    assert not hashes[0].content_hash.startswith(PREFIX) and hashes[1].content_hash.startswith(PREFIX)


def test_stored_document_is_what_it_was(engine, settings, make_partner) -> None:
    # the document is now built once, with the hash: it must be the one to_ninjs3 wrote, key order included
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    ingestor.ingest_item(partner.org, ITEM)
    prepared = ingestor.prepare(partner.org, ITEM)
    expected = to_ninjs3(replace(prepared.item, version="1"))
    with engine.connect() as conn:
        stored = conn.execute(sa.select(item_versions.c.document)).scalar_one()
    assert stored == expected
    assert list(prepared.document(1)) == list(expected)
