"""Desk fixtures: members signed in through the real ``/login`` form, each with a browser of their own.

``sign_in("alpha", "admin", locale="ru")`` adds a member to an existing organization, signs them in over
the ASGI app and returns a :class:`Desk` that keeps their cookies and posts forms with their
CSRF token (``csrf=False`` posts without one).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from newsbridge.accounts.members import Member, add_member
from newsbridge.db.engine import writing

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def desk_app(app):  # type: ignore[no-untyped-def]
    """The app every desk test signs in to."""
    return app


@dataclass
class Desk:
    http: httpx.AsyncClient
    member: Member
    csrf_token: str

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    async def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True) -> httpx.Response:
        form = {"csrf_token": self.csrf_token} if csrf else {}
        return await self.http.post(path, data={**form, **(data or {})})


SignIn = Callable[..., Awaitable[Desk]]


@pytest.fixture
async def sign_in(desk_app, engine: Engine) -> AsyncIterator[SignIn]:  # type: ignore[no-untyped-def]
    async with AsyncExitStack() as clients:
        async def member_of(org_slug: str, role: str = "admin", name: str | None = None, locale: str = "en") -> Desk:
            email = f"{role}-{secrets.token_hex(3)}@{org_slug}.example"
            with writing(engine) as conn:
                member = add_member(conn, org_slug, email, name or f"{role.title()} of {org_slug}", role, PASSWORD,
                                    locale=locale)
            http = await clients.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=desk_app), base_url="http://hub.test"))
            signed = await http.post("/login", data={"email": email, "password": PASSWORD})
            assert signed.status_code == 303, signed.text
            token = CSRF.search((await http.get("/account")).text)
            assert token, "the account page carries no CSRF token"
            return Desk(http, member, token[1])

        yield member_of
