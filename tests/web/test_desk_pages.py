"""Desk pages over HTTP on both databases: outgoing (publish, upload, sources), partners, roles, CSRF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

pytestmark = pytest.mark.anyio


async def test_an_editor_publishes_from_the_form_and_the_item_is_tagged(sign_in, make_partner) -> None:
    make_partner("kazinform", timezone="Asia/Almaty")
    editor = await sign_in("kazinform", "editor")
    response = await editor.post("/outgoing/publish", {
        "headline": "Қазақстан құрамасы футболдан Иран құрамасын жеңді", "body": "Футбол матчы Астанада өтті.",
        "language": "kk", "topics": "", "embargo": ""})
    assert response.status_code == 303
    item_page = await editor.get(response.headers["location"])
    assert "Қазақстан құрамасы" in item_page.text
    assert "sport" in item_page.text.lower()  # machine-assigned Media Topic shown with the item


async def test_an_embargo_is_read_in_the_members_time_zone(sign_in, make_partner, client) -> None:
    partner = make_partner("kazinform", timezone="Asia/Almaty")
    editor = await sign_in("kazinform", "editor")
    response = await editor.post("/outgoing/publish", {"headline": "Embargoed budget", "language": "en",
                                                      "embargo": "2030-01-01T09:00"})
    item_id = response.headers["location"].rsplit("/", 1)[1]
    item = (await client.get(f"/api/v1/items/{item_id}", headers=partner.headers)).json()
    assert item["embargoedUntil"] == "2030-01-01T09:00:00+05:00"  # the editor's 09:00, in Almaty's zone


async def test_upload_of_a_wire_file(sign_in, make_partner) -> None:
    make_partner("kazinform")
    editor = await sign_in("kazinform", "editor")
    data = (FIXTURES / "seeds" / "kazinform-2023-04-26.txt").read_bytes()
    response = await editor.http.post("/outgoing/upload", data={"csrf_token": editor.csrf_token},
                                      files={"file": ("wire.txt", data, "text/plain")})
    assert response.status_code == 200
    assert "1 item read from wire.txt. 1 new version stored." in response.text
    listed = await editor.get("/outgoing")
    assert "TV and Radio Complex of Kazakh President develops coop" in listed.text


async def test_viewers_cannot_publish_and_forms_need_the_csrf_token(sign_in, make_partner) -> None:
    make_partner("kazinform")
    viewer = await sign_in("kazinform", "viewer")
    assert "Publish an item" not in (await viewer.get("/outgoing")).text
    refused = await viewer.post("/outgoing/publish", {"headline": "Not allowed"})
    assert refused.status_code == 403
    editor = await sign_in("kazinform", "editor")
    forged = await editor.post("/outgoing/publish", {"headline": "Forged"}, csrf=False)
    assert forged.status_code == 403 and "reload the page" in forged.text


async def test_admins_add_a_source_and_see_its_state(sign_in, make_partner) -> None:
    make_partner("kazinform")
    admin = await sign_in("kazinform", "admin")
    private = await admin.post("/outgoing/sources", {"url": "http://127.0.0.1:9/feed.xml", "interval": "300"})
    assert private.status_code == 422 and "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS" in private.text
    added = await admin.post("/outgoing/sources", {"url": "https://93.184.216.34/feed.xml", "interval": "600",
                                                   "language": "kk"})
    assert added.status_code == 303
    page = (await admin.get("/outgoing")).text
    assert "https://93.184.216.34/feed.xml" in page and "600 s" in page and "not yet" in page
    editor = await sign_in("kazinform", "editor")
    assert (await editor.post("/outgoing/sources", {"url": "https://93.184.216.34/x.xml"})).status_code == 403


async def test_partners_page_lists_partners_and_manages_endpoints_and_tokens(sign_in, make_partner) -> None:
    make_partner("kazinform")
    admin = await sign_in("kazinform", "admin")
    assert "No partners yet" in (await admin.get("/partners")).text
    created = await admin.post("/partners/endpoints", {"url": "https://93.184.216.34/hook", "item.published": "on",
                                                       "ninjs_version": "3"})
    assert created.status_code == 200 and "whsec_" in created.text
    token = await admin.post("/partners/feed-tokens", {"label": "reader"})
    assert "/atom.xml" in token.text
    assert (await admin.get("/partners/nobody")).status_code == 404


async def test_every_desk_page_has_a_short_title(sign_in, make_partner) -> None:
    make_partner("kazinform")
    admin = await sign_in("kazinform", "admin")
    for path in ("/desk", "/outgoing", "/agreements", "/agreements/new", "/partners", "/account"):
        title = re.search(r"<title>(.*?)</title>", (await admin.get(path)).text, re.S)
        assert title and "<" not in title[1] and len(title[1]) < 80, (path, title and title[1][:100])


async def test_the_item_page_shows_what_the_hub_assumed_to_read_it(sign_in, make_partner, client) -> None:
    partner = make_partner("stt", timezone="Europe/Helsinki")
    data = (Path(__file__).parents[1] / "data" / "agencies" / "stt" / "stt1.xml").read_bytes()
    [item] = (await client.post("/api/v1/items:upload", content=data, headers=partner.headers)).json()["items"]
    editor = await sign_in("stt", "editor")

    page = (await editor.get(f"/items/{item['id']}")).text

    assert "Read with assumptions (3)" in page
    assert "<code>time_zone_assumed</code> · <code>newsItem/itemMeta/versionCreated</code>" in page
    assert "read in the source&#39;s zone, Europe/Helsinki" in page


async def test_endpoints_and_feed_tokens_choose_their_output_format(sign_in, make_partner, engine) -> None:
    import sqlalchemy as sa

    from newsbridge.db.tables import endpoints, feed_tokens

    make_partner("kazinform")
    admin = await sign_in("kazinform", "admin")
    created = await admin.post("/partners/endpoints", {"url": "https://93.184.216.34/superdesk", "item.published": "on",
                                                       "format": "ninjs1-superdesk"})
    token = await admin.post("/partners/feed-tokens", {"label": "superdesk", "format": "newsml-g2-superdesk"})
    refused = await admin.post("/partners/feed-tokens", {"label": "x", "format": "word-97"})

    assert created.status_code == 200 and "ninjs 1.x for Superdesk" in created.text
    assert all(f"/{name}" in token.text for name in ("atom.xml", "rss.xml", "feed.json"))
    assert "NewsML-G2 for Superdesk" in token.text
    assert refused.status_code == 422 and "ormat must be one of" in refused.text
    with engine.connect() as conn:
        assert conn.execute(sa.select(endpoints.c.format)).scalars().all() == ["ninjs1-superdesk"]
        assert conn.execute(sa.select(feed_tokens.c.format)).scalars().all() == ["newsml-g2-superdesk"]
