"""The desk's Team page: admins invite, change roles, deactivate, make and revoke keys and read the audit
log; editors see the team but none of those forms work for them; strangers reach nothing (the
access cases are in test_desk_access.py). Both databases."""

from __future__ import annotations

import re

import pytest

from newsbridge.accounts.api_keys import list_api_keys
from newsbridge.accounts.members import hash_password
from newsbridge.accounts.team import accept
from newsbridge.db.engine import reading, writing

pytestmark = pytest.mark.anyio


async def test_an_admin_runs_the_team_from_the_desk(sign_in, make_partner, engine) -> None:
    make_partner("alpha")
    admin = await sign_in("alpha", "admin")
    editor = await sign_in("alpha", "editor", name="Erlan")
    page = await admin.get("/team")
    assert page.status_code == 200 and "Erlan" in page.text and "/team/audit" in page.text
    invited = await admin.post("/team/invite", {"email": "aigerim@alpha.example", "role": "viewer", "locale": "kk"})
    assert invited.status_code == 200 and re.search(r"/invite/nbi_[\w-]+", invited.text)  # no SMTP here: the link
    waiting = (await admin.get("/team")).text.split("Waiting invitations", 1)  # listed until it is used
    assert len(waiting) == 2 and "aigerim@alpha.example" in waiting[1].split("</table>", 1)[0]
    changed = await admin.post(f"/team/members/{editor.member.id}/role", {"role": "viewer"})
    assert changed.status_code == 200 and "Role changed." in changed.text
    made = await admin.post("/team/keys", {"scope_read": "on", "label": "CMS", "allowed_ips": "203.0.113.0/24"})
    key = re.search(r"<code>(nb_\w+_[\w-]+)</code>", made.text)
    assert made.status_code == 200 and key
    with reading(engine) as conn:
        [stored] = [k for k in list_api_keys(conn, "alpha") if k.label == "CMS"]
    assert stored.allowed_ips == ("203.0.113.0/24",) and stored.scopes == ("read",)
    revoked = await admin.post(f"/team/keys/nb_{stored.id}/revoke")
    assert revoked.status_code == 200 and "Key revoked." in revoked.text
    out = await admin.post(f"/team/members/{editor.member.id}/deactivate")
    assert out.status_code == 200
    assert (await editor.get("/desk")).status_code != 200  # signed out at once
    log = await admin.get("/team/audit")
    assert log.status_code == 200
    for action in ("member.invited", "member.role_changed", "key.created", "key.revoked", "member.deactivated"):
        assert action in log.text


async def test_a_waiting_invitation_is_listed_for_admins_until_it_is_used(sign_in, make_partner, engine) -> None:
    make_partner("alpha")
    admin = await sign_in("alpha", "admin")
    editor = await sign_in("alpha", "editor")
    invited = await admin.post("/team/invite", {"email": "dana@alpha.example", "role": "editor", "locale": "ru"})
    token = re.search(r"/invite/(nbi_[\w-]+)", invited.text).group(1)
    assert "dana@alpha.example" in (await admin.get("/team")).text
    assert "dana@alpha.example" not in (await editor.get("/team")).text  # the addresses are the admins' business
    with writing(engine) as conn:
        accept(conn, token, "Dana", hash_password("a long enough passphrase"))
    page = (await admin.get("/team")).text
    assert "Waiting invitations" not in page and "Dana" in page  # a member now, no longer waiting


async def test_an_editor_sees_the_team_but_cannot_change_it(sign_in, make_partner) -> None:
    make_partner("alpha")
    admin = await sign_in("alpha", "admin")
    editor = await sign_in("alpha", "editor")
    page = await editor.get("/team")
    assert page.status_code == 200 and "/team/invite" not in page.text
    assert (await editor.post("/team/invite", {"email": "x@alpha.example"})).status_code == 403
    assert (await editor.post(f"/team/members/{admin.member.id}/deactivate")).status_code == 403
    assert (await editor.get("/team/audit")).status_code == 403


async def test_the_last_admin_cannot_leave_from_the_desk(sign_in, make_partner) -> None:
    make_partner("alpha")
    admin = await sign_in("alpha", "admin")
    refused = await admin.post(f"/team/members/{admin.member.id}/role", {"role": "editor"})
    assert refused.status_code == 409 and "at least one active admin" in refused.text
