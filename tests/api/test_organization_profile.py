"""An organization's profile, kept by its admins (accounts/profile.py): ``GET/PATCH /api/v1/organization`` and
the desk's ``/team/profile``, on both databases. Bad input says which field and what to do, and changes
nothing; every change is on the audit log."""

from __future__ import annotations

import pytest

from newsbridge.accounts import audit
from newsbridge.db.engine import reading

pytestmark = pytest.mark.anyio


async def test_admins_change_the_profile_and_everyone_reads_it(client, make_partner, engine) -> None:
    krtc = make_partner("krtc", scopes=("read", "manage"), languages=["kk", "ru"], timezone="Asia/Almaty")
    make_partner("kazinform", parent="krtc")
    shown = (await client.get("/api/v1/organization", headers=krtc.headers)).json()
    assert shown["outlets"] == [{"slug": "kazinform", "name": "Kazinform"}] and shown["names"] == {}
    change = {"names": {"kk": "Президенттің телерадиокешені", "fa": "مجتمع رادیو و تلویزیون"},
              "credit_line": "KRTC", "languages": ["kk", "ru", "en"], "timezone": "Asia/Qostanay",
              "contact": {"name": "Desk", "email": "desk@krtc.example", "phone": "+7 7172 00 00 00"}}
    changed = await client.patch("/api/v1/organization", headers=krtc.headers, json=change)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["names"]["fa"] == "مجتمع رادیو و تلویزیون" and body["credit_line"] == "KRTC"
    assert body["languages"] == ["kk", "ru", "en"] and body["timezone"] == "Asia/Qostanay"
    assert body["contact"]["email"] == "desk@krtc.example"
    again = await client.patch("/api/v1/organization", headers=krtc.headers, json={"credit_line": "KRTC Almaty"})
    assert again.json()["names"]["kk"] == "Президенттің телерадиокешені"  # only the fields sent change
    with reading(engine) as conn:
        [entry, *_] = audit.entries(conn, krtc.org.id, action="organization.")
    assert entry.action == "organization.profile_changed" and entry.detail == {"fields": ["credit_line"]}


@pytest.mark.parametrize("change, field", [
    ({"timezone": "Almaty"}, "timezone"),
    ({"languages": ["kazakh!"]}, "languages"),
    ({"languages": []}, "languages"),
    ({"names": {"xx": "Name"}}, "names"),
    ({"names": "KRTC"}, "names"),
    ({"contact": {"email": "not an address"}}, "contact.email"),
    ({"contact": {"phone": "call us"}}, "contact.phone"),
    ({"credit_line": " "}, "credit_line"),
    ({"name": "x" * 301}, "name"),
    ({"slug": "taken-over"}, "slug"),
])
async def test_bad_input_names_the_field_and_changes_nothing(client, make_partner, change, field) -> None:
    krtc = make_partner("krtc", scopes=("read", "manage"), timezone="Asia/Almaty")
    refused = await client.patch("/api/v1/organization", headers=krtc.headers,
                                 json={"credit_line": "Changed?", **change})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == field
    shown = (await client.get("/api/v1/organization", headers=krtc.headers)).json()
    assert shown["credit_line"] == "Krtc" and shown["timezone"] == "Asia/Almaty"


async def test_only_manage_keys_change_it(client, make_partner) -> None:
    reader = make_partner("krtc", scopes=("read",))
    assert (await client.get("/api/v1/organization", headers=reader.headers)).status_code == 200
    refused = await client.patch("/api/v1/organization", headers=reader.headers, json={"credit_line": "x"})
    assert refused.status_code == 403
