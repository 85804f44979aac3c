"""A desk member signed in through the real ``/login`` form, for API tests that also look at the
desk (the same steps as tests/web/conftest.py's ``sign_in``, usable outside tests/web)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from newsbridge.accounts.members import add_member
from newsbridge.db.engine import writing

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class DeskSession:
    http: httpx.AsyncClient
    csrf_token: str

    async def get(self, path: str, **params: Any) -> httpx.Response:
        # no params: None, not {} (httpx 0.29 replaces a query written in the path by an empty one)
        return await self.http.get(path, params=params or None)

    async def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post(path, data={"csrf_token": self.csrf_token, **(data or {})})


async def sign_in(http: httpx.AsyncClient, engine: Engine, org_slug: str, role: str = "admin") -> DeskSession:
    """Add a member to ``org_slug`` and sign ``http`` (a client of its own, it keeps the cookies) in."""
    email = f"{role}-{secrets.token_hex(3)}@{org_slug}.example"
    with writing(engine) as conn:
        add_member(conn, org_slug, email, f"{role.title()} of {org_slug}", role, PASSWORD)
    signed = await http.post("/login", data={"email": email, "password": PASSWORD})
    assert signed.status_code == 303, signed.text
    token = CSRF.search((await http.get("/account")).text)
    assert token, "the account page carries no CSRF token"
    return DeskSession(http, token[1])
