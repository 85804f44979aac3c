"""Bad input gets a clear JSON error with a stable code and field, and nothing is stored."""

from __future__ import annotations

import json

import pytest

from newsbridge.db.tables import item_versions, items
from tests.conftest import FIXTURES, count_rows

pytestmark = pytest.mark.anyio

GOOD = {"uri": "urn:x:1", "version": "1", "headlines": [{"role": "main", "value": "A headline"}]}

CASES = [
    # (name, body bytes, status, code, field)
    ("broken json", b'{"uri": "urn:x:1",', 400, "malformed", "body"),
    ("empty body", b"", 400, "malformed", "body"),
    ("invalid utf-8", b'{"uri": "urn:\xff\xfe"}', 400, "malformed", "body"),
    ("not an object", b'["urn:x:1"]', 422, "schema_violation", "$"),
    ("missing uri", b'{"type": "text"}', 422, "schema_violation", "$"),
    ("uri of wrong type", b'{"uri": 12}', 422, "schema_violation", "$.uri"),
    ("unknown field", b'{"uri": "urn:x:1", "colour": "red"}', 422, "schema_violation", "$"),
    ("bad type value", b'{"uri": "urn:x:1", "type": "hologram"}', 422, "schema_violation", "$.type"),
    ("urgency as text", b'{"uri": "urn:x:1", "urgency": "high"}', 422, "schema_violation", "$.urgency"),
    ("headline without value", b'{"uri": "urn:x:1", "headlines": [{"role": "main"}]}', 422, "schema_violation",
     "$.headlines[0]"),
    ("bad pubstatus", b'{"uri": "urn:x:1", "pubStatus": "gone"}', 422, "schema_violation", "$.pubStatus"),
    ("date that is no date", b'{"uri": "urn:x:1", "versionCreated": "yesterday"}', 422, "invalid",
     "$.versionCreated"),
    ("date without offset", b'{"uri": "urn:x:1", "firstCreated": "2026-11-23T10:00:00"}', 422, "invalid",
     "$.firstCreated"),
    ("version not a number", b'{"uri": "urn:x:1", "version": "v2"}', 422, "invalid", "$.version"),
    ("blank uri", b'{"uri": "   "}', 422, "invalid", "uri"),
]


@pytest.mark.parametrize("name, body, status, code, field", CASES, ids=[c[0] for c in CASES])
async def test_bad_item_gets_clear_error_and_stores_nothing(client, make_partner, engine, name, body, status, code,
                                                            field) -> None:
    partner = make_partner()
    response = await client.post("/api/v1/items", content=body,
                                 headers={**partner.headers, "Content-Type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert len(error["message"]) > 20
    assert "Traceback" not in response.text
    assert count_rows(engine, items) == 0
    assert count_rows(engine, item_versions) == 0


async def test_oversized_body_is_refused_with_413(client, make_partner, engine) -> None:
    partner = make_partner()
    huge = json.dumps({**GOOD, "bodies": [{"contentType": "text/plain", "value": "x" * 6_000_000}]}).encode()
    response = await client.post("/api/v1/items", content=huge, headers=partner.headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert count_rows(engine, item_versions) == 0


async def test_oversized_streamed_body_without_length_is_refused(client, make_partner) -> None:
    partner = make_partner()

    async def chunks():
        for _ in range(60):
            yield b"x" * 100_000

    response = await client.post("/api/v1/items", content=chunks(), headers=partner.headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_upload_in_unknown_format_names_the_known_ones(client, make_partner, engine) -> None:
    partner = make_partner()
    page = b"<html><body><p>A web page, not a news format</p></body></html>"
    response = await client.post("/api/v1/items:upload", content=page, headers=partner.headers)
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "unknown_format"
    assert all(name in error["message"] for name in ("ninjs", "plaintext", "newsml-g2", "rss", "atom", "jsonfeed"))
    assert count_rows(engine, items) == 0


async def test_upload_of_an_array_is_all_or_nothing(client, make_partner, engine) -> None:
    partner = make_partner()
    batch = [GOOD, {"uri": "urn:x:2", "urgency": "high"}]
    response = await client.post("/api/v1/items:upload", content=json.dumps(batch).encode(),
                                 headers=partner.headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "[1].urgency"
    assert count_rows(engine, items) == 0


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=many", "limit"), ("since=soon", "since"),
                                          ("format=xml", "format")])
async def test_bad_query_parameters(client, make_partner, query, field) -> None:
    partner = make_partner()
    response = await client.get(f"/api/v1/items?{query}", headers=partner.headers)
    assert response.status_code == 422
    assert response.json()["error"] | {"message": ""} == {"code": "invalid", "field": field, "message": ""}


async def test_unknown_path_and_wrong_method_are_json(client) -> None:
    missing = await client.get("/api/v1/nothing-here")
    wrong = await client.delete("/healthz")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")
