"""Admins manage their organization's API keys: scopes, expiry, IP allow-list, last use, revocation that
takes effect at once; another organization's key ids answer 404. Both databases."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from newsbridge.db.engine import writing
from newsbridge.db.tables import api_keys
from newsbridge.ids import utcnow

pytestmark = pytest.mark.anyio


async def test_an_admin_creates_lists_and_revokes_keys(client, make_partner) -> None:
    admin = make_partner("alpha", scopes=("read", "manage"))
    made = await client.post("/api/v1/keys", json={"scopes": ["publish", "read"], "label": "CMS"},
                             headers=admin.headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["key"].startswith(body["id"] + "_") and body["scopes"] == ["publish", "read"]
    new = {"Authorization": f"Bearer {body['key']}"}
    assert (await client.get("/api/v1/feed", headers=new)).status_code == 200
    listed = (await client.get("/api/v1/keys", headers=admin.headers)).json()["keys"]
    mine = next(k for k in listed if k["id"] == body["id"])
    assert "key" not in mine and mine["label"] == "CMS" and mine["last_used_at"] is not None
    assert all(body["key"] not in str(k) for k in listed)
    revoked = await client.post(f"/api/v1/keys/{body['id']}:revoke", headers=admin.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await client.get("/api/v1/feed", headers=new)).status_code == 401
    other = (await client.post("/api/v1/keys", json={"scopes": ["read"]}, headers=admin.headers)).json()
    deleted = await client.delete(f"/api/v1/keys/{other['id']}", headers=admin.headers)  # DELETE revokes too
    assert deleted.status_code == 200 and deleted.json()["revoked_at"]
    assert (await client.get("/api/v1/feed", headers={"Authorization": f"Bearer {other['key']}"})).status_code == 401


async def test_a_key_past_its_expiry_stops_working(client, engine, make_partner) -> None:
    admin = make_partner("alpha", scopes=("read", "manage"))
    soon = (utcnow() + timedelta(days=1)).isoformat()
    body = (await client.post("/api/v1/keys", json={"scopes": ["read"], "expires_at": soon},
                              headers=admin.headers)).json()
    key = {"Authorization": f"Bearer {body['key']}"}
    assert (await client.get("/api/v1/feed", headers=key)).status_code == 200
    with writing(engine) as conn:  # a day later
        conn.execute(api_keys.update().where(api_keys.c.id == body["id"].removeprefix("nb_"))
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await client.get("/api/v1/feed", headers=key)).status_code == 401
    past = await client.post("/api/v1/keys", json={"scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"},
                             headers=admin.headers)
    assert past.status_code == 422 and past.json()["error"]["field"] == "expires_at"


async def test_a_key_with_an_allow_list_works_only_from_its_addresses(app, make_partner) -> None:
    admin = make_partner("alpha", scopes=("read", "manage"))
    async def as_from(address: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 5000)),
                                 base_url="http://hub.test")

    async with await as_from("203.0.113.7") as office, await as_from("198.51.100.9") as elsewhere:
        body = (await office.post("/api/v1/keys", json={"scopes": ["read"], "allowed_ips": ["203.0.113.0/24"]},
                                  headers=admin.headers)).json()
        assert body["allowed_ips"] == ["203.0.113.0/24"]
        key = {"Authorization": f"Bearer {body['key']}"}
        assert (await office.get("/api/v1/feed", headers=key)).status_code == 200
        refused = await elsewhere.get("/api/v1/feed", headers=key)
        assert refused.status_code == 403 and refused.json()["error"]["field"] == "Authorization"
        assert (await elsewhere.get("/api/v1/agreements", headers=key)).status_code == 403
        bad = await office.post("/api/v1/keys", json={"scopes": ["read"], "allowed_ips": ["not an address"]},
                                headers=admin.headers)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "allowed_ips"


async def test_keys_of_another_organization_answer_404(client, make_partner, engine) -> None:
    alpha = make_partner("alpha", scopes=("read", "manage"))
    stranger = make_partner("stranger", scopes=("read", "manage"))
    body = (await client.post("/api/v1/keys", json={"scopes": ["read"]}, headers=alpha.headers)).json()
    answer = await client.post(f"/api/v1/keys/{body['id']}:revoke", headers=stranger.headers)
    assert answer.status_code == 404
    assert body["id"] not in str((await client.get("/api/v1/keys", headers=stranger.headers)).json())
    with engine.connect() as conn:
        still = conn.execute(sa.select(api_keys.c.revoked_at)
                             .where(api_keys.c.id == body["id"].removeprefix("nb_"))).scalar_one()
    assert still is None


async def test_creating_keys_needs_the_manage_scope_and_known_scopes(client, make_partner) -> None:
    reader = make_partner("alpha", scopes=("read",))
    assert (await client.post("/api/v1/keys", json={"scopes": ["read"]}, headers=reader.headers)).status_code == 403
    admin = make_partner("beta", scopes=("manage",))
    wrong = await client.post("/api/v1/keys", json={"scopes": ["root"]}, headers=admin.headers)
    assert wrong.status_code == 422
