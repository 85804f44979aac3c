"""Feeds for feed readers and partner CMSs (Atom, RSS 2.0, JSON Feed): an unguessable, revocable token
in the URL instead of a key. Each entry links its item in the token's format, opened by the same token."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from newsbridge.ingest.pipeline import translate

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, client_address, hub, key_actor
from newsbridge.config import base_url
from newsbridge.db.engine import reading, writing
from newsbridge.accounts.organizations import Organization
from newsbridge.delivery.feeds import (TOKEN_FORMATS, Entry, atom, create_feed_token, jsonfeed,
                                       list_feed_tokens, media_renditions, newest, open_feed, revoke_feed_token, rss,
                                       with_entry_media)
from newsbridge.formats.errors import FormatError
from newsbridge.items.queries import get_item, received
from newsbridge.items.render import NEWSML_FORMATS, newsml_media_type, render, render_newsml
from newsbridge.media.links import with_media

router = APIRouter(tags=["delivery"])
PAGE = 50


def _page(the_hub: Hub, token: str, before: int | None, name: str) -> tuple[Organization, list[Entry], str, str]:
    """The token's organization, its page of entries (newest first), the feed's own URL, the token's format."""
    with reading(the_hub.engine) as conn:
        org, fmt = open_feed(conn, token)
        # media signed for the token's organization, as its agreements' media rules offer it
        entries = with_entry_media(conn, the_hub.engine, the_hub.settings, org, newest(conn, org, before, PAGE))
    return org, entries, f"{base_url(the_hub.settings)}/feeds/{token}/{name}", fmt


def _document(the_hub: Hub, token: str, fmt: str) -> tuple[str, str]:
    """(URL prefix, the token's format) of the entries' items (each entry's media type: feeds.document_type)."""
    return f"{base_url(the_hub.settings)}/feeds/{token}/items/", fmt


def _tags(header: str) -> set[str]:
    """Entity tags of an If-None-Match header (RFC 9110: a list; weak tags compare weakly)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


@router.post("/api/v1/feed-tokens", status_code=201, summary="A token for your feed URLs (shown once)")
def add_token(request: Request, label: str = Query("", description="What the token is for"),
              format: str = Query("ninjs3", description="Format of each entry's item link: "
                                  + ", ".join(TOKEN_FORMATS)),
              principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:  # the token dies with the key that mints it
        token = create_feed_token(conn, principal.organization, label, api_key_id=principal.key_id, fmt=format,
                                  actor=key_actor(principal), address=client_address(request))
    base = f"{base_url(the_hub.settings)}/feeds/{token}"
    return {"token": token, "url": f"{base}/atom.xml", "rss": f"{base}/rss.xml", "json": f"{base}/feed.json",
            "format": format}


@router.get("/api/v1/feed-tokens", summary="Your feed tokens (never the tokens themselves)")
def tokens(principal: Principal = Depends(caller("read")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with reading(the_hub.engine) as conn:
        return {"feed_tokens": list_feed_tokens(conn, principal.organization)}


@router.post("/api/v1/feed-tokens/{token_id}:revoke", summary="Revoke a feed token; its URL stops working")
def revoke(token_id: str, request: Request, principal: Principal = Depends(caller("read")),
           the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    with writing(the_hub.engine) as conn:
        revoke_feed_token(conn, principal.organization, token_id, actor=key_actor(principal),
                          address=client_address(request))
    return {"revoked": token_id}


@router.get("/feeds/{token}/atom.xml", summary="Atom feed of what you received (RFC 4287, paged per RFC 5005)",
            response_class=Response)
def atom_feed(token: str, request: Request, before: int | None = Query(None, ge=1, description="Older page"),
              the_hub: Hub = Depends(hub)) -> Response:
    org, entries, here, fmt = _page(the_hub, token, before, "atom.xml")
    # the media hrefs too: they are signed again each hour and follow the media rules, so a reader
    # that sends If-None-Match is never left holding expired links
    media = [r["href"] for e in entries for r in media_renditions(e)]
    tag = hashlib.sha256(f"{before}:{[e.position for e in entries]}:{[e.withdrawn for e in entries]}:{media}"
                         .encode())
    etag = f'"{tag.hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=30"}
    if etag in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    older = f"{here}?before={entries[-1].position}" if len(entries) == PAGE else None
    body = atom(entries, org, f"{here}?before={before}" if before else here, here, older,
                entries[0].received.available_from if entries else None,
                item_url=f"{base_url(the_hub.settings)}/api/v1/items/", document=_document(the_hub, token, fmt))
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)


@router.get("/feeds/{token}/feed.json", summary="JSON Feed 1.1 of what you received (same token as Atom)",
            response_class=Response)
def json_feed(token: str, before: int | None = Query(None, ge=1, description="Older page"),
              the_hub: Hub = Depends(hub)) -> Response:
    org, entries, here, _fmt = _page(the_hub, token, before, "feed.json")
    older = f"{here}?before={entries[-1].position}" if len(entries) == PAGE else None
    base = base_url(the_hub.settings)
    return Response(jsonfeed(entries, org, here, older, home_url=f"{base}/desk", item_url=f"{base}/items/"),
                    media_type="application/feed+json; charset=utf-8", headers={"Cache-Control": "private, max-age=30"})


@router.get("/feeds/{token}/rss.xml", summary="RSS 2.0 feed of what you received (same token as Atom)",
            response_class=Response)
def rss_feed(token: str, before: int | None = Query(None, ge=1, description="Older page"),
             the_hub: Hub = Depends(hub)) -> Response:
    org, entries, here, fmt = _page(the_hub, token, before, "rss.xml")
    base = base_url(the_hub.settings)
    body = rss(entries, org, f"{here}?before={before}" if before else here, f"{base}/desk", f"{base}/items/",
               document=_document(the_hub, token, fmt))
    return Response(body, media_type="application/rss+xml; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=30"})


@router.get("/feeds/{token}/items/{item_id}", summary="One item of your feed, in the token's format",
            response_class=Response,
            responses={200: {"content": {"application/json": {}, "application/vnd.iptc.g2.newsitem+xml": {},
                                         "application/vnd.iptc.g2.newsmessage+xml": {}}}})
def feed_item(token: str, item_id: str, the_hub: Hub = Depends(hub)) -> Response:
    """What the recipient may read of the item (a notice once withdrawn), as the token's `format` says:
    ninjs 3.x/2.x, Superdesk's ninjs 1.x, or NewsML-G2 (standard or Superdesk profile)."""
    with reading(the_hub.engine) as conn:
        org, fmt = open_feed(conn, token)
        record = with_media(conn, the_hub.engine, the_hub.settings, org, [get_item(conn, org, item_id)],
                            for_newsml=fmt in NEWSML_FORMATS)[0]
        how = received(conn, org, item_id)
    if fmt in NEWSML_FORMATS:
        try:
            xml = render_newsml(record.latest, NEWSML_FORMATS[fmt])
            return Response(xml, media_type=newsml_media_type(xml))
        except FormatError as exc:
            raise translate(exc) from None
    return Response(json.dumps(render(record, fmt=fmt, how=how), ensure_ascii=False),  # type: ignore[arg-type]
                    media_type="application/json")
