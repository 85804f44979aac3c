"""The signed rendition URLs partners fetch media by: ``GET``/``HEAD /media/{rendition_id}?org&exp&sig``.

A lean path, because a player seeking through a video asks for many small ranges and each pays the
request's fixed cost (bench/media_transfer.py, scattered 1 MiB ranges). :class:`MediaFastPath`, the app's
outermost ASGI layer (:func:`install_fast_path`), answers these URLs before the framework's error,
telemetry and body-limit layers, the request context, routing and dependencies, and gives its answers
what those give (request id, security headers, latency histogram, access log, the JSON error answer).
The route below stays, for the API description and for an app built without the layer, and answers the
same way. Either way the signature is checked first (an HMAC, no database for a forged or expired link).
On SQLite with the filesystem store the entitlement is then asked on the event loop, on a connection that
never waits (media/serving.py ``serve_at_once``); otherwise one trip to a worker thread asks it and reads
the first chunk. Under uvicorn the body goes from the file to the socket (media_sendfile.py); otherwise a
filesystem blob is read with ``os.pread`` in chunks of :data:`CHUNK` on a worker thread, the next chunk
read while the last one is being sent, and an S3 blob streams from the store.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsbridge.accounts import audit
from newsbridge.api.deps import Hub
from newsbridge.api.errors import answer_exception
from newsbridge.api.media_sendfile import Connection
from newsbridge.config import Settings
from newsbridge.db.engine import writing
from newsbridge.db.tables import organizations
from newsbridge.media.blobs import FileBlobStore, S3BlobStore, blob_store
from newsbridge.media.links import known_signing_key, signing_key, verify_signature
from newsbridge.media.serving import Served, serve, serve_at_once
from newsbridge.middleware import record_request, request_id_for, security_headers
from newsbridge.telemetry import request_id

try:  # FastAPI's own telemetry, when configured, names the route of a request it measures
    from fastapi.telemetry._api import _route_selected
except ImportError:  # another FastAPI
    def _route_selected(*, scope: Scope, path: str | None, mount: bool = False) -> None:
        return None

router = APIRouter(tags=["media"])
CHUNK = 2 * 1024 * 1024  # bytes read and sent at a time; two of them per connection at most
T = TypeVar("T")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/tiff": "tif",
               "image/svg+xml": "svg", "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm",
               "video/x-matroska": "mkv", "video/x-msvideo": "avi", "video/mp2t": "ts", "application/mxf": "mxf",
               "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/aac": "aac", "audio/wav": "wav",
               "audio/flac": "flac", "audio/ogg": "ogg"}


def _etag(rendition: Served) -> str:
    return f'"{rendition.sha256}"'


def _filename(rendition: Served) -> str:
    stem = Path(rendition.filename or "").stem or f"media-{rendition.media_id}"
    if rendition.name != "original":
        stem = f"{stem}-{rendition.name}"
    extension = _EXTENSIONS.get(rendition.content_type) or Path(rendition.filename or "").suffix.lstrip(".") or "bin"
    return f"{stem}.{extension}"


def _disposition(name: str) -> str:
    ascii_name = _SAFE_NAME.sub("_", name).strip("._") or "media"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=` range, None for the whole file; ValueError when unsatisfiable.
    Several ranges are answered with the whole file (allowed by RFC 9110)."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first_raw, _, last_raw = header.removeprefix("bytes=").strip().partition("-")
    if not (first_raw.isdigit() or last_raw.isdigit()):
        return None
    if first_raw == "":  # the last N bytes
        count = int(last_raw)
        if count == 0:
            raise ValueError("empty suffix range")
        return max(0, size - count), size - 1
    first = int(first_raw)
    last = min(int(last_raw), size - 1) if last_raw.isdigit() else size - 1
    if first >= size or last < first:
        raise ValueError("range outside the file")
    return first, last


@functools.lru_cache(maxsize=8)
def _store(settings: Settings) -> FileBlobStore | S3BlobStore:
    """The blob store, made once per settings: an S3 store's client costs milliseconds to make, more than
    the range it would read (boto3 clients are safe to share between threads)."""
    return blob_store(settings)


class _Reader:
    """The bytes ``[start, start + length)`` of a blob, chunk by chunk, from a worker thread."""

    def __init__(self, hub: Hub, rendition: Served, start: int, length: int) -> None:
        self.left, self.position = length, start
        self.fd: int | None = None
        self.chunks: Iterator[bytes] | None = None
        store = _store(hub.settings)
        if isinstance(store, FileBlobStore):
            self.fd = os.open(store.path(rendition.sha256), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        else:
            self.chunks = store.read(rendition.sha256, start, length)

    def next(self) -> bytes:
        if self.left <= 0:
            return b""
        if self.fd is not None:
            chunk = os.pread(self.fd, min(CHUNK, self.left), self.position)
            self.position += len(chunk)
        else:
            chunk = next(self.chunks, b"") if self.chunks is not None else b""
        self.left = self.left - len(chunk) if chunk else 0  # a blob shorter than its row ends the answer
        return chunk

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.chunks is not None:
            getattr(self.chunks, "close", lambda: None)()


@dataclass
class _Answer:
    """What the worker-thread trip found: the answer's status and headers, and the first chunk."""

    status: int
    headers: dict[str, str]
    media_type: str | None = None
    first: bytes = b""
    reader: _Reader | None = None
    download: bool = False  # a partner's first range of an original: on the owner's audit log


