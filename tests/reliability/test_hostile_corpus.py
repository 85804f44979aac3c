"""One corpus of hostile input, pushed through every way content and URLs enter the hub.

The ingest paths: the publish API (ninjs), the upload API (NewsML-G2, NITF), media upload
(multipart and tus), the feed poller (a loopback feed server the test allows), and the desk's
forms (publishing, agreements, endpoints, sources, media push targets, projects). The corpus:
invalid UTF-8, NUL bytes, huge fields, 100,000-level nested JSON, XML bombs and external
entities, script tags, event handlers and ``javascript:`` URLs in bodies and headlines, FTS and
SQL syntax in search strings, path traversal and CR/LF in upload names, CR/LF in webhook URLs,
and SSRF addresses (IPv6 tunnel forms, decimal and octal IPv4, names resolving to loopback,
redirects to private addresses) in every URL field.

Expected, everywhere: a clear 4xx with a stable code (and nothing stored), or inert storage:
script that comes back out on a page, feed, download or API answer can never run there (checked
by parsing each output as a browser or feed reader would, after first checking the output is
about the hostile item, so the check can fail).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.members import add_member
from newsbridge.app import create_app
from newsbridge.config import Settings
from newsbridge.db.engine import writing
from newsbridge.db.tables import endpoints, item_versions
from newsbridge.delivery.worker import Worker
from newsbridge.errors import ERROR_CODES, InvalidInput
from newsbridge.ingest.polling import Poller
from newsbridge.ingest.sources import add_source
from newsbridge.targets import check_url
from tests.conftest import Partner, active_agreement
from tests.live_server import start_http_server
from tests.reliability.hostile_corpus_data import (BOMB, DEEP, ESCAPED, INJECTED_URLS, PNG, PUBLIC, SEARCHES,  # noqa: I001
                                                  SSRF_URLS, UPLOAD_NAMES, XHTML_SCRIPT, newsml, nitf,
                                                  parameter_entity, rss, xxe)
from tests.reliability.hostile_checks import (SCRIPT, active_content, active_in_json, active_in_xml,  # noqa: I001
                                             marked)

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# -- the hub, two partners, a recipient's desk and feeds -----------------------------------------


@dataclass
class World:
    client: httpx.AsyncClient
    engine: Engine
    settings: Settings
    alpha: Partner
    beta: Partner
    alpha_desk: httpx.AsyncClient
    alpha_csrf: str
    beta_desk: httpx.AsyncClient
    feed_token: str

    async def desk_post(self, path: str, data: dict[str, Any], files: Any = None) -> httpx.Response:
        return await self.alpha_desk.post(path, data={"csrf_token": self.alpha_csrf, **data}, files=files)


async def _desk(app: Any, engine: Engine, slug: str) -> tuple[httpx.AsyncClient, str]:
    email = f"admin@{slug}.example"
    with writing(engine) as conn:
        add_member(conn, slug, email, f"Admin of {slug}", "admin", PASSWORD)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test")
    assert (await http.post("/login", data={"email": email, "password": PASSWORD})).status_code == 303
    token = CSRF.search((await http.get("/account")).text)
    assert token
    return http, token[1]


@pytest.fixture
async def world(engine: Engine, settings: Settings, make_partner) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    settings = settings.replace(allow_private_targets=())  # production: no private range allowed
    app = create_app(settings, engine, migrate=False)
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta = make_partner("beta", scopes=("publish", "read", "manage"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        await active_agreement(client, alpha, beta, {})
        token = (await client.post("/api/v1/feed-tokens", headers=beta.headers)).json()["token"]
        alpha_desk, alpha_csrf = await _desk(app, engine, "alpha")
        beta_desk, _ = await _desk(app, engine, "beta")
        try:
            yield World(client, engine, settings, alpha, beta, alpha_desk, alpha_csrf, beta_desk, token)
        finally:
            await alpha_desk.aclose()
            await beta_desk.aclose()


def refused(response: httpx.Response, *statuses: int) -> str:
    """A clear refusal: a 4xx (one of ``statuses`` if given) with a stable code (JSON) or a page saying why."""
    assert 400 <= response.status_code < 500 and (not statuses or response.status_code in statuses), \
        (response.status_code, response.text[:500])
    if response.headers.get("content-type", "").startswith("application/json"):
        code = response.json()["error"]["code"]
        assert code in ERROR_CODES, code
        return code
    return response.text


def stored_versions(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(item_versions)).scalar_one()


@contextmanager
def recorder(host: str = "127.0.0.1") -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request: proof that the hub never called it."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            self.wfile.write(b"root:x:0:0:secret-from-the-inside")

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server, thread = start_http_server(host, Handler)
    literal = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{literal}:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- SSRF and header injection in every URL field -------------------------------------------------

URL_FIELDS = {
    "api endpoint": ("api", "/api/v1/endpoints", lambda url: {"url": url}),
    "api source": ("api", "/api/v1/sources", lambda url: {"url": url}),
    "api media push target": ("api", "/api/v1/media-push-targets", lambda url: {
        "endpoint_url": url, "bucket": "b", "access_key": "k", "secret_key": "s"}),
    "api sso issuer": ("put", "/api/v1/sso", lambda url: {
        "issuer": url, "client_id": "c", "client_secret": "s", "domains": ["alpha.example"]}),
    "desk endpoint": ("desk", "/partners/endpoints", lambda url: {"url": url}),
    "desk source": ("desk", "/outgoing/sources", lambda url: {"url": url, "interval": "300"}),
    "desk media push target": ("desk", "/partners/media-push", lambda url: {
        "endpoint_url": url, "bucket": "b", "access_key": "k", "secret_key": "s"}),
}


@pytest.mark.parametrize("field", list(URL_FIELDS))
async def test_every_url_field_refuses_private_addresses_and_injected_urls(world: World, field: str) -> None:
    kind, path, body = URL_FIELDS[field]
    for url in SSRF_URLS + INJECTED_URLS:
        if kind == "desk" and url.startswith("\n"):
            continue  # a form trims what was pasted around the URL
        if kind in ("api", "put"):
            response = await world.client.request("POST" if kind == "api" else "PUT", path, json=body(url),
                                                   headers=world.alpha.headers)
            if response.status_code == 404 and path == "/api/v1/sso":
                pytest.skip("this build mounts no SSO API")
            assert refused(response, 400, 422) in ("invalid", "malformed"), (url, response.text)
        else:
            response = await world.desk_post(path, body(url))
            assert response.status_code == 422, (url, response.status_code, response.text[:300])
    if path == "/api/v1/sso":
        return
    listed = await world.client.get(path.replace("/partners/endpoints", "/api/v1/endpoints")
                                    .replace("/outgoing/sources", "/api/v1/sources")
                                    .replace("/partners/media-push", "/api/v1/media-push-targets"),
                                    headers=world.alpha.headers)
    assert listed.status_code == 200 and PUBLIC not in listed.text and "127." not in listed.text, listed.text


@pytest.mark.parametrize("name", ["localhost", "api.localhost", "rebind.example", "metadata.example"])
def test_names_that_resolve_to_private_addresses_are_refused(name: str) -> None:
    """Whatever a name resolves to is checked, every address of it: one private answer refuses the URL."""
    answers = {"localhost": ["127.0.0.1", "::1"], "api.localhost": ["127.0.0.1"],
               "rebind.example": [PUBLIC, "10.0.0.7"], "metadata.example": ["169.254.169.254"]}
    with pytest.raises(InvalidInput):
        check_url(f"http://{name}/hook", (), lambda host, port: answers[host])
    assert check_url(f"http://{PUBLIC}/hook", ()).address == PUBLIC


async def test_a_feed_that_redirects_to_a_private_address_is_not_followed(world: World) -> None:
    """The feed server is allowed (the operator listed 127.0.0.1); where it redirects is checked again:
    other loopback addresses in any spelling, the cloud metadata address, a file."""
    with recorder("::1") as (inside_v6, seen_v6), recorder("127.0.0.2") as (inside, seen):
        port = int(inside.rsplit(":", 1)[1])
        for location in (f"{inside_v6}/feed", f"{inside}/feed", f"http://[::ffff:127.0.0.2]:{port}/feed",
                         f"http://2130706434:{port}/feed", f"http://0177.0.0.2:{port}/feed",
                         f"http://[64:ff9b::7f00:2]:{port}/feed", "http://169.254.169.254/latest/meta-data/",
                         "file:///etc/passwd", "/feed\r\nX-Injected: 1"):
            with redirector(location) as feed_url:
                settings = world.settings.replace(allow_private_targets=("127.0.0.1/32",))
                with writing(world.engine) as conn:
                    add_source(conn, world.alpha.org, feed_url, allow=settings.allow_private_targets)
                poller = Poller(world.engine, settings)
                try:
                    [poll] = await poller.run_once()
                finally:
                    await poller.fetcher.close()
                assert poll.outcome == "error" and poll.error and not poll.stored, (location, poll)
        assert seen_v6 == [] and seen == []
    assert stored_versions(world.engine) == 0


@contextmanager
def redirector(location: str) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("location", location)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server, thread = start_http_server("127.0.0.1", Handler)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- bad bytes on every ingest path ---------------------------------------------------------------

async def test_bad_bytes_are_refused_on_every_ingest_path(world: World) -> None:
    with recorder() as (inside, seen):
        json_bodies = {
            "invalid UTF-8": b'{"uri": "urn:alpha:u", "headlines": [{"role": "main", "value": "\xff\xfe\xc3"}]}',
            "raw NUL": b'{"uri": "urn:alpha:n", "headline": "a\x00b"}',
            "escaped NUL": b'{"uri": "urn:alpha:n", "headlines": [{"role": "main", "value": "a\\u0000b"}]}',
            "100,000 levels": DEEP,
            "larger than the limit": b'{"uri": "urn:alpha:big", "x": "' + b"a" * 5_100_000 + b'"}',
            "lone surrogate": b'{"uri": "urn:alpha:s", "headlines": [{"role": "main", "value": "\\udc00"}]}',
        }
        for name, body in json_bodies.items():
            response = await world.client.post("/api/v1/items", content=body, headers={
                **world.alpha.headers, "content-type": "application/json"})
            refused(response, 400, 413, 422)
        documents = {
            "billion laughs": BOMB, "external file entity": xxe("file:///etc/passwd"),
            "external http entity": xxe(f"{inside}/xxe"), "parameter entity": parameter_entity(f"{inside}/dtd"),
            "invalid UTF-8 XML": nitf("Bad \xff", "<p>x</p>", "bad-1").replace("Bad \xc3\xbf".encode(), b"Bad \xff"),
            "NUL in XML": nitf("Nul", "<p>a\x00b</p>", "nul-1"),
            "NUL character reference": nitf("Nul", "<p>a&#0;b</p>", "nul-2"),
            "G2 with an external entity": newsml("&xxe;", "<p>x</p>", "urn:alpha:xxe").replace(
                b"<newsItem", f'<!DOCTYPE newsItem [<!ENTITY xxe SYSTEM "{inside}/g2">]><newsItem'.encode(), 1),
        }
        for name, document in documents.items():
            response = await world.client.post("/api/v1/items:upload", content=document, headers={
                **world.alpha.headers, "content-type": "application/octet-stream"})
            if name == "invalid UTF-8 XML" and response.status_code == 201:  # read as Windows-1252: inert text
                assert response.json()["items"][0]["headlines"][0]["value"] == "Bad \u00ff"
                continue
            refused(response, 400, 413, 415, 422)
            desk = await world.desk_post("/outgoing/upload", {}, files={"file": ("wire.xml", document, "text/xml")})
            assert 400 <= desk.status_code < 500, (name, desk.status_code, desk.text[:300])
        meta_deep = await world.client.post("/api/v1/media", headers=world.alpha.headers, files={
            "file": ("p.png", PNG, "image/png"), "meta": (None, DEEP.decode())})
        refused(meta_deep, 400, 422)
        form = await world.desk_post("/outgoing/publish", {"headline": "a\x00b", "language": "en", "body": "x"})
        assert form.status_code == 422, form.status_code
        huge = await world.desk_post("/outgoing/publish", {"headline": "h" * 200_000, "language": "en", "body": "x"})
        assert 400 <= huge.status_code < 500 or huge.status_code == 303, huge.status_code
        assert seen == [], "the hub fetched an external entity"
    texts = await _all_stored_text(world.engine)
    assert "root:x:0" not in texts and "lolololol" not in texts


async def _all_stored_text(engine: Engine) -> str:
    with engine.connect() as conn:
        return json.dumps([dict(r._mapping) for r in conn.execute(sa.select(item_versions))], default=str)




# -- script in headlines and bodies, on every path in, inert on every way out -----------------------

async def _publish_hostile_everywhere(world: World) -> dict[str, str]:
    """The hostile headline and body through each ingest path; the uri each one stored, by path."""
    alpha = world.alpha.headers
    ninjs = {"uri": "urn:alpha:nbx-ninjs", "version": "1", "language": "en",
             "headlines": [{"role": "main", "value": SCRIPT + " ninjs"}],
             "bodies": [{"role": "main", "contentType": "text/html", "value": XHTML_SCRIPT}]}
    assert (await world.client.post("/api/v1/items", json=ninjs, headers=alpha)).status_code == 201
    for name, document in (("nitf", nitf(ESCAPED + " nitf", XHTML_SCRIPT.replace(' xmlns="http://www.w3.org/2000/svg"', ""),
                                         "nbx-nitf")),
                           ("newsml", newsml(ESCAPED + " g2", XHTML_SCRIPT, "urn:alpha:nbx-g2"))):
        answer = await world.client.post("/api/v1/items:upload", content=document,
                                         headers={**alpha, "content-type": "application/octet-stream"})
        assert answer.status_code == 201, (name, answer.text[:500])
    media = await world.client.post("/api/v1/media", headers=alpha, files={
        "file": ("<img src=x onerror=alert('nbx')>.png", PNG, "image/png"),
        "meta": (None, json.dumps({"language": "en", "headlines": [{"role": "main", "value": SCRIPT + " media"}]}))})
    assert media.status_code == 201, media.text[:500]
    form = await world.desk_post("/outgoing/publish", {"headline": SCRIPT + " desk", "language": "en",
                                                       "body": XHTML_SCRIPT, "byline": SCRIPT})
    assert form.status_code in (200, 303), (form.status_code, form.text[:300])
    with feed_server(rss(ESCAPED + " feed", "urn:alpha:nbx-rss")) as feed_url:
        settings = world.settings.replace(allow_private_targets=("127.0.0.1/32",))
        with writing(world.engine) as conn:
            add_source(conn, world.alpha.org, feed_url, allow=settings.allow_private_targets)
        poller = Poller(world.engine, settings)
        try:
            [poll] = await poller.run_once()
        finally:
            await poller.fetcher.close()
        assert poll.stored == 1, poll
    await Worker(world.engine, world.settings, name="corpus").run_once()  # feed positions for the deliveries
    listed = (await world.client.get("/api/v1/inbox?limit=100", headers=world.beta.headers)).json()["items"]
    headlines = {item["id"]: item["headlines"][0]["value"] for item in listed}
    found = {text.rsplit(" ", 1)[-1]: item_id for item_id, text in headlines.items() if marked(text)}
    assert set(found) == {"ninjs", "nitf", "g2", "media", "desk", "feed"}, headlines
    return found


@contextmanager
def feed_server(document: bytes) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("content-type", "application/rss+xml; charset=utf-8")
            self.send_header("content-length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    server, thread = start_http_server("127.0.0.1", Handler)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def test_script_is_inert_on_every_page_feed_download_and_answer(world: World) -> None:
    found = await _publish_hostile_everywhere(world)
    beta, desk, token = world.beta.headers, world.beta_desk, world.feed_token
    outputs: dict[str, tuple[str, str]] = {}  # name -> (kind, text)
    for path_name, item_id in found.items():
        for fmt in ("ninjs3", "ninjs2", "ninjs1-superdesk"):
            outputs[f"{path_name} api {fmt}"] = ("json", (await world.client.get(
                f"/api/v1/items/{item_id}?format={fmt}", headers=beta)).text)
        for fmt in ("newsml-g2", "newsml-g2-superdesk"):
            outputs[f"{path_name} api {fmt}"] = ("xml", (await world.client.get(
                f"/api/v1/items/{item_id}?format={fmt}", headers=beta)).text)
            outputs[f"{path_name} download {fmt}"] = ("xml", (await desk.get(
                f"/items/{item_id}/download?format={fmt}")).text)
        outputs[f"{path_name} download ninjs3"] = ("json", (await desk.get(f"/items/{item_id}/download")).text)
        outputs[f"{path_name} item page"] = ("page", (await desk.get(f"/items/{item_id}")).text)
        outputs[f"{path_name} versions"] = ("json", (await world.client.get(
            f"/api/v1/items/{item_id}/versions", headers=beta)).text)
    for name, path in (("desk", "/desk"), ("search page", "/desk?q=NBX"), ("outgoing", "/outgoing")):
        outputs[name] = ("page", (await (world.alpha_desk if name == "outgoing" else desk).get(path)).text)
    outputs["atom"] = ("xml", (await world.client.get(f"/feeds/{token}/atom.xml")).text)
    outputs["rss"] = ("xml", (await world.client.get(f"/feeds/{token}/rss.xml")).text)
    outputs["json feed"] = ("json", (await world.client.get(f"/feeds/{token}/feed.json")).text)
    outputs["changes feed"] = ("json", (await world.client.get("/api/v1/feed", headers=beta)).text)
    outputs["inbox"] = ("json", (await world.client.get("/api/v1/inbox", headers=beta)).text)
    outputs["search"] = ("json", (await world.client.get("/api/v1/search?q=NBX", headers=beta)).text)
    problems = {}
    for name, (kind, text) in outputs.items():
        assert marked(text), f"{name} is not about the hostile item: {text[:300]}"
        found_active = {"json": active_in_json, "xml": active_in_xml,
                        "page": lambda t: active_content(t, page=True)}[kind](text)
        if found_active:
            problems[name] = found_active
    assert not problems, problems


# -- search syntax, upload names ------------------------------------------------------------------

async def test_search_syntax_is_only_ever_words(world: World) -> None:
    await world.client.post("/api/v1/items", headers=world.alpha.headers, json={
        "uri": "urn:alpha:s1", "version": "1", "language": "en", "headlines": [{"role": "main", "value": "Astana forum"}]})
    for query in SEARCHES:
        for answer in (await world.client.get("/api/v1/search", params={"q": query}, headers=world.beta.headers),
                       await world.beta_desk.get("/desk", params={"q": query}),
                       await world.alpha_desk.get("/outgoing", params={"q": query}),
                       await world.beta_desk.get("/alerts", params={"q": query})):
            assert answer.status_code in (200, 404, 422), (query, answer.status_code, answer.text[:300])
    injected = await world.client.get("/api/v1/search", params={"q": "' OR 1=1 --"}, headers=world.beta.headers)
    assert injected.json()["count"] == 0  # the syntax is searched as words, not run


async def test_upload_names_cannot_escape_the_store_or_inject_headers(world: World, tmp_path: Path) -> None:
    media_dir = Path(world.settings.media_dir).resolve()
    for name in UPLOAD_NAMES:
        answer = await world.client.post("/api/v1/media", headers=world.alpha.headers,
                                         files={"file": (name, PNG, "image/png")})
        if answer.status_code >= 400:
            refused(answer, 400, 413, 415, 422)
            continue
        assert answer.status_code == 201, (name, answer.status_code, answer.text[:300])
        [original] = [r for r in answer.json()["renditions"] if r.get("name") == "original"]
        served = await world.client.get(original["href"], headers=world.alpha.headers)
        assert served.status_code == 200, served.text[:300]
        disposition = served.headers["content-disposition"]
        assert "\r" not in disposition and "\n" not in disposition and "set-cookie" not in served.headers
        assert re.search(r'filename="[^"/\\]*"', disposition), disposition
    metadata = "filename " + base64.b64encode("../../../etc/passwd\r\nX-Injected: 1".encode()).decode()
    created = await world.client.post("/api/v1/uploads", headers={
        **world.alpha.headers, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(PNG)), "Upload-Metadata": metadata})
    assert created.status_code in (201, 400, 422), created.text[:300]
    outside = [p for p in Path(world.settings.media_dir).parent.rglob("*") if p.is_file()
               and not p.resolve().is_relative_to(media_dir)]
    assert not [p for p in outside if p.name in ("passwd", "win.ini", "x")], outside


# -- desk forms: agreements and projects ----------------------------------------------------------

async def test_agreement_and_project_forms_take_hostile_text_inertly(world: World) -> None:
    agreement_forms = [
        {"title": SCRIPT + " agreement", "partners": "beta", "ours_share": "on", "ours_credit_line": SCRIPT, "ours_usage_terms": SCRIPT,
         "theirs_usage_terms": SCRIPT},
        {"title": "Topics", "partners": "beta", "ours_share": "on", "ours_extra_topics": "' OR 1=1 --"},
        {"title": "a\x00b", "partners": "beta"}, {"title": "t" * 200_000, "partners": "beta"},
        {"title": "Delay", "partners": "beta", "ours_delay_minutes": "1e999"},
        {"title": "Dates", "partners": "beta", "valid_from": "0001-01-01", "valid_until": "9999-99-99"},
        {"title": "Nobody", "partners": "../../etc/passwd"},
    ]
    for form in agreement_forms:
        answer = await world.desk_post("/agreements/new", form)
        assert answer.status_code in (200, 303, 422), (form["title"][:40], answer.status_code, answer.text[:300])
    listed = (await world.client.get("/api/v1/agreements", headers=world.alpha.headers)).json()
    [hostile] = [a for a in listed["agreements"] if marked(a["title"])]
    base = (await world.client.get("/api/v1/agreements", headers=world.alpha.headers)).json()["agreements"]
    active = next(a for a in base if a["status"] == "active")
    project_forms = [
        {"title": SCRIPT + " project", "description": XHTML_SCRIPT, "agreement": active["id"],
         "participants": ["alpha", "beta"], "languages": "en", "other_languages": "fa"},
        {"title": "Languages", "agreement": active["id"], "participants": ["alpha", "beta"],
         "other_languages": "<script>,../x"},
        {"title": "p\x00", "agreement": active["id"]}, {"title": "p" * 200_000, "agreement": active["id"]},
        {"title": "Dates", "agreement": active["id"], "starts": "9999-99-99", "ends": "-1"},
        {"title": "Elsewhere", "agreement": "../../etc/passwd"},
    ]
    for form in project_forms:
        answer = await world.desk_post("/projects/new", form)
        assert answer.status_code in (200, 303, 404, 422), (form["title"][:40], answer.status_code, answer.text[:300])
    pages = {"agreements": "/agreements", "agreement": f"/agreements/{hostile['id']}", "projects": "/projects"}
    projects = (await world.client.get("/api/v1/projects", headers=world.alpha.headers)).json()["projects"]
    pages.update({"project": f"/projects/{p['id']}" for p in projects if marked(p["title"])})
    assert "project" in pages, projects
    for desk, who in ((world.alpha_desk, "alpha"), (world.beta_desk, "beta")):
        for name, path in pages.items():
            text = (await desk.get(path)).text
            assert marked(text), (who, name, text[:300])
            assert not active_content(text, page=True), (who, name, active_content(text, page=True))
