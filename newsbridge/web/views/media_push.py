"""Partners › Media push: our own S3 buckets the hub pushes the originals we receive into, and the
log of each push (state, attempts, last error), beside the webhook endpoints of the Partners page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.db.engine import reading, writing
from newsbridge.errors import NewsbridgeError, NotFound
from newsbridge.ids import utcnow
from newsbridge.media.push import list_pushes, replay
from newsbridge.media.push_targets import create_target, get_target, list_targets, target_health, update_target
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.i18n import N_, ngettext_for

router = APIRouter(include_in_schema=False)
LOG_ROWS = 20
FIELDS = ("endpoint_url", "bucket", "prefix", "region", "access_key", "secret_key")


def _context(request: Request, who: Viewer, **extra: Any) -> dict[str, Any]:
    with reading(request.app.state.hub.engine) as conn:
        targets = [(t, target_health(conn, t.id), list_pushes(conn, t.id, LOG_ROWS))
                   for t in list_targets(conn, who.organization)]
    return {"targets": targets, "form": {}, **extra}


@router.get("/partners/media-push")
def push_targets(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return page(request, "media_push.html", who, **_context(request, who))


@router.post("/partners/media-push")
async def add_target(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)
    who.require("manage")
    return await run_in_threadpool(_add_target, request, who, form)


def _add_target(request: Request, who: Viewer, form: dict[str, Any]) -> Response:
    data = {name: str(form.get(name, "")) for name in FIELDS if form.get(name) not in (None, "")}
    try:
        with writing(request.app.state.hub.engine) as conn:
            create_target(conn, who.organization, data, request.app.state.hub.settings.allow_private_targets)
    except NewsbridgeError as exc:
        typed = {k: v for k, v in data.items() if k != "secret_key"}  # the secret is never sent back, even here
        return page(request, "media_push.html", who, status=exc.status, flash=exc.message, flash_kind="error",
                    **{**_context(request, who), "form": typed})
    return page(request, "media_push.html", who, flash=N_("Push target added: media delivered from now on is pushed."),
                **_context(request, who))


@router.post("/partners/media-push/{target_id}/{action}")
async def target_action(request: Request, target_id: str, action: str, who: Viewer = Depends(viewer)) -> Response:
    await checked_form(request, who)
    who.require("manage")
    return await run_in_threadpool(_target_action, request, who, target_id, action)


def _target_action(request: Request, who: Viewer, target_id: str, action: str) -> Response:
    with writing(request.app.state.hub.engine) as conn:
        get_target(conn, who.organization, target_id)
        if action in ("enable", "disable"):
            update_target(conn, who.organization, target_id, {"enabled": action == "enable"})
            message = N_("Push target turned on.") if action == "enable" else N_("Push target turned off.")
        elif action == "replay":
            ngettext = ngettext_for(who.locale)
            message = ngettext("%(num)s failed push will be tried again.", "%(num)s failed pushes will be tried again.",
                               replay(conn, target_id, utcnow()))
        else:
            raise NotFound(f"no action {action!r}", field="action")
    return page(request, "media_push.html", who, flash=message, **_context(request, who))