def _prepare(hub: Hub, rendition_id: str, query: Any, method: str, headers: Any, direct: bool = False) -> _Answer:
    """Signature, entitlement, conditional and range headers, and the first chunk read: one trip to a
    worker thread. The signature comes first (no database read for a forged or expired link; the key
    is read once per process). ``direct``: the body may go from the file to the socket (media_sendfile.py);
    a file blob is then not read here."""
    organization_id = query.get("org", "")
    verify_signature(signing_key(hub.engine, hub.settings), rendition_id, organization_id, query.get("exp", ""), query.get("sig", ""))
    rendition = serve(hub.engine, organization_id, rendition_id)
    answer = _answer(hub, rendition, organization_id, method, headers, direct, on_loop=False)
    assert answer is not None  # None only on the event loop
    if answer.download:
        try:
            _note_download(hub, rendition, organization_id)
        except BaseException:
            if answer.reader is not None:
                answer.reader.close()
            raise
    return answer


def _prepare_at_once(hub: Hub, rendition_id: str, query: Any, method: str, headers: Any,
                     direct: bool) -> _Answer | None:
    """:func:`_prepare` made on the event loop where nothing in it waits: SQLite and the filesystem store
    (media/serving.py ``serve_at_once``), the signing key known; the file is opened, not read. None: the
    worker thread does it all."""
    key = known_signing_key(hub.engine, hub.settings)
    if key is None or not isinstance(_store(hub.settings), FileBlobStore):
        return None
    organization_id = query.get("org", "")
    verify_signature(key, rendition_id, organization_id, query.get("exp", ""), query.get("sig", ""))
    rendition = serve_at_once(hub.engine, organization_id, rendition_id)
    if rendition is None:
        return None
    return _answer(hub, rendition, organization_id, method, headers, direct, on_loop=True)


def _answer(hub: Hub, rendition: Served, organization_id: str, method: str, headers: Any, direct: bool,
            on_loop: bool) -> _Answer | None:
    """The answer to a request the organization may have answered: status, headers, the file opened, and
    on a worker thread (not for ``direct``) the first chunk read. None ``on_loop`` for a download to note
    (a write: the worker thread's)."""
    answer = {"ETag": _etag(rendition), "Accept-Ranges": "bytes", "Cache-Control": "private, max-age=300",
              "Content-Disposition": _disposition(_filename(rendition))}
    if headers.get("if-none-match") == answer["ETag"]:
        return _Answer(304, answer)
    size = rendition.size
    try:
        wanted = _byte_range(headers.get("range"), size)
    except ValueError:
        return _Answer(416, {**answer, "Content-Range": f"bytes */{size}"})
    if headers.get("if-range") not in (None, answer["ETag"]):
        wanted = None  # the client holds another version: the whole file
    start, length, status = 0, size, 200
    if wanted is not None:
        start, length, status = wanted[0], wanted[1] - wanted[0] + 1, 206
        answer["Content-Range"] = f"bytes {wanted[0]}-{wanted[1]}/{size}"
    answer["Content-Length"] = str(length)
    if method == "HEAD":
        return _Answer(status, answer, rendition.content_type)
    download = rendition.name == "original" and start == 0 and rendition.owner_id != organization_id
    if download and on_loop:
        return None
    reader = _Reader(hub, rendition, start, length)
    try:
        first = reader.next() if not on_loop and not (direct and reader.fd is not None) else b""
    except BaseException:
        reader.close()
        raise
    return _Answer(status, answer, rendition.content_type, first, reader, download)


