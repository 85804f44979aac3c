"""The desk's audit log for an organization's admins: pages back like the operator's, and downloads what it
shows as CSV and JSON lines (Persian and Kazakh kept as characters); editors get 403, and another
organization's entries never appear. Both databases."""

from __future__ import annotations

import csv
import io
import json

import pytest

from newsbridge.accounts.audit import record
from newsbridge.db.engine import writing

pytestmark = pytest.mark.anyio


async def test_admins_page_back_and_export_their_log_as_csv_and_json_lines(sign_in, make_partner, engine) -> None:
    alpha, beta = make_partner("alpha"), make_partner("beta")
    admin = await sign_in("alpha", "admin", locale="fa")
    editor = await sign_in("alpha", "editor")
    with writing(engine) as conn:
        for n in range(205):
            record(conn, "key.created", organization_id=alpha.org.id, actor=f"key {n}", target=f"nb_{n:03d}",
                   detail={"label": "کلید خبرگزاری" if n % 2 else "Қазақпарат кілті"})
        record(conn, "key.created", organization_id=beta.org.id, actor="key of beta", target="nb_beta")
    page = await admin.get("/team/audit?action=key.")
    assert page.status_code == 200
    assert 'href="/team/audit.csv?action=key."' in page.text and 'href="/team/audit.jsonl?action=key."' in page.text
    assert page.text.count("<code>key.created</code>") == 200 and "nb_beta" not in page.text
    assert "/team/audit?action=key.&amp;before=" in page.text  # 205 entries: an older page
    exported = await admin.get("/team/audit.jsonl?action=key.")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/x-ndjson")
    assert "کلید خبرگزاری" in exported.text and "Қазақпарат кілті" in exported.text and "\\u" not in exported.text
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert [e["target"] for e in lines[:2]] == ["nb_204", "nb_203"] and "nb_beta" not in exported.text
    assert lines[0]["detail"] == {"label": "Қазақпарат кілті"}
    older = await admin.get(f"/team/audit.jsonl?action=key.&before={lines[1]['id']}")
    assert [json.loads(line)["id"] for line in older.text.splitlines()] == [e["id"] for e in lines[2:]]
    as_csv = await admin.get(f"/team/audit.csv?action=key.&before={lines[1]['id']}")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0][:4] == ["id", "at", "actor", "action"] and [r[4] for r in rows[1:3]] == ["nb_202", "nb_201"]
    assert (await admin.get("/team/audit.csv?before=many")).status_code == 422
    for path in ("/team/audit.csv", "/team/audit.jsonl"):
        assert (await editor.get(path)).status_code == 403
