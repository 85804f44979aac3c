"""Operations: health, metrics, request ids, OpenAPI."""

from __future__ import annotations

import pytest

from newsbridge.db.migrate import head_revision

pytestmark = pytest.mark.anyio


async def test_healthz_reports_database_and_schema(client, engine) -> None:
    body = (await client.get("/healthz")).json()
    assert body == {"status": "ok", "database": engine.dialect.name, "schema": head_revision(engine), "version": body["version"],
                    "vector_search": "exact-window",  # stories: no sqlite-vec or pgvector here (docs/stories.md)
                    "vector_extension": "unsupported" if engine.dialect.name == "sqlite" else "absent"}


async def test_metrics_count_ingested_and_rejected_items(client, make_partner) -> None:
    partner = make_partner()

    def value(text: str, name: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(name)]
        return float(lines[0].split()[-1]) if lines else 0.0

    before = (await client.get("/metrics")).text
    await client.post("/api/v1/items", json={"uri": "urn:m:1", "language": "en"}, headers=partner.headers)
    await client.post("/api/v1/items", content=b"{", headers=partner.headers)
    after = (await client.get("/metrics")).text
    ingested = 'newsbridge_items_ingested_total{format="ninjs"}'
    rejected = 'newsbridge_items_rejected_total{code="malformed"}'
    assert value(after, ingested) == value(before, ingested) + 1
    assert value(after, rejected) == value(before, rejected) + 1
    assert 'newsbridge_request_seconds_count{method="POST",route="/api/v1/items",status="201"}' in after


async def test_every_response_carries_a_request_id(client) -> None:
    generated = await client.get("/healthz")
    kept = await client.get("/healthz", headers={"X-Request-ID": "partner-req-42"})
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(generated.headers["x-request-id"]) == 32
    assert kept.headers["x-request-id"] == "partner-req-42"
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


async def test_openapi_lists_every_route_with_bearer_auth(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert {"/api/v1/items", "/api/v1/items:upload", "/api/v1/items/{item_id}", "/api/v1/items/{item_id}/versions",
            "/api/v1/me", "/healthz", "/metrics"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_docs_page_uses_local_assets_only(client) -> None:
    page = (await client.get("/docs")).text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert (await client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")).status_code == 200


async def test_the_ninjs_schemas_are_served_to_any_key(client, make_partner) -> None:
    partner = make_partner(scopes=("publish",))
    three = await client.get("/api/v1/schemas/ninjs3", headers=partner.headers)
    two = await client.get("/api/v1/schemas/ninjs2", headers=partner.headers)
    assert three.json()["$id"] == "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
    assert two.json()["$id"] == "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json#"
    assert (await client.get("/api/v1/schemas/ninjs1", headers=partner.headers)).status_code == 422
