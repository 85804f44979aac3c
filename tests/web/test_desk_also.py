"""The desk's second pass (issue 11, "Also"), over HTTP on both databases: a first-paragraph
snippet and highlighted matches in the list, the preview pane's fragment, correcting and
withdrawing our own item from the desk, and searching our outgoing items."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")


def story(uri: str, headline: str, text: str, version: str = "1", **extra: Any) -> dict[str, Any]:
    return {"uri": uri, "version": version, "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": text}], **extra}


@pytest.fixture
async def world(client, make_partner, sign_in):  # type: ignore[no-untyped-def]
    kazinform = make_partner("kazinform", scopes=MANAGE, name="Kazinform")
    irna = make_partner("irna", scopes=MANAGE, name="IRNA")
    await active_agreement(client, kazinform, irna, {})

    async def publish(doc: dict[str, Any]) -> str:
        response = await client.post("/api/v1/items", json=doc, headers=kazinform.headers)
        assert response.status_code in (200, 201), response.text
        return response.json()["id"]

    return {"publish": publish, "irna": await sign_in("irna", "editor"),
            "kazinform": await sign_in("kazinform", "editor"), "kazinform_key": kazinform, "irna_key": irna}


async def test_rows_show_the_first_paragraph_and_mark_the_searched_words(world) -> None:  # type: ignore[no-untyped-def]
    long = "Astana hosted the football final on Sunday. " * 10
    await world["publish"](story("kz-1", "Football final in Astana", long.strip() + "\n\nSecond paragraph, not shown."))
    await world["publish"](story("kz-2", "<b>Wheat</b> & harvest", "Farmers <script>alert(1)</script> report."))
    irna = world["irna"]
    desk = (await irna.get("/desk")).text
    [snippet] = [s for s in re.findall(r'<span class="snippet" dir="ltr" lang="en">([^<]*)</span>', desk)
                 if s.startswith("Astana")]
    assert snippet.startswith("Astana hosted the football final") and snippet.endswith("…") and len(snippet) <= 221
    assert "Second paragraph" not in desk
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in desk and "<script>alert(1)" not in desk
    found = (await irna.get("/desk?q=footb")).text
    assert "<mark>Football</mark> final in Astana" in found
    assert "Astana hosted the <mark>football</mark> final" in found
    hostile = (await irna.get("/desk?q=wheat")).text
    assert "&lt;b&gt;<mark>Wheat</mark>&lt;/b&gt; &amp; harvest" in hostile


async def test_the_preview_shows_the_item_without_marking_it_read(world) -> None:  # type: ignore[no-untyped-def]
    item_id = await world["publish"](story("kz-1", "Budget approved", "The parliament approved the budget."))
    irna = world["irna"]
    fragment = await irna.get(f"/items/{item_id}/preview")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "The parliament approved the budget." in fragment.text and f'href="/items/{item_id}"' in fragment.text
    assert "Kazinform" in fragment.text  # the credit line
    assert (await irna.get("/alerts/summary")).status_code == 200
    assert 'class="row state-new unread' in (await irna.get("/desk")).text  # still new


async def test_correcting_our_own_item_from_the_desk_makes_a_new_version_partners_receive(world, client) -> None:  # type: ignore[no-untyped-def]
    item_id = await world["publish"](story("kz-1", "Budget approved", "The parliament approved the budget."))
    kazinform, irna = world["kazinform"], world["irna"]
    own_page = (await kazinform.get(f"/items/{item_id}")).text
    assert f'action="/items/{item_id}/correct"' in own_page and "The parliament approved the budget.</textarea>" in own_page
    assert f'action="/items/{item_id}/correct"' not in (await irna.get(f"/items/{item_id}")).text
    corrected = await kazinform.post(f"/items/{item_id}/correct", {
        "headline": "Budget approved after a second vote", "body": "The parliament approved the budget twice."})
    assert corrected.status_code == 303 and corrected.headers["location"] == f"/items/{item_id}?corrected=1"
    received = (await client.get(f"/api/v1/items/{item_id}", headers=world["irna_key"].headers)).json()
    assert received["version"] == "2" and received["headlines"][0]["value"] == "Budget approved after a second vote"
    assert "<del>budget.</del>" in (await irna.get(f"/items/{item_id}")).text  # the diff, as for API corrections
    # only the source, and only members who may publish
    assert (await irna.post(f"/items/{item_id}/correct", {"headline": "Hijacked"})).status_code == 404
    empty = await kazinform.post(f"/items/{item_id}/correct", {"headline": " ", "body": "x"})
    assert empty.status_code == 422 and "headline is needed" in empty.text


async def test_withdrawing_our_own_item_needs_a_confirmation_and_alerts_who_picked_it_up(world, client) -> None:  # type: ignore[no-untyped-def]
    item_id = await world["publish"](story("kz-1", "Budget approved", "The parliament approved the budget."))
    kazinform, irna = world["kazinform"], world["irna"]
    await irna.post(f"/items/{item_id}/pickup", {"url": "https://irna.example/42", "note": ""})
    own_page = (await kazinform.get(f"/items/{item_id}")).text
    assert f'href="/items/{item_id}/withdraw" data-dialog="withdraw-dialog"' in own_page
    assert '<dialog id="withdraw-dialog"' in own_page
    confirm = await kazinform.get(f"/items/{item_id}/withdraw")
    assert confirm.status_code == 200 and "Withdraw this item?" in confirm.text
    unconfirmed = await kazinform.post(f"/items/{item_id}/withdraw", {})
    assert unconfirmed.status_code == 303 and unconfirmed.headers["location"] == f"/items/{item_id}/withdraw"
    assert (await client.get(f"/api/v1/items/{item_id}", headers=world["irna_key"].headers)).json()["pubStatus"] \
        == "usable"
    done = await kazinform.post(f"/items/{item_id}/withdraw", {"confirm": "yes"})
    assert done.status_code == 303
    assert (await client.get(f"/api/v1/items/{item_id}", headers=world["irna_key"].headers)).json()["pubStatus"] \
        == "canceled"
    summary = (await irna.get("/alerts/summary")).json()
    assert [n["key"] for n in summary["notify"]] == [f"withdrawn:{item_id}:2"]
    assert (await irna.get(f"/items/{item_id}/withdraw")).status_code == 404
    assert (await irna.post(f"/items/{item_id}/withdraw", {"confirm": "yes"})).status_code == 404


async def test_viewers_may_not_correct_or_withdraw(world, sign_in) -> None:  # type: ignore[no-untyped-def]
    item_id = await world["publish"](story("kz-1", "Budget approved", "Text."))
    viewer = await sign_in("kazinform", "viewer")
    assert f'action="/items/{item_id}/correct"' not in (await viewer.get(f"/items/{item_id}")).text
    assert (await viewer.post(f"/items/{item_id}/correct", {"headline": "x"})).status_code == 403
    assert (await viewer.post(f"/items/{item_id}/withdraw", {"confirm": "yes"})).status_code == 403


async def test_searching_our_outgoing_items_with_highlighted_matches(world) -> None:  # type: ignore[no-untyped-def]
    await world["publish"](story("kz-1", "Football final in Astana", "Sport."))
    await world["publish"](story("kz-2", "Wheat harvest", "Farmers report a record."))
    kazinform = world["kazinform"]
    found = (await kazinform.get("/outgoing?q=football")).text
    assert "<mark>Football</mark> final in Astana" in found and "Wheat harvest" not in found
    assert "Showing 1–1 of 1" in found and 'value="football"' in found
    by_text = (await kazinform.get("/outgoing?q=record")).text  # the text is searched too
    assert "Wheat harvest" in by_text and "Football final" not in by_text
    assert "None of our items matches this search." in (await kazinform.get("/outgoing?q=zzzz")).text
    # a partner's items are not ours
    assert "Football final" not in (await world["irna"].get("/outgoing?q=football")).text