def _note_download(hub: Hub, rendition: Served, reader_id: str) -> None:
    """A partner fetched the start of an original: on the owner's audit log (once per download, not per
    range a player asks for afterwards)."""
    with writing(hub.engine) as conn:
        slug = conn.execute(sa.select(organizations.c.slug).where(organizations.c.id == reader_id)).scalar()
        audit.record(conn, "media.original_downloaded", organization_id=rendition.owner_id,
                     actor=f"organization {slug or reader_id}", target=rendition.media_id,
                     detail={"rendition": rendition.id, "filename": rendition.filename, "size": rendition.size})


async def _in_thread(work: Callable[..., T], *args: Any) -> T:
    # the loop's default executor: lighter than anyio's limiter, and file reads may wait on the disk
    return await asyncio.get_running_loop().run_in_executor(None, work, *args)


def _raw_headers(answer: _Answer) -> list[tuple[bytes, bytes]]:
    """The answer's headers as ASGI sends them, with the length and type a Starlette response would add."""
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers.items()]
    if "Content-Length" not in answer.headers and answer.status != 304:
        raw.append((b"content-length", b"0"))
    if answer.media_type:
        kind = answer.media_type
        if kind.startswith("text/") and "charset=" not in kind.lower():
            kind += "; charset=utf-8"
        raw.append((b"content-type", kind.encode("latin-1")))
    return raw


async def _send(answer: _Answer, receive: Receive, send: Send, extra: list[tuple[bytes, bytes]] | None = None,
                direct: Connection | None = None) -> None:
    """Sends the prepared answer (``extra``: headers added after the answer's own). With ``direct`` (and a
    file blob) the body goes from the file to the socket; otherwise the first chunk at once, then the
    rest, each next chunk read while the last is being sent; stops reading when the client goes away."""
    reader = answer.reader
    headers = _raw_headers(answer)
    if direct is not None and (reader is None or reader.fd is None or answer.first):
        direct = None  # no body, or an S3 blob, or one already read
    await send({"type": "http.response.start", "status": answer.status,
                "headers": headers + extra if extra else headers})
    if reader is None:  # HEAD, 304, 416
        await send({"type": "http.response.body", "body": b""})
        return
    if direct is not None:
        if await _send_direct(direct, reader):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if reader.fd is None:  # closed: the client went away mid-body
            return
    gone: asyncio.Future[Message] | None = None
    reading: asyncio.Future[bytes] | None = None
    try:
        chunk = answer.first
        if not chunk and reader.left > 0:  # prepared for the direct path, which the connection could not take
            chunk = await _in_thread(reader.next)
        while reader.left > 0 and chunk:
            if gone is None:  # a long range: stop reading the file when nobody listens any more
                gone = asyncio.ensure_future(_disconnect(receive))
            reading = asyncio.get_running_loop().run_in_executor(None, reader.next)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            chunk = await reading
            reading = None
            if gone.done():
                return
        await send({"type": "http.response.body", "body": chunk, "more_body": False})
    finally:
        if gone is not None:
            gone.cancel()
        if reading is not None:
            await asyncio.wait([reading])  # never close the file under a read still running
        if reader.chunks is None:
            reader.close()
        else:
            await _in_thread(reader.close)  # an S3 stream's close may talk to the network


async def _send_direct(direct: Connection, reader: _Reader) -> bool:
    """The body from the file to the socket (media_sendfile.py); False when it could not go that way (the
    headers still in the transport's buffer: the copying path follows) or the client went away."""
    assert reader.fd is not None
    if not direct.flushed():
        return False
    try:
        await direct.sendfile(reader.fd, reader.position, reader.left)
    except ConnectionError:
        direct.drop()
        return False
    finally:
        reader.close()
    return True


class _RangeResponse(Response):
    """The route's answer: sent by :func:`_send`, as the fast path sends it."""

    background = None

    def __init__(self, answer: _Answer) -> None:  # no Response.__init__: _send makes the headers
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _send(self.answer, receive, send)


