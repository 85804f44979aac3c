"""Webhook messages: what is sent, how it is signed (Standard Webhooks), and who sends it.

A message body is ``{"type": event, "timestamp": ..., "data": {...}}``; for item events the
data is the item as ninjs (3.x, or 2.x per endpoint) with the hub's ``id``, ``source`` and
``received`` (agreement, credit line, usage terms). Headers ``webhook-id`` (stable across
retries), ``webhook-timestamp`` and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``, one
per valid secret during a rotation) let a partner verify it with any Standard Webhooks library.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import httpx
from standardwebhooks import Webhook

from newsbridge.delivery.outbox import Outcome
from newsbridge.targets import Target, host_header

USER_AGENT = "Newsbridge-Webhooks/1"


@dataclass(frozen=True)
class Message:
    target: Target
    message_id: str
    body: str
    headers: dict[str, str]


def sign(message_id: str, body: str, secrets: Sequence[str], when: datetime) -> dict[str, str]:
    """Standard Webhooks headers; every secret in ``secrets`` adds a signature."""
    when = when.astimezone(timezone.utc)  # the library swaps zones instead of converting: give it UTC
    signatures = [Webhook(secret).sign(message_id, when, body) for secret in secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def envelope(event: str, data: dict[str, Any], when: datetime) -> str:
    return json.dumps({"type": event, "timestamp": when.astimezone(timezone.utc).isoformat(), "data": data},
                      ensure_ascii=False, separators=(",", ":"))


class Sender(Protocol):
    async def send(self, message: Message) -> Outcome: ...

    async def close(self) -> None: ...


class HttpSender:
    """Posts messages with httpx to the address the SSRF guard checked (Host and SNI keep the name)."""

    def __init__(self, timeout: float = 10.0, max_connections: int = 200) -> None:
        self._client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections))

    async def send(self, message: Message) -> Outcome:
        target = message.target
        headers = {**message.headers, "content-type": "application/json", "user-agent": USER_AGENT,
                   "host": host_header(target)}
        try:
            response = await self._client.post(target.connect_url(), content=message.body.encode("utf-8"),
                                               headers=headers, extensions={"sni_hostname": target.host})
        except httpx.TimeoutException:
            return Outcome(None, "timed out")
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}: {response.text[:200]}"
        return Outcome(response.status_code, error)

    async def close(self) -> None:
        await self._client.aclose()
