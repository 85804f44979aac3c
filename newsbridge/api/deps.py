"""What every API handler needs: the hub's services and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.api_keys import Principal, authenticate
from newsbridge.config import Settings
from newsbridge.db.engine import reading
from newsbridge.delivery.signals import FeedSignal
from newsbridge.errors import Forbidden, Unauthenticated
from newsbridge.formats.errors import FormatError
from newsbridge.formats.ninjs import decode_json
from newsbridge.ingest.pipeline import Ingestor, translate

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer nb_...`")


@dataclass(frozen=True)
class Hub:
    settings: Settings
    engine: Engine
    ingestor: Ingestor
    signal: FeedSignal


def hub(request: Request) -> Hub:
    return request.app.state.hub


def caller(scope: str | None) -> Callable[..., Principal]:
    """A dependency that authenticates the API key and requires ``scope`` (None: any valid key)."""

    def dependency(credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                   the_hub: Hub = Depends(hub)) -> Principal:
        with reading(the_hub.engine) as conn:
            return authorize(conn, credentials, scope)

    dependency.required_scope = scope  # type: ignore[attr-defined]  # read by api/openapi.py
    return dependency


def authorize(conn: Connection, credentials: HTTPAuthorizationCredentials | None, scope: str | None) -> Principal:
    """The caller behind ``credentials``, holding ``scope``; the errors every API call answers with.
    (Handlers that read the database in one worker-thread call use this directly.)"""
    if credentials is None:
        raise Unauthenticated("send an API key as `Authorization: Bearer <key>`; "
                              "`newsbridge key create SLUG` makes one", field="Authorization")
    principal = authenticate(conn, credentials.credentials)
    if principal is None:
        raise Unauthenticated("the API key is unknown or revoked; ask your hub operator for a new one",
                              field="Authorization")
    if scope is not None and scope not in principal.scopes:
        raise Forbidden(f"this API key lacks the {scope!r} scope; create a key with --scope {scope}",
                        field="Authorization")
    return principal


async def json_body(request: Request) -> Any:
    """The request body as JSON, with the hub's ``malformed`` error saying where it breaks."""
    try:
        return decode_json(await request.body())
    except FormatError as exc:
        raise translate(exc) from None
