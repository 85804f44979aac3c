"""The audit log: sign-ins (succeeded and failed), keys, endpoints, feed tokens, passwords and agreement
actions are recorded with who, when, from where and what; an organization reads only its own entries;
nothing in the code can change or delete an entry. Both databases."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from newsbridge.accounts.api_keys import revoke_api_key
from newsbridge.accounts.members import add_member
from newsbridge.db.engine import writing
from tests.conftest import REPO, active_agreement
from tests.media.tus import upload

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"
HOOK = "https://93.184.216.34/hooks/newsbridge"


async def _log(client: httpx.AsyncClient, partner, **params: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    answer = await client.get("/api/v1/audit", params=params, headers=partner.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["entries"]  # type: ignore[no-any-return]


async def test_security_actions_are_on_the_log_of_their_organization(client, engine, make_partner) -> None:
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta = make_partner("beta", scopes=("publish", "read", "manage"))
    stranger = make_partner("stranger", scopes=("read", "manage"))
    with writing(engine) as conn:
        add_member(conn, "alpha", "editor@alpha.example", "Editor", "editor", PASSWORD)
    assert (await client.post("/login", data={"email": "editor@alpha.example", "password": "wrong"})).status_code == 401
    assert (await client.post("/login", data={"email": "editor@alpha.example", "password": PASSWORD})).status_code == 303
    assert (await client.post("/login", data={"email": "nobody@nowhere.example", "password": "x"})).status_code == 401
    endpoint = (await client.post("/api/v1/endpoints", json={"url": HOOK}, headers=alpha.headers)).json()
    await client.post(f"/api/v1/endpoints/{endpoint['id']}:rotate-secret", headers=alpha.headers)
    await client.patch(f"/api/v1/endpoints/{endpoint['id']}", json={"enabled": False}, headers=alpha.headers)
    token = (await client.post("/api/v1/feed-tokens", params={"label": "CMS"}, headers=alpha.headers)).json()
    agreement = await active_agreement(client, alpha, beta, {})
    with writing(engine) as conn:
        revoke_api_key(conn, alpha.key)  # as `newsbridge key revoke` does

    with writing(engine) as conn:  # a fresh key to read the log with (the first one is revoked)
        from newsbridge.accounts.api_keys import create_api_key
        _key, raw = create_api_key(conn, "alpha", ("read", "manage"))
    reader = type(alpha)(alpha.org, raw)
    entries = await _log(client, reader)
    actions = [e["action"] for e in entries]
    for expected in ("sign_in.failed", "sign_in.succeeded", "key.created", "key.revoked", "endpoint.created",
                     "endpoint.secret_rotated", "endpoint.disabled", "feed_token.created", "agreement.create",
                     "agreement.propose", "agreement.sign"):
        assert expected in actions, (expected, actions)
    assert entries[0]["id"] > entries[-1]["id"]  # newest first
    signed_in = next(e for e in entries if e["action"] == "sign_in.succeeded")
    assert signed_in["actor"] == "editor@alpha.example" and signed_in["address"]
    made = next(e for e in entries if e["action"] == "endpoint.created")
    assert made["actor"] == f"key {alpha.key[:15]}" and made["target"] == endpoint["id"]
    assert made["detail"]["url"] == HOOK
    revoked = next(e for e in entries if e["action"] == "key.revoked")
    assert revoked["actor"] == "cli" and revoked["target"] == alpha.key[:15]
    assert any(e["target"] == agreement["id"] for e in entries if e["action"] == "agreement.sign")
    assert all("nobody@nowhere.example" != e["actor"] for e in entries)  # no organization's business
    assert token["token"] not in str(entries)  # secrets never reach the log
    # filters and paging
    keys_only = await _log(client, reader, action="key.")
    assert {e["action"] for e in keys_only} == {"key.created", "key.revoked"}
    page = await client.get("/api/v1/audit", params={"limit": 2}, headers=reader.headers)
    older = await _log(client, reader, before=str(page.json()["next"]), limit="2")
    assert older[0]["id"] < page.json()["entries"][-1]["id"]
    # the other party sees its own signature, and the stranger nothing of theirs
    assert any(e["action"] == "agreement.sign" for e in await _log(client, beta))
    assert [e for e in await _log(client, stranger) if e["action"] != "key.created"] == []


async def test_the_log_exports_as_csv_with_formulas_made_text(client, engine, make_partner) -> None:
    alpha = make_partner("alpha", scopes=("read", "manage"))
    with writing(engine) as conn:
        add_member(conn, "alpha", "=cmd@alpha.example", "Formula", "editor", PASSWORD)
    await client.post("/login", data={"email": "=cmd@alpha.example", "password": "wrong"})
    answer = await client.get("/api/v1/audit.csv", headers=alpha.headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["id", "at", "actor", "action", "target", "address", "detail"]
    failed = next(r for r in rows if r[3] == "sign_in.failed")
    assert failed[2] == "'=cmd@alpha.example"


async def test_reading_the_log_needs_the_manage_scope_and_a_zoned_time(client, make_partner) -> None:
    reader = make_partner("alpha", scopes=("read",))
    assert (await client.get("/api/v1/audit", headers=reader.headers)).status_code == 403
    admin = make_partner("beta", scopes=("manage",))
    naive = await client.get("/api/v1/audit", params={"from": "2026-12-01T00:00:00"}, headers=admin.headers)
    assert naive.status_code == 422 and naive.json()["error"]["field"] == "from"


def test_nothing_in_the_code_changes_or_deletes_an_audit_entry_but_its_retention() -> None:
    forbidden = re.compile(r"audit_log\.(update|delete)\(|(UPDATE|DELETE FROM)\s+audit_log|_in_batches\([^)]*audit_log",
                           re.IGNORECASE)
    offenders = [str(path.relative_to(REPO)) for path in (REPO / "newsbridge").rglob("*.py")
                 if "migrations" not in path.parts and forbidden.search(path.read_text("utf-8"))]
    # the one path: `newsbridge purge` by age, when NEWSBRIDGE_RETENTION_AUDIT_DAYS is set (tests/ops/test_purge.py)
    assert offenders == ["newsbridge/ops/purge.py"]
    purge_source = (REPO / "newsbridge/ops/purge.py").read_text("utf-8")
    assert len(forbidden.findall(purge_source)) == 1 and "audit_log.c.at < cutoff" in purge_source


async def test_a_partner_downloading_an_original_is_on_the_owners_log(client, make_partner) -> None:
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta = make_partner("beta", scopes=("publish", "read", "manage"))
    await active_agreement(client, alpha, beta, {"media": {"allow_gps": True}})
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(out, "PNG")
    upload_id, _ = await upload(client, alpha.headers, out.getvalue(), filename="flag.png", filetype="image/png")
    made = await client.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:photo", "type": "picture", "language": "en",
        "headlines": [{"role": "main", "value": "Flag"}], "renditions": [{"name": "original", "upload": upload_id}]})
    assert made.status_code == 201, made.text
    item = (await client.get(f"/api/v1/items/{made.json()['id']}", headers=beta.headers)).json()
    href = urlsplit(next(r for r in item["renditions"] if r["name"] == "original")["href"])
    assert (await client.get(f"{href.path}?{href.query}")).status_code == 200
    assert (await client.get(f"{href.path}?{href.query}", headers={"Range": "bytes=10-20"})).status_code == 206
    downloads = await _log(client, alpha, action="media.")
    assert [(e["action"], e["actor"]) for e in downloads] == [("media.original_downloaded", "organization beta")]
    assert await _log(client, beta, action="media.") == []


async def test_the_log_exports_as_json_lines_with_the_same_filters_and_paging(client, make_partner) -> None:
    alpha = make_partner("alpha", scopes=("read", "manage"))
    stranger = make_partner("stranger", scopes=("read", "manage"))
    for label in ("کلید خبرگزاری", "Қазақпарат кілті", "CMS"):
        made = await client.post("/api/v1/keys", json={"scopes": ["read"], "label": label}, headers=alpha.headers)
        assert made.status_code == 201, made.text
    await client.post("/login", data={"email": "nobody@alpha.example", "password": "wrong"})
    answer = await client.get("/api/v1/audit.jsonl", headers=alpha.headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/x-ndjson")
    assert answer.text.endswith("\n") and "کلید خبرگزاری" in answer.text and "Қазақпарат кілті" in answer.text
    assert "\\u" not in answer.text  # Persian and Kazakh kept as characters
    lines = [json.loads(line) for line in answer.content.decode("utf-8").splitlines()]
    assert lines == (await client.get("/api/v1/audit", headers=alpha.headers)).json()["entries"]
    assert {e["action"] for e in lines} >= {"key.created"}
    keys_only = await client.get("/api/v1/audit.jsonl", params={"action": "key.", "limit": "2"}, headers=alpha.headers)
    first = [json.loads(line) for line in keys_only.text.splitlines()]
    assert [e["action"] for e in first] == ["key.created", "key.created"] and first[0]["id"] > first[1]["id"]
    older = await client.get("/api/v1/audit.jsonl", params={"action": "key.", "before": str(first[-1]["id"])},
                             headers=alpha.headers)
    assert [json.loads(line)["id"] for line in older.text.splitlines()] == [
        e["id"] for e in lines if e["action"] == "key.created" and e["id"] < first[-1]["id"]]
    for path in ("/api/v1/audit", "/api/v1/audit.csv", "/api/v1/audit.jsonl"):  # any integer as a cursor, no 500
        assert (await client.get(path, params={"before": str(2**60)}, headers=alpha.headers)).status_code == 200
    beyond = await client.get("/api/v1/audit.jsonl", params={"before": str(2**60)}, headers=alpha.headers)
    assert beyond.text == answer.text
    assert (await client.get("/api/v1/audit.jsonl", params={"before": "-1"}, headers=alpha.headers)).text == ""
    future = await client.get("/api/v1/audit.jsonl", params={"from": "2999-01-01T00:00:00Z"}, headers=alpha.headers)
    assert future.status_code == 200 and future.text == ""
    naive = await client.get("/api/v1/audit.jsonl", params={"to": "2026-12-01T00:00:00"}, headers=alpha.headers)
    assert naive.status_code == 422 and naive.json()["error"]["field"] == "to"
    theirs = await client.get("/api/v1/audit.jsonl", headers=stranger.headers)
    assert "کلید خبرگزاری" not in theirs.text and all(
        json.loads(line)["action"] == "key.created" for line in theirs.text.splitlines())
    reader = make_partner("reader", scopes=("read",))
    assert (await client.get("/api/v1/audit.jsonl", headers=reader.headers)).status_code == 403
