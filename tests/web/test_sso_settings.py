"""Setting up single sign-on, on both databases: ``/api/v1/sso`` (GET/PUT/DELETE, manage scope) and the desk's
Team › Single sign-on page (admins only, CSRF): validation with the field named, the secret never shown and
kept when left out, one organization per domain, the SSRF guard on the issuer, and the audit log."""

from __future__ import annotations

import pytest

from newsbridge.accounts.audit import entries
from newsbridge.accounts.members import add_member
from newsbridge.accounts.oidc import client_secret
from newsbridge.db.engine import reading, writing

pytestmark = pytest.mark.anyio
ISSUER = "https://93.184.216.34/realms/agency"  # a public address literal: no DNS, nothing is called
BODY = {"issuer": ISSUER + "/", "client_id": "newsbridge", "client_secret": "first-secret-value",
        "domains": ["Agency.example", "@news.agency.example"], "role_claim": "groups",
        "roles": {"newsbridge-admins": "admin"}, "create_accounts": True}


async def test_set_read_replace_and_remove_over_the_api(client, engine, make_partner) -> None:
    partner = make_partner(scopes=("manage",))
    assert (await client.get("/api/v1/sso", headers=partner.headers)).status_code == 404
    put = await client.put("/api/v1/sso", headers=partner.headers, json=BODY)
    assert put.status_code == 200, put.text
    shown = (await client.get("/api/v1/sso", headers=partner.headers)).json()
    assert shown["issuer"] == ISSUER and shown["domains"] == ["agency.example", "news.agency.example"]
    assert shown["roles"] == {"newsbridge-admins": "admin"} and shown["default_role"] == "viewer"
    assert shown["client_secret_set"] is True and "first-secret-value" not in put.text + str(shown)
    again = await client.put("/api/v1/sso", headers=partner.headers,
                             json={k: v for k, v in BODY.items() if k != "client_secret"} | {"domains": ["agency.example"]})
    assert again.status_code == 200 and again.json()["domains"] == ["agency.example"]
    with reading(engine) as conn:
        assert client_secret(conn, partner.org.id) == "first-secret-value"  # left out: kept
        logged = [(e.action, e.detail.get("secret_changed") if e.detail else None) for e in
                  entries(conn, partner.org.id, action="sso.")]
    assert logged == [("sso.configured", False), ("sso.configured", True)]
    gone = await client.delete("/api/v1/sso", headers=partner.headers)
    assert gone.status_code == 204
    assert (await client.get("/api/v1/sso", headers=partner.headers)).status_code == 404
    assert (await client.delete("/api/v1/sso", headers=partner.headers)).status_code == 404


@pytest.mark.parametrize("change, field", [
    ({"issuer": "ftp://idp.example"}, "issuer"),
    ({"issuer": "http://93.184.216.34"}, "issuer"),  # public and not https
    ({"issuer": "https://127.0.0.1/realms/x"}, "issuer"),  # loopback: the SSRF guard
    ({"issuer": "https://93.184.216.34/?x=1"}, "issuer"),
    ({"client_id": ""}, "client_id"),
    ({"client_secret": 7}, "client_secret"),
    ({"domains": []}, "domains"),
    ({"domains": ["not a domain"]}, "domains"),
    ({"domains": "agency.example"}, "domains"),
    ({"roles": {"x": "owner"}}, "roles"),
    ({"roles": ["admin"]}, "roles"),
    ({"role_claim": None, "roles": {"x": "admin"}}, "role_claim"),
    ({"default_role": "boss"}, "default_role"),
    ({"create_accounts": "yes"}, "create_accounts"),
    ({"idp_enforce_mfa": True}, "idp_enforce_mfa"),  # a typo of a setting is not ignored
])
async def test_bad_settings_are_refused_with_the_field(client, make_partner, change, field) -> None:
    partner = make_partner(scopes=("manage",))
    answer = await client.put("/api/v1/sso", headers=partner.headers, json={**BODY, **change})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert (await client.get("/api/v1/sso", headers=partner.headers)).status_code == 404


async def test_a_domain_belongs_to_one_organization(client, engine, make_partner) -> None:
    first, second = make_partner(scopes=("manage",)), make_partner(scopes=("manage",))
    with writing(engine) as conn:
        add_member(conn, second.org.slug, "someone@second.example", "Someone", "editor", "a long password 1")
    assert (await client.put("/api/v1/sso", headers=first.headers, json=BODY)).status_code == 200
    taken = await client.put("/api/v1/sso", headers=second.headers, json=BODY)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "already_exists"
    theirs = await client.put("/api/v1/sso", headers=first.headers, json={**BODY, "domains": ["second.example"]})
    assert theirs.status_code == 409 and "members of another organization" in theirs.json()["error"]["message"]
    assert (await client.put("/api/v1/sso", headers=second.headers,
                             json={**BODY, "domains": ["second.example"]})).status_code == 200
    reader = make_partner(scopes=("read",))  # a key without the manage scope reads nothing
    assert (await client.get("/api/v1/sso", headers=reader.headers)).status_code == 403


async def test_the_desk_page_for_admins(sign_in, make_partner, engine) -> None:
    partner = make_partner("agency")
    admin = await sign_in("agency", "admin")
    editor = await sign_in("agency", "editor")
    assert (await editor.get("/team/sso")).status_code == 403
    assert (await editor.post("/team/sso", {"issuer": ISSUER})).status_code == 403
    empty = await admin.get("/team/sso")
    assert empty.status_code == 200 and "/login/sso/callback" in empty.text and "/team/sso/delete" not in empty.text
    form = {"issuer": ISSUER, "client_id": "newsbridge", "client_secret": "desk-secret-value",
            "domains": "agency.example\nnews.agency.example", "role_claim": "groups",
            "roles": "newsbridge-admins = admin\nnewsbridge-desk = editor", "default_role": "viewer",
            "create_accounts": "on"}
    bad = await admin.post("/team/sso", {**form, "roles": "newsbridge-admins admin"})
    assert bad.status_code == 422 and "line 1" in bad.text and 'value="newsbridge"' in bad.text
    assert "desk-secret-value" not in bad.text
    assert (await admin.post("/team/sso", form, csrf=False)).status_code == 403
    saved = await admin.post("/team/sso", form)
    assert saved.status_code == 200 and "Single sign-on is saved" in saved.text
    assert "desk-secret-value" not in saved.text and "news.agency.example" in saved.text
    assert "newsbridge-desk = editor" in saved.text and "/team/sso/delete" in saved.text
    kept = await admin.post("/team/sso", {**form, "client_secret": "", "create_accounts": ""})
    assert kept.status_code == 200
    with reading(engine) as conn:
        assert client_secret(conn, partner.org.id) == "desk-secret-value"
    shown = (await admin.get("/team/sso")).text
    assert 'name="create_accounts" checked' not in shown
    removed = await admin.post("/team/sso/delete")
    assert removed.status_code == 200 and "Single sign-on is off" in removed.text
    assert (await admin.post("/team/sso/delete")).status_code == 404
