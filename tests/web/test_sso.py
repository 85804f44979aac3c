"""Single sign-on through a real OpenID Connect provider (tests/oidc_provider.py, a subprocess on loopback), on
both databases, over the hub's real pages: the hub redirects to the provider, the provider's sign-in form is
posted over HTTP, and the provider's redirect comes back to the hub's callback, which swaps the code for an
ID token at the provider's token endpoint. Refusals: a wrong state or one from another browser, a token
signed with another key, a wrong nonce, audience or issuer, an expired token, an address outside the
organization's domains, no account with account creation off, a deactivated member, a suspended
organization; and the role mapping, invitations, the two-factor rule, the audit log and the SSRF guard."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from newsbridge.accounts.audit import entries
from newsbridge.accounts.members import add_member
from newsbridge.accounts.oidc import checked_issuer, client_secret, get_config, save_config
from newsbridge.accounts.team import deactivate, invite
from newsbridge.accounts.totp import set_policy
from newsbridge.config import load_settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.sso_tables import sso_configs
from newsbridge.db.tables import members
from tests.oidc_provider import Provider, running_provider

pytestmark = pytest.mark.anyio
GUARD = re.compile(r'name="form_token" value="([^"]+)"')
ACTION = re.compile(r'action="([^"]+)"')
ONWARD = re.compile(r'<meta http-equiv="refresh" content="0;url=([^"]+)">')
HUB = "http://hub.test"
CALLBACK = f"{HUB}/login/sso/callback"
PASSWORD = "directory password 1"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def settings(engine, tmp_path):  # type: ignore[no-untyped-def]
    return load_settings(env={}, database_url=engine.url.render_as_string(hide_password=False),
                         media_dir=str(tmp_path / "media"), allow_private_targets=("127.0.0.0/8",))


@pytest.fixture
def agency(engine, make_partner, provider: Provider):  # type: ignore[no-untyped-def]
    """An organization "agency" whose directory is the provider, with its own client there."""
    partner = make_partner(f"agency-{secrets.token_hex(3)}")
    client_id, secret = f"newsbridge-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    provider.client(client_id, secret, CALLBACK)
    domain = f"{partner.org.slug}.example"
    data = {"issuer": provider.issuer, "client_id": client_id, "client_secret": secret, "domains": [domain],
            "role_claim": "groups", "roles": {"newsbridge-admins": "admin", "newsbridge-desk": "editor"},
            "default_role": "viewer", "create_accounts": True}
    issuer = checked_issuer(data, ("127.0.0.0/8",))
    with writing(engine) as conn:
        save_config(conn, partner.org.id, data, issuer=issuer, actor="test")
    yield partner, domain
    provider.mode("")


async def start(http: httpx.AsyncClient, email: str) -> str:
    """The hub's sign-in through the directory, up to the provider's authorization URL."""
    form = await http.get("/login/sso")
    assert form.status_code == 200
    sent = await http.post("/login/sso", data={"email": email, "form_token": GUARD.search(form.text)[1]})
    return onward(sent)


def onward(sent: httpx.Response) -> str:
    """The directory's URL on the page that goes on there by itself (the same as its link)."""
    assert sent.status_code == 200, sent.text
    url = ONWARD.search(sent.text)[1].replace("&amp;", "&")
    assert f'href="{ONWARD.search(sent.text)[1]}"' in sent.text
    return url


def at_provider(url: str, email: str, password: str = PASSWORD) -> str:
    """The provider's sign-in form, filled in; the redirect back to the hub (a path on it)."""
    shown = httpx.get(url)
    assert shown.status_code == 200, shown.text
    action = ACTION.search(shown.text)[1].replace("&amp;", "&")
    signed = httpx.post(f"{url.split('/authorize')[0]}{action}", data={"username": email, "password": password})
    assert signed.status_code == 302, signed.text
    back = signed.headers["location"]
    assert back.startswith(CALLBACK)
    return back.removeprefix(HUB)


