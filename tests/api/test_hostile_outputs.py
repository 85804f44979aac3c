"""Hostile HTML sent in any HTML-bearing field, in any format, reaches no recipient raw.

A source publishes items whose every HTML-bearing field carries script (the report's item: a
main HTML body that sanitizes to nothing and an ``alt`` body ``<img src=x onerror=...>``; and
HTML headlines, descriptions, associations, XHTML bodies, a NewsML-G2 inlineXML body, RSS
content), as ninjs 3.x, ninjs 2.x, NewsML-G2 and RSS. Every stored HTML value must already be
sanitized, and every answer the recipient can get (items, versions, downloads, inbox, changes
feed, Atom, JSON Feed, webhooks, the desk's item page) must be free of handlers, scripts and
``javascript:`` links; each answer is first checked to be about the items, so the check can fail.
Stored documents that predate the rule are covered by the outputs that show HTML: a row written
raw into the database is shown sanitized on the item page, in Atom, JSON Feed and NewsML-G2.
Markup built to make sanitizing slow is refused fast with ``html_too_complex``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from newsbridge.accounts.members import add_member
from newsbridge.db.engine import writing
from newsbridge.db.tables import item_versions
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery.worker import Worker
from newsbridge.formats.markup import clean_html, clean_html_fields
from newsbridge.formats.newsml_g2 import NAR
from tests.conftest import Partner, active_agreement
from tests.delivery.receivers import LOOPBACK, Receiver

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
FORBIDDEN = ("onerror", "onload", "javascript:", "<script", "&lt;script", "<iframe", "&lt;iframe", "<svg", "&lt;svg",
             "xss-", "document.domain")


def hostile(n: int) -> str:
    return (f"<img src=x onerror=alert('xss-{n}')><script>alert('xss-{n}')</script><iframe src=\"javascript:"
            f"alert('xss-{n}')\"></iframe><a href=\"javascript:alert('xss-{n}')\">link</a>"
            f"<svg onload=alert('xss-{n}')></svg>")


def ninjs3() -> dict[str, Any]:
    return {"uri": "urn:alpha:hostile3", "version": "1", "language": "en", "subjects": [POLITICS],
            "headlines": [{"role": "main", "value": "Hostile ninjs three"},
                          {"role": "alt", "contentType": "text/html", "value": hostile(1)}],
            "descriptions": [{"role": "main", "value": "A summary"},
                             {"role": "alt", "contentType": "text/html", "value": hostile(2)}],
            "bodies": [{"role": "main", "contentType": "text/html", "value": "<script>alert('xss-0')</script>"},
                       {"role": "alt", "contentType": "text/html",
                        "value": "<img src=x onerror=alert(document.domain)>"},
                       {"role": "print", "contentType": "application/xhtml+xml", "value": hostile(3)},
                       {"role": "web", "contentType": "TEXT/HTML; charset=utf-8", "value": hostile(4)}],
            "associations": [{"name": "photo", "uri": "urn:alpha:photo", "rel": "image",
                              "bodies": [{"contentType": "text/html", "value": hostile(5)}],
                              "descriptions": [{"contentType": "text/html", "value": hostile(6)}]}]}


def ninjs2() -> dict[str, Any]:
    return {"uri": "urn:alpha:hostile2", "version": "1", "language": "en", "subjects": [POLITICS],
            "headlines": [{"role": "main", "value": "Hostile ninjs two"},
                          {"role": "alt", "contenttype": "text/html", "value": hostile(7)}],
            "bodies": [{"role": "main", "contenttype": "text/html", "value": "<p>Two.</p>" + hostile(8)},
                       {"role": "alt", "contenttype": "text/html", "value": hostile(9)}],
            "descriptions": [{"role": "alt", "contenttype": "text/html", "value": hostile(10)}]}


NEWSML = f"""<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="{NAR}" guid="urn:alpha:hostile-g2" version="1" standard="NewsML-G2" standardversion="2.35">
  <itemMeta><itemClass qcode="ninat:text"/><provider literal="alpha"/>
    <versionCreated>2026-11-20T09:30:00Z</versionCreated><pubStatus qcode="stat:usable"/></itemMeta>
  <contentMeta><language tag="en"/><headline>Hostile NewsML</headline></contentMeta>
  <contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml">
    <head><title>t</title></head><body><p>G2 text.</p><img src="x" onerror="alert('xss-11')"/>
    <script>alert('xss-11')</script><a href="javascript:alert('xss-11')">link</a></body></html></inlineXML>
  </contentSet>
