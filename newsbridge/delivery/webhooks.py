"""Webhook messages: what is sent, how it is signed (Standard Webhooks), and who sends it.

A message body is ``{"type": event, "timestamp": ..., "data": {...}}``; for item events the
data is the item as ninjs (3.x, or 2.x per endpoint) with the hub's ``id``, ``source`` and
``received`` (agreement, credit line, usage terms). Headers ``webhook-id`` (stable across
retries), ``webhook-timestamp`` and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``, one
per valid secret during a rotation) let a partner verify it with any Standard Webhooks library.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import aiohttp
import aiohttp.abc
import yarl
from aiohttp.abc import ResolveResult
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


_SIGNERS: dict[str, Webhook] = {}  # secret -> its signer: decoding the secret costs as much as an HMAC
SIGNERS_KEPT = 10_000


def _signer(secret: str) -> Webhook:
    signer = _SIGNERS.get(secret)
    if signer is None:
        if len(_SIGNERS) >= SIGNERS_KEPT:
            _SIGNERS.clear()
        signer = _SIGNERS[secret] = Webhook(secret)
    return signer


def sign(message_id: str, body: str, secrets: Sequence[str], when: datetime) -> dict[str, str]:
    """Standard Webhooks headers; every secret in ``secrets`` adds a signature."""
    when = when.astimezone(timezone.utc)  # the library swaps zones instead of converting: give it UTC
    signatures = [_signer(secret).sign(message_id, when, body) for secret in secrets]
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


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date (RFC 9110); None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class NoResolver(aiohttp.abc.AbstractResolver):
    """Refuses every name: the sender connects only to address literals the SSRF guard checked, so a
    request that would need a DNS answer (a second one could point elsewhere) fails instead."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        raise OSError(f"{host!r} was not checked by the SSRF guard; the sender resolves no names")

    async def close(self) -> None:
        return None


ERROR_TEXT = 200  # characters of a refusal's body kept in last_error
READ_AT_MOST = 4096  # bytes of any answer read: a short body lets the connection be reused, a long one closes it


async def _head(response: aiohttp.ClientResponse) -> bytes:
    """The first bytes of the answer's body (all of it when short, so the connection goes back to the pool)."""
    head = b""
    while len(head) < READ_AT_MOST:
        chunk = await response.content.read(READ_AT_MOST - len(head))
        if not chunk:
            break
        head += chunk
    return head


class HttpSender:
    """Posts messages with aiohttp to the address the SSRF guard checked (Host and TLS SNI keep the name).

    aiohttp, not httpx: against nginx on this machine a bare aiohttp session sends tens of times more
    requests a second than httpx's AsyncClient (docs/benchmarks.md, bench/fanout.py), and webhook
    fan-out is nothing but requests. The URL carries the checked address literal and the resolver
    refuses names, so nothing is looked up again; ``server_hostname`` verifies TLS against the name
    and is part of aiohttp's pool key, so a connection made for one name never carries another's
    messages. Redirects are not followed, cookies are not kept (partners never see each other's), and
    at most 4 KiB of an answer is read. The session is made on first use, on the loop that sends.
    """

    def __init__(self, timeout: float = 10.0, max_connections: int = 200) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        # target -> (URL with the checked address, fixed headers, TLS name): built once, not per message
        self._routes: dict[Target, tuple[yarl.URL, dict[str, str], str | None]] = {}

    def _route(self, target: Target) -> tuple[yarl.URL, dict[str, str], str | None]:
        route = self._routes.get(target)
        if route is None:
            if len(self._routes) >= 10_000:
                self._routes.clear()
            route = self._routes[target] = (
                yarl.URL(target.connect_url()),
                {"content-type": "application/json", "user-agent": USER_AGENT, "host": host_header(target)},
                target.host if target.scheme == "https" else None)
        return route

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0, resolver=NoResolver(),
                                             use_dns_cache=False)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout, trust_env=False,
                                                  cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False)
        return self._session

    async def send(self, message: Message) -> Outcome:
        target = message.target
        url, fixed, tls_name = self._route(target)
        try:
            async with self._client().post(
                    url, data=message.body.encode("utf-8"), headers={**message.headers, **fixed},
                    allow_redirects=False, server_hostname=tls_name) as response:
                status = response.status
                text = (await _head(response)).decode("utf-8", "replace")[:ERROR_TEXT]
                if 200 <= status < 300:
                    return Outcome(status, None)
                if 300 <= status < 400:  # never followed: the next hop would escape the address the guard checked
                    return Outcome(status, f"HTTP {status}: redirects are not followed; register the final URL "
                                           f"({response.headers.get('location', 'no Location')[:200]})")
                wait = retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
                return Outcome(status, f"HTTP {status}: {text}", wait)
        except aiohttp.ClientConnectorDNSError:  # NoResolver said no: aiohttp's own message loses why
            return Outcome(None, f"refused: {target.address!r} is not an address the SSRF guard checked; "
                                 "the sender resolves no names")
        except asyncio.TimeoutError:  # aiohttp's own timeouts are asyncio.TimeoutError too
            return Outcome(None, "timed out")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
