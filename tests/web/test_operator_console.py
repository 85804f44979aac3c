"""The hub operator's console (views/operator.py, operator_health.py): an operator signs in on /login and
lands on /operator; creates an organization whose first admin is invited by e-mail through a real
SMTP server; suspends it (its member's session ends, sign-in is refused with the reason to call the
operator) and reactivates it; sends an invitation again; reads health and the audit log with its
exports. An operator sees no organization's items, and members see none of the console."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from newsbridge.accounts.members import add_member, hash_password
from newsbridge.accounts.operators import add_operator
from newsbridge.app import create_app
from newsbridge.db.engine import writing
from tests.smtp_server import LocalSmtp

pytestmark = pytest.mark.anyio
PASSWORD = "operator horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"http://\S+/invite/(nbi_[\w-]+)")


@dataclass
class Console:
    http: httpx.AsyncClient
    csrf: str

    async def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(path, data={"csrf_token": self.csrf, **(data or {})})


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    with LocalSmtp() as server:
        yield server


@pytest.fixture
def mail_app(settings, engine, smtp):  # type: ignore[no-untyped-def]
    return create_app(settings.replace(smtp_url=smtp.url), engine, migrate=False)


async def _browser(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test")


@pytest.fixture
async def console(mail_app, engine) -> AsyncIterator[Console]:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        add_operator(conn, "op@hub.example", "Hub Operator", hash_password(PASSWORD))
    async with await _browser(mail_app) as http:
        signed = await http.post("/login", data={"email": "OP@hub.example ", "password": PASSWORD})
        assert signed.status_code == 303 and signed.headers["location"] == "/operator"
        home = await http.get("/operator")
        assert home.status_code == 200 and "Hub operator" in home.text
        yield Console(http, CSRF.search(home.text)[1])  # type: ignore[index]


async def _create(console: Console, slug: str = "alpha", locale: str = "en") -> httpx.Response:
    return await console.post("/operator/organizations", {
        "slug": slug, "name": "Alpha <News> Agency", "country": "kz", "languages": "kk, ru",
        "timezone": "Asia/Almaty", "admin_email": f"chief@{slug}.example", "locale": locale})


async def test_an_operator_creates_an_organization_and_its_first_admin_joins_by_the_mailed_link(
        console, smtp, mail_app, engine) -> None:
    made = await _create(console, locale="fa")
    assert made.status_code == 200 and "invited by e-mail" in made.text
    assert "Alpha &lt;News&gt; Agency" in made.text
    [mail] = smtp.messages()
    assert mail["To"] == "chief@alpha.example" and mail.get_content_type() == "multipart/alternative"
    text, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
    assert "Alpha <News> Agency" in text and "Alpha &lt;News&gt; Agency" in html and "<News>" not in html
    assert 'dir="rtl"' in html and 'lang="fa"' in html  # the admin chose Persian for this mail
    token = LINK.search(text)[1]  # type: ignore[index]
    assert f'href="http://127.0.0.1:8000/invite/{token}"' in html
    async with await _browser(mail_app) as chief:
        joined = await chief.post(f"/invite/{token}", data={"name": "Chief", "password": "chief horse battery",
                                                             "repeat": "chief horse battery"})
        assert joined.status_code == 303
        assert (await chief.get("/team")).status_code == 200
    page = await console.http.get("/operator/organizations/alpha")
    assert "chief@alpha.example" in page.text and "No admin has joined yet." not in page.text


async def test_a_bad_organization_says_what_to_fix_and_keeps_what_was_typed(console) -> None:
    refused = await console.post("/operator/organizations", {
        "slug": "Not A Slug", "name": "Beta", "admin_email": "chief@beta.example"})
    assert refused.status_code == 422 and "lower-case letters" in refused.text
    assert 'value="chief@beta.example"' in refused.text


async def test_suspension_ends_sessions_refuses_sign_in_with_the_reason_and_reactivation_restores(
        console, mail_app, engine) -> None:
    await _create(console)
    with writing(engine) as conn:
        add_member(conn, "alpha", "editor@alpha.example", "Editor", "editor", "editor horse battery", locale="ru")
    async with await _browser(mail_app) as editor:
        assert (await editor.post("/login", data={"email": "editor@alpha.example",
                                                  "password": "editor horse battery"})).status_code == 303
        assert (await editor.get("/desk")).status_code == 200
        done = await console.post("/operator/organizations/alpha/suspend", {"reason": "Unpaid <invoices>"})
        assert done.status_code == 200 and "Unpaid &lt;invoices&gt;" in done.text
        assert (await editor.get("/desk")).headers.get("location", "").startswith("/login")  # session ended
        refused = await editor.post("/login", data={"email": "editor@alpha.example",
                                                    "password": "editor horse battery"})
        assert refused.status_code == 403 and "оператор" in refused.text  # in the member's language
        listed = await console.http.get("/operator")
        assert re.search(r"alpha</code>.*?suspended", listed.text, re.S)
        assert (await console.post("/operator/organizations/alpha/reactivate")).status_code == 200
        again = await editor.post("/login", data={"email": "editor@alpha.example", "password": "editor horse battery"})
        assert again.status_code == 303 and (await editor.get("/desk")).status_code == 200


async def test_an_invitation_sent_again_replaces_the_earlier_link(console, smtp, mail_app) -> None:
    await _create(console)
    first = LINK.search(smtp.messages()[0].get_body(("plain",)).get_content())[1]  # type: ignore[index]
    page = await console.http.get("/operator/organizations/alpha")
    invitation_id = re.search(r'name="invitation_id" value="([^"]+)"', page.text)[1]  # type: ignore[index]
    resent = await console.post("/operator/organizations/alpha/resend", {"invitation_id": invitation_id,
                                                                         "locale": "kk"})
    assert resent.status_code == 200 and len(smtp.messages()) == 2
    second = LINK.search(smtp.messages()[1].get_body(("plain",)).get_content())[1]  # type: ignore[index]
    assert second != first
    async with await _browser(mail_app) as invitee:
        assert (await invitee.get(f"/invite/{first}")).status_code == 404
        assert (await invitee.get(f"/invite/{second}")).status_code == 200


async def test_the_audit_log_shows_operator_actions_and_exports_them(console) -> None:
    await _create(console)
    await console.post("/operator/organizations/alpha/suspend", {"reason": "audit"})
    page = await console.http.get("/operator/audit")
    assert "operator.organization_created" in page.text and "operator.organization_suspended" in page.text
    assert "sign_in.succeeded" not in page.text  # operators' actions only, unless the hub is asked for
    csv = await console.http.get("/operator/audit.csv?scope=hub&organization=alpha")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "organization.suspended" in csv.text and "member.invited" in csv.text
    lines = (await console.http.get("/operator/audit.jsonl")).text.splitlines()
    actions = [json.loads(line)["action"] for line in lines]
    assert actions[:3] == ["operator.organization_suspended", "operator.organization_created", "operator.signed_in"]
    assert (await console.http.get("/operator/audit?organization=nosuch")).status_code == 404


async def test_the_health_page_counts_queues_failures_and_storage(console) -> None:
    await _create(console)
    page = await console.http.get("/operator/health")
    assert page.status_code == 200
    for words in ("Webhook queue", "held for suspended organizations", "Failing endpoints", "Failing sources",
                  "Media files and their renditions: 0 files, 0 B.", "Workers&#39; last activity"):
        assert words in page.text, words


async def test_an_operator_sees_no_organizations_items_desk_or_api(console, client, make_partner) -> None:
    alpha = make_partner("alpha")
    item = {"uri": "urn:alpha:1", "language": "en", "headlines": [{"value": "Alpha's own story"}]}
    item_id = (await client.post("/api/v1/items", json=item, headers=alpha.headers)).json()["id"]
    for path in ("/desk", f"/items/{item_id}", "/outgoing", "/team", "/agreements", f"/items/{item_id}/preview"):
        seen = await console.http.get(path)
        assert seen.status_code == 404 and "Alpha's own story" not in seen.text, path
    for path in (f"/api/v1/items/{item_id}", "/api/v1/feed", "/api/v1/inbox"):
        assert (await console.http.get(path)).status_code == 401, path  # the API takes keys, never a cookie


async def test_members_see_nothing_of_the_console(sign_in, make_partner, console) -> None:
    make_partner("alpha")
    admin = await sign_in("alpha", "admin")
    assert (await admin.get("/operator/organizations/alpha")).status_code == 404
    assert (await admin.post("/operator/organizations/alpha/suspend", {"reason": "x"})).status_code == 404
    assert (await admin.post("/operator/organizations", {"slug": "mine", "name": "M",
                                                         "admin_email": "a@m.example"})).status_code == 403
    assert (await admin.get("/operator")).headers["location"].startswith("/login")


@pytest.mark.parametrize("locale", ["en", "ru", "kk", "fa"])
async def test_every_console_page_in_every_language(mail_app, engine, locale) -> None:
    with writing(engine) as conn:
        add_operator(conn, f"op-{locale}@hub.example", "Op", hash_password(PASSWORD), locale=locale)
    async with await _browser(mail_app) as http:
        await http.post("/login", data={"email": f"op-{locale}@hub.example", "password": PASSWORD})
        home = await http.get("/operator")
        csrf = CSRF.search(home.text)[1]  # type: ignore[index]
        await http.post("/operator/organizations", data={"csrf_token": csrf, "slug": "alpha", "name": "Alpha",
                                                         "admin_email": "chief@alpha.example"})
        for path in ("/operator", "/operator/organizations/alpha", "/operator/health", "/operator/audit"):
            shown = await http.get(path)
            assert shown.status_code == 200 and f'lang="{locale}"' in shown.text, path
            assert ('dir="rtl"' in shown.text) is (locale == "fa")
            if locale != "en":
                assert "Hub operator" not in shown.text  # translated
