"""The signed media URLs are answered ahead of the middleware and routing (api/media_serving.MediaFastPath); the
route stays. Every answer of the fast path (ranges, conditions, HEAD, the 403s and 404s) is the route's answer, byte for byte and
header for header, on both databases and both blob stores; requests it does not own reach the app."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from pictures import picture
from tus import upload

from newsbridge.api.media_serving import MediaFastPath
from newsbridge.app import create_app
from newsbridge.media.links import signer
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
VARYING = {"x-request-id", "date"}  # differ between any two answers


def answer(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    return response.status_code, {k: v for k, v in response.headers.items() if k not in VARYING}, response.content


@pytest.fixture
async def clients(settings, engine, storage):  # type: ignore[no-untyped-def]
    """The hub's app, and the same app without the fast path (only its route answers /media/)."""
    settings = settings.replace(**storage)
    fast = create_app(settings, engine, migrate=False)
    routed = create_app(settings, engine, migrate=False)
    del routed.build_middleware_stack  # install_fast_path's: the app's own stack, whose route answers /media/
    assert isinstance(fast.build_middleware_stack(), MediaFastPath)
    assert not isinstance(routed.build_middleware_stack(), MediaFastPath)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fast), base_url="http://hub.test") as one, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=routed), base_url="http://hub.test") as other:
        yield one, other


def forged(sig: str) -> str:
    """The signature with one of its fully used characters changed (was: the last two set to "AA", which one
    signature in ~1,000 already ended with, and the last character's spare bits may be ignored when decoded)."""
    return sig[:-3] + ("B" if sig[-3] == "A" else "A") + sig[-2:]


async def test_the_fast_path_answers_as_the_route_does(clients, make_partner, engine) -> None:
    fast, routed = clients
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta, stranger = make_partner("beta", scopes=("publish", "read", "manage")), make_partner("stranger")
    await active_agreement(fast, alpha, beta, {"topics": ["medtop:11000000"], "languages": ["en"],
                                               "media": {"allow_gps": True}})
    data = picture(size=(640, 480))
    upload_id, _ = await upload(fast, alpha.headers, data, filename="Parliament session.jpg", filetype="image/jpeg")
    published = await fast.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:photo:1", "version": "1", "type": "picture", "language": "en",
        "subjects": [{"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}],
        "headlines": [{"role": "main", "value": "Parliament in session"}],
        "renditions": [{"name": "original", "upload": upload_id}]})
    assert published.status_code == 201, published.text
    own = urlsplit(published.json()["renditions"][0]["href"])
    rendition_id = own.path.rsplit("/", 1)[1]
    received = await fast.get(f"/api/v1/items/{published.json()['id']}", headers=beta.headers)
    theirs = urlsplit(received.json()["renditions"][0]["href"])
    etag = f'"{(await fast.head(f"{own.path}?{own.query}")).headers["etag"].strip(chr(34))}"'
    query = {k: v[0] for k, v in parse_qs(theirs.query).items()}
    hub = fast._transport.app.state.hub  # type: ignore[attr-defined]
    strangers = urlsplit(signer(hub.engine, hub.settings, stranger.org).href(rendition_id))
    expired = urlsplit(signer(hub.engine, hub.settings, beta.org).href(rendition_id, now=1_000_000_000))  # 2001
    asked: list[tuple[str, str, dict[str, str]]] = [
        ("GET", f"{own.path}?{own.query}", {}),  # the owner, the whole file
        ("GET", f"{theirs.path}?{theirs.query}", {}),  # the partner
        ("GET", f"{theirs.path}?{theirs.query}", {"Range": "bytes=100-1099"}),
        ("GET", f"{theirs.path}?{theirs.query}", {"Range": "bytes=-500"}),
        ("GET", f"{theirs.path}?{theirs.query}", {"Range": f"bytes={len(data)}-"}),  # 416
        ("GET", f"{theirs.path}?{theirs.query}", {"Range": "bytes=0-9,20-29"}),  # several: the whole file
        ("GET", f"{theirs.path}?{theirs.query}", {"If-None-Match": etag}),  # 304
        ("GET", f"{theirs.path}?{theirs.query}", {"Range": "bytes=0-9", "If-Range": '"another"'}),  # whole
        ("GET", f"{theirs.path}?{theirs.query}", {"Range": "bytes=0-9", "If-Range": etag}),
        ("HEAD", f"{theirs.path}?{theirs.query}", {}),
        ("HEAD", f"{theirs.path}?{theirs.query}", {"Range": "bytes=5-"}),
        ("GET", f"{theirs.path}?{urlencode({**query, 'sig': forged(query['sig'])})}", {}),  # forged: 403
        ("GET", f"{theirs.path}?{urlencode({**query, 'exp': '1'})}", {}),  # altered expiry: 403
        ("GET", f"{theirs.path}?org={query['org']}", {}),  # no signature: 403
        ("GET", f"{strangers.path}?{strangers.query}", {}),  # validly signed for a stranger: 404
        ("GET", f"/media/r_doesnotexist?{theirs.query}", {}),  # signed for another id: 403
        ("GET", f"{theirs.path}/more?{theirs.query}", {}),  # not the route: the app's 404
        ("POST", f"{theirs.path}?{theirs.query}", {}),  # not a method it takes: 405
        ("GET", f"{expired.path}?{expired.query}", {}),  # expired: 403
    ]
    statuses = []
    for method, url, headers in asked:
        one, other = (await fast.request(method, url, headers=headers)), (await routed.request(method, url, headers=headers))
        assert answer(one) == answer(other), (method, url, headers)
        statuses.append(one.status_code)
    assert statuses[:11] == [200, 200, 206, 206, 416, 200, 304, 200, 206, 200, 206]
    assert statuses[11:] == [403, 403, 403, 404, 403, 404, 405, 403]
    full = await fast.get(f"{theirs.path}?{theirs.query}", headers={"Range": "bytes=100-1099"})
    assert full.content == data[100:1100] and full.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    assert "x-request-id" in full.headers and "content-security-policy" in full.headers  # inside the request context


