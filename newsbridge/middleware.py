"""ASGI middleware: request ids, access logs with latency, and the request body limit.

Pure ASGI (no BaseHTTPMiddleware) so streaming responses (the live stream, later) pass
through untouched and the body limit is enforced while reading, not after.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsbridge.errors import PayloadTooLarge
from newsbridge.telemetry import REQUEST_LATENCY, request_id

log = logging.getLogger("newsbridge.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


async def _send_json(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]]) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": payload})


class RequestContext:
    """Gives every request an id (or keeps a sane ``X-Request-ID``), logs it and times it."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        id_header = (b"x-request-id", rid.encode())
        limit_message = (f"the request body is larger than {self.max_body_bytes} bytes "
                         "(NEWSBRIDGE_MAX_BODY_BYTES); send smaller documents")

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), id_header]
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise PayloadTooLarge(limit_message, field="body")
            return message

        too_large = {"error": {"code": "payload_too_large", "message": limit_message, "field": "body"}}
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > self.max_body_bytes:  # refuse before reading a byte of it
                status = 413
                await _send_json(send, 413, too_large, [id_header])
            else:
                await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path_template = getattr(route, "path", "unmatched")
            REQUEST_LATENCY.labels(scope["method"], path_template, str(status)).observe(elapsed)
            log.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                                       "ms": round(elapsed * 1000, 1)})
            request_id.reset(token)
