"""Migration 0014 sanitizes HTML stored before every HTML field was sanitized at ingest, on both databases."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.tables import item_versions, items, organizations

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
HOSTILE = "<p>Tehran</p><img src=x onerror=alert(document.domain)><script>steal()</script>"
CLEAN_DOC = {"uri": "kz-2", "bodies": [{"role": "main", "contentType": "text/html", "value": "<p>Fine</p>"}]}


def test_old_versions_lose_their_hostile_markup_and_clean_ones_are_untouched(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0013")
    hostile_doc = {
        "uri": "kz-1",
        "headlines": [{"role": "main", "value": "<b>plain text is not HTML</b>"}],
        "bodies": [{"role": "main", "contentType": "text/html", "value": "<p>Safe</p>"},
                   {"role": "alt", "contentType": "text/html", "value": HOSTILE}],
        "descriptions": [{"role": "summary", "contentType": "application/xhtml+xml", "value": HOSTILE}],
        "associations": [{"name": "photo", "bodies": [{"contentType": "text/html", "value": HOSTILE}]}],
    }
    with writing(fresh_engine) as conn:
        conn.execute(organizations.insert().values(id="kazinform", slug="kazinform", name="Kazinform", languages=[],
                                                   timezone="UTC", credit_name="Kazinform", created_at=NOW))
        for item_id, doc, body in (("i1", hostile_doc, HOSTILE), ("i2", CLEAN_DOC, "<p>Fine</p>")):
            conn.execute(items.insert().values(id=item_id, organization_id="kazinform", uri=doc["uri"],
                                               latest_version=1, pubstatus="usable", created_at=NOW, updated_at=NOW))
            conn.execute(item_versions.insert().values(
                item_id=item_id, version=1, content_hash="h", type="text", pubstatus="usable",
                language_source="declared", body_html=body, document=doc, received_at=NOW))
    upgrade(fresh_engine)
    with reading(fresh_engine) as conn:
        stored = {r.item_id: r for r in conn.execute(sa.select(item_versions))}
    text = repr(stored["i1"].document) + (stored["i1"].body_html or "")
    for needle in ("onerror", "<script", "steal()", 'src="x"'):
        assert needle not in text
    assert "<p>Tehran</p>" in stored["i1"].body_html
    assert stored["i1"].document["bodies"][0]["value"] == "<p>Safe</p>"
    assert stored["i1"].document["headlines"][0]["value"] == "<b>plain text is not HTML</b>"  # not HTML: kept
    assert stored["i2"].document == CLEAN_DOC and stored["i2"].body_html == "<p>Fine</p>"
