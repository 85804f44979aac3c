"""``newsbridge operator add|list|remove``: the one-time password printed alone signs in at /login and lands
on the operator console; an address is an operator's or a member's, never both; removal ends sessions."""

from __future__ import annotations

import httpx
import pytest

from tests.test_cli import cli  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio


async def test_an_added_operator_signs_in_with_the_printed_password_until_removed(cli, app) -> None:  # type: ignore[no-untyped-def]
    added = cli("operator", "add", "Ops@Hub.example", "--name", "Hub operations", "--locale", "kk")
    password = added.stdout.strip()
    assert len(password) >= 16 and "\n" not in password  # alone on standard output: PASSWORD=$(newsbridge ...)
    assert "ops@hub.example" in cli("operator", "list").stdout
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        signed = await http.post("/login", data={"email": "ops@hub.example", "password": password})
        assert signed.status_code == 303 and signed.headers["location"] == "/operator"
        assert 'lang="kk"' in (await http.get("/operator")).text
        cli("operator", "remove", "ops@hub.example")
        assert (await http.get("/operator")).headers["location"].startswith("/login")  # the session ended
        refused = await http.post("/login", data={"email": "ops@hub.example", "password": password})
        assert refused.status_code == 401
    assert "ops@hub.example" not in cli("operator", "list").stdout


def test_an_address_is_an_operators_or_a_members_never_both(cli) -> None:  # type: ignore[no-untyped-def]
    cli("org", "add", "alpha", "--name", "Alpha")
    cli("member", "add", "alpha", "chief@alpha.example", "--password", "chief horse battery")
    refused = cli("operator", "add", "chief@alpha.example", ok=False)
    assert "already_exists" in refused.output and "member" in refused.output
    cli("operator", "add", "ops@hub.example")
    assert "already_exists" in cli("operator", "add", "ops@hub.example", ok=False).output
    assert "not_found" in cli("operator", "remove", "nobody@hub.example", ok=False).output
    assert "invalid" in cli("operator", "add", "not-an-address", ok=False).output
    assert "already_exists" in cli("member", "add", "alpha", "ops@hub.example", ok=False).output
