"""A video whose original carries a position, published by alpha to beta (terms without GPS) and gamma
(``allow_gps``): what each partner is offered and served (the location tests of each container share it)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.api.test_media_rules import agreement, every_rendition, fetch, process, renditions
from tests.media.tus import upload


async def publish_to_both(client, make_partner, data: bytes, name: str, kind: str,  # type: ignore[no-untyped-def]
                          headline: str) -> bytes:
    """Publish ``data`` as a video item; beta is offered ``original-nogps`` only (the original answers 404
    to it), gamma the original (200). Returns the body of beta's copy, served as ``kind``."""
    alpha, beta, gamma = (make_partner(slug, scopes=("publish", "read", "manage")) for slug in ("alpha", "beta", "gamma"))
    await agreement(client, alpha, [beta, gamma], {"partners": {"gamma": {"allow_gps": True}}})
    upload_id, _ = await upload(client, alpha.headers, data, filename=name, filetype=kind)
    published = await client.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:video:1", "version": "1", "type": "video", "language": "en",
        "headlines": [{"role": "main", "value": headline}],
        "renditions": [{"name": "original", "upload": upload_id}]})
    assert published.status_code == 201, published.text
    item_id = published.json()["id"]
    process(client)
    every = await every_rendition(client, alpha, item_id)
    without = await renditions(client, beta, item_id)
    assert "original" not in without and "original-nogps" in without
    assert await fetch(client, beta, every["original"]) == 404
    parts = urlsplit(without["original-nogps"])
    clean = await client.get(f"{parts.path}?{parts.query}")
    assert clean.status_code == 200 and clean.headers["content-type"].startswith(kind)
    assert "original" in await renditions(client, gamma, item_id)
    assert await fetch(client, gamma, every["original"]) == 200
    return clean.content