async def sign_in(http: httpx.AsyncClient, provider: Provider, email: str, **user: object) -> httpx.Response:
    provider.user(email, PASSWORD, **user)
    return await http.get(at_provider(await start(http, email), email))


async def test_a_member_signs_in_through_the_directory(client, engine, agency, provider) -> None:
    partner, domain = agency
    email = f"editor@{domain}"
    with writing(engine) as conn:
        add_member(conn, partner.org.slug, email, "Editor", "editor", "a long password 1")
    url = await start(client, email.upper())
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{provider.issuer}/authorize?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["nonce"][0] and query["state"][0] and query["login_hint"] == [email]
    assert query["redirect_uri"] == [CALLBACK] and "openid" in query["scope"][0].split()
    provider.user(email, PASSWORD, groups=["newsbridge-admins"])
    back = await client.get(at_provider(url, email))
    assert back.status_code == 303 and back.headers["location"] == "/desk", back.text
    account = await client.get("/account")
    assert account.status_code == 200 and email in account.text
    with reading(engine) as conn:
        found = [(e.action, e.detail) for e in entries(conn, partner.org.id, action="sign_in")]
        role = conn.execute(members.select().where(members.c.email == email)).one().role
    assert found[0] == ("sign_in.succeeded", {"via": "sso", "issuer": provider.issuer})
    assert role == "editor"  # an existing member keeps the role the admins gave them


async def test_the_state_works_once_and_only_in_the_browser_that_began(client, app, agency, provider) -> None:
    _, domain = agency
    email = f"once@{domain}"
    provider.user(email, PASSWORD)
    back = at_provider(await start(client, email), email)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB) as other:
        stolen = await other.get(back)  # a link sent to someone else's browser signs nobody in
        assert stolen.status_code == 403 and "nb_session" not in stolen.headers.get("set-cookie", "")
    assert (await client.get(back)).status_code == 303
    again = await client.get(back)
    assert again.status_code == 403 and "used already" in again.text
    forged = await client.get("/login/sso/callback", params={"state": "made-up", "code": "x"})
    assert forged.status_code == 403


@pytest.mark.parametrize("mode", ["other_key", "wrong_nonce", "wrong_audience", "wrong_issuer", "expired"])
async def test_a_token_that_does_not_verify_signs_nobody_in(client, engine, agency, provider, mode) -> None:
    partner, domain = agency
    email = f"{mode.replace('_', '-')}@{domain}"
    provider.user(email, PASSWORD)
    url = await start(client, email)
    provider.mode(mode)
    answer = await client.get(at_provider(url, email))
    assert answer.status_code == 403, answer.text
    assert "could not be verified" in answer.text
    assert (await client.get("/account")).status_code == 303  # no session
    with reading(engine) as conn:
        assert conn.execute(members.select().where(members.c.email == email)).first() is None
        [failed] = entries(conn, partner.org.id, action="sign_in.failed")
    assert failed.detail["via"] == "sso" and "ID token" in failed.detail["reason"]


async def test_roles_come_from_the_claim_when_an_account_is_created(app, engine, agency, provider) -> None:
    partner, domain = agency
    cases = [("boss", ["staff", "newsbridge-admins", "newsbridge-desk"], "admin"),
             ("desk", ["newsbridge-desk"], "editor"), ("reader", ["staff"], "viewer"), ("nobody", [], "viewer")]
    for name, groups, role in cases:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB) as http:
            answer = await sign_in(http, provider, f"{name}@{domain}", groups=groups, name=name.title())
            assert answer.status_code == 303, answer.text
    with reading(engine) as conn:
        made = {r.email: (r.role, r.name, r.organization_id) for r in conn.execute(members.select())}
        joined = entries(conn, partner.org.id, action="member.joined")
    for name, _, role in cases:
        assert made[f"{name}@{domain}"] == (role, name.title(), partner.org.id)
    assert {e.detail["via"] for e in joined} == {"sso"} and len(joined) == 4


