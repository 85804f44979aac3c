"""Support access (accounts/support.py): an organization's admin lets the hub operator read its own items until a day,
and revokes it; the operator's read-only pages answer 404 without a grant that holds, never show items partners sent
the organization, and every read is on the organization's audit log."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from newsbridge.accounts import audit
from newsbridge.accounts.members import hash_password
from newsbridge.accounts.operators import add_operator
from newsbridge.db.engine import reading, writing
from newsbridge.db.operator_tables import operators, support_grants
from newsbridge.db.tables import deliveries
from newsbridge.ids import utcnow
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
PASSWORD = "operator horse battery"
OWN = "Alpha's own report on the harvest"
RECEIVED = "Beta's wire Alpha received"
OTHERS = "Gamma's item nobody granted"


@pytest.fixture
async def operator(desk_app, engine) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        add_operator(conn, "op@hub.example", "Hub Operator", hash_password(PASSWORD))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=desk_app), base_url="http://hub.test") as http:
        signed = await http.post("/login", data={"email": "op@hub.example", "password": PASSWORD})
        assert signed.status_code == 303 and signed.headers["location"] == "/operator"
        yield http


@pytest.fixture
async def world(client, make_partner, engine):  # type: ignore[no-untyped-def]
    scopes = ("publish", "read", "manage")
    alpha, beta, gamma = (make_partner(slug, scopes=scopes) for slug in ("alpha", "beta", "gamma"))
    await active_agreement(client, beta, alpha, {})
    ids = {}
    for who, uri, headline, body in ((alpha, "urn:alpha:1", OWN, "Wheat was early this year.\nBarley too."),
                                     (beta, "urn:beta:1", RECEIVED, "Beta's text."),
                                     (gamma, "urn:gamma:1", OTHERS, "Gamma's text.")):
        made = await client.post("/api/v1/items", headers=who.headers, json={
            "uri": uri, "language": "en", "headlines": [{"value": headline}], "bodies": [{"value": body,
                                                                                        "contenttype": "text/plain"}]})
        assert made.status_code in (200, 201), made.text
        ids[who.org.slug] = made.json()["id"]
    corrected = await client.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:1", "language": "en", "headlines": [{"value": OWN + ", corrected"}]})
    assert corrected.status_code in (200, 201), corrected.text
    with reading(engine) as conn:  # the received item really is alpha's to read on its desk
        assert conn.execute(sa.select(deliveries.c.id).where(deliveries.c.item_id == ids["beta"],
                                                             deliveries.c.recipient_id == alpha.org.id)).first()
    return {"alpha": alpha, "ids": ids}


def _log(engine, org_id: str, prefix: str) -> list[audit.Entry]:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return audit.entries(conn, org_id, action=prefix)


async def _grant(admin, days: int = 7) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await admin.post("/team/profile/support", {"until": (utcnow().date() + timedelta(days=days)).isoformat()})


async def test_no_grant_no_items(world, operator) -> None:
    page = await operator.get("/operator/organizations/alpha")
    assert page.status_code == 200 and "Not granted" in page.text
    assert "/operator/organizations/alpha/items" not in page.text
    assert (await operator.get("/operator/organizations/alpha/items")).status_code == 404
    assert (await operator.get(f"/operator/organizations/alpha/items/{world['ids']['alpha']}")).status_code == 404


async def test_a_grant_shows_own_items_only_and_every_read_is_audited(world, operator, sign_in, engine) -> None:
    admin = await sign_in("alpha", "admin")
    granted = await _grant(admin)
    assert granted.status_code == 200 and "Support access granted" in granted.text
    assert "Revoke support access now" in granted.text
    page = await operator.get("/operator/organizations/alpha")
    assert admin.member.email in page.text and 'href="/operator/organizations/alpha/items"' in page.text
    listed = await operator.get("/operator/organizations/alpha/items")
    assert listed.status_code == 200 and OWN + ", corrected" in listed.text.replace("&#39;", "'")
    text = listed.text.replace("&#39;", "'")
    assert RECEIVED not in text and OTHERS not in text and world["ids"]["beta"] not in text
    item = await operator.get(f"/operator/organizations/alpha/items/{world['ids']['alpha']}")
    body = item.text.replace("&#39;", "'")
    assert item.status_code == 200 and "Wheat was early this year." in body and OWN + ", corrected" in body
    assert re.search(r"Version 2\b", body) and re.search(r"Version 1\b", body)
    # an item of another organization (received or not) through alpha's route: 404, and nothing leaks
    for other in (world["ids"]["beta"], world["ids"]["gamma"], "01NOSUCHTHING0000000000000"):
        refused = await operator.get(f"/operator/organizations/alpha/items/{other}")
        assert refused.status_code == 404 and RECEIVED not in refused.text and OTHERS not in refused.text
    # another organization that granted nothing stays closed
    assert (await operator.get("/operator/organizations/beta/items")).status_code == 404
    org_id = world["alpha"].org.id
    [grant] = _log(engine, org_id, "support.granted")
    assert grant.actor == admin.member.email and grant.detail and "until" in grant.detail
    [viewed] = _log(engine, org_id, "support.item_viewed")
    assert viewed.actor == "op@hub.example" and viewed.target == world["ids"]["alpha"]
    [listing] = _log(engine, org_id, "support.items_listed")
    assert listing.detail == {"items": 1}


async def test_an_expired_grant_closes_the_pages(world, operator, sign_in, engine) -> None:
    admin = await sign_in("alpha", "admin")
    assert (await _grant(admin, days=0)).status_code == 200  # until the end of today
    assert (await operator.get("/operator/organizations/alpha/items")).status_code == 200
    with writing(engine) as conn:
        conn.execute(support_grants.update().values(until=utcnow() - timedelta(seconds=1)))
    assert (await operator.get("/operator/organizations/alpha/items")).status_code == 404
    assert (await operator.get(f"/operator/organizations/alpha/items/{world['ids']['alpha']}")).status_code == 404
    assert "Not granted" in (await operator.get("/operator/organizations/alpha")).text
    assert "Revoke support access now" not in (await admin.get("/team/profile")).text


async def test_a_revoked_grant_closes_the_pages_at_once(world, operator, sign_in, engine) -> None:
    admin = await sign_in("alpha", "admin", locale="fa")
    await _grant(admin)
    assert (await operator.get("/operator/organizations/alpha/items")).status_code == 200
    revoked = await admin.post("/team/profile/support/revoke")
    assert revoked.status_code == 200 and 'dir="rtl"' in revoked.text and "دسترسی پشتیبانی لغو شد" in revoked.text
    assert (await operator.get("/operator/organizations/alpha/items")).status_code == 404
    assert (await operator.get(f"/operator/organizations/alpha/items/{world['ids']['alpha']}")).status_code == 404
    [entry] = _log(engine, world["alpha"].org.id, "support.revoked")
    assert entry.actor == admin.member.email


@pytest.mark.parametrize("days", [31, -1])
async def test_a_day_out_of_range_is_refused_and_nothing_is_granted(world, operator, sign_in, engine, days) -> None:
    admin = await sign_in("alpha", "admin")
    refused = await _grant(admin, days=days)
    assert refused.status_code == 422 and "until" in refused.text
    bad = await admin.post("/team/profile/support", {"until": "next week"})
    assert bad.status_code == 422
    assert (await operator.get("/operator/organizations/alpha/items")).status_code == 404
    assert _log(engine, world["alpha"].org.id, "support.") == []


@pytest.mark.parametrize("role", ["editor", "viewer"])
async def test_only_admins_grant_or_revoke(world, operator, sign_in, engine, role) -> None:
    member = await sign_in("alpha", role)
    assert (await _grant(member)).status_code == 403
    page = await member.get("/team/profile")
    assert page.status_code == 200 and 'action="/team/profile/support"' not in page.text
    admin = await sign_in("alpha", "admin")
    await _grant(admin)
    assert (await member.post("/team/profile/support/revoke")).status_code == 403
    assert (await operator.get("/operator/organizations/alpha/items")).status_code == 200
    assert [e.action for e in _log(engine, world["alpha"].org.id, "support.")][-1] == "support.granted"


@pytest.mark.parametrize("locale", ["kk", "ru", "fa"])
async def test_the_pages_in_every_language(world, operator, sign_in, engine, locale) -> None:
    with writing(engine) as conn:
        conn.execute(operators.update().values(locale=locale))
    admin = await sign_in("alpha", "admin", locale=locale)
    assert (await admin.get("/team/profile")).status_code == 200
    await _grant(admin)
    for path in ("/operator/organizations/alpha", "/operator/organizations/alpha/items",
                 f"/operator/organizations/alpha/items/{world['ids']['alpha']}"):
        page = await operator.get(path)
        assert page.status_code == 200 and f'lang="{locale}"' in page.text
        assert "Its own items (read-only)" not in page.text
    assert ('dir="rtl"' in page.text) == (locale == "fa")
