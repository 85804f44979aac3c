"""TOTP two-factor sign-in over the real pages on both databases, with real time steps (pyotp): enrolment on
the Account page, the second step after the password (no session before it), recovery codes used once,
turning it off, wrong codes in the sign-in back-off, and the organization's policy on the Team page."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pyotp
import pytest

from newsbridge.accounts.audit import entries
from newsbridge.accounts.throttle import FREE_FAILURES
from newsbridge.db.engine import reading
from typer.testing import CliRunner

from newsbridge.cli import app as cli_app
from tests.web.conftest import PASSWORD, Desk

pytestmark = pytest.mark.anyio
SECRET = re.compile(r'<code dir="ltr">([A-Z2-7]+)</code>')
GUARD = re.compile(r'name="form_token" value="([^"]+)"')
RECOVERY = re.compile(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>")

Browser = Callable[[], httpx.AsyncClient]


@pytest.fixture
async def browser(app) -> AsyncIterator[Browser]:  # type: ignore[no-untyped-def]
    opened: list[httpx.AsyncClient] = []

    def new() -> httpx.AsyncClient:
        opened.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test"))
        return opened[-1]

    yield new
    for http in opened:
        await http.aclose()


def later(secret: str, steps: int = 1) -> str:
    """The code of a neighbouring time step (a step once accepted is never accepted again)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