</newsItem>""".encode()

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Alpha</title><link>https://alpha.example/</link><description>d</description><language>en</language>
<item><title>Hostile RSS</title><guid>urn:alpha:hostile-rss</guid>
<description>&lt;img src=x onerror=alert('xss-12')&gt; A summary</description>
<content:encoded><![CDATA[<p>RSS text.</p><img src=x onerror=alert('xss-12')><a href="javascript:alert('xss-12')">l</a>
<script>alert('xss-12')</script>]]></content:encoded></item></channel></rss>"""

HEADLINES = ("Hostile ninjs three", "Hostile ninjs two", "Hostile NewsML", "Hostile RSS")


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    if "<!doctype html>" in lowered[:100]:  # a desk page: its own scripts are outside the article
        start = lowered.index("<article")
        lowered = lowered[:start].replace("<script", "") + lowered[start:lowered.index("</article>", start)] + \
            lowered[lowered.index("</article>", start):].replace("<script", "")
    return [word for word in FORBIDDEN if word in lowered]


PASSWORD = "correct horse battery"


async def sign_in(http: httpx.AsyncClient, engine: Any, org_slug: str) -> httpx.AsyncClient:
    """A member of ``org_slug`` signed in through the real /login form (``http`` keeps the cookie)."""
    email = f"admin@{org_slug}.example"
    with writing(engine) as conn:
        add_member(conn, org_slug, email, f"Admin of {org_slug}", "admin", PASSWORD)
    signed = await http.post("/login", data={"email": email, "password": PASSWORD})
    assert signed.status_code == 303, signed.text
    return http


@dataclasses.dataclass
class World:
    app: Any
    client: httpx.AsyncClient
    engine: Any
    source: Partner
    recipient: Partner
    worker: Worker
    receiver: Receiver
    feed_token: str
    desk: httpx.AsyncClient  # a member of the recipient, signed in

    async def deliver(self) -> None:
        for _ in range(10):
            done = await self.worker.run_once()
            if not (done.sequenced or done.sent):
                return
        raise AssertionError("the worker kept finding work")


@pytest.fixture
async def world(app, client, engine, settings, make_partner) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    source = make_partner("alpha", scopes=MANAGE, credit_name="Alpha News")
    recipient = make_partner("beta", scopes=MANAGE)
    await active_agreement(client, source, recipient, {"topics": ["medtop:11000000"], "languages": ["en"]})
    token = (await client.post("/api/v1/feed-tokens", headers=recipient.headers)).json()["token"]
    with Receiver() as receiver:
        with writing(engine) as conn:
            for version in ("3", "2"):
                create_endpoint(conn, recipient.org, receiver.url, None, version, LOOPBACK)
        worker = Worker(engine, settings.replace(allow_private_targets=LOOPBACK), name="test-worker")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as desk:
            yield World(app, client, engine, source, recipient, worker, receiver, token,
                        await sign_in(desk, engine, "beta"))
        await worker.sender.close()


async def publish_all(world: World) -> list[str]:
    """The hostile items in every format; their ids."""
    ids = []
    for doc in (ninjs3(), ninjs2()):
        response = await world.client.post("/api/v1/items", json=doc, headers=world.source.headers)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    for data in (NEWSML, RSS):
        response = await world.client.post("/api/v1/items:upload?subject=medtop:11000000", content=data,
                                           headers=world.source.headers)
        assert response.status_code in (200, 201), response.text
        ids += [item["id"] for item in response.json()["items"]]
    await world.deliver()
    return ids


def stored_documents(engine: Any, item_ids: list[str]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(item_versions.c.document).where(item_versions.c.item_id.in_(item_ids)))
        return [r.document if isinstance(r.document, dict) else json.loads(r.document) for r in rows]


