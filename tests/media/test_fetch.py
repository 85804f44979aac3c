"""Remote media: a source set to fetch media names a picture by URL in its feed (RSS enclosure, ninjs
rendition, NewsML-G2 remoteContent); the hub downloads it
from a real loopback HTTP server (through the SSRF guard: allowed here by the operator's allow-list,
refused without it), resumes a dropped connection with a range request, stores it, and the item's
rendition becomes the hub's signed URL. On both databases and both blob stores."""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.engine import Engine

from newsbridge.config import Settings, load_settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.media_tables import media_fetches
from newsbridge.db.tables import item_media, item_versions, items, media
from newsbridge.errors import InvalidInput, PayloadTooLarge
from newsbridge.ingest.polling import Poller
from newsbridge.ingest.sources import add_source
from newsbridge.media.blobs import blob_store
from newsbridge.media.fetch import download, queue_pending
from newsbridge.media.jobs import State
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.live_server import start_http_server

LOOPBACK = ("127.0.0.0/8",)


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 360), (10, 80, 160)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue() + bytes(range(256)) * 600  # trailing bytes: big enough to cut in the middle


@dataclass
class Remote:
    """What the partner's server holds and what it saw."""

    files: dict[str, bytes]
    drop_first: set[str] = field(default_factory=set)  # paths whose first full GET stops half-way
    redirects: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)
    base: str = ""


