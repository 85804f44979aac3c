"""Requests an attacker sends to find a 500: each gets a 4xx with a stable code, and nothing is stored.

Also: the last-resort 500 quotes its request id and carries the ``X-Request-ID`` header, and every
response carries the security headers.
"""

from __future__ import annotations

import httpx
import pytest

from newsbridge.db.tables import agreements, item_versions
from tests.conftest import count_rows

pytestmark = pytest.mark.anyio

DEEP = b'{"uri": "urn:x:1", "headlines": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
SLIGHTLY_DEEP = b'{"uri": "urn:x:1", "extra": ' + b"[" * 70 + b"]" * 70 + b"}"
HOSTILE_ITEMS = [
    # (name, body, field)
    ("100,000 levels of nesting", DEEP, "body"),
    ("70 levels of nesting", SLIGHTLY_DEEP, "$.extra" + "[0]" * 63),
    ("lone surrogate in a headline",
     b'{"uri": "urn:x:1", "headlines": [{"role": "main", "value": "Tehran \\ud800"}]}', "$.headlines[0].value"),
    ("lone surrogate in a key", b'{"uri": "urn:x:1", "\\udfff": 1}', "$"),
    ("NUL in uri", b'{"uri": "urn:x:\\u0000"}', "$.uri"),
    ("NUL in copyrightNotice", b'{"uri": "urn:x:1", "copyrightNotice": "(c) IRNA\\u0000"}', "$.copyrightNotice"),
    ("NUL in a second headline",
     b'{"uri": "urn:x:1", "headlines": [{"role": "main", "value": "One"}, {"role": "sub", "value": "\\u0000"}]}',
     "$.headlines[1].value"),
]


@pytest.mark.parametrize("name, body, field", HOSTILE_ITEMS, ids=[c[0] for c in HOSTILE_ITEMS])
async def test_hostile_json_items_are_refused_as_malformed(client, make_partner, engine, name, body, field) -> None:
    partner = make_partner()
    response = await client.post("/api/v1/items", content=body,
                                 headers={**partner.headers, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("malformed", field)
    assert count_rows(engine, item_versions) == 0


@pytest.mark.parametrize("body", [DEEP, b'{"title": "\\ud800", "parties": []}', b'{"title": "A\\u0000B"}'],
                         ids=["deep", "surrogate", "nul"])
async def test_hostile_json_bodies_elsewhere_are_refused(client, make_partner, engine, body) -> None:
    partner = make_partner(scopes=("manage",))
    response = await client.post("/api/v1/agreements", content=body,
                                 headers={**partner.headers, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "malformed"
    assert count_rows(engine, agreements) == 0


@pytest.mark.parametrize("since, status", [("0.5", 422), ("1700000000", 422), ("yesterday", 422),
                                           ("0001-01-01T00:00:00+05:00", 422), ("9999-12-31T23:59:59-14:00", 422),
                                           ("2026-11-23T09:30:00Z", 200), ("2026-11-23T09:30:00", 200),
                                           ("2026-11-23", 200)])
async def test_times_in_parameters_are_iso_8601_only(client, make_partner, since, status) -> None:
    partner = make_partner()
    for path in ("/api/v1/items", "/api/v1/inbox"):
        response = await client.get(path, params={"since": since}, headers=partner.headers)
        assert response.status_code == status, (path, response.text)
        if status == 422:
            assert response.json()["error"]["field"] == "since"


@pytest.fixture
def failing_app(app):  # type: ignore[no-untyped-def]
    async def explode() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/explode", explode)
    app.add_api_route("/explode", explode, include_in_schema=False)
    return app


@pytest.mark.parametrize("path, kind", [("/api/v1/explode", "application/json"), ("/explode", "text/html")])
async def test_an_unexpected_error_quotes_its_request_id(failing_app, path, kind) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=failing_app), base_url="http://hub.test") as http:
        response = await http.get(path)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(kind)
    rid = response.headers["x-request-id"]
    assert len(rid) >= 16 and rid in response.text and "None" not in response.text
    assert "a bug" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/me", "/login", "/static/css/desk.css", "/docs",
                                  "/no-such-page"])
async def test_every_response_carries_the_security_headers(client, path) -> None:
    response = await client.get(path)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # plain HTTP: HSTS would be a lie


async def test_hsts_is_sent_over_tls(app) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://hub.test") as http:
        response = await http.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