async def recipient_answers(world: World, item_ids: list[str]) -> dict[str, str]:
    """Every answer the recipient can get about the items, by channel (each checked to be about them)."""
    client, headers = world.client, world.recipient.headers
    answers: dict[str, str] = {}
    for n, item_id in enumerate(item_ids):
        api = {f"item {fmt}": f"/api/v1/items/{item_id}?format={fmt}" for fmt in ("ninjs3", "ninjs2", "newsml-g2")}
        api |= {f"versions {fmt}": f"/api/v1/items/{item_id}/versions?format={fmt}" for fmt in ("ninjs3", "ninjs2")}
        for name, path in api.items():
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (name, response.text)
            answers[f"{name} #{n}"] = response.text
        desk = {"item page": (f"/items/{item_id}", {})} | {
            f"download {fmt}": (f"/items/{item_id}/download", {"format": fmt}) for fmt in ("ninjs3", "ninjs2",
                                                                                            "newsml-g2")}
        for name, (path, params) in desk.items():
            response = await world.desk.get(path, params=params)
            assert response.status_code == 200, (name, response.text)
            answers[f"{name} #{n}"] = response.text
        for name, text in answers.items():
            if name.endswith(f"#{n}"):
                assert HEADLINES[n] in text, f"{name} does not show item {n}"
    together = {f"inbox {fmt}": f"/api/v1/inbox?format={fmt}" for fmt in ("ninjs3", "ninjs2")}
    together |= {f"changes feed {fmt}": f"/api/v1/feed?format={fmt}" for fmt in ("ninjs3", "ninjs2")}
    for name, path in together.items():
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.text
    for name in ("atom.xml", "feed.json"):
        response = await client.get(f"/feeds/{world.feed_token}/{name}")
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.text
    webhooks = [r.body for r in world.receiver.requests]
    assert len(webhooks) == 2 * len(item_ids)  # every item, to the 3.x and the 2.x endpoint
    answers["webhooks"] = "\n".join(webhooks)
    for name in list(together) + ["atom.xml", "feed.json", "webhooks"]:
        assert all(h in answers[name] for h in HEADLINES), f"{name} does not show every item"
    return answers


async def test_no_hostile_html_is_stored_or_reaches_the_recipient(world: World) -> None:
    item_ids = await publish_all(world)
    assert len(item_ids) == 4

    documents = stored_documents(world.engine, item_ids)
    html: list[str] = []
    for document in documents:
        clean_html_fields(document, lambda value, path: html.append(value) or value)
    assert len(html) >= 12  # every HTML body, headline, description and association body found
    assert [value for value in html if clean_html(value) != value] == []  # all of it already sanitized
    assert leaks(json.dumps(documents, ensure_ascii=False)) == []

    answers = await recipient_answers(world, item_ids)
    assert {name: found for name, text in answers.items() if (found := leaks(text))} == {}
    page = answers["item page #0"]
    assert "<img>" in page  # the report's alt body is the first HTML one left: shown, sanitized


async def test_a_raw_document_stored_before_the_rule_is_shown_sanitized(world: World) -> None:
    """Rows written before ingest sanitized every field: the outputs that show HTML sanitize again."""
    [item_id, *_] = await publish_all(world)
    raw = ninjs3()
    raw["bodies"] = raw["bodies"][1:]  # as the old ingest stored the report's item: the alt body raw
    with writing(world.engine) as conn:
        conn.execute(item_versions.update().where(item_versions.c.item_id == item_id).values(document=raw))
    assert "onerror" in (await world.client.get(f"/api/v1/items/{item_id}", headers=world.recipient.headers)).text
    shown = {
        "item page": (await world.desk.get(f"/items/{item_id}")).text,
        "newsml-g2": (await world.desk.get(f"/items/{item_id}/download", params={"format": "newsml-g2"})).text,
        "atom.xml": (await world.client.get(f"/feeds/{world.feed_token}/atom.xml")).text,
        "feed.json": (await world.client.get(f"/feeds/{world.feed_token}/feed.json")).text,
    }
    for name, text in shown.items():
        assert "Hostile ninjs three" in text, name
        assert leaks(text) == [], name
    assert "<img>" in shown["item page"]


@pytest.mark.serial  # timed: run alone, after the parallel run
@pytest.mark.parametrize("size", [2_000_000, 900_000])
async def test_deeply_nested_markup_is_refused_within_2_seconds(client, make_partner, size: int) -> None:
    partner = make_partner()
    doc = {"uri": "urn:x:nested", "language": "en", "headlines": [{"value": "Nested"}],
           "bodies": [{"role": "main", "contentType": "text/plain", "value": "Text."},
                      {"role": "alt", "contentType": "text/html", "value": "<div><b>" * (size // 8)}]}
    started = time.perf_counter()
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert time.perf_counter() - started < 2  # unchecked: minutes of CPU
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("html_too_complex", "body_html")
    assert ("characters" if size > 1_000_000 else "deep") in error["message"]


async def test_a_feed_entry_too_complex_to_sanitize_is_refused(client, make_partner) -> None:
    partner = make_partner()
    rss = RSS.replace(b"<p>RSS text.</p>", b"<blockquote>" * 20_000)
    response = await client.post("/api/v1/items:upload", content=rss, headers=partner.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "html_too_complex"
