"""The OpenAPI document names every status an operation can answer with, and the error shape.

FastAPI documents the success answer and a 422 of its own shape; the hub answers errors as
``{"error": {"code", "message", "field"}}`` with statuses that follow from how a route is built.
They are derived here from the route itself, so a new route is documented without anyone
remembering to: a route that needs an API key can answer 401 (and 403 when it needs a scope), a
route with a path parameter 404, one with parameters 422, one that takes a body 400, 413 and 422,
one that changes state 409. The few statuses a route adds on purpose (304 for conditional feed
reads, 415 for uploads of an unknown format, 503 when the database is down) are listed in
:data:`SPECIAL`. ``tests/api/test_openapi_conformance.py`` runs schemathesis over every operation
and fails on an answer the document does not name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi import routing
from fastapi.openapi.utils import _get_api_route_for_openapi, get_openapi
from fastapi.routing import APIRoute

from newsbridge.api import response_schemas
from newsbridge.api.deps import bearer

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "Stable machine code; the list is in docs/errors.md"},
            "message": {"type": "string", "description": "What went wrong and what to do"},
            "field": {"type": ["string", "null"], "description": "The parameter, field or JSON path concerned"},
        },
    }},
}
DESCRIPTIONS = {
    304: "Not modified since the `If-None-Match` tag you sent",
    400: "Malformed body: not JSON, not UTF-8, nested too deeply, or holding text no store can keep",
    401: "No API key, or an unknown, expired or revoked one",
    403: "The API key lacks the scope this operation needs, is used from outside its allowed addresses, or its "
         "organization is suspended by the hub operator (`organization_suspended`)",
    404: "No such thing, or nothing your organization may see",
    409: "Conflicts with the current state (the message says which)",
    413: "The body is larger than NEWSBRIDGE_MAX_BODY_BYTES",
    415: "An upload in none of the formats the hub reads",
    422: "A parameter or field has a wrong value; `field` names it",
    412: "tus: the request lacks `Tus-Resumable: 1.0.0`",
    416: "The range lies outside the file",
    460: "tus: the bytes do not match `Upload-Checksum`; nothing of them was kept",
    503: "The database (or the media store) is unreachable",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# (method, path) -> statuses a route answers with on purpose, beyond those derived from its shape.
SPECIAL: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/feeds/{token}/atom.xml"): (304,),
    ("GET", "/feeds/{token}/feed.json"): (304,),
    ("POST", "/api/v1/items:upload"): (415,),
    ("GET", "/healthz"): (503,),
    # media: the tus protocol's own statuses, media checks, the blob store, ranges and signed URLs
    ("POST", "/api/v1/uploads"): (412,),
    ("HEAD", "/api/v1/uploads/{upload_id}"): (412,),
    ("PATCH", "/api/v1/uploads/{upload_id}"): (412, 415, 460, 503),
    ("POST", "/api/v1/media"): (415, 503),
    ("GET", "/media/{rendition_id}"): (304, 403, 416, 503),
    # single sign-on: an organization without a directory has none to show or remove
    ("GET", "/api/v1/sso"): (404,),
    ("DELETE", "/api/v1/sso"): (404,),
}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _auth(route: APIRoute) -> tuple[bool, bool]:
    """(needs an API key, needs a scope) from the route's dependencies."""
    key = any(dep.call is bearer for dep in _dependants(route.dependant))
    scoped = any(getattr(dep.call, "required_scope", None) for dep in _dependants(route.dependant))
    # A handler that takes the credentials itself checks them with a scope (see deps.authorize).
    scoped = scoped or any(dep.call is bearer for dep in route.dependant.dependencies)
    return key, scoped


def statuses(route: APIRoute, method: str) -> set[int]:
    """Every error status ``route`` can answer ``method`` with."""
    key, scoped = _auth(route)
    found: set[int] = set()
    if key:  # any key can be refused 403 while its organization is suspended (accounts/suspension.py)
        found |= {401, 403}
    if scoped:
        found.add(403)
    if route.dependant.path_params:
        found.add(404)
    if route.dependant.query_params or route.dependant.header_params:
        found.add(422)
    if method in WRITES:
        found |= {400, 409, 413, 422}
    found |= set(SPECIAL.get((method, route.path_format), ()))
    return found


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """The documented API routes, as FastAPI itself walks them (included routers resolved: what
    comes back is a route-like view with the router's prefix and dependencies applied)."""
    for context in routing.iter_route_contexts(app.routes):
        route = _get_api_route_for_openapi(context)
        if route is not None and route.include_in_schema:
            yield route  # type: ignore[misc]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document with the error shape and every error status of every operation."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)  # the hub never answers in FastAPI's own shape
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for route in api_routes(app):
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses(route, method)):
                content = {} if status == 304 else {"content": error_ref}
                responses[str(status)] = {"description": DESCRIPTIONS[status], **content}
    response_schemas.apply(schema)
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