async def _disconnect(receive: Receive) -> Message:
    while (message := await receive())["type"] != "http.disconnect":
        pass
    return message


@router.get("/media/{rendition_id}", summary="A rendition's bytes, by the signed URL an item gave",
            responses={200: {"content": {"application/octet-stream": {}}}, 206: {"description": "A byte range"},
                       416: {"description": "The range lies outside the file"}})
@router.head("/media/{rendition_id}", include_in_schema=False)
async def serve_rendition(rendition_id: str, request: Request, org: str = "", exp: str = "",
                          sig: str = "") -> Response:
    """`org`, `exp` and `sig` come from the href; no API key is needed (the signature is the ticket), but
    the organization must be entitled to an item carrying the media at this moment (404 otherwise);
    an altered signature answers 403 `link_invalid`, an old one 403 `link_expired`. Range requests."""
    answer = await _in_thread(_prepare, request.app.state.hub, rendition_id, {"org": org, "exp": exp, "sig": sig},
                              request.method, request.headers)
    return _RangeResponse(answer)


PREFIX = "/media/"
_ROUTE = next(route for route in router.routes if getattr(route, "path", "") == PREFIX + "{rendition_id}")
_CONDITIONS = frozenset({b"range", b"if-range", b"if-none-match"})  # the request headers _prepare reads
_BODY = frozenset({b"content-length", b"transfer-encoding"})  # a request declaring a body: the full stack's


class MediaFastPath:
    """Answers ``GET``/``HEAD /media/{rendition_id}`` as :func:`serve_rendition` does, as the outermost layer
    of the app's middleware: without the framework's error, body-limit and request-context layers, its
    routing and dependencies. What those layers give every answer it gives too (the request id, the
    security headers, the latency histogram and the access log under the route's name, the JSON error
    answer), so an answer is the route's header for header (tests/media/test_media_fast_path.py). A request
    declaring a body, and any other request, goes on to the app (``app``: the whole middleware stack)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        rendition_id = path[len(PREFIX):]
        if (scope["type"] != "http" or not path.startswith(PREFIX) or scope["method"] not in ("GET", "HEAD")
                or not rendition_id or "/" in rendition_id):
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        given = b""
        for name, value in scope["headers"]:
            if name in _CONDITIONS:
                headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
            elif name == b"x-request-id":
                given = given or value
            elif name in _BODY:
                await self.app(scope, receive, send)  # the body limit and its 413 are the request context's
                return
        started = time.perf_counter()
        rid = request_id_for(given)
        token = request_id.set(rid)
        scope["route"] = _ROUTE  # as routing would: telemetry and the error answer name the route
        if "fastapi.telemetry" in scope:
            _route_selected(scope=scope, path=_ROUTE.path)
        extra = [(b"x-request-id", rid.encode()), *security_headers(scope)]
        status, started_response = 500, False
        try:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            direct = Connection.of(send) if scope["method"] == "GET" else None
            hub, signed = scope["app"].state.hub, {key: query.get(key, "") for key in ("org", "exp", "sig")}
            answer = _prepare_at_once(hub, rendition_id, signed, scope["method"], headers, direct is not None)
            if answer is None:
                answer = await _in_thread(_prepare, hub, rendition_id, signed, scope["method"], headers,
                                          direct is not None)
            status, started_response = answer.status, True
            await _send(answer, receive, send, extra, direct)
        except Exception as exc:
            if started_response:
                raise  # half a response is out: nothing sane can follow it
            response = await answer_exception(Request(scope), exc)
            status = response.status_code
            response.raw_headers += [header for header in extra if header[0] not in
                                     {name for name, _ in response.raw_headers}]
            await response(scope, receive, send)
        finally:
            record_request(scope, _ROUTE.path, status, time.perf_counter() - started)
            request_id.reset(token)


def install_fast_path(app: Starlette) -> None:
    """Puts :class:`MediaFastPath` outside the app's whole middleware stack (Starlette and FastAPI build
    their own error layers outside every ``add_middleware`` one). The fast path goes with the instance's
    ``build_middleware_stack``: deleting that attribute gives the app without it."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: MediaFastPath(build())  # type: ignore[method-assign]
