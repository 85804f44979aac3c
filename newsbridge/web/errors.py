"""Error pages for people: a sign-in redirect, or a page that says what happened and where to go."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from newsbridge.web.context import current_viewer, page

TITLES = {401: "Please sign in", 403: "Not allowed", 404: "Not found", 405: "Not here", 422: "Please check the form",
          429: "Slow down", 500: "Something went wrong"}


def html_error(request: Request, status: int, code: str, message: str) -> Response:
    if code == "sign_in_required":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if status == 404:
        message = "There is nothing here, or nothing your organization may see."
    return page(request, "error.html", current_viewer(request), status=status,
                title=TITLES.get(status, "Something went wrong"), message=message)
