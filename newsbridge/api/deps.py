"""What every API handler needs: the hub's services and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts import rate_limits
from newsbridge.accounts.api_keys import USED_PRECISION, Principal, authenticate, mark_used
from newsbridge.accounts.suspension import CONTACT, OrganizationSuspended
from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.delivery.signals import FeedSignal
from newsbridge.errors import Forbidden, Unauthenticated
from newsbridge.formats.errors import FormatError
from newsbridge.ids import utcnow
from newsbridge.formats.ninjs import decode_json
from newsbridge.ingest.pipeline import Ingestor, translate

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer nb_...`")


@dataclass(frozen=True)
class Hub:
    settings: Settings
    engine: Engine
    ingestor: Ingestor
    signal: FeedSignal


async def hub(request: Request) -> Hub:  # no I/O: on the event loop, no trip to a worker thread
    return request.app.state.hub


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def caller(scope: str | None) -> Callable[..., Principal]:
    """A dependency that authenticates the API key and requires ``scope`` (None: any valid key). A write
    with the ``publish`` scope counts against the key's publishing limit (accounts/rate_limits.py)."""

    def dependency(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                   the_hub: Hub = Depends(hub)) -> Principal:
        with reading(the_hub.engine) as conn:
            principal = authorize(conn, credentials, scope, client_address(request))
        if scope == "publish" and request.method in WRITES:
            limit_key(the_hub, principal)
        note_use(the_hub, principal)
        return principal

    dependency.required_scope = scope  # type: ignore[attr-defined]  # read by api/openapi.py
    return dependency


# When each key's use was last written by this process. Once a key's minute is up, every request
# it has open (150 long-polling feed readers in bench/load.py) read the old time and would write
# the new one at once, queued for SQLite's write lock behind the publishers; one write is enough.
_NOTED: dict[str, datetime] = {}


def note_use(the_hub: Hub, principal: Principal) -> None:
    """The key's last use, written at most once a minute (admins see it in /api/v1/keys)."""
    now = utcnow()
    if principal.last_used_at is not None and now - principal.last_used_at < USED_PRECISION:
        return
    if (noted := _NOTED.get(principal.key_id)) is not None and timedelta(0) <= now - noted < USED_PRECISION:
        return
    _NOTED[principal.key_id] = now
    with writing(the_hub.engine) as conn:
        mark_used(conn, principal, now)


def authorize(conn: Connection, credentials: HTTPAuthorizationCredentials | None, scope: str | None,
              address: str | None) -> Principal:
    """The caller behind ``credentials``, from ``address``, holding ``scope``; the errors every API call
    answers with. (Handlers that read the database in one worker-thread call use this directly.)"""
    if credentials is None:
        raise Unauthenticated("send an API key as `Authorization: Bearer <key>`; "
                              "`newsbridge key create SLUG` makes one", field="Authorization")
    principal = authenticate(conn, credentials.credentials)
    if principal is None:
        raise Unauthenticated("the API key is unknown or revoked; ask your hub operator for a new one",
                              field="Authorization")
    if principal.suspended:  # read with the key, in the same query
        raise OrganizationSuspended(CONTACT.format(name=principal.organization.name), field="Authorization")
    if not principal.allows(address):
        raise Forbidden(f"this API key is accepted only from its allowed addresses, not from {address}; "
                        "ask an admin to add it (allowed_ips)", field="Authorization")
    if scope is not None and scope not in principal.scopes:
        raise Forbidden(f"this API key lacks the {scope!r} scope; create a key with --scope {scope}",
                        field="Authorization")
    return principal


def key_actor(principal: Principal) -> str:
    """How the audit log names an API key's action."""
    return f"key nb_{principal.key_id}"


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def limit_key(the_hub: Hub, principal: Principal) -> None:
    """Count a publishing write of this API key (429 past NEWSBRIDGE_RATE_PUBLISH_PER_MINUTE)."""
    rate_limits.check(the_hub.engine, f"key:{principal.key_id}:publish", the_hub.settings.rate_publish_per_minute,
                      "publishing with this API key", field="Authorization")


async def limit_writes(request: Request, the_hub: Hub = Depends(hub)) -> None:
    """Count a write request from its client address, before any key is checked (429 past
    NEWSBRIDGE_RATE_WRITES_PER_IP_PER_MINUTE): a flood of requests with bad keys is slowed too.
    A read costs nothing here (no thread, no query); a write's count runs on a worker thread."""
    if request.method not in WRITES or request.client is None or the_hub.settings.rate_writes_per_ip_per_minute <= 0:
        return
    if request.method == "PATCH" and request.url.path.startswith("/api/v1/uploads/"):
        return  # an upload's bytes, in as many PATCHes as the client likes: bounded by its creation, counted
    await run_in_threadpool(rate_limits.check, the_hub.engine, f"ip:{request.client.host}",
                            the_hub.settings.rate_writes_per_ip_per_minute, "writing from your address")


async def json_body(request: Request) -> Any:
    """The request body as JSON, with the hub's ``malformed`` error saying where it breaks."""
    try:
        return decode_json(await request.body())
    except FormatError as exc:
        raise translate(exc) from None
