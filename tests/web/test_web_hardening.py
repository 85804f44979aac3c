"""Web hardening, checked over every page route: CSRF on every form, session cookie flags, and a sign-in
``next=`` that cannot send anyone to another site."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Route

from newsbridge.accounts.members import add_member
from newsbridge.db.engine import writing

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"
PARAM = re.compile(r"\{[^}]+\}")
NO_SESSION_NEEDED = {"/login"}  # signing in is the one form posted before there is a session


def _routes(routes, prefix: str = "") -> list[Route]:  # type: ignore[no-untyped-def]
    """Every route, through the routers FastAPI includes (kept apart, with their prefix, since 0.13x)."""
    found: list[Route] = []
    for route in routes:
        if hasattr(route, "original_router"):
            found += _routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Route):
            found.append(Route(prefix + route.path, route.endpoint, methods=list(route.methods or ())))
    return found


def _web_posts(app) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted({route.path for route in _routes(app.routes) if "POST" in (route.methods or ())
                   and not route.path.startswith(("/api/", "/feeds/", "/media/")) and route.path not in NO_SESSION_NEEDED})


async def test_every_form_refuses_a_post_without_its_csrf_token(app, sign_in, make_partner) -> None:
    make_partner("kazinform")
    desk = await sign_in("kazinform", "admin")
    paths = _web_posts(app)
    assert len(paths) >= 20, paths
    accepted = {}
    for path in paths:
        answer = await desk.post(PARAM.sub("01M91H00000000000000000000", path), {"title": "x"}, csrf=False)
        if answer.status_code not in (403, 404) or (answer.status_code == 404 and not PARAM.search(path)):
            accepted[path] = answer.status_code
    assert accepted == {}, f"forms that took a post without a CSRF token: {accepted}"


async def test_the_session_cookie_is_http_only_same_site_and_secure_behind_tls(app, engine, make_partner) -> None:
    make_partner("irna")
    with writing(engine) as conn:
        add_member(conn, "irna", "editor@irna.example", "Editor", "editor", PASSWORD)
    for base, secure in (("http://hub.test", False), ("https://hub.test", True)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as http:
            signed = await http.post("/login", data={"email": "editor@irna.example", "password": PASSWORD})
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie, cookie
        assert ("secure" in cookie.split("; ")) is secure, cookie


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                                    "/\\/evil.example", "\\\\evil.example", "javascript:alert(1)",
                                    "/%0d%0aLocation:%20https://evil.example", "http:/evil.example"])
async def test_sign_in_never_redirects_off_site(app, engine, make_partner, target: str) -> None:
    make_partner("irna")
    with writing(engine) as conn:
        add_member(conn, "irna", "desk@irna.example", "Desk", "editor", PASSWORD)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        signed = await http.post("/login", data={"email": "desk@irna.example", "password": PASSWORD, "next": target})
        assert signed.status_code == 303
        location = signed.headers["location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert "evil" not in httpx.URL("http://hub.test").join(location).host
        again = await http.get("/login", params={"next": target})  # already signed in: straight on
        assert again.headers.get("location", "/desk").startswith("/")
        assert "evil" not in httpx.URL("http://hub.test").join(again.headers.get("location", "/desk")).host


async def test_a_local_next_is_kept(app, engine, make_partner) -> None:
    make_partner("irna")
    with writing(engine) as conn:
        add_member(conn, "irna", "back@irna.example", "Back", "editor", PASSWORD)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        signed = await http.post("/login", data={"email": "back@irna.example", "password": PASSWORD,
                                                  "next": "/agreements?status=active"})
    assert signed.headers["location"] == "/agreements?status=active"
