"""The desk's buttons on a detected pickup: an editor of either side confirms or dismisses it from the
item page (CSRF-checked), the page then shows the decision; a viewer sees no buttons and is refused;
the buttons speak the member's language. Strangers: tests/web/test_desk_access.py."""

from __future__ import annotations

from typing import Any

import pytest

from newsbridge.db.engine import writing
from newsbridge.desk.pickups import record_detected_pickup
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")


@pytest.fixture
async def pickup(client, engine, make_partner) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    kazinform, irna = make_partner("kazinform", scopes=MANAGE), make_partner("irna", scopes=MANAGE)
    await active_agreement(client, kazinform, irna, {})
    ids = []
    for who, uri in ((kazinform, "urn:kazinform:1"), (irna, "urn:irna:1")):
        doc = {"uri": uri, "language": "en", "headlines": [{"value": f"Corridor opens ({uri})"}]}
        answer = await client.post("/api/v1/items", json=doc, headers=who.headers)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    with writing(engine) as conn:
        pickup_id = record_detected_pickup(conn, ids[0], ids[1], score=0.9, evidence={"method": "translation"})
    return {"id": pickup_id, "source": ids[0], "copy": ids[1], "kazinform": kazinform, "irna": irna}


async def status(client, partner, item_id: str) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    [p] = (await client.get(f"/api/v1/items/{item_id}/pickups", headers=partner.headers)).json()["pickups"]
    return p["status"], (p["decided"] or {}).get("by")


async def test_an_editor_of_either_side_decides_from_the_item_page(client, sign_in, pickup) -> None:  # type: ignore[no-untyped-def]
    editor = await sign_in("kazinform", "editor")
    page = (await editor.get(f"/items/{pickup['source']}")).text
    assert f'action="/pickups/{pickup["id"]}/confirm"' in page and f'action="/pickups/{pickup["id"]}/dismiss"' in page
    done = await editor.post(f"/pickups/{pickup['id']}/dismiss", {"item": pickup["source"]})
    assert done.status_code == 303
    assert done.headers["location"] == f"/items/{pickup['source']}?pickup=dismissed#pickup-{pickup['id']}"
    page = (await editor.get(f"/items/{pickup['source']}")).text
    assert "Dismissed: not counted in the metrics" in page
    assert f'/pickups/{pickup["id"]}/dismiss"' not in page and f'/pickups/{pickup["id"]}/confirm"' in page
    assert await status(client, pickup["kazinform"], pickup["source"]) == ("dismissed", editor.member.email)

    partner = await sign_in("irna", "editor")  # the other side, on its own republishing item
    page = (await partner.get(f"/items/{pickup['copy']}")).text
    assert "Dismissed: not counted in the metrics" in page and f'/pickups/{pickup["id"]}/confirm"' in page
    done = await partner.post(f"/pickups/{pickup['id']}/confirm", {"item": "https://elsewhere.example/"})
    assert done.status_code == 303  # an unknown page to go back to: the side's own item
    assert done.headers["location"] == f"/items/{pickup['copy']}?pickup=confirmed#pickup-{pickup['id']}"
    assert await status(client, pickup["irna"], pickup["copy"]) == ("confirmed", partner.member.email)
    assert "Confirmed" in (await partner.get(f"/items/{pickup['copy']}")).text


async def test_viewers_and_forms_without_the_token_are_refused(client, sign_in, pickup) -> None:  # type: ignore[no-untyped-def]
    viewer = await sign_in("kazinform", "viewer")
    page = (await viewer.get(f"/items/{pickup['source']}")).text
    assert "Detected" in page and f'/pickups/{pickup["id"]}/' not in page
    assert (await viewer.post(f"/pickups/{pickup['id']}/dismiss")).status_code == 403
    editor = await sign_in("kazinform", "editor")
    assert (await editor.post(f"/pickups/{pickup['id']}/dismiss", csrf=False)).status_code == 403
    assert await status(client, pickup["kazinform"], pickup["source"]) == ("detected", None)


@pytest.mark.parametrize("locale, words", [("ru", "Подтвердить перепечатку"), ("kk", "Қайта жариялауды растау"),
                                           ("fa", "تأیید بازنشر")])
async def test_the_buttons_speak_the_members_language(sign_in, pickup, locale: str, words: str) -> None:  # type: ignore[no-untyped-def]
    editor = await sign_in("kazinform", "editor", locale=locale)
    assert words in (await editor.get(f"/items/{pickup['source']}")).text


async def test_a_dismissed_detection_is_no_pickup_on_incoming_nor_in_alerts(client, sign_in, pickup) -> None:  # type: ignore[no-untyped-def]
    headline = "Corridor opens (urn:kazinform:1)"
    corrected = {"uri": "urn:kazinform:1", "version": "2", "language": "en",
                 "headlines": [{"value": "Corridor opens, corrected"}]}
    answer = await client.post("/api/v1/items", json=corrected, headers=pickup["kazinform"].headers)
    assert answer.status_code == 201, answer.text
    editor = await sign_in("irna", "editor")
    for action, counted in (("confirm", True), ("dismiss", False)):
        done = await client.post(f"/api/v1/pickups/{pickup['id']}:{action}", headers=pickup["irna"].headers)
        assert done.status_code == 200, done.text
        picked = (await editor.get("/desk?status=picked")).text
        assert ("Corridor opens, corrected" in picked or headline in picked) is counted, action
        alerts = (await editor.get("/alerts")).text  # "corrected": a newer version of an item we picked up
        assert ("Corridor opens, corrected" in alerts) is counted, action
