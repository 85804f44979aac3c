"""Password reset by e-mail over the real pages, with a real SMTP server on loopback, on both databases:
the same answer for any address, a link mailed in the member's language that works once for an hour,
every session ending, nothing for a deactivated member, and requests limited per e-mail."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import anyio
import httpx
import pytest
import sqlalchemy as sa

from newsbridge.accounts.audit import entries
from newsbridge.accounts.members import add_member
from newsbridge.accounts.team import deactivate
from newsbridge.app import create_app
from newsbridge.db.engine import reading, writing
from newsbridge.db.signin_tables import password_resets
from newsbridge.ids import utcnow
from tests.smtp_server import LocalSmtp

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"
NEW = "a brand new passphrase"
LINK = re.compile(r"http://[^/\s]+(/reset\?token=(nbr_[\w-]+))")
GUARD = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def smtp() -> LocalSmtp:
    with LocalSmtp() as server:
        yield server


@pytest.fixture
async def hub(settings, engine, smtp) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    app = create_app(settings.replace(smtp_url=smtp.url), engine, migrate=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        yield http


@pytest.fixture
def member(engine, make_partner):  # type: ignore[no-untyped-def]
    make_partner("alpha")
    with writing(engine) as conn:
        add_member(conn, "alpha", "boss@alpha.example", "Boss", "admin", PASSWORD)
        return add_member(conn, "alpha", "ru@alpha.example", "Ru", "editor", PASSWORD, locale="ru")


async def _ask(hub: httpx.AsyncClient, email: str) -> httpx.Response:
    form = await hub.get("/login/forgot")
    return await hub.post("/login/forgot", data={"email": email, "form_token": GUARD.search(form.text)[1]})


async def _set(hub: httpx.AsyncClient, link: re.Match[str], password: str, repeat: str | None = None) -> httpx.Response:
    """Open the link and post the new password (an unusable link: post with the token the last page gave)."""
    opened = await hub.get(link[1])
    guard = GUARD.search(opened.text)[1] if opened.status_code == 200 else hub.cookies.get("nb_form", "")
    return await hub.post("/reset", data={"token": link[2], "password": password, "repeat": repeat or password,
                                          "form_token": guard})


async def test_a_reset_link_sets_a_new_password_once_and_signs_everyone_out(hub, smtp, member, engine) -> None:
    assert "/login/forgot" in (await hub.get("/login")).text
    signed_in = await hub.post("/login", data={"email": member.email, "password": PASSWORD})
    assert signed_in.status_code == 303 and (await hub.get("/account")).status_code == 200
    asked = await _ask(hub, "RU@alpha.example ")
    assert asked.status_code == 200 and "is on its way" in asked.text
    [message] = smtp.messages()
    assert message["To"] == member.email and "пароль" in message["Subject"]
    link = LINK.search(message.get_body(("plain",)).get_content())
    with reading(engine) as conn:
        assert conn.execute(sa.select(password_resets.c.token_hash)).scalar() not in (link[2], None)
    short = await _set(hub, link, "short")
    assert short.status_code == 422 and "10 characters" in short.text
    assert (await _set(hub, link, NEW, "another passphrase")).status_code == 422
    done = await _set(hub, link, NEW)
    assert done.status_code == 200 and "new password is set" in done.text
    assert (await hub.get("/account")).status_code != 200  # every session ended
    assert (await _set(hub, link, NEW)).status_code == 404  # used up
    assert (await hub.get(link[1])).status_code == 404
    assert (await hub.post("/login", data={"email": member.email, "password": PASSWORD})).status_code == 401
    assert (await hub.post("/login", data={"email": member.email, "password": NEW})).status_code == 303
    with reading(engine) as conn:
        assert [e.action for e in entries(conn, member.organization_id, action="password.")] == ["password.reset"]


async def test_an_unknown_or_deactivated_address_gets_the_same_answer_and_no_mail(hub, smtp, member, engine) -> None:
    known = await _ask(hub, member.email)
    unknown = await _ask(hub, "nobody@alpha.example")
    with writing(engine) as conn:
        deactivate(conn, member.organization_id, member.id, actor="boss@alpha.example", address=None)
    gone = await _ask(hub, member.email)
    assert known.status_code == unknown.status_code == gone.status_code == 200
    assert _said(known.text) == _said(unknown.text) == _said(gone.text)
    assert [m["To"] for m in smtp.messages()] == [member.email]
    link = LINK.search(smtp.messages()[0].get_body(("plain",)).get_content())
    assert (await hub.get(link[1])).status_code == 404  # the link dies with the membership


def _said(html: str) -> str:
    return re.search(r'role="status">([^<]+)<', html)[1]


async def test_an_expired_or_unknown_link_is_not_found(hub, smtp, member, engine) -> None:
    await _ask(hub, member.email)
    link = LINK.search(smtp.messages()[0].get_body(("plain",)).get_content())
    with writing(engine) as conn:
        conn.execute(password_resets.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await hub.get(link[1])).status_code == 404
    assert (await _set(hub, link, NEW)).status_code == 404
    assert (await hub.get("/reset?token=nbr_made-up")).status_code == 404
    assert (await hub.post("/login", data={"email": member.email, "password": PASSWORD})).status_code == 303


async def test_reset_forms_need_their_form_token(hub, smtp, member) -> None:
    assert (await hub.post("/login/forgot", data={"email": member.email})).status_code == 403
    await hub.get("/login/forgot")
    assert (await hub.post("/login/forgot", data={"email": member.email, "form_token": "forged"})).status_code == 403
    await _ask(hub, member.email)
    link = LINK.search(smtp.messages()[0].get_body(("plain",)).get_content())
    assert (await hub.post("/reset", data={"token": link[2], "password": NEW, "repeat": NEW})).status_code == 403
    assert (await hub.post("/login", data={"email": member.email, "password": PASSWORD})).status_code == 303


async def test_reset_requests_are_limited_per_email(hub, smtp, member) -> None:
    while time.time() % 60 > 50:  # the limit counts per clock minute: start where all four fall in one
        await anyio.sleep(1)
    answers = [(await _ask(hub, member.email)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert len(smtp.messages()) == 3
