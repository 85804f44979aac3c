"""The audit log's actions that no other test reads back: a password changed, other sessions ended, single
sign-on turned off, an endpoint turned on again, a feed token revoked, operators added and removed, an
invitation sent again by the operator (its old link dead, and only in its own organization). Both databases."""

from __future__ import annotations

import re

import pytest

from newsbridge.accounts import audit
from newsbridge.accounts.members import add_member, hash_password
from newsbridge.accounts.operators import add_operator, remove_operator, resend_invitation
from newsbridge.accounts.team import invite
from newsbridge.db.engine import reading, writing
from newsbridge.errors import NotFound

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HOOK = "https://93.184.216.34/hooks/newsbridge"


def _actions(engine, org_id: str) -> dict[str, audit.Entry]:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return {e.action: e for e in reversed(audit.entries(conn, org_id, limit=500))}


async def test_the_remaining_actions_are_on_the_log(client, engine, make_partner) -> None:
    alpha = make_partner("alpha", scopes=("read", "manage"))
    endpoint = (await client.post("/api/v1/endpoints", json={"url": HOOK}, headers=alpha.headers)).json()
    for enabled in (False, True):
        turned = await client.patch(f"/api/v1/endpoints/{endpoint['id']}", json={"enabled": enabled},
                                    headers=alpha.headers)
        assert turned.status_code == 200, turned.text
    token = (await client.post("/api/v1/feed-tokens", headers=alpha.headers)).json()
    [listed] = (await client.get("/api/v1/feed-tokens", headers=alpha.headers)).json()["feed_tokens"]
    assert (await client.post(f"/api/v1/feed-tokens/{listed['id']}:revoke", headers=alpha.headers)).status_code == 200
    sso = {"issuer": "https://93.184.216.34/realms/alpha", "client_id": "hub", "client_secret": "s3cret",
           "domains": ["alpha.example"]}
    assert (await client.put("/api/v1/sso", json=sso, headers=alpha.headers)).status_code == 200
    assert (await client.delete("/api/v1/sso", headers=alpha.headers)).status_code == 204
    with writing(engine) as conn:
        add_member(conn, "alpha", "ed@alpha.example", "Ed", "editor", PASSWORD)
    assert (await client.post("/login", data={"email": "ed@alpha.example", "password": PASSWORD})).status_code == 303
    csrf = CSRF.search((await client.get("/account")).text)[1]  # type: ignore[index]
    ended = await client.post("/account/sessions/others", data={"csrf_token": csrf})
    assert ended.status_code in (200, 303), ended.text
    changed = await client.post("/account/password", data={"csrf_token": csrf, "current_password": PASSWORD,
                                                            "new_password": "a newer horse battery",
                                                            "repeat_password": "a newer horse battery"})
    assert changed.status_code == 200, changed.text
    logged = _actions(engine, alpha.org.id)
    assert logged["endpoint.enabled"].target == endpoint["id"]
    assert logged["feed_token.revoked"].target == listed["id"] and token["token"] not in str(logged)
    assert logged["sso.removed"].target == sso["issuer"] and "s3cret" not in str(logged)
    assert logged["sessions.ended_others"].actor == logged["password.changed"].actor == "ed@alpha.example"


async def test_operators_and_a_resent_invitation_are_on_the_log(client, engine, make_partner) -> None:
    alpha, beta = make_partner("alpha"), make_partner("beta")
    with writing(engine) as conn:
        operator = add_operator(conn, "op@hub.example", "Hub Operator", hash_password(PASSWORD))
        add_operator(conn, "temp@hub.example", "Temporary", hash_password(PASSWORD))
        remove_operator(conn, "temp@hub.example")
        invitation, old_link = invite(conn, alpha.org.id, "new@alpha.example", "editor", actor="admin@alpha.example")
    with writing(engine) as conn, pytest.raises(NotFound):  # the invitation of another organization: not found
        resend_invitation(conn, operator, beta.org.id, invitation.id)
    with writing(engine) as conn:
        _again, new_link = resend_invitation(conn, operator, alpha.org.id, invitation.id)
    assert (await client.get(f"/invite/{old_link}")).status_code == 404  # the old link died with the resend
    assert (await client.get(f"/invite/{new_link}")).status_code == 200
    with reading(engine) as conn:
        hub = {e.action: e for e in audit.hub_entries(conn, operator_only=True)}
    assert (hub["operator.added"].actor, hub["operator.removed"].target) == ("cli", "temp@hub.example")
    resent = hub["operator.invitation_resent"]
    assert (resent.actor, resent.target, resent.detail) == ("op@hub.example", "alpha",
                                                            {"email": "new@alpha.example", "role": "editor"})
    with reading(engine) as conn:  # the new link is an invitation of its own on the organization's log, by the operator
        invited = audit.entries(conn, alpha.org.id, action="member.invited")
        assert audit.entries(conn, beta.org.id, action="member.") == []
    assert [(e.actor, e.target) for e in invited] == [("op@hub.example", "new@alpha.example"),
                                                      ("admin@alpha.example", "new@alpha.example")]
