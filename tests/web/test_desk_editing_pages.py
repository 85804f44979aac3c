"""What editors hit first on the desk (issue 11), over HTTP on both databases: corrections and
withdrawals that return an item to unread and loudly, one state per row, paging with a count,
the sidebar's names and counts, and the source seeing its partners' pickups."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio

ROW = re.compile(r'<li class="row ([^"]*)" data-href="(/items/[^"]+)">\s*<a class="headline"[^>]*>([^<]+)</a>'
                 r'\s*<span class="states">(.*?)</span>\s*<span class="meta">', re.S)
BADGE = re.compile(r'<span class="badge [^"]+">([^<]+)</span>')
MANAGE = ("publish", "read", "manage")


def story(uri: str, headline: str, version: str = "1", **extra: Any) -> dict[str, Any]:
    return {"uri": uri, "version": version, "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": f"{headline}. Text."}], **extra}


def rows(html: str) -> dict[str, tuple[str, str, list[str]]]:
    """headline -> (row classes, item path, badges)."""
    return {headline: (classes, path, BADGE.findall(states)) for classes, path, headline, states in ROW.findall(html)}


@pytest.fixture
async def world(client, make_partner, sign_in):  # type: ignore[no-untyped-def]
    kazinform = make_partner("kazinform", scopes=MANAGE, name="Kazinform")
    irna = make_partner("irna", scopes=MANAGE, name="IRNA")
    await active_agreement(client, kazinform, irna, {})

    async def publish(doc: dict[str, Any]) -> None:
        response = await client.post("/api/v1/items", json=doc, headers=kazinform.headers)
        assert response.status_code == 201, response.text

    publish.partner = kazinform  # type: ignore[attr-defined]
    return publish, await sign_in("irna", "editor"), await sign_in("kazinform", "editor")


async def test_a_correction_of_a_read_item_shows_updated_and_counts_unread_again(world) -> None:  # type: ignore[no-untyped-def]
    publish, irna, _ = world
    await publish(story("kz-1", "Budget approved"))
    _, path, badges = rows((await irna.get("/desk")).text)["Budget approved"]
    assert badges == ["New"]
    await irna.get(path)
    desk = (await irna.get("/desk")).text
    assert rows(desk)["Budget approved"][2] == []  # read
    assert "All caught up." in desk
    await publish(story("kz-1", "Budget approved after a second vote", version="2"))
    desk = (await irna.get("/desk")).text
    classes, _, badges = rows(desk)["Budget approved after a second vote"]
    assert badges == ["Updated"] and "unread" in classes
    assert re.search(r'>Kazinform</a> <span class="badge new">1</span>', desk)  # the sidebar counts it again
    assert list(rows((await irna.get("/desk?status=new")).text)) == ["Budget approved after a second vote"]
    await irna.get(path)
    assert rows((await irna.get("/desk")).text)["Budget approved after a second vote"][2] == []
    assert rows((await irna.get("/desk?status=new")).text) == {}


async def test_a_withdrawal_of_a_picked_up_item_is_loud_and_keeps_the_pickup_url(world) -> None:  # type: ignore[no-untyped-def]
    publish, irna, _ = world
    await publish(story("kz-2", "Minister visits Tehran"))
    await publish(story("kz-3", "Weather in Astana"))
    path = rows((await irna.get("/desk")).text)["Minister visits Tehran"][1]
    picked = await irna.post(f"{path}/pickup", {"url": "https://irna.example/en/news/42", "note": ""})
    assert picked.status_code == 303
    await publish(story("kz-2", "Minister visits Tehran", version="2", pubStatus="canceled"))
    await publish(story("kz-3", "Weather in Astana", version="2", pubStatus="canceled"))
    found = rows((await irna.get("/desk")).text)
    classes, _, badges = found["Minister visits Tehran"]
    assert badges == ["Withdrawn: take your republication down"]  # one state, the loud one
    assert "withdrawn" in classes.split() and "state-withdrawn_picked" in classes.split()
    assert found["Weather in Astana"][2] == ["Withdrawn"]  # never "Withdrawn" + "New"
    item = (await irna.get(path)).text
    assert 'id="take-down"' in item and 'role="alert"' in item
    assert item.count("https://irna.example/en/news/42") >= 2  # in the banner and in the pickup record


async def test_picked_up_and_unread_never_show_together(world, engine) -> None:  # type: ignore[no-untyped-def]
    publish, irna, _ = world
    await publish(story("kz-4", "Forum opens"))
    path = rows((await irna.get("/desk")).text)["Forum opens"][1]
    await irna.post(f"{path}/pickup", {"url": "", "note": ""})
    await irna.get(path)
    assert rows((await irna.get("/desk")).text)["Forum opens"][2] == ["Picked up"]
    await publish(story("kz-4", "Forum opens with 40 agencies", version="2"))
    assert rows((await irna.get("/desk")).text)["Forum opens with 40 agencies"][2] == ["Updated"]


async def test_a_pickup_without_a_member_or_url_has_no_empty_separators(world) -> None:  # type: ignore[no-untyped-def]
    publish, irna, _ = world
    await publish(story("kz-5", "Quiet story"))
    path = rows((await irna.get("/desk")).text)["Quiet story"][1]
    await irna.post(f"{path}/pickup", {"url": "", "note": ""})
    item = (await irna.get(path)).text
    record = re.search(r'<ul class="pickups"><li>(.*?)</li>', item, re.S)
    assert record and "· ·" not in record[1] and not record[1].strip().endswith("·")


async def test_the_desk_pages_with_a_cursor_and_a_count_matching_the_sidebar(client, world) -> None:  # type: ignore[no-untyped-def]
    publish, irna, _ = world
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Wire", "language": "en",
            "items": [{"id": f"wire-{n}", "title": f"Wire story {n:03d}", "content_text": f"Report {n}."}
                      for n in range(230)]}
    uploaded = await client.post("/api/v1/items:upload", content=json.dumps(feed).encode(),
                                 headers={**publish.partner.headers, "Content-Type": "application/feed+json"})
    assert uploaded.status_code in (200, 201), uploaded.text
    seen: list[str] = []
    path, pages = "/desk", 0
    while path:
        html = (await irna.get(path.replace("&amp;", "&"))).text
        seen += list(rows(html))
        pages += 1
        assert f"Showing {len(seen) - len(rows(html)) + 1}–{len(seen)} of 230" in html
        found = re.search(r'<a class="button" href="([^"]+)" rel="next">', html)
        path = found[1] if found else ""
    assert pages == 3 and len(seen) == len(set(seen)) == 230  # every item reachable, none twice
    assert re.search(r'>Kazinform</a> <span class="badge new">230</span>', html)  # what the pages reach
    new = (await irna.get("/desk?status=new")).text
    assert "Showing 1–100 of 230" in new and 'rel="next"' in new
    assert (await irna.get("/desk?before=garbage")).status_code == 200  # a broken cursor is the first page


async def test_sidebar_names_partners_and_their_outlets(client, world, make_partner) -> None:  # type: ignore[no-untyped-def]
    publish, irna, _ = world
    outlet = make_partner("silk-way-tv", scopes=MANAGE, name="Silk Way TV", parent="kazinform")
    response = await client.post("/api/v1/items", json=story("sw-1", "Silk Way TV documentary"),
                                 headers=outlet.headers)
    assert response.status_code == 201, response.text
    desk = (await irna.get("/desk")).text
    sidebar = desk[desk.index('id="unread"'):]
    assert ">Silk Way TV</a>" in sidebar and ">silk-way-tv</a>" not in sidebar
    assert '<option value="silk-way-tv">Silk Way TV' in desk  # the partner filter includes outlets
    assert list(rows((await irna.get("/desk?partner=silk-way-tv")).text)) == ["Silk Way TV documentary"]
    partial = (await irna.get("/desk/unread")).text  # what the live refresh swaps in
    assert ">Silk Way TV</a>" in partial and "<html" not in partial


async def test_the_source_sees_its_partners_pickups(world, sign_in, make_partner) -> None:  # type: ignore[no-untyped-def]
    publish, irna, kazinform = world
    await publish(story("kz-6", "Astana hosts the media forum"))
    path = rows((await irna.get("/desk")).text)["Astana hosts the media forum"][1]
    await irna.post(f"{path}/pickup", {"url": "https://irna.example/en/news/7", "note": "internal note"})
    own = (await kazinform.get(path)).text
    section = own[own.index('id="partner-pickups"'):]
    assert "IRNA" in section and "https://irna.example/en/news/7" in section
    assert "internal note" not in own and "Editor of irna" not in own  # the partner's own notes stay theirs
    outgoing = (await kazinform.get("/outgoing")).text
    assert "https://irna.example/en/news/7" in outgoing and "IRNA" in outgoing
    make_partner("stranger", scopes=MANAGE, name="Stranger")
    stranger = await sign_in("stranger", "editor")
    assert (await stranger.get(path)).status_code == 404  # never received it: cannot pick it up


async def test_topics_are_sent_as_qcodes_one_per_topic_even_with_commas_in_labels(world) -> None:  # type: ignore[no-untyped-def]
    _, _, kazinform = world
    form = (await kazinform.get("/outgoing")).text
    assert '<select id="topics" name="topics" multiple' in form  # works without JavaScript
    assert '<option value="medtop:04000000">economy, business and finance</option>' in form
    response = await kazinform.http.post("/outgoing/publish", data={
        "csrf_token": kazinform.csrf_token, "headline": "Budget and culture", "language": "en",
        "topics": ["medtop:04000000", "arts, culture, entertainment and media"]})
    assert response.status_code == 303, response.text
    item = (await kazinform.get(response.headers["location"])).text
    assert "economy, business and finance" in item and "arts, culture, entertainment and media" in item


async def test_small_things_editors_noticed(world, client) -> None:  # type: ignore[no-untyped-def]
    from newsbridge.formats.detect import KNOWN_FORMATS
    from newsbridge.web.views.outgoing import UPLOAD_FORMATS

    _, irna, kazinform = world
    assert set(UPLOAD_FORMATS) == set(KNOWN_FORMATS)  # a new reader must be named in the hint
    hint = re.search(r'<p class="muted" id="upload-formats">(.*?)</p>', (await kazinform.get("/outgoing")).text)
    assert hint and all(name in hint[1] for name in UPLOAD_FORMATS.values() if name) and "Pars Today" in hint[1]
    page = (await irna.get("/desk")).text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon and (await client.get(icon[1])).status_code == 200
    assert "Atom feed tokens" not in (await irna.get("/partners")).text  # editors have none and can make none
