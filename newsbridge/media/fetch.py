"""Fetching remote media: the hub downloads what an ingested item names by URL and serves its own copy.

Ingest records each http(s) rendition URL of a new version from a source set to fetch media as a
pending row of ``media_fetches`` (``ingest/remote_media.py``). Here the media worker turns pending
rows into ``media.fetch`` jobs (:func:`queue_pending`, a periodic chore) and runs them
(:func:`fetch_handler`):

* the download goes through the SSRF guard (``targets.py``): the URL's host is resolved once, every
  address must be public unless the operator allows the range (``NEWSBRIDGE_ALLOW_PRIVATE_TARGETS``),
  and the hub connects to the address it checked. Redirects are followed by hand, at most
  :data:`MAX_REDIRECTS`, each new location checked the same way;
* at most ``NEWSBRIDGE_MAX_MEDIA_BYTES``: a larger ``Content-Length`` is refused before a byte is
  read, a body that runs past it is cut off;
* a connection that drops mid-body is resumed with ``Range: bytes=<received>-`` (and ``If-Range``
  with the strong ETag or Last-Modified, so a file changed meanwhile starts over instead of being
  spliced), :data:`RESUMES` times;
* the file is sniffed like an upload, stored content-addressed, recorded as the organization's media
  (``origin_url`` kept: the same URL is fetched once per organization) and its probe and
  derivatives queued; then every stored version of the item that names the URL names the hub's
  media instead (``urn:newsbridge:media:<id>``) and the item is recorded as carrying it, so every
  output from then on carries the hub's signed URLs.

A refused URL (private address, 4xx, too large, not media) ends the job ``failed`` with the reason
on the ``media_fetches`` row; a server error or a connection that will not resume is retried with
the job's back-off.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.media_limit import LIMIT_SOURCE, media_limit_of
from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.media_tables import media_fetches
from newsbridge.db.tables import item_versions, items, media
from newsbridge.errors import InvalidInput, NewsbridgeError, PayloadTooLarge
from newsbridge.ids import utcnow
from newsbridge.media.blobs import BlobStore
from newsbridge.media.jobs import Job, enqueue
from newsbridge.media.links import MEDIA_URN
from newsbridge.media.records import link_item
from newsbridge.targets import Resolver, Target, check_url, host_header, system_resolver

log = logging.getLogger(__name__)
FETCH = "media.fetch"
MAX_REDIRECTS = 5
RESUMES = 5
QUEUE_EVERY = 5.0  # seconds between the worker's looks for pending fetches
USER_AGENT = "Newsbridge media fetcher (+https://github.com/newsbridge)"
_REDIRECTS = (301, 302, 303, 307, 308)
_DROPPED = (httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout, httpx.WriteError)


@dataclass(frozen=True)
class Downloaded:
    url: str  # where the bytes finally came from (after redirects)
    content_type: str | None
    size: int
    resumed: int  # how many times a dropped connection was resumed with Range


class _Incomplete(Exception):
    """The body ended before Content-Length: resume."""


def download(url: str, dest: Path, *, max_bytes: int, allow: tuple[str, ...] | list[str] = (),
             resolver: Resolver = system_resolver, timeout: float = 30.0, resumes: int = RESUMES) -> Downloaded:
    """Download ``url`` into ``dest`` through the SSRF guard, following checked redirects, within
    ``max_bytes``, resuming a dropped connection with a range request. InvalidInput when the URL or
    the answer is refused (retrying cannot help); other exceptions for failures worth a retry."""
    target = check_url(url, allow, resolver)
    received, validator, content_type, dropped = 0, None, None, 0
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client, open(dest, "wb") as out:
        redirects = 0
        while True:
            headers = {"user-agent": USER_AGENT, "host": host_header(target), "accept": "*/*",
                       "accept-encoding": "identity"}  # bytes as stored: ranges count in them
            if received:
                headers["range"] = f"bytes={received}-"
                if validator:
                    headers["if-range"] = validator
            try:
                with client.stream("GET", target.connect_url(), headers=headers,
                                   extensions={"sni_hostname": target.host}) as response:
                    if response.status_code in _REDIRECTS and response.headers.get("location"):
                        redirects += 1
                        if redirects > MAX_REDIRECTS:
                            raise InvalidInput(f"{url} redirected more than {MAX_REDIRECTS} times", field="url")
                        target = check_url(urljoin(target.url, response.headers["location"]), allow, resolver)
                        out.seek(0)
                        out.truncate()
                        received, validator = 0, None
                        continue
                    start, total = _accept(response, received, max_bytes, url)
                    if start == 0 and received:  # the server sent the whole file again (or it changed)
                        out.seek(0)
                        out.truncate()
                        received = 0
                    validator = _validator(response) or validator
                    content_type = response.headers.get("content-type", content_type)
                    for chunk in response.iter_bytes():
                        if received + len(chunk) > max_bytes:
                            raise PayloadTooLarge(f"{url} sent more than the organization's media limit "
                                                  f"({max_bytes} bytes: {LIMIT_SOURCE})", field="url")
                        out.write(chunk)
                        received += len(chunk)
                    if total is not None and received < total:
                        raise _Incomplete()
                    out.flush()
                    return Downloaded(target.url, content_type, received, dropped)
            except (*_DROPPED, _Incomplete) as exc:
                dropped += 1
                if dropped > resumes:
                    raise ConnectionError(f"{url}: the connection dropped {dropped} times "
                                          f"({type(exc).__name__}); {received} bytes kept") from None
                out.flush()
                log.info("media download dropped; resuming", extra={"url": url, "received": received})


def _accept(response: httpx.Response, received: int, max_bytes: int, url: str) -> tuple[int, int | None]:
    """Where the answer's body starts in the file and the file's whole size (None: unknown)."""
    status = response.status_code
    if status == 206 and received:
        found = response.headers.get("content-range", "")
        unit, _, spec = found.partition(" ")
        span, _, whole = spec.partition("/")
        first = span.partition("-")[0]
        if unit != "bytes" or not first.isdigit() or int(first) != received:
            raise ConnectionError(f"{url}: the server answered the range with {found!r}")
        total = int(whole) if whole.isdigit() else None
    elif status == 200:
        length = response.headers.get("content-length")
        total = int(length) if length and length.isdigit() else None
        received = 0
    elif 400 <= status < 500 and status not in (408, 429):
        raise InvalidInput(f"{url} answered HTTP {status}; check the URL in the item", field="url")
    else:
        raise ConnectionError(f"{url} answered HTTP {status}")  # 5xx, 408, 429: worth a retry later
    if total is not None and total > max_bytes:
        raise PayloadTooLarge(f"{url} is {total} bytes, more than the organization's media limit "
                              f"({max_bytes} bytes: {LIMIT_SOURCE})", field="url")
    return (received if status == 206 else 0), total


def _validator(response: httpx.Response) -> str | None:
    """What If-Range may carry: a strong ETag, else Last-Modified (RFC 9110: never a weak ETag)."""
    etag = response.headers.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return response.headers.get("last-modified")


def queue_pending(engine: Engine, limit: int = 100) -> int:
    """Turn pending fetches into ``media.fetch`` jobs (one per row); returns how many."""
    with reading(engine) as conn:
        if conn.execute(sa.select(media_fetches.c.id).where(media_fetches.c.state == "pending").limit(1)).first() \
                is None:
            return 0  # idle: no write transaction
    now = utcnow()
    with writing(engine) as conn:
        query = (sa.select(media_fetches.c.id).where(media_fetches.c.state == "pending")
                 .order_by(media_fetches.c.id).limit(limit))
        if conn.dialect.name == "postgresql":  # several workers: each row to one of them
            query = query.with_for_update(skip_locked=True)
        ids = list(conn.execute(query).scalars())
        for fetch_id in ids:
            enqueue(conn, FETCH, {"fetch": fetch_id}, now, key=f"fetch:{fetch_id}")
        if ids:
            conn.execute(media_fetches.update().where(media_fetches.c.id.in_(ids))
                         .values(state="queued", updated_at=now))
    return len(ids)


def _filename(url: str) -> str | None:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name[:300] or None


def rewrite_item(conn: sa.Connection, organization_id: str, item_uri: str, url: str, media_id: str) -> int:
    """Make every stored version of the item that names ``url`` name the hub's media instead, and
    record that the item carries it; returns how many versions changed."""
    item_id = conn.execute(sa.select(items.c.id).where(items.c.organization_id == organization_id,
                                                       items.c.uri == item_uri)).scalar_one_or_none()
    link_item(conn, organization_id, item_uri, [media_id])
    if item_id is None:
        return 0
    changed = 0
    for row in conn.execute(sa.select(item_versions.c.id, item_versions.c.document)
                            .where(item_versions.c.item_id == item_id)).all():
        document, hit = _replaced(row.document, url, MEDIA_URN + media_id)
        if hit:
            conn.execute(item_versions.update().where(item_versions.c.id == row.id).values(document=document))
            changed += 1
    return changed


def _replaced(document: Any, url: str, urn: str) -> tuple[Any, bool]:
    if not isinstance(document, dict):
        return document, False
    hit = False

    def swap(entries: Any) -> Any:
        nonlocal hit
        if not isinstance(entries, list):
            return entries
        out = []
        for entry in entries:
            if isinstance(entry, dict) and entry.get("href") == url:
                hit = True
                entry = {"name": entry.get("name") or "original", "href": urn}
            out.append(entry)
        return out

    document = {**document, "renditions": swap(document.get("renditions"))} if "renditions" in document \
        else dict(document)
    if isinstance(document.get("associations"), list):
        document["associations"] = [{**a, "renditions": swap(a["renditions"])} if isinstance(a, dict)
                                    and "renditions" in a else a for a in document["associations"]]
    return document, hit


def _finish(engine: Engine, fetch_id: int, state: str, *, media_id: str | None = None,
            error: str | None = None) -> None:
    with writing(engine) as conn:
        conn.execute(media_fetches.update().where(media_fetches.c.id == fetch_id).values(
            state=state, media_id=media_id, error=error and error[:2000], updated_at=utcnow()))


def fetch_handler(engine: Engine, store: BlobStore, settings: Settings,
                  resolver: Resolver = system_resolver) -> Any:
    """The handler of ``media.fetch`` jobs over this database and blob store."""
    from newsbridge.media.uploads import store_media  # uploads queue jobs through processing, which loads us

    def handle(job: Job) -> dict[str, Any]:
        fetch_id = job.payload["fetch"]
        with reading(engine) as conn:
            row = conn.execute(sa.select(media_fetches).where(media_fetches.c.id == fetch_id)).first()
            if row is None or row.state == "fetched":
                return {"skipped": "nothing to fetch"}
            known = conn.execute(sa.select(media.c.id).where(
                media.c.organization_id == row.organization_id, media.c.origin_url == row.url,
                media.c.status != "rejected").limit(1)).scalar_one_or_none()
            limit = media_limit_of(conn, row.organization_id, settings.max_media_bytes)
        try:
            downloaded = None
            if known is None:
                with tempfile.TemporaryDirectory(prefix="newsbridge-fetch-") as work:
                    path = Path(work) / "remote"
                    downloaded = download(row.url, path, max_bytes=limit,
                                          allow=settings.allow_private_targets, resolver=resolver)
                    declared = row.content_type or (downloaded.content_type or "").split(";")[0].strip() or None
                    known = store_media(engine, store, row.organization_id, path, declared, _filename(row.url),
                                        origin_url=row.url).id
        except NewsbridgeError as exc:
            if exc.status < 500:  # refused: retrying cannot help
                _finish(engine, fetch_id, "failed", error=f"{exc.code}: {exc.message}")
            elif job.attempts >= job.max_attempts:
                _finish(engine, fetch_id, "failed", error=f"{exc.code}: {exc.message}")
            raise
        except Exception as exc:
            if job.attempts >= job.max_attempts:
                _finish(engine, fetch_id, "failed", error=f"{type(exc).__name__}: {exc}")
            raise
        with writing(engine) as conn:
            versions = rewrite_item(conn, row.organization_id, row.item_uri, row.url, known)
            conn.execute(media_fetches.update().where(media_fetches.c.id == fetch_id).values(
                state="fetched", media_id=known, error=None, updated_at=utcnow()))
        return {"media": known, "versions": versions, "bytes": downloaded.size if downloaded else None,
                "resumed": downloaded.resumed if downloaded else 0}

    return handle
