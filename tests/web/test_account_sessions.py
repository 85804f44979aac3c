"""A member sees where they are signed in (browser, address, since when) and can sign out everywhere else;
the other browsers' sessions end at once and it is on the audit log. Both databases."""

from __future__ import annotations

import httpx
import pytest

from newsbridge.accounts.members import add_member
from newsbridge.accounts.sessions import device
from newsbridge.db.engine import writing

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


async def test_a_member_lists_sessions_and_signs_out_the_others(app, engine, make_partner) -> None:
    make_partner("irna")
    with writing(engine) as conn:
        add_member(conn, "irna", "desk@irna.example", "Desk", "editor", PASSWORD)
    browsers = []
    for agent, address in ((FIREFOX, "203.0.113.7"), (PHONE, "198.51.100.9")):
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 4000)),
                                 base_url="http://hub.test", headers={"User-Agent": agent})
        signed = await http.post("/login", data={"email": "desk@irna.example", "password": PASSWORD})
        assert signed.status_code == 303
        browsers.append(http)
    office, phone = browsers
    try:
        page = await office.get("/account")
        assert "Firefox / Windows" in page.text and "Chrome / Android" in page.text and "198.51.100.9" in page.text
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        assert (await office.post("/account/sessions/others", data={"csrf_token": token})).status_code == 303
        assert (await phone.get("/account")).status_code != 200  # the phone's session ended
        assert (await office.get("/account")).status_code == 200
        assert "Chrome / Android" not in (await office.get("/account")).text
    finally:
        for http in browsers:
            await http.aclose()


def test_a_user_agent_in_a_few_words() -> None:
    assert device(FIREFOX) == "Firefox / Windows"
    assert device(PHONE) == "Chrome / Android"
    assert device(None) == "?"
    assert device("curl/8.5.0") == "curl/8.5.0"
