"""Every error leaves the API as ``{"error": {"code", "message", "field"}}``; never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from sqlalchemy import exc as sa_exc
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from newsbridge.db.engine import busy_error
from newsbridge.errors import NewsbridgeError
from newsbridge.telemetry import request_id

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status,
                        headers=headers)


JSON_PREFIXES = ("/api/", "/feeds/", "/media/", "/healthz", "/metrics", "/openapi.json", "/static/")
HtmlError = Callable[[Request, int, str, str], Response]


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith(JSON_PREFIXES) and hasattr(request.app.state, "html_error")


async def _answer(request: Request, status: int, code: str, message: str, field: str | None = None) -> Response:
    if _wants_page(request):  # the page reads the session and renders a template: off the event loop
        return await run_in_threadpool(request.app.state.html_error, request, status, code, message)
    return error_response(status, code, message, field)


async def _newsbridge_error(request: Request, exc: NewsbridgeError) -> Response:
    answer = await _answer(request, exc.status, exc.code, exc.message, exc.field)
    if (retry_after := getattr(exc, "retry_after", None)) is not None:  # 429, 503: when to send again
        answer.headers["Retry-After"] = str(retry_after)
    return answer


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
    return await _answer(request, 422, "invalid", f"{field or 'request'}: {first.get('msg')}", field)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden"}


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    code = _HTTP_CODES.get(exc.status_code, "bad_request")
    message = {404: "no such path; the API is described at /docs",
               405: "this path does not take that HTTP method; see /docs"}.get(exc.status_code, str(exc.detail))
    return await _answer(request, exc.status_code, code, message)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    return await _answer(request, 500, "internal", f"an unexpected error; quote request id {request_id.get()} "
                                             "to the hub operator")


def _nul_in_text(exc: Exception) -> bool:
    """PostgreSQL refuses NUL characters in text; every input path checks for them, this is the net."""
    return isinstance(exc, sa_exc.DataError) and "NUL" in str(getattr(exc, "orig", exc))


async def _data_error(request: Request, exc: Exception) -> Response:
    if _nul_in_text(exc):
        return await _answer(request, 422, "invalid",
                             "a text holds a NUL character (\\u0000); remove it and send again")
    return await _unexpected(request, exc)


async def _database_error(request: Request, exc: Exception) -> Response:
    """A database that stayed locked past the wait (or a pool with no free connection) is 503 ``busy``
    with Retry-After: the transaction was rolled back, the same request can be sent again."""
    if (busy := busy_error(exc)) is not None:
        log.warning("database busy", extra={"error": str(exc).splitlines()[0][:200]})
        return await _newsbridge_error(request, busy)
    return await _unexpected(request, exc)


async def answer_exception(request: Request, exc: Exception) -> Response:
    """The answer to an exception that escaped every handler (called by the request middleware,
    which still knows the request id): the hub's own errors as usual, anything else a 500."""
    if isinstance(exc, NewsbridgeError):
        return await _newsbridge_error(request, exc)
    if isinstance(exc, sa_exc.DataError):
        return await _data_error(request, exc)
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.TimeoutError)):
        return await _database_error(request, exc)
    return await _unexpected(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NewsbridgeError, _newsbridge_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(sa_exc.DataError, _data_error)
    app.add_exception_handler(sa_exc.OperationalError, _database_error)
    app.add_exception_handler(sa_exc.TimeoutError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
