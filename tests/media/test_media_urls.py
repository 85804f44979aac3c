"""Media items reach partners as signed hub URLs: the partner fetches the bytes (ranges too), a
stranger gets 404, an altered or expired signature 403, and a withdrawal revokes the URLs at once —
on SQLite and PostgreSQL, with the filesystem and SeaweedFS blob stores."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from pictures import picture
from tus import upload

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading
from newsbridge.media.links import signer
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}


def photo_item(upload_id: str, version: int = 1, **extra: object) -> dict[str, object]:
    return {"uri": "urn:alpha:photo:1", "version": str(version), "type": "picture", "language": "en",
            "subjects": [POLITICS], "headlines": [{"role": "main", "value": "Parliament in session"}],
            "renditions": [{"name": "original", "upload": upload_id}], **extra}


def local(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
async def world(client, make_partner):  # type: ignore[no-untyped-def]
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta = make_partner("beta", scopes=("publish", "read", "manage"))
    stranger = make_partner("stranger")
    # allow_gps: the partner may fetch an original before the derivative job has looked for GPS in it
    # (tests/api/test_media_rules.py covers the terms that do not allow it)
    await active_agreement(client, alpha, beta, {"topics": ["medtop:11000000"], "languages": ["en"],
                                                 "media": {"allow_gps": True}})
    return alpha, beta, stranger


async def test_an_uploaded_photo_reaches_the_partner_by_a_signed_url(client, world, engine) -> None:
    alpha, beta, stranger = world
    data = picture(size=(640, 480))
    upload_id, _ = await upload(client, alpha.headers, data, filename="Parliament session.jpg", filetype="image/jpeg")
    published = await client.post("/api/v1/items", json=photo_item(upload_id), headers=alpha.headers)
    assert published.status_code == 201, published.text
    item = published.json()
    [original] = item["renditions"]
    assert (original["name"], original["contentType"], original["sizeInBytes"]) == ("original", "image/jpeg", len(data))
    assert original["href"].startswith("http://127.0.0.1:8000/media/")
    # the partner reads the item and fetches the bytes by its own signed URL
    received = await client.get(f"/api/v1/items/{item['id']}", headers=beta.headers)
    assert received.status_code == 200, received.text
    href = received.json()["renditions"][0]["href"]
    assert parse_qs(urlsplit(href).query)["org"] == [beta.org.id]
    got = await client.get(local(href))
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert got.headers["content-disposition"].startswith('attachment; filename="Parliament_session.jpg"')
    ranged = await client.get(local(href), headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == data[10:20]
    assert ranged.headers["content-range"] == f"bytes 10-19/{len(data)}"
    tail = await client.get(local(href), headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == data[-5:]
    outside = await client.get(local(href), headers={"Range": f"bytes={len(data)}-"})
    assert outside.status_code == 416 and outside.headers["content-range"] == f"bytes */{len(data)}"
    cached = await client.get(local(href), headers={"If-None-Match": got.headers["etag"]})
    assert cached.status_code == 304
    # NewsML-G2 carries the same signed URL as remoteContent
    g2 = await client.get(f"/api/v1/items/{item['id']}?format=newsml-g2", headers=beta.headers)
    assert "remoteContent" in g2.text and "/media/" in g2.text and f"org={beta.org.id}" in g2.text
    # a stranger cannot see the item, nor fetch the media with a URL signed for itself
    assert (await client.get(f"/api/v1/items/{item['id']}", headers=stranger.headers)).status_code == 404
    with reading(engine) as conn:
        own = signer(engine, client._transport.app.state.hub.settings, get_organization(conn, "stranger"))
    rendition_id = urlsplit(href).path.rsplit("/", 1)[1]
    assert (await client.get(local(own.href(rendition_id)))).status_code == 404
    # the partner's URL with the stranger's organization put in: the signature no longer matches
    forged = href.replace(f"org={beta.org.id}", f"org={stranger.org.id}")
    answer = await client.get(local(forged))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "link_invalid"


async def test_an_expired_signature_answers_403(client, world, engine) -> None:
    alpha, beta, _ = world
    upload_id, _ = await upload(client, alpha.headers, picture(), filetype="image/jpeg")
    item = (await client.post("/api/v1/items", json=photo_item(upload_id), headers=alpha.headers)).json()
    rendition_id = urlsplit(item["renditions"][0]["href"]).path.rsplit("/", 1)[1]
    with reading(engine) as conn:
        old = signer(engine, client._transport.app.state.hub.settings, get_organization(conn, "beta"))
    expired = old.href(rendition_id, now=0)  # signed long ago
    answer = await client.get(local(expired))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "link_expired"
    assert (await client.get(local(old.href(rendition_id)))).status_code == 200  # the control


async def test_withdrawal_revokes_the_media_urls_at_once(client, world) -> None:
    alpha, beta, _ = world
    upload_id, _ = await upload(client, alpha.headers, picture(), filetype="image/jpeg")
    item = (await client.post("/api/v1/items", json=photo_item(upload_id), headers=alpha.headers)).json()
    href = (await client.get(f"/api/v1/items/{item['id']}", headers=beta.headers)).json()["renditions"][0]["href"]
    assert (await client.get(local(href))).status_code == 200
    withdrawn = await client.post("/api/v1/items", headers=alpha.headers,
                                  json=photo_item(upload_id, version=2, pubStatus="canceled"))
    assert withdrawn.status_code == 201, withdrawn.text
    assert (await client.get(local(href))).status_code == 404
    notice = (await client.get(f"/api/v1/items/{item['id']}", headers=beta.headers)).json()
    assert "renditions" not in notice


async def test_another_organizations_upload_cannot_be_published(client, world) -> None:
    alpha, beta, stranger = world
    upload_id, _ = await upload(client, alpha.headers, picture(), filetype="image/jpeg")
    taken = await client.post("/api/v1/items", json={**photo_item(upload_id), "uri": "urn:stranger:1"},
                              headers=stranger.headers)
    assert taken.status_code == 404
    item = (await client.post("/api/v1/items", json=photo_item(upload_id), headers=alpha.headers)).json()
    media_urn = "urn:newsbridge:media:" + (await _media_id(client, alpha, upload_id))
    borrowed = await client.post("/api/v1/items", headers=stranger.headers, json={
        **photo_item(upload_id), "uri": "urn:stranger:2", "renditions": [{"name": "original", "href": media_urn}]})
    assert borrowed.status_code == 404 and item["renditions"]


async def _media_id(client, partner, upload_id: str) -> str:  # type: ignore[no-untyped-def]
    answer = await client.head(f"/api/v1/uploads/{upload_id}", headers={**partner.headers, "Tus-Resumable": "1.0.0"})
    return answer.headers["Newsbridge-Media"]


async def test_multipart_media_publishes_an_item_in_one_call(client, world) -> None:
    alpha, beta, stranger = world
    data = picture(fmt="PNG", size=(300, 200))
    meta = photo_item("unused")
    del meta["renditions"]
    import json
    answer = await client.post("/api/v1/media", headers=alpha.headers,
                               files={"file": ("flag.png", data, "image/png")}, data={"meta": json.dumps(meta)})
    assert answer.status_code == 201, answer.text
    item = answer.json()
    assert item["type"] == "picture" and item["renditions"][0]["contentType"] == "image/png"
    href = (await client.get(f"/api/v1/items/{item['id']}", headers=beta.headers)).json()["renditions"][0]["href"]
    assert (await client.get(local(href))).content == data
    lying = await client.post("/api/v1/media", headers=alpha.headers, files={"file": ("x.png", picture(), "image/png")})
    assert lying.status_code == 415 and lying.json()["error"]["code"] == "media_type_mismatch"
    empty = await client.post("/api/v1/media", headers=alpha.headers, files={"file": ("x.png", b"", "image/png")})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "media_unreadable"


async def test_a_suspended_organizations_urls_stop_at_once(client, world, engine) -> None:
    from newsbridge.accounts.suspension import reactivate, suspend
    from newsbridge.db.engine import writing

    alpha, beta, _ = world
    upload_id, _ = await upload(client, alpha.headers, picture(), filetype="image/jpeg")
    item = (await client.post("/api/v1/items", json=photo_item(upload_id), headers=alpha.headers)).json()
    theirs = (await client.get(f"/api/v1/items/{item['id']}", headers=beta.headers)).json()["renditions"][0]["href"]
    ours = (await client.get(f"/api/v1/items/{item['id']}", headers=alpha.headers)).json()["renditions"][0]["href"]
    assert (await client.get(local(theirs))).status_code == 200
    for org in (beta.org, alpha.org):  # a partner's URLs, and an owner's own
        with writing(engine) as conn:
            suspend(conn, org, "unpaid invoices", actor="operator@hub")
        href = theirs if org is beta.org else ours
        refused = await client.get(local(href))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "organization_suspended"
        assert (await client.head(local(href))).status_code == 403
        with writing(engine) as conn:
            reactivate(conn, org, actor="operator@hub")
        assert (await client.get(local(href))).status_code == 200
