"""Partners: the organizations we exchange with, and our own webhook endpoints and feed tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.organizations import Organization, get_organization_by_id, outlets_of
from newsbridge.config import base_url
from newsbridge.db.engine import reading, writing
from newsbridge.delivery.endpoints import (create_endpoint, get_endpoint, health, list_endpoints, rotate_secret,
                                           set_enabled)
from newsbridge.delivery.feeds import create_feed_token, list_feed_tokens, revoke_feed_token
from newsbridge.delivery.outbox import replay
from newsbridge.errors import NewsbridgeError, NotFound
from newsbridge.exchange.agreements import Agreement, partner_agreements
from newsbridge.ids import utcnow
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.i18n import N_, ngettext_for

router = APIRouter(include_in_schema=False)


def _partners(conn: Any, who: Viewer) -> dict[str, tuple[Organization, list[Agreement]]]:
    """Partners by slug: parties of agreements we see that were proposed (a draft naming one is not enough)."""
    found = [(get_organization_by_id(conn, org_id), agreements)
             for org_id, agreements in partner_agreements(conn, who.organization).items()]
    return {org.slug: (org, agreements) for org, agreements in sorted(found, key=lambda f: f[0].name)}


PAGE_SIZE = 30
# What an endpoint or a feed token's item links send (delivery/endpoints.py FORMATS, delivery/feeds.py TOKEN_FORMATS)
OUTPUT_FORMATS = {"ninjs3": N_("ninjs 3.x"), "ninjs2": N_("ninjs 2.x"),
                  "ninjs1-superdesk": N_("ninjs 1.x for Superdesk"), "newsml-g2": N_("NewsML-G2"),
                  "newsml-g2-superdesk": N_("NewsML-G2 for Superdesk")}
ENDPOINT_FORMATS = ("ninjs3", "ninjs2", "ninjs1-superdesk")


def _context(request: Request, who: Viewer, **extra: Any) -> dict[str, Any]:
    after = request.query_params.get("after", "")  # the cursor: the last partner (slug) of the page before
    with reading(request.app.state.hub.engine) as conn:
        every = _partners(conn, who)
        keys = list(every)
        start = keys.index(after) + 1 if after in every else 0
        partners = {slug: every[slug] for slug in keys[start:start + PAGE_SIZE]}
        outlets = {slug: outlets_of(conn, org.id) for slug, (org, _) in partners.items()}
        endpoints = [(e, health(conn, e.id)) for e in list_endpoints(conn, who.organization)]
        tokens = list_feed_tokens(conn, who.organization)
    shown_to = start + len(partners)
    paging = {"partners_count": {"first": start + 1 if partners else 0,
                                 "last": shown_to,
                                 "total": len(every)},
              "partners_next": f"/partners?{urlencode({'after': keys[shown_to - 1]})}" if shown_to < len(keys) else None,
              "partners_first": "/partners" if start else None}
    return {"partners": partners, "outlets": outlets, "endpoints": endpoints, "tokens": tokens,
            "output_formats": OUTPUT_FORMATS, "endpoint_formats": ENDPOINT_FORMATS, **paging, **extra}


@router.get("/partners")
def partners(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return page(request, "partners.html", who, **_context(request, who))


@router.get("/partners/{slug}")
def partner(request: Request, slug: str, who: Viewer = Depends(viewer)) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        found = _partners(conn, who).get(slug)
        if found is None:
            raise NotFound(f"no partner {slug!r}", field="slug")
        outlets = outlets_of(conn, found[0].id)
    return page(request, "partner.html", who, org=found[0], agreements=found[1], outlets=outlets)


async def _manage(request: Request, who: Viewer) -> dict[str, Any]:
    form = await checked_form(request, who)
    who.require("manage")
    return form


@router.post("/partners/endpoints")
async def add_endpoint(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await _manage(request, who)
    return await run_in_threadpool(_add_endpoint, request, who, form)


def _who(request: Request, who: Viewer) -> dict[str, Any]:
    """Who did it and from where, for the audit log."""
    return {"actor": who.member.email, "address": request.client.host if request.client else None}


def _add_endpoint(request: Request, who: Viewer, form: dict[str, Any]) -> Response:
    events = [e for e in ("item.published", "item.updated", "item.withdrawn") if form.get(e)]
    try:
        with writing(request.app.state.hub.engine) as conn:
            url = str(form.get("url", "")).strip()  # pasted with a space or newline around it
            _endpoint, secret = create_endpoint(conn, who.organization, url, events or None,
                                                form.get("ninjs_version") or None,
                                                request.app.state.hub.settings.allow_private_targets,
                                                fmt=form.get("format") or None, **_who(request, who))
    except NewsbridgeError as exc:
        return page(request, "partners.html", who, status=exc.status, flash=exc.message, flash_kind="error",
                    **_context(request, who))
    return page(request, "partners.html", who, **_context(request, who, secret=secret))


@router.post("/partners/endpoints/{endpoint_id}/{action}")
async def endpoint_action(request: Request, endpoint_id: str, action: str, who: Viewer = Depends(viewer)) -> Response:
    await _manage(request, who)
    return await run_in_threadpool(_endpoint_action, request, who, endpoint_id, action)


def _endpoint_action(request: Request, who: Viewer, endpoint_id: str, action: str) -> Response:
    secret, message = None, ""
    with writing(request.app.state.hub.engine) as conn:
        if action == "rotate":
            secret = rotate_secret(conn, who.organization, endpoint_id, **_who(request, who))
            message = N_("New secret below; the old one keeps signing for 24 hours.")
        elif action in ("enable", "disable"):
            set_enabled(conn, who.organization, endpoint_id, action == "enable", **_who(request, who))
            message = N_("Endpoint turned on.") if action == "enable" else N_("Endpoint turned off.")
        elif action == "replay":
            get_endpoint(conn, who.organization, endpoint_id)
            ngettext = ngettext_for(who.locale)
            message = ngettext("%(num)s failed message will be sent again.",
                               "%(num)s failed messages will be sent again.", replay(conn, endpoint_id, utcnow()))
        else:
            raise NotFound(f"no action {action!r}", field="action")
    return page(request, "partners.html", who, flash=message, **_context(request, who, secret=secret))


@router.post("/partners/feed-tokens")
async def add_token(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await _manage(request, who)
    return await run_in_threadpool(_add_token, request, who, form)


def _add_token(request: Request, who: Viewer, form: dict[str, Any]) -> Response:
    try:
        with writing(request.app.state.hub.engine) as conn:
            token = create_feed_token(conn, who.organization, str(form.get("label", ""))[:200],
                                      fmt=str(form.get("format") or "ninjs3"), **_who(request, who))
    except NewsbridgeError as exc:
        return page(request, "partners.html", who, status=exc.status, flash=exc.message, flash_kind="error",
                    **_context(request, who))
    base = f"{base_url(request.app.state.hub.settings)}/feeds/{token}"
    urls = [("Atom", f"{base}/atom.xml"), ("RSS 2.0", f"{base}/rss.xml"), ("JSON Feed", f"{base}/feed.json")]
    return page(request, "partners.html", who, **_context(request, who, feed_urls=urls))


@router.post("/partners/feed-tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str, who: Viewer = Depends(viewer)) -> Response:
    await _manage(request, who)
    return await run_in_threadpool(_revoke_token, request, who, token_id)


def _revoke_token(request: Request, who: Viewer, token_id: str) -> Response:
    with writing(request.app.state.hub.engine) as conn:
        revoke_feed_token(conn, who.organization, token_id, **_who(request, who))
    return page(request, "partners.html", who, flash=N_("Feed token revoked."), **_context(request, who))
