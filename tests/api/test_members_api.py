"""Organization self-service for members: invitations by a single-use, expiring link (mailed through a
real SMTP server on loopback, in the admin's chosen language), role changes, deactivation that ends
sessions at once, and the last-admin rule. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from newsbridge.accounts.members import add_member
from newsbridge.app import create_app
from newsbridge.db.engine import writing
from newsbridge.db.invitation_tables import invitations
from newsbridge.ids import utcnow
from tests.smtp_server import LocalSmtp

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"


async def _invite(client: httpx.AsyncClient, admin, email: str, role: str = "editor") -> dict:  # type: ignore[no-untyped-def,type-arg]
    answer = await client.post("/api/v1/members", json={"email": email, "role": role}, headers=admin.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_an_invited_person_joins_once_with_the_role_chosen(client, make_partner) -> None:
    admin = make_partner("alpha", scopes=("read", "manage"))
    invitation = await _invite(client, admin, "New.Editor@alpha.example")
    assert invitation["mailed"] is False and invitation["email"] == "new.editor@alpha.example"
    path = "/invite/" + invitation["link"].rsplit("/invite/", 1)[1]
    page = await client.get(path)
    assert page.status_code == 200 and "new.editor@alpha.example" in page.text
    differ = await client.post(path, data={"name": "New Editor", "password": PASSWORD, "repeat": "something else"})
    assert differ.status_code == 422
    joined = await client.post(path, data={"name": "New Editor", "password": PASSWORD, "repeat": PASSWORD})
    assert joined.status_code == 303 and joined.headers["location"] == "/desk"
    assert (await client.get("/account")).status_code == 200  # signed in
    members = (await client.get("/api/v1/members", headers=admin.headers)).json()["members"]
    [member] = [m for m in members if m["email"] == "new.editor@alpha.example"]
    assert member["role"] == "editor" and member["active"] and member["name"] == "New Editor"
    again = await client.post(path, data={"name": "Someone", "password": PASSWORD, "repeat": PASSWORD})
    assert again.status_code == 404  # single use
    assert (await client.get(path)).status_code == 404
    assert (await client.get("/invite/nbi_made_up")).status_code == 404


async def test_an_expired_invitation_looks_like_an_unknown_one(client, engine, make_partner) -> None:
    admin = make_partner("alpha", scopes=("read", "manage"))
    invitation = await _invite(client, admin, "late@alpha.example")
    with writing(engine) as conn:
        conn.execute(invitations.update().where(invitations.c.id == invitation["id"])
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
    path = "/invite/" + invitation["link"].rsplit("/invite/", 1)[1]
    assert (await client.get(path)).status_code == 404
    assert (await client.post(path, data={"name": "Late", "password": PASSWORD, "repeat": PASSWORD})).status_code == 404


async def test_the_invitation_is_mailed_in_the_chosen_language(settings, engine, make_partner) -> None:
    admin = make_partner("alpha", scopes=("read", "manage"), name="Kazinform")
    with LocalSmtp() as smtp:
        app = create_app(settings.replace(smtp_url=smtp.url), engine, migrate=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
            answer = await http.post("/api/v1/members", json={"email": "ru@alpha.example", "role": "viewer",
                                                              "locale": "ru"}, headers=admin.headers)
        assert answer.status_code == 201 and answer.json()["mailed"] is True and "link" not in answer.json()
        [message] = smtp.messages()
    assert message["To"] == "ru@alpha.example" and "Kazinform" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "приглашает" in body and re.search(r"/invite/nbi_\S+", body)


async def test_roles_change_and_a_deactivated_member_is_out_at_once(client, engine, make_partner) -> None:
    admin = make_partner("alpha", scopes=("read", "manage"))
    with writing(engine) as conn:
        add_member(conn, "alpha", "boss@alpha.example", "Boss", "admin", PASSWORD)
        editor = add_member(conn, "alpha", "ed@alpha.example", "Ed", "editor", PASSWORD)
    assert (await client.post("/login", data={"email": "ed@alpha.example", "password": PASSWORD})).status_code == 303
    promoted = await client.patch(f"/api/v1/members/{editor.id}", json={"role": "admin"}, headers=admin.headers)
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert (await client.get("/account")).status_code == 200
    stopped = await client.post(f"/api/v1/members/{editor.id}:deactivate", headers=admin.headers)
    assert stopped.status_code == 200 and stopped.json()["active"] is False
    assert (await client.get("/account")).status_code != 200  # the session ended at once
    signed = await client.post("/login", data={"email": "ed@alpha.example", "password": PASSWORD})
    assert signed.status_code == 401
    bad = await client.patch(f"/api/v1/members/{editor.id}", json={"role": "owner"}, headers=admin.headers)
    assert bad.status_code == 422


async def test_the_last_admin_stays(client, engine, make_partner) -> None:
    admin = make_partner("alpha", scopes=("read", "manage"))
    with writing(engine) as conn:
        only = add_member(conn, "alpha", "only@alpha.example", "Only admin", "admin", PASSWORD)
    demote = await client.patch(f"/api/v1/members/{only.id}", json={"role": "editor"}, headers=admin.headers)
    assert demote.status_code == 409 and demote.json()["error"]["code"] == "last_admin"
    stop = await client.post(f"/api/v1/members/{only.id}:deactivate", headers=admin.headers)
    assert stop.status_code == 409
    assert (await client.delete(f"/api/v1/members/{only.id}", headers=admin.headers)).status_code == 409


async def test_delete_deactivates_a_member_and_keeps_the_record(client, engine, make_partner) -> None:
    admin = make_partner("alpha", scopes=("read", "manage"))
    with writing(engine) as conn:
        add_member(conn, "alpha", "boss@alpha.example", "Boss", "admin", PASSWORD)
        editor = add_member(conn, "alpha", "ed@alpha.example", "Ed", "editor", PASSWORD)
    gone = await client.delete(f"/api/v1/members/{editor.id}", headers=admin.headers)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert (await client.post("/login", data={"email": "ed@alpha.example", "password": PASSWORD})).status_code == 401
    listed = (await client.get("/api/v1/members", headers=admin.headers)).json()
    assert any(m["id"] == editor.id and m["active"] is False for m in listed["members"])


async def test_members_of_another_organization_answer_404(client, engine, make_partner) -> None:
    alpha = make_partner("alpha", scopes=("read", "manage"))
    stranger = make_partner("stranger", scopes=("read", "manage"))
    with writing(engine) as conn:
        member = add_member(conn, "alpha", "ed@alpha.example", "Ed", "editor", PASSWORD)
    for answer in (await client.patch(f"/api/v1/members/{member.id}", json={"role": "viewer"}, headers=stranger.headers),
                   await client.post(f"/api/v1/members/{member.id}:deactivate", headers=stranger.headers),
                   await client.delete(f"/api/v1/members/{member.id}", headers=stranger.headers)):
        assert answer.status_code == 404
    assert "ed@alpha.example" not in (await client.get("/api/v1/members", headers=stranger.headers)).text
    taken = await client.post("/api/v1/members", json={"email": "ed@alpha.example"}, headers=stranger.headers)
    assert taken.status_code == 409  # an address is one member's: it says so, and nothing of alpha's
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(invitations)).scalar_one() == 0
