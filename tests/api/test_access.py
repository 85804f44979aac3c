"""Access control: keys are required and scoped; a stranger cannot see another's items."""

from __future__ import annotations

import pytest

from newsbridge.accounts.api_keys import revoke_api_key
from newsbridge.db.engine import writing

pytestmark = pytest.mark.anyio
ITEM = {"uri": "urn:kazinform:secret", "version": "1", "headlines": [{"role": "main", "value": "Embargoed story"}]}


async def _publish(client, partner) -> str:
    response = await client.post("/api/v1/items", json=ITEM, headers=partner.headers)
    assert response.status_code == 201
    return response.json()["id"]


@pytest.mark.parametrize("path", ["/api/v1/items/{id}", "/api/v1/items/{id}/versions",
                                  "/api/v1/items/{id}?format=ninjs2"])
async def test_a_stranger_gets_404_like_for_a_missing_id(client, make_partner, path) -> None:
    owner, stranger = make_partner("kazinform"), make_partner("stranger")
    item_id = await _publish(client, owner)
    theirs = await client.get(path.format(id=item_id), headers=stranger.headers)
    missing = await client.get(path.format(id="01NOSUCHITEM0000000000000"), headers=stranger.headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert "Embargoed" not in theirs.text
    own = await client.get(path.format(id=item_id), headers=owner.headers)
    assert own.status_code == 200


async def test_a_stranger_does_not_see_items_in_lists(client, make_partner) -> None:
    owner, stranger = make_partner(), make_partner()
    await _publish(client, owner)
    listed = await client.get("/api/v1/items", headers=stranger.headers)
    assert listed.json() == {"items": [], "count": 0}


async def test_the_same_uri_from_two_organizations_is_two_items(client, make_partner) -> None:
    first, second = make_partner(), make_partner()
    assert await _publish(client, first) != await _publish(client, second)


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/items"), ("POST", "/api/v1/items"),
                                          ("GET", "/api/v1/items/x"), ("GET", "/api/v1/me"),
                                          ("POST", "/api/v1/items:upload"), ("GET", "/api/v1/schemas/ninjs3")])
@pytest.mark.parametrize("authorization", [None, "Bearer nb_nosuchkey_secret", "Bearer garbage", "Basic abc"])
async def test_every_api_call_needs_a_valid_key(client, method, path, authorization) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.request(method, path, headers=headers, json=ITEM)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_revoked_key_stops_working_at_once(client, make_partner, engine) -> None:
    partner = make_partner()
    assert (await client.get("/api/v1/me", headers=partner.headers)).status_code == 200
    with writing(engine) as conn:
        revoke_api_key(conn, partner.key)
    assert (await client.get("/api/v1/me", headers=partner.headers)).status_code == 401


async def test_scopes_limit_what_a_key_may_do(client, make_partner) -> None:
    reader = make_partner(scopes=("read",))
    publisher = make_partner(scopes=("publish",))
    refused = await client.post("/api/v1/items", json=ITEM, headers=reader.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert (await client.post("/api/v1/items", json=ITEM, headers=publisher.headers)).status_code == 201
    assert (await client.get("/api/v1/items", headers=publisher.headers)).status_code == 403


async def test_me_describes_the_organization_and_its_outlets(client, make_partner) -> None:
    holding = make_partner("krtc", country="KZ", timezone="Asia/Almaty")
    make_partner("kazinform", parent="krtc")
    body = (await client.get("/api/v1/me", headers=holding.headers)).json()
    assert body["organization"]["slug"] == "krtc"
    assert [o["slug"] for o in body["organization"]["outlets"]] == ["kazinform"]
    assert body["key"]["scopes"] == ["publish", "read"]