@pytest.fixture
def remote() -> Iterator[Remote]:
    state = Remote(files={})
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            with lock:
                state.seen.append((self.path, self.headers.get("range")))
            if self.path in state.redirects:
                self.send_response(302)
                self.send_header("location", state.redirects[self.path])
                self.send_header("content-length", "0")
                self.end_headers()
                return
            data = state.files.get(self.path)
            if data is None:
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            wanted = self.headers.get("range")
            if wanted and wanted.startswith("bytes=") and self.headers.get("if-range") in (None, etag):
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                self.send_response(206)
                self.send_header("content-range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                body = data[start:]
            else:
                self.send_response(200)
                body = data
            self.send_header("content-type", "image/jpeg")
            self.send_header("content-length", str(len(body)))
            self.send_header("etag", etag)
            self.send_header("accept-ranges", "bytes")
            self.end_headers()
            if self.path in state.drop_first and not wanted:
                state.drop_first.discard(self.path)
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True  # the connection drops mid-body
                return
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server, thread = start_http_server("127.0.0.1", Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def _rss(base: str, photo_path: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Kazinform</title><link>{base}/</link><description>News</description>
<item><title>Flood waters recede in Astana</title><link>{base}/story/1</link><guid>urn:kazinform:2026:1</guid>
<pubDate>Fri, 04 Dec 2026 10:00:00 +0000</pubDate><description>The river fell by a metre overnight.</description>
<enclosure url="{base}{photo_path}" length="1000" type="image/jpeg"/></item></channel></rss>""".encode()


def _settings(settings: Settings, **changes: Any) -> Settings:
    values = {k: getattr(settings, k) for k in ("database_url", "media_dir", "s3_endpoint", "s3_bucket",
                                                  "s3_access_key", "s3_secret_key", "s3_region", "media_url_secret")}
    return load_settings(env={}, **{**values, **changes})


def _fetch_row(engine: Engine) -> Any:
    with reading(engine) as conn:
        return conn.execute(sa.select(media_fetches)).one()


@pytest.mark.anyio
async def test_a_fetching_source_gets_the_hubs_copy_resumed_after_a_dropped_connection(
        engine: Engine, settings: Settings, make_partner, remote: Remote, client) -> None:  # type: ignore[no-untyped-def]
    data = _photo()
    remote.files = {"/feed.xml": b"", "/photos/flood.jpg": data}
    remote.files["/feed.xml"] = _rss(remote.base, "/moved/flood.jpg")
    remote.redirects["/moved/flood.jpg"] = "/photos/flood.jpg"  # a checked redirect on the way
    remote.drop_first.add("/photos/flood.jpg")
    settings = _settings(settings, allow_private_targets=LOOPBACK)
    kazinform = make_partner("kazinform")
    with writing(engine) as conn:
        source = add_source(conn, kazinform.org, f"{remote.base}/feed.xml", language="en", allow=LOOPBACK,
                            fetch_media=True)
    await Poller(engine, settings).poll(source)
    queue_pending(engine)
    assert JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t").run_once_sync() \
        == [State.DONE]
    # the connection dropped half-way; the rest came with a range request
    ranges = [r for path, r in remote.seen if path == "/photos/flood.jpg"]
    assert ranges[0] is None and ranges[1] == f"bytes={len(data) // 2}-"
    row = _fetch_row(engine)
    assert row.state == "fetched" and row.url == f"{remote.base}/moved/flood.jpg"
    sha = hashlib.sha256(data).hexdigest()
    with reading(engine) as conn:
        stored = conn.execute(sa.select(media).where(media.c.id == row.media_id)).one()
        item_id = conn.execute(sa.select(items.c.id).where(items.c.uri == "urn:kazinform:2026:1")).scalar_one()
        document = conn.execute(sa.select(item_versions.c.document).where(item_versions.c.item_id == item_id)
                                ).scalar_one()
        carried = conn.execute(sa.select(item_media.c.media_id)).scalars().all()
    assert (stored.sha256, stored.size, stored.kind, stored.origin_url) == (sha, len(data), "picture", row.url)
    assert b"".join(blob_store(settings).read(sha)) == data  # byte-identical
    assert [r["href"] for r in document["renditions"]] == [f"urn:newsbridge:media:{row.media_id}"]
    assert carried == [row.media_id]
    # the derivative job was queued with the media: preview and thumbnail follow
    assert JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t").run_once_sync() \
        == [State.DONE]
    got = await client.get(f"/api/v1/items/{item_id}", headers=kazinform.headers)
    assert got.status_code == 200, got.text
    answer = got.json()
    hrefs = {r["name"]: r["href"] for r in answer["renditions"]}
    assert {"original", "preview", "thumbnail"} <= set(hrefs)
    assert all("/media/" in h and "sig=" in h for h in hrefs.values()), hrefs
    assert remote.base not in str(answer["renditions"])  # recipients get the hub's copy, not the source's
    # the same URL in a new version is not fetched again
    remote.seen.clear()
    await Poller(engine, settings).poll(source)
    assert queue_pending(engine) == 0 and not [p for p, _ in remote.seen if p.startswith("/photos")]


def test_without_the_allow_list_a_loopback_url_is_refused(engine: Engine, settings: Settings, make_partner,
                                                         remote: Remote) -> None:
    remote.files = {"/photos/flood.jpg": _photo()}
    remote.files["/feed.xml"] = _rss(remote.base, "/photos/flood.jpg")
    kazinform = make_partner("kazinform")
    with writing(engine) as conn:
        source = add_source(conn, kazinform.org, f"{remote.base}/feed.xml", language="en", allow=LOOPBACK,
                            fetch_media=True)
    asyncio.run(Poller(engine, _settings(settings, allow_private_targets=LOOPBACK)).poll(source))  # the feed
    queue_pending(engine)
    plain = _settings(settings)  # no allow-list: the fetch worker refuses the loopback URL
    remote.seen.clear()
    assert JobWorker(engine, media_handlers(engine, blob_store(plain), plain), name="t").run_once_sync() \
        == [State.FAILED]
    row = _fetch_row(engine)
    assert row.state == "failed" and "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS" in row.error
    assert remote.seen == []  # not one request reached the server
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(media)).scalar_one() == 0


def test_a_redirect_to_a_private_address_is_refused(tmp_path: Path, remote: Remote) -> None:
    remote.redirects["/photo.jpg"] = "http://10.20.30.40/internal/secret.jpg"
    with pytest.raises(InvalidInput, match="10.20.30.40"):
        download(f"{remote.base}/photo.jpg", tmp_path / "x", max_bytes=10_000_000, allow=LOOPBACK)
    assert [p for p, _ in remote.seen] == ["/photo.jpg"]  # the private address was never called


def test_the_size_limit_holds_before_and_during_the_body(tmp_path: Path, remote: Remote) -> None:
    remote.files["/big.jpg"] = _photo()
    with pytest.raises(PayloadTooLarge, match="NEWSBRIDGE_MAX_MEDIA_BYTES"):
        download(f"{remote.base}/big.jpg", tmp_path / "x", max_bytes=1000, allow=LOOPBACK)
    with pytest.raises(InvalidInput, match="HTTP 404"):
        download(f"{remote.base}/missing.jpg", tmp_path / "x", max_bytes=1000, allow=LOOPBACK)


def test_a_ninjs_source_gets_its_associations_media_fetched(engine: Engine, settings: Settings, make_partner,
                                                            remote: Remote) -> None:
    """A ninjs 3.x endpoint: a text item whose association (a picture) names its rendition by URL."""
    import json

    data = _photo()
    remote.files["/photos/market.jpg"] = data
    remote.files["/items.json"] = json.dumps({
        "uri": "urn:irna:2026:77", "version": "1", "type": "text", "language": "en",
        "firstCreated": "2026-12-04T09:00:00+03:30", "versionCreated": "2026-12-04T09:00:00+03:30",
        "headlines": [{"role": "main", "value": "Tehran bazaar reopens after renovation"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "Traders returned on Friday."}],
        "associations": [{"name": "picture", "uri": "urn:irna:2026:77:picture", "type": "picture",
                          "renditions": [{"name": "original", "href": f"{remote.base}/photos/market.jpg",
                                          "contentType": "image/jpeg"}]}]}).encode()
    settings = _settings(settings, allow_private_targets=LOOPBACK)
    irna = make_partner("irna")
    with writing(engine) as conn:
        source = add_source(conn, irna.org, f"{remote.base}/items.json", allow=LOOPBACK, fetch_media=True)
    asyncio.run(Poller(engine, settings).poll(source))
    assert queue_pending(engine) == 1
    assert JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t").run_once_sync() \
        == [State.DONE]
    row = _fetch_row(engine)
    assert (row.state, row.item_uri, row.name) == ("fetched", "urn:irna:2026:77", "original")
    with reading(engine) as conn:
        document = conn.execute(sa.select(item_versions.c.document)).scalar_one()
        stored = conn.execute(sa.select(media.c.sha256)).scalar_one()
    assert document["associations"][0]["renditions"] == [
        {"name": "original", "href": f"urn:newsbridge:media:{row.media_id}"}]
    assert stored == hashlib.sha256(data).hexdigest()


def _newsml_g2(base: str) -> bytes:
    """A NewsML-G2 picture (as IPTC's LISTING 3 has it) whose two renditions are remoteContent URLs."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:kazinform:2026:photo:5" version="2"
    standard="NewsML-G2" standardversion="2.35" conformance="power" xml:lang="en">
  <catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_32.xml"/>
  <itemMeta><itemClass qcode="ninat:picture"/><provider literal="Kazinform"/>
    <versionCreated>2026-12-04T10:00:00Z</versionCreated></itemMeta>
  <contentMeta><headline>Ice drift on the Ural river</headline>
    <description role="drol:caption">Ice floes pass under the bridge in Oral.</description></contentMeta>
  <contentSet>
    <remoteContent rendition="rnd:highRes" href="{base}/photos/ural.jpg" contenttype="image/jpeg" width="640"
        height="360"/>
    <remoteContent rendition="rnd:thumb" href="{base}/photos/ural-thumb.jpg" contenttype="image/jpeg"/>
  </contentSet>
</newsItem>""".encode()


def test_a_newsml_g2_source_gets_its_remote_content_fetched(engine: Engine, settings: Settings, make_partner,
                                                             remote: Remote) -> None:
    """A NewsML-G2 endpoint: each remoteContent's URL is fetched and its rendition becomes the hub's copy,
    under the name the rendition qcode gives (rnd:highRes -> highRes)."""
    data, thumb = _photo(), _photo()[:-5000]  # two different files
    remote.files.update({"/g2.xml": _newsml_g2(remote.base), "/photos/ural.jpg": data,
                         "/photos/ural-thumb.jpg": thumb})
    settings = _settings(settings, allow_private_targets=LOOPBACK)
    kazinform = make_partner("kazinform")
    with writing(engine) as conn:
        source = add_source(conn, kazinform.org, f"{remote.base}/g2.xml", allow=LOOPBACK, fetch_media=True)
    asyncio.run(Poller(engine, settings).poll(source))
    assert queue_pending(engine) == 2
    worker = JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t")
    assert worker.run_once_sync() + worker.run_once_sync() == [State.DONE, State.DONE]
    with reading(engine) as conn:
        fetched = {r.name: r for r in conn.execute(sa.select(media_fetches))}
        document = conn.execute(sa.select(item_versions.c.document)).scalar_one()
        stored = {m.id: m.sha256 for m in conn.execute(sa.select(media.c.id, media.c.sha256))}
    assert {name: (r.state, r.item_uri, r.url) for name, r in fetched.items()} == {
        "highRes": ("fetched", "urn:kazinform:2026:photo:5", f"{remote.base}/photos/ural.jpg"),
        "thumb": ("fetched", "urn:kazinform:2026:photo:5", f"{remote.base}/photos/ural-thumb.jpg")}
    assert {r["name"]: r["href"] for r in document["renditions"]} == {
        name: f"urn:newsbridge:media:{r.media_id}" for name, r in fetched.items()}
    assert stored[fetched["highRes"].media_id] == hashlib.sha256(data).hexdigest()
    assert stored[fetched["thumb"].media_id] == hashlib.sha256(thumb).hexdigest()
    assert remote.base not in str(document)  # nothing left pointing at the source's server