async def test_refusals(client, app, engine, agency, provider, make_partner) -> None:
    partner, domain = agency
    other = make_partner(f"other-{secrets.token_hex(3)}")
    with writing(engine) as conn:
        add_member(conn, partner.org.slug, f"gone@{domain}", "Gone", "editor", "a long password 1")
        add_member(conn, partner.org.slug, f"admin@{domain}", "Admin", "admin", "a long password 1")
        member_id = conn.execute(members.select().where(members.c.email == f"gone@{domain}")).one().id
        deactivate(conn, partner.org.id, member_id, actor="test")
        add_member(conn, other.org.slug, "moved@elsewhere.example", "Moved", "editor", "a long password 1")
    # the directory signs in someone whose address is not of the organization's domains
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB) as http:
        url = await start(http, f"someone@{domain}")
        provider.user("outsider@elsewhere.example", PASSWORD)
        answer = await http.get(at_provider(url, "outsider@elsewhere.example"))
        assert answer.status_code == 403 and "is not an address of your organization" in answer.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB) as http:
        answer = await sign_in(http, provider, f"gone@{domain}")
        assert answer.status_code == 403 and "is deactivated" in answer.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB) as http:
        answer = await sign_in(http, provider, f"unverified@{domain}", email_verified=False)
        assert answer.status_code == 403 and "not verified" in answer.text
    with writing(engine) as conn:  # account creation off
        conn.execute(sso_configs.update().values(create_accounts=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB) as http:
        answer = await sign_in(http, provider, f"new@{domain}")
        assert answer.status_code == 403 and "has no account on this hub" in answer.text
    with reading(engine) as conn:
        assert conn.execute(members.select().where(members.c.email == f"new@{domain}")).first() is None
        reasons = [e.detail["reason"] for e in entries(conn, partner.org.id, action="sign_in.failed")]
    assert len(reasons) == 4
    unknown = await client.post("/login/sso", data={"email": "x@nowhere.example",
                                                    "form_token": GUARD.search((await client.get("/login/sso")).text)[1]})
    assert unknown.status_code == 404 and "nowhere.example" in unknown.text


async def test_a_suspended_organization_cannot_sign_in(client, engine, agency, provider) -> None:
    from newsbridge.db.operator_tables import organization_suspensions
    from newsbridge.ids import utcnow

    partner, domain = agency
    with writing(engine) as conn:
        conn.execute(organization_suspensions.insert().values(organization_id=partner.org.id, reason="test",
                                                              suspended_by="operator", suspended_at=utcnow()))
    answer = await sign_in(client, provider, f"member@{domain}")
    assert answer.status_code == 403 and "suspended" in answer.text


async def test_an_invitee_joins_through_the_directory(client, engine, agency, provider) -> None:
    partner, domain = agency
    with writing(engine) as conn:
        conn.execute(sso_configs.update().values(create_accounts=False))
        _, token = invite(conn, partner.org.id, f"invited@{domain}", "admin", actor="test")
    page = await client.get(f"/invite/{token}")
    assert page.status_code == 200 and f'action="/invite/{token}/sso"' in page.text
    without = await client.post(f"/invite/{token}/sso", data={})
    assert without.status_code == 403  # no form token: refused
    sent = await client.post(f"/invite/{token}/sso", data={"form_token": GUARD.search(page.text)[1]})
    provider.user(f"invited@{domain}", PASSWORD, groups=[])
    answer = await client.get(at_provider(onward(sent), f"invited@{domain}"))
    assert answer.status_code == 303, answer.text
    with reading(engine) as conn:
        assert conn.execute(members.select().where(members.c.email == f"invited@{domain}")).one().role == "admin"
    assert (await client.get(f"/invite/{token}")).status_code == 404  # used


async def test_the_two_factor_rule_applies_unless_the_directory_enforces_it(client, app, engine, agency,
                                                                            provider) -> None:
    partner, domain = agency
    with writing(engine) as conn:
        set_policy(conn, partner.org.id, "all", actor="test", address=None)
    answer = await sign_in(client, provider, f"mfa@{domain}")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login/two-factor/enrol")
    assert (await client.get("/account")).status_code == 303  # a half sign-in, no session yet
    with writing(engine) as conn:
        conn.execute(sso_configs.update().values(idp_enforces_mfa=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB) as http:
        answer = await sign_in(http, provider, f"mfa@{domain}")
        assert answer.status_code == 303 and answer.headers["location"] == "/desk"


async def test_the_issuer_passes_the_ssrf_guard(engine, make_partner) -> None:
    partner = make_partner()
    data = {"issuer": "http://127.0.0.1:9/", "client_id": "x", "client_secret": "y", "domains": ["a.example"]}
    with pytest.raises(Exception) as refused:
        checked_issuer(data, allow=())
    assert refused.value.field == "issuer" and "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS" in refused.value.message
    with pytest.raises(Exception) as refused:
        checked_issuer({**data, "issuer": "http://93.184.216.34"}, allow=())
    assert refused.value.field == "issuer" and "https" in refused.value.message


async def test_the_client_secret_is_sealed(engine, agency) -> None:
    partner, _ = agency
    with reading(engine) as conn:
        stored = conn.execute(sso_configs.select()).one().client_secret_sealed
        secret = client_secret(conn, partner.org.id)
        assert get_config(conn, partner.org.id).to_json()["client_secret_set"] is True
    assert stored.startswith("v1:") and secret not in stored and len(secret) > 10


async def test_starting_directory_sign_ins_is_limited_per_address(app, agency) -> None:
    from newsbridge.web.views.sso import STARTS_PER_MINUTE

    _, domain = agency
    for attempt in range(3):  # the limit is per clock minute: a run that crosses one says nothing, so it runs again
        transport = httpx.ASGITransport(app=app, client=(f"192.0.2.{attempt + 1}", 40000))  # an address of its own
        async with httpx.AsyncClient(transport=transport, base_url=HUB) as http:
            guard = GUARD.search((await http.get("/login/sso")).text)[1]
            minute = int(time.time() // 60)
            answers = [(await http.post("/login/sso", data={"email": f"a@{domain}", "form_token": guard})).status_code
                       for _ in range(STARTS_PER_MINUTE + 1)]
        if int(time.time() // 60) == minute:
            break
    assert answers[:-1] == [200] * STARTS_PER_MINUTE and answers[-1] == 429


async def test_with_sync_roles_the_claim_sets_an_existing_members_role(app, engine, agency, provider) -> None:
    partner, domain = agency
    with writing(engine) as conn:
        add_member(conn, partner.org.slug, f"chief@{domain}", "Chief", "admin", "a long password 1")
        add_member(conn, partner.org.slug, f"desk@{domain}", "Desk", "editor", "a long password 1")

    async def role_after(email: str, groups: list[str]) -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB) as http:
            assert (await sign_in(http, provider, email, groups=groups)).status_code == 303
        with reading(engine) as conn:
            return conn.execute(members.select().where(members.c.email == email)).one().role

    assert await role_after(f"desk@{domain}", ["newsbridge-admins"]) == "editor"  # off: the desk's role stays
    with writing(engine) as conn:
        conn.execute(sso_configs.update().values(sync_roles=True))
    assert await role_after(f"desk@{domain}", ["newsbridge-admins"]) == "admin"
    assert await role_after(f"desk@{domain}", ["staff"]) == "viewer"  # out of the group: the default role
    assert await role_after(f"chief@{domain}", []) == "admin"  # the last active admin stays admin
    with reading(engine) as conn:
        admins = conn.execute(members.select().where(members.c.organization_id == partner.org.id,
                                                     members.c.role == "admin")).all()
        changes = [(e.actor, e.target, e.detail) for e in entries(conn, partner.org.id, action="member.role_changed")]
    assert [a.email for a in admins] == [f"chief@{domain}"]
    assert changes[-1] == (f"directory {provider.issuer}", f"desk@{domain}", {"from": "editor", "to": "admin"})
