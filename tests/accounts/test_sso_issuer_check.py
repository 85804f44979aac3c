"""Saving an organization's directory checks the issuer's host (a DNS lookup, which can take seconds)
before the write transaction opens, through the API and on the desk: while the lookup runs, another
writer gets its turn (SQLite has one writer per database; the hub queues a process's writers), and the
saved issuer is the one checked. Both databases."""

from __future__ import annotations

import re
import threading

import pytest

from newsbridge.accounts import oidc
from newsbridge.accounts.audit import record
from newsbridge.accounts.members import add_member
from newsbridge.db.engine import reading, writing

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WAITS = 10.0  # seconds the lookup waits for the other write: far longer than the write takes when free


@pytest.fixture
def slow_dns(engine, monkeypatch):  # type: ignore[no-untyped-def]
    """A resolver that, while the hub waits on it, has another thread write and waits for that write."""
    seen: list[tuple[str, bool]] = []

    def resolve(host: str, port: int) -> list[str]:
        done = threading.Event()

        def other_writer() -> None:
            with writing(engine) as conn:
                record(conn, "test.other_write", organization_id=None, actor="test")
            done.set()

        threading.Thread(target=other_writer, daemon=True).start()
        seen.append((host, done.wait(WAITS)))  # False: the save held the writer through its DNS lookup
        return ["93.184.216.34"]

    monkeypatch.setattr(oidc, "system_resolver", resolve)
    return seen


def _settings(org_slug: str, name: str) -> dict[str, object]:
    return {"issuer": f"https://{name}.directory.example/realms/{org_slug}", "client_id": "newsbridge",
            "client_secret": "directory-secret", "domains": [f"{org_slug}.example"]}


async def test_the_api_checks_the_issuer_before_its_write(client, engine, make_partner, slow_dns) -> None:
    alpha = make_partner("alpha", scopes=("read", "manage"))
    saved = await client.put("/api/v1/sso", json=_settings("alpha", "sso"), headers=alpha.headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["issuer"] == "https://sso.directory.example/realms/alpha"
    assert slow_dns == [("sso.directory.example", True)]


async def test_the_desk_checks_the_issuer_before_its_write(client, engine, make_partner, slow_dns) -> None:
    alpha = make_partner("alpha")
    with writing(engine) as conn:
        add_member(conn, "alpha", "admin@alpha.example", "Admin", "admin", PASSWORD)
    assert (await client.post("/login", data={"email": "admin@alpha.example", "password": PASSWORD})).status_code == 303
    token = CSRF.search((await client.get("/team/sso")).text)
    assert token
    form = {**_settings("alpha", "keycloak"), "domains": "alpha.example", "csrf_token": token[1]}
    saved = await client.post("/team/sso", data=form)
    assert saved.status_code == 200 and "Single sign-on is saved." in saved.text, saved.text
    assert slow_dns == [("keycloak.directory.example", True)]
    with reading(engine) as conn:
        config = oidc.get_config(conn, alpha.org.id)
    assert config is not None and config.issuer == "https://keycloak.directory.example/realms/alpha"


async def test_a_save_refuses_an_issuer_checked_for_other_data(engine, make_partner) -> None:
    alpha = make_partner("alpha")
    checked = oidc.checked_issuer(_settings("alpha", "sso"), allow=(), resolver=lambda host, port: ["93.184.216.34"])
    with writing(engine) as conn, pytest.raises(ValueError):
        oidc.save_config(conn, alpha.org.id, _settings("alpha", "other"), issuer=checked, actor="test")