async def enrol(desk: Desk) -> tuple[str, list[str]]:
    begun = await desk.post("/account/two-factor/begin")
    assert begun.status_code == 200 and "<svg" in begun.text
    secret = SECRET.search(begun.text)[1]
    confirmed = await desk.post("/account/two-factor/confirm", {"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    codes = RECOVERY.findall(confirmed.text)
    return secret, codes


async def password_step(http: httpx.AsyncClient, email: str) -> httpx.Response:
    return await http.post("/login", data={"email": email, "password": PASSWORD, "next": "/team?x=1&y=2"})


async def second_step(http: httpx.AsyncClient, code: str, path: str = "/login/two-factor?next=/team") -> httpx.Response:
    """The code on the second-step form, as a browser posts it (with the form's token)."""
    form = await http.get(path)
    guard = GUARD.search(form.text)[1] if form.status_code == 200 else http.cookies.get("nb_form", "")
    return await http.post(path, data={"code": code, "form_token": guard})


async def test_enrolment_shows_a_qr_code_and_ten_recovery_codes_once(sign_in, make_partner, engine) -> None:
    make_partner("alpha")
    desk = await sign_in("alpha", "editor")
    assert "Set up" in (await desk.get("/account/two-factor")).text
    begun = await desk.post("/account/two-factor/begin")
    secret = SECRET.search(begun.text)[1]
    wrong = await desk.post("/account/two-factor/confirm", {"code": "000000" if pyotp.TOTP(secret).now() != "000000"
                                                           else "111111"})
    assert wrong.status_code == 422 and "not right" in wrong.text
    confirmed = await desk.post("/account/two-factor/confirm", {"code": pyotp.TOTP(secret).now()})
    codes = RECOVERY.findall(confirmed.text)
    assert confirmed.status_code == 200 and len(set(codes)) == 10
    shown = await desk.get("/account/two-factor")
    assert "10 recovery codes left" in shown.text and not RECOVERY.search(shown.text) and secret not in shown.text
    with reading(engine) as conn:
        assert [e.action for e in entries(conn, desk.member.organization_id, action="two_factor.")] == \
            ["two_factor.enabled"]


async def test_sign_in_asks_for_the_code_before_any_session(sign_in, make_partner, browser, engine) -> None:
    make_partner("alpha")
    desk = await sign_in("alpha", "admin")
    secret, _codes = await enrol(desk)
    http = browser()
    half = await password_step(http, desk.member.email)
    assert half.status_code == 303 and half.headers["location"].startswith("/login/two-factor")
    assert "nb_session" not in http.cookies and "nb_half" in http.cookies
    assert (await http.get("/team")).status_code == 303  # a half sign-in is no session
    assert "authenticator app" in (await http.get(half.headers["location"])).text
    wrong = await second_step(http, "12345x", "/login/two-factor?next=/team")
    assert wrong.status_code == 401 and "not right" in wrong.text
    code = later(secret)
    done = await second_step(http, code, half.headers["location"])
    assert done.status_code == 303 and done.headers["location"] == "/team?x=1&y=2"
    assert (await http.get("/team")).status_code == 200
    # the same code (the same time step) never signs in twice
    again = browser()
    await password_step(again, desk.member.email)
    assert (await second_step(again, code, "/login/two-factor")).status_code == 401
    with reading(engine) as conn:
        actions = [e.action for e in entries(conn, desk.member.organization_id, action="sign_in")]
    assert actions.count("sign_in.failed") == 2


async def test_a_recovery_code_works_once_and_a_code_turns_it_off(sign_in, make_partner, browser, engine) -> None:
    make_partner("alpha")
    desk = await sign_in("alpha", "editor")
    secret, codes = await enrol(desk)
    first = browser()
    await password_step(first, desk.member.email)
    used = await second_step(first, codes[3].upper().replace("-", " "), "/login/two-factor")
    assert used.status_code == 303 and (await first.get("/account")).status_code == 200
    second = browser()
    await password_step(second, desk.member.email)
    assert (await second_step(second, codes[3], "/login/two-factor")).status_code == 401
    assert "9 recovery codes left" in (await desk.get("/account/two-factor")).text
    refused = await desk.post("/account/two-factor/disable", {"code": "999999"})
    assert refused.status_code == 422
    off = await desk.post("/account/two-factor/disable", {"code": later(secret)})
    assert off.status_code == 200 and "Set up" in off.text
    plain = browser()
    assert (await password_step(plain, desk.member.email)).headers["location"] == "/team?x=1&y=2"
    with reading(engine) as conn:
        actions = {e.action for e in entries(conn, desk.member.organization_id, action="two_factor.")}
    assert actions == {"two_factor.enabled", "two_factor.recovery_used", "two_factor.disabled"}


async def test_wrong_codes_count_in_the_sign_in_back_off(sign_in, make_partner, browser) -> None:
    make_partner("alpha")
    desk = await sign_in("alpha", "viewer")
    secret, _codes = await enrol(desk)
    http = browser()
    await password_step(http, desk.member.email)
    answers = [(await second_step(http, "bad-code", "/login/two-factor")).status_code
               for _ in range(FREE_FAILURES + 1)]
    assert answers[-1] == 429 and 401 in answers
    refused = await second_step(http, later(secret), "/login/two-factor")
    assert refused.status_code == 429 and "Retry-After" in refused.headers  # the right code waits too


async def test_the_organization_can_require_two_factor_of_its_admins(sign_in, make_partner, browser, engine) -> None:
    make_partner("alpha")
    admin = await sign_in("alpha", "admin")
    editor = await sign_in("alpha", "editor")
    assert (await editor.post("/team/two-factor", {"required_for": "all"})).status_code == 403
    assert "Team and keys" in (await editor.get("/team/two-factor")).text
    assert (await admin.post("/team/two-factor", {"required_for": "everyone"})).status_code == 422
    saved = await admin.post("/team/two-factor", {"required_for": "admins"})
    assert saved.status_code == 200 and 'value="admins" checked' in saved.text
    assert (await password_step(browser(), editor.member.email)).headers["location"] == "/team?x=1&y=2"
    http = browser()
    sent = await password_step(http, admin.member.email)
    assert sent.headers["location"].startswith("/login/two-factor/enrol")
    assert (await http.get("/team")).status_code == 303
    form = await http.get(sent.headers["location"])
    secret = SECRET.search(form.text)[1]
    assert "<svg" in form.text
    assert (await second_step(http, "000000", "/login/two-factor/enrol")).status_code == 401 or \
        pyotp.TOTP(secret).now() == "000000"
    joined = await second_step(http, pyotp.TOTP(secret).now(), "/login/two-factor/enrol?next=/team")
    assert joined.status_code == 200 and len(RECOVERY.findall(joined.text)) == 10
    assert (await http.get("/team")).status_code == 200
    with reading(engine) as conn:
        actions = [e.action for e in entries(conn, admin.member.organization_id, action="two_factor.")]
    assert set(actions) == {"two_factor.policy_changed", "two_factor.enabled"}


async def test_the_second_step_without_a_half_sign_in_goes_back_to_the_password(browser) -> None:
    http = browser()
    for path in ("/login/two-factor", "/login/two-factor/enrol"):
        assert (await http.get(path)).headers["location"] == "/login"
        assert (await http.post(path, data={"code": "123456"})).status_code == 403  # no form token
        http.cookies.set("nb_form", "chosen")
        gone = await http.post(path, data={"code": "123456", "form_token": "chosen"})
        assert gone.headers["location"] == "/login"


async def test_the_operator_removes_a_lost_second_factor(sign_in, make_partner, browser, engine) -> None:
    make_partner("alpha")
    desk = await sign_in("alpha", "editor")
    await enrol(desk)
    url = engine.url.render_as_string(hide_password=False)
    removed = CliRunner().invoke(cli_app, ["--database-url", url, "member", "two-factor-off", desk.member.email])
    assert removed.exit_code == 0, removed.output
    unknown = CliRunner().invoke(cli_app, ["--database-url", url, "member", "two-factor-off", "no@alpha.example"])
    assert unknown.exit_code != 0 and "no member" in unknown.output
    assert (await password_step(browser(), desk.member.email)).headers["location"] == "/team?x=1&y=2"
    with reading(engine) as conn:
        [entry] = [e for e in entries(conn, desk.member.organization_id, action="two_factor.disabled")]
    assert entry.actor == "cli"
