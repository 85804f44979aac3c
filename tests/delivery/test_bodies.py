"""Webhook bodies spliced from an item version's shared JSON are byte for byte what envelope(render()) gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from newsbridge.delivery.bodies import Bodies
from newsbridge.delivery.webhooks import envelope
from newsbridge.items.queries import ItemRecord, ItemVersion, Received, SourceRef
from newsbridge.items.render import render

WHEN = datetime(2026, 12, 5, 13, 0, 1, 250_000, tzinfo=timezone(timedelta(hours=5)))  # not UTC: converted
RECEIVED = datetime(2026, 12, 5, 7, 59, tzinfo=UTC)
DOCUMENT = {"uri": "urn:kazinform:1", "version": "2", "type": "text", "language": "kk",
            "firstCreated": "2026-12-05",  # a day only: render() writes the day's start
            "headlines": [{"role": "main", "value": "Астана мен Тегеран ақпарат алмасады"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "خبرگزاری «ایرنا» \u200cو Kazinform"}]}


def record(document: dict | str = json.dumps(DOCUMENT), *, pubstatus: str = "usable", notice_only: bool = False,
           item_id: str = "itm_1") -> ItemRecord:
    version = ItemVersion(item_id, 2, pubstatus, "detected", 0.93, RECEIVED, document, notice_only)
    return ItemRecord(item_id, "urn:kazinform:1", SourceRef("org_k", "kazinform", "Kazinform", "Kazinform / KZ"),
                      version, RECEIVED, RECEIVED)


def terms(n: int, project: bool = False) -> Received:
    return Received(f"agr_{n}", f"Kazinform \u2194 partner {n}", "bilateral", f"Credit {n} «KZ»",
                    "no resale" if n % 2 else "", RECEIVED + timedelta(minutes=n),
                    "prj_1" if project else None, "Joint film" if project else None)


@pytest.mark.parametrize(("fmt", "kind"), [
    ("ninjs3", "usable"), ("ninjs2", "usable"), ("ninjs3", "canceled"), ("ninjs3", "notice_only"),
    ("ninjs2", "notice_only"), ("ninjs1-superdesk", "usable"), ("ninjs3", "document_with_hub_key"),
    ("ninjs3", "empty_document"),
])
def test_each_partner_gets_exactly_the_bytes_envelope_of_render_gives(fmt: str, kind: str) -> None:
    document = {**DOCUMENT, "source": "a key of the hub's own"} if kind == "document_with_hub_key" else DOCUMENT
    if kind == "empty_document":
        document = {}
    bodies = Bodies(WHEN)
    for n in range(4):  # one per partner: the first fills the shared parts, the others reuse them
        item = record(json.dumps(document), pubstatus="canceled" if kind == "canceled" else "usable",
                      notice_only=kind == "notice_only")
        how = terms(n, project=n == 3)
        for shared in (True, False):
            body = bodies.item("item.published", item, item.latest, fmt, how, shared)
            assert body == envelope("item.published", render(item, item.latest, fmt, how), WHEN)  # type: ignore[arg-type]
            assert json.loads(body)["data"]["received"]["creditLine"] if fmt != "ninjs1-superdesk" else True


def test_a_withdrawal_notice_for_one_recipient_is_not_shared_with_the_others() -> None:
    bodies = Bodies(WHEN)
    full, notice = record(), record(notice_only=True)
    first = json.loads(bodies.item("item.updated", full, full.latest, "ninjs3", terms(1), True))
    second = json.loads(bodies.item("item.updated", notice, notice.latest, "ninjs3", terms(2), True))
    third = json.loads(bodies.item("item.updated", full, full.latest, "ninjs3", terms(3), True))
    assert "bodies" in first["data"] and "bodies" in third["data"]
    assert "bodies" not in second["data"] and second["data"]["hub"]["withdrawn"] is True
    assert [b["data"]["received"]["agreement"]["id"] for b in (first, second, third)] == ["agr_1", "agr_2", "agr_3"]


def test_two_items_in_one_batch_keep_their_own_documents() -> None:
    bodies = Bodies(WHEN)
    one = record()
    other = record(json.dumps({**DOCUMENT, "uri": "urn:kazinform:2"}), item_id="itm_2")
    assert json.loads(bodies.item("item.published", one, one.latest, "ninjs3", terms(1), True))["data"]["uri"] \
        == "urn:kazinform:1"
    assert json.loads(bodies.item("item.published", other, other.latest, "ninjs3", terms(1), True))["data"]["uri"] \
        == "urn:kazinform:2"
