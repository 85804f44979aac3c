"""Atom feeds for feed readers: an unguessable, revocable token in the URL instead of a key."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub
from newsbridge.config import base_url
from newsbridge.db.engine import reading, writing
from newsbridge.accounts.organizations import Organization
from newsbridge.delivery.feeds import (Entry, atom, create_feed_token, jsonfeed, list_feed_tokens, newest,
                                       revoke_feed_token, token_owner)

router = APIRouter(tags=["delivery"])
PAGE = 50


def _page(the_hub: Hub, token: str, before: int | None, name: str) -> tuple[Organization, list[Entry], str]:
    """The token's organization, its page of entries (newest first) and the feed's own URL."""
    with reading(the_hub.engine) as conn:
        org = token_owner(conn, token)
        entries = newest(conn, org, before, PAGE)
    return org, entries, f"{base_url(the_hub.settings)}/feeds/{token}/{name}"


def _tags(header: str) -> set[str]:
    """Entity tags of an If-None-Match header (RFC 9110: a list; weak tags compare weakly)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


@router.post("/api/v1/feed-tokens", status_code=201, summary="A token for your Atom feed URL (shown once)")
def add_token(label: str = Query("", description="What the token is for"),
              principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:  # the token dies with the key that mints it
        token = create_feed_token(conn, principal.organization, label, api_key_id=principal.key_id)
    return {"token": token, "url": f"{base_url(the_hub.settings)}/feeds/{token}/atom.xml"}


@router.get("/api/v1/feed-tokens", summary="Your feed tokens (never the tokens themselves)")
def tokens(principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"feed_tokens": list_feed_tokens(conn, principal.organization)}


@router.post("/api/v1/feed-tokens/{token_id}:revoke", summary="Revoke a feed token; its URL stops working")
def revoke(token_id: str, principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        revoke_feed_token(conn, principal.organization, token_id)
    return {"revoked": token_id}


@router.get("/feeds/{token}/atom.xml", summary="Atom feed of what you received (RFC 4287, paged per RFC 5005)",
            response_class=Response)
def atom_feed(token: str, request: Request, before: int | None = Query(None, ge=1, description="Older page"),
              the_hub: Hub = Depends(hub)) -> Response:
    org, entries, here = _page(the_hub, token, before, "atom.xml")
    tag = hashlib.sha256(f"{before}:{[e.position for e in entries]}:{[e.withdrawn for e in entries]}".encode())
    etag = f'"{tag.hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=30"}
    if etag in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    older = f"{here}?before={entries[-1].position}" if len(entries) == PAGE else None
    body = atom(entries, org, f"{here}?before={before}" if before else here, here, older,
                entries[0].received.available_from if entries else None,
                item_url=f"{base_url(the_hub.settings)}/api/v1/items/")
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)


@router.get("/feeds/{token}/feed.json", summary="JSON Feed 1.1 of what you received (same token as Atom)",
            response_class=Response)
def json_feed(token: str, before: int | None = Query(None, ge=1, description="Older page"),
              the_hub: Hub = Depends(hub)) -> Response:
    org, entries, here = _page(the_hub, token, before, "feed.json")
    older = f"{here}?before={entries[-1].position}" if len(entries) == PAGE else None
    return Response(jsonfeed(entries, org, here, older), media_type="application/feed+json; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=30"})
