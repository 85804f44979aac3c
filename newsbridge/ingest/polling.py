"""Polling sources: conditional GET through the SSRF guard, parse whatever format comes, ingest.

The fetcher is a small protocol (a real one on httpx, tests may bring their own). A changed
entry becomes a new version of its item; an unchanged one is recognized by the store and
costs nothing, so a feed can be polled forever without duplicates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from urllib.parse import urljoin
from typing import Protocol

import httpx
from sqlalchemy.engine import Engine

from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput, NewsbridgeError
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import Ingestor, parse, with_subjects
from newsbridge.ingest.remote_media import record_remote_media
from newsbridge.ingest.sources import Poll, Source, claim_due, record_poll
from newsbridge.targets import Target, check_url, host_header

log = logging.getLogger(__name__)
USER_AGENT = "Newsbridge-Poller/1"
MAX_REDIRECTS = 3


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    location: str | None = None


class Fetcher(Protocol):
    async def fetch(self, target: Target, etag: str | None, last_modified: str | None) -> Fetched: ...

    async def close(self) -> None: ...


class HttpFetcher:
    """GET with If-None-Match / If-Modified-Since, to the checked address, with a size limit.

    Redirects are followed (at most :data:`MAX_REDIRECTS`), each new location checked by the
    SSRF guard like the first: a public feed cannot bounce the hub onto a private address.
    """

    def __init__(self, timeout: float = 15.0, max_bytes: int = 20_000_000, allow: tuple[str, ...] = ()) -> None:
        self.max_bytes = max_bytes
        self.allow = allow
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)

    async def fetch(self, target: Target, etag: str | None, last_modified: str | None) -> Fetched:
        for _ in range(MAX_REDIRECTS + 1):
            fetched = await self._get(target, etag, last_modified)
            if fetched.status not in (301, 302, 303, 307, 308) or not fetched.location:
                return fetched
            where = urljoin(target.url, fetched.location)
            target = await asyncio.to_thread(check_url, where, self.allow)
        raise InvalidInput(f"the source redirected more than {MAX_REDIRECTS} times", field="url")

    async def _get(self, target: Target, etag: str | None, last_modified: str | None) -> Fetched:
        headers = {"user-agent": USER_AGENT, "accept": "application/atom+xml, application/rss+xml, "
                   "application/feed+json, application/json, application/xml;q=0.9, */*;q=0.5",
                   "host": host_header(target)}
        if etag:
            headers["if-none-match"] = etag
        if last_modified:
            headers["if-modified-since"] = last_modified
        async with self._client.stream("GET", target.connect_url(), headers=headers,
                                       extensions={"sni_hostname": target.host}) as response:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise InvalidInput(f"the source sent more than {self.max_bytes} bytes", field="url")
            return Fetched(response.status_code, body, response.headers.get("etag"),
                           response.headers.get("last-modified"), response.headers.get("location"))

    async def close(self) -> None:
        await self._client.aclose()


class Poller:
    """Polls due sources and ingests what they publish."""

    def __init__(self, engine: Engine, settings: Settings, fetcher: Fetcher | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.ingestor = Ingestor(engine, settings)
        self.fetcher = fetcher or HttpFetcher(max_bytes=settings.max_body_bytes, allow=settings.allow_private_targets)

    async def poll(self, source: Source) -> Poll:
        """Fetch one source, ingest its entries, and record the outcome."""
        started, at = time.perf_counter(), utcnow()
        etag = last_modified = None
        status: int | None = None
        try:
            target = await asyncio.to_thread(check_url, source.url, self.settings.allow_private_targets)
            fetched = await self.fetcher.fetch(target, source.etag, source.last_modified)
            status = fetched.status
            if fetched.status == 304:
                poll = Poll(at, "not_modified", 304, 0, 0, 0, None, 0)
            elif not 200 <= fetched.status < 300:
                poll = Poll(at, "error", fetched.status, 0, 0, 0, f"HTTP {fetched.status}", 0)
            else:
                stored, unchanged, rejected, error = await asyncio.to_thread(self._ingest, source, fetched.body)
                poll = Poll(at, "ok", fetched.status, stored, unchanged, rejected, error, 0)
                etag, last_modified = fetched.etag, fetched.last_modified
        except NewsbridgeError as exc:
            poll = Poll(at, "error", status, 0, 0, 0, f"{exc.code}: {exc.message}", 0)
        except httpx.HTTPError as exc:
            poll = Poll(at, "error", None, 0, 0, 0, f"{type(exc).__name__}: {exc}"[:500], 0)
        poll = replace(poll, duration_ms=int((time.perf_counter() - started) * 1000))
        await asyncio.to_thread(self._record, source, poll, etag, last_modified)
        return poll

    # Database work runs in a thread: on SQLite a write waits for the lock (up to the 30 s busy
    # timeout) while another writer holds it, and on the event loop that wait froze every request.
    def _record(self, source: Source, poll: Poll, etag: str | None, last_modified: str | None) -> None:
        with writing(self.engine) as conn:
            record_poll(conn, source, poll, etag=etag, last_modified=last_modified)

    def _claim(self) -> list[Source]:
        with writing(self.engine) as conn:
            return claim_due(conn, utcnow())

    def _ingest(self, source: Source, body: bytes) -> tuple[int, int, int, str | None]:
        with reading(self.engine) as conn:
            org = get_organization_by_id(conn, source.organization_id)
        _fmt, items = parse(body, zone=org.timezone, strict=source.strict)
        if source.language:
            items = [i if i.language else replace(i, language=source.language) for i in items]
        items = [with_subjects(i, source.subjects) for i in items]
        outcomes = self.ingestor.ingest_items(org, items, _fmt)
        if source.fetch_media:  # hand the new versions' remote media to the media worker
            with writing(self.engine) as conn:
                record_remote_media(conn, org.id, [(o.stored.item_id, o.stored.version) for o in outcomes
                                                   if o.stored and o.stored.created])
        stored = sum(1 for o in outcomes if o.stored and o.stored.created)
        unchanged = sum(1 for o in outcomes if o.stored and not o.stored.created)
        errors = [o.error for o in outcomes if o.error]
        first = f"{errors[0].code}: {errors[0].message}" if errors else None
        return stored, unchanged, len(errors), first

    async def run_once(self) -> list[Poll]:
        due = await asyncio.to_thread(self._claim)
        return list(await asyncio.gather(*(self.poll(s) for s in due)))

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        try:
            while not stop.is_set():
                try:
                    done = await self.run_once()
                except Exception:  # one bad round must not stop polling for good
                    log.exception("source polling round failed")
                    done = []
                if not done:
                    try:
                        await asyncio.wait_for(stop.wait(), idle)
                    except asyncio.TimeoutError:
                        pass
        finally:
            await self.fetcher.close()