async def test_the_fast_path_leaves_other_requests_to_the_app(client) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/media")).status_code == 404
    assert (await client.get("/media/")).status_code == 404


def _requests_counted(method: str, status: str) -> float:
    from newsbridge.telemetry import REQUEST_LATENCY

    return sum(
        sample.value for metric in REQUEST_LATENCY.collect() for sample in metric.samples
        if sample.name.endswith("_count") and sample.labels == {"method": method, "route": "/media/{rendition_id}",
                                                                 "status": status})


async def test_the_fast_path_counts_and_logs_its_requests_as_the_route(clients, make_partner, caplog) -> None:
    fast, _routed = clients
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    upload_id, _ = await upload(fast, alpha.headers, picture(size=(64, 48)), filename="a.jpg", filetype="image/jpeg")
    published = await fast.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:photo:counted", "version": "1", "type": "picture", "language": "en",
        "headlines": [{"role": "main", "value": "Counted"}], "renditions": [{"name": "original", "upload": upload_id}]})
    href = urlsplit(published.json()["renditions"][0]["href"])
    ranged, missing = _requests_counted("GET", "206"), _requests_counted("GET", "404")
    caplog.set_level(logging.INFO, logger="newsbridge.http")
    for _ in range(3):
        assert (await fast.get(f"{href.path}?{href.query}", headers={"Range": "bytes=0-9"})).status_code == 206
    stranger = make_partner("stranger")
    hub = fast._transport.app.state.hub  # type: ignore[attr-defined]
    theirs = urlsplit(signer(hub.engine, hub.settings, stranger.org).href(href.path.rsplit("/", 1)[1]))
    assert (await fast.get(f"{theirs.path}?{theirs.query}")).status_code == 404
    assert _requests_counted("GET", "206") == ranged + 3 and _requests_counted("GET", "404") == missing + 1
    logged = [(r.status, r.path) for r in caplog.records if r.name == "newsbridge.http" and r.getMessage() == "request"]
    assert logged[-4:] == [(206, href.path)] * 3 + [(404, theirs.path)]
