"""ASGI middleware: request ids, access logs with latency, the request body limit, security
headers, and the last-resort 500 answer.

Pure ASGI (no BaseHTTPMiddleware) so streaming responses (the live stream) pass through
untouched and the body limit is enforced while reading, not after. An unexpected exception is
answered here, inside the request's context, so its answer quotes the request id and carries the
``X-Request-ID`` header like every other response.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsbridge.errors import PayloadTooLarge
from newsbridge.telemetry import REQUEST_LATENCY, request_id

log = logging.getLogger("newsbridge.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ErrorAnswer = Callable[[Request, Exception], Awaitable[Response]]

# Pages load scripts, styles and images from the hub only; no inline script can run, so HTML that
# slipped past the sanitizer still cannot act as the member. Partners' remote images are not
# fetched by the desk (a reader's visit is nobody else's business).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI (at /docs only) sets inline styles from its script.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def security_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The headers every response carries; HSTS only when the request came over TLS."""
    policy = DOCS_CONTENT_SECURITY_POLICY if scope.get("path") == "/docs" else CONTENT_SECURITY_POLICY
    headers = [(b"content-security-policy", policy.encode()), *SECURITY_HEADERS]
    if scope.get("scheme") == "https":
        headers.append(HSTS)
    return headers


def request_id_for(given: bytes) -> str:
    """The request's id: the client's ``X-Request-ID`` when it is sane, else a new one."""
    value = given.decode("latin-1")
    return value if _SAFE_ID.match(value) else uuid.uuid4().hex


def record_request(scope: Scope, route_path: str, status: int, elapsed: float) -> None:
    """The request in the latency histogram and the access log."""
    REQUEST_LATENCY.labels(scope["method"], route_path, str(status)).observe(elapsed)
    log.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                               "ms": round(elapsed * 1000, 1)})


async def _send_json(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]]) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": payload})


class RequestContext:
    """Gives every request an id (or keeps a sane ``X-Request-ID``), logs it and times it."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, on_error: ErrorAnswer | None = None,
                 media_paths: tuple[str, ...] = (), max_media_bytes: int = 0) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.on_error = on_error
        # media uploads (tus PATCH, multipart media) carry files far past the document limit; their
        # own limit (NEWSBRIDGE_MAX_MEDIA_BYTES) is enforced here the same way, while reading
        self.media_paths = media_paths
        self.max_media_bytes = max_media_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = request_id_for(headers.get(b"x-request-id", b""))
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        id_header = (b"x-request-id", rid.encode())
        extra_headers = [id_header, *security_headers(scope)]
        started_response = False
        limit, limit_message = self.max_body_bytes, (f"the request body is larger than {self.max_body_bytes} bytes "
                                                     "(NEWSBRIDGE_MAX_BODY_BYTES); send smaller documents")
        if self.media_paths and scope.get("path", "").startswith(self.media_paths):
            limit = self.max_media_bytes + 1024 * 1024  # the file plus its multipart envelope
            limit_message = (f"the file is larger than {self.max_media_bytes} bytes (NEWSBRIDGE_MAX_MEDIA_BYTES)")

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in extra_headers if h[0] not in present)]
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit_message, field="body")
            return message

        too_large = {"error": {"code": "payload_too_large", "message": limit_message, "field": "body"}}
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > limit:  # refuse before reading a byte of it
                status = 413
                await _send_json(send, 413, too_large, extra_headers)
            else:
                await self.app(scope, receive_wrapper, send_wrapper)
        except Exception as exc:
            if self.on_error is None or started_response:
                raise  # half a response is out: nothing sane can follow it
            response = await self.on_error(Request(scope), exc)
            await response(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            record_request(scope, getattr(scope.get("route"), "path", "unmatched"), status, elapsed)
            request_id.reset(token)
