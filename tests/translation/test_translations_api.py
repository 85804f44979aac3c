"""``POST /api/v1/items/{id}/translations`` and ``/api/v1/glossary`` on both databases, against a
LibreTranslate-speaking service on loopback: access exactly as the item's, embargoes, terms that
forbid translation, the cache per version and glossary, and clear errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from newsbridge.db.translation_tables import item_translations
from tests.conftest import active_agreement, count_rows
from tests.translation.far_side import FarSide

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")
RU_STORY = {"uri": "urn:alpha:ru:1", "language": "ru", "headlines": [{"value": "Президент встретился с министром"}],
            "bodies": [{"contentType": "text/plain",
                        "value": "Касым-Жомарт Токаев встретился с министром.\n\nАгентство Kazinform сообщает."}]}
TOKAYEV = {"forms": {"ru": "Касым-Жомарт Токаев", "kk": "Қасым-Жомарт Тоқаев", "fa": "قاسم جومارت توکایف",
                     "en": "Kassym-Jomart Tokayev"}, "note": "President of Kazakhstan"}


async def publish(client, partner, doc: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def translate(client, partner, item_id: str, status: int = 200, **body: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.post(f"/api/v1/items/{item_id}/translations", json=body or {"language": "en"},
                                 headers=partner.headers)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
async def world(client, make_partner):  # type: ignore[no-untyped-def]
    alpha, beta, gamma = (make_partner(slug, scopes=MANAGE) for slug in ("alpha", "beta", "gamma"))
    await active_agreement(client, alpha, beta, {})
    return alpha, beta, gamma


async def test_a_recipient_gets_a_labelled_translation_made_once_per_version(client, world, service: FarSide,
                                                                           engine) -> None:
    alpha, beta, _ = world
    item_id = await publish(client, alpha, RU_STORY)
    made = await translate(client, beta, item_id)
    assert made | {"created_at": None} == {
        "item": item_id, "version": 1, "language": "en", "source_language": "ru", "machine_translation": True,
        "backend": "LibreTranslate", "headline": "president met with министром",
        "text": "Касым-Жомарт Токаев met with министром.\n\nagency Kazinform reports.", "cached": False,
        "created_at": None}
    assert (await translate(client, beta, item_id)) == {**made, "cached": True}
    assert len(service.requests) == 1  # one batch: the headline and both paragraphs; the second answer was cached
    original = (await client.get(f"/api/v1/items/{item_id}", headers=beta.headers)).json()
    assert original["headlines"][0]["value"] == RU_STORY["headlines"][0]["value"]  # never replaced
    await publish(client, alpha, {**RU_STORY, "version": "2", "headlines": [{"value": "Второй заголовок"}]})
    again = await translate(client, beta, item_id)
    assert (again["version"], again["headline"], again["cached"]) == (2, "second headline", False)
    assert count_rows(engine, item_translations) == 2


async def test_the_glossary_shapes_the_translation_and_a_change_makes_it_again(client, world, service: FarSide) -> None:
    alpha, beta, _ = world
    item_id = await publish(client, alpha, RU_STORY)
    before = await translate(client, beta, item_id)
    added = await client.post("/api/v1/glossary", json=TOKAYEV, headers=beta.headers)
    assert added.status_code == 201, added.text
    after = await translate(client, beta, item_id)
    assert after["cached"] is False and after["text"].startswith("Kassym-Jomart Tokayev met with")
    assert "Токаев" not in service.texts_sent()[-2]  # the name never went to the engine
    assert "Касым-Жомарт Токаев" in before["text"]
    # alpha's glossary is alpha's: its own translation is made with none of beta's entries
    own = await translate(client, alpha, item_id)
    assert own["text"].startswith("Касым-Жомарт Токаев")


async def test_strangers_and_embargoes_get_404_like_a_missing_id(client, world, service: FarSide) -> None:
    alpha, beta, gamma = world
    item_id = await publish(client, alpha, RU_STORY)
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat(timespec="seconds")
    embargoed = await publish(client, alpha, {**RU_STORY, "uri": "urn:alpha:ru:2", "embargoedUntil": tomorrow})
    for partner, target in ((gamma, item_id), (beta, embargoed), (beta, "01NOSUCHITEM00000000000000")):
        body = await translate(client, partner, target, 404)
        assert body["error"]["code"] == "not_found"
    assert service.requests == []


async def test_terms_that_forbid_translation_are_respected(client, make_partner, service: FarSide) -> None:
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {"allow_translation": False})
    item_id = await publish(client, alpha, RU_STORY)
    body = await translate(client, beta, item_id, 403)
    assert body["error"]["code"] == "translation_not_allowed"
    assert (await translate(client, alpha, item_id))["headline"]  # the source may translate its own
    assert len(service.requests) == 1


async def test_withdrawn_items_and_bad_requests_are_refused(client, world, service: FarSide) -> None:
    alpha, beta, _ = world
    item_id = await publish(client, alpha, RU_STORY)
    for body, field in (({"language": "english"}, "language"), ({"lang": "en"}, "language")):
        answer = await translate(client, beta, item_id, 422, **body)
        assert (answer["error"]["code"], answer["error"]["field"]) == ("invalid", field)
    await publish(client, alpha, {**RU_STORY, "version": "2", "pubStatus": "canceled"})
    assert (await translate(client, beta, item_id, 409))["error"]["code"] == "conflict"
    assert service.requests == []


async def test_a_failing_service_is_a_502_and_nothing_is_cached(client, world, engine) -> None:
    alpha, beta, _ = world
    item_id = await publish(client, alpha, {**RU_STORY, "headlines": [{"value": "FAIL"}]})
    assert (await translate(client, beta, item_id, 502))["error"]["code"] == "translation_failed"
    assert count_rows(engine, item_translations) == 0


async def test_without_a_translator_the_answer_says_so(app, client, world) -> None:
    alpha, beta, gamma = world
    item_id = await publish(client, alpha, RU_STORY)
    hub = app.state.hub
    app.state.hub = hub.__class__(**{**hub.__dict__, "settings": hub.settings.replace(translator_url="")})
    assert (await translate(client, beta, item_id, 503))["error"]["code"] == "translator_not_configured"
    assert (await translate(client, gamma, item_id, 404))["error"]["code"] == "not_found"


async def test_the_glossary_api_keeps_each_organizations_own(client, world) -> None:
    alpha, beta, _ = world
    created = await client.post("/api/v1/glossary", json=TOKAYEV, headers=beta.headers)
    term = created.json()
    assert term["forms"] == TOKAYEV["forms"] and term["note"] == "President of Kazakhstan"
    again = await client.post("/api/v1/glossary", json={"forms": {"ru": "касым-жомарт токаев"}}, headers=beta.headers)
    assert (again.status_code, again.json()["error"]["field"]) == (409, "forms.ru")
    url = f"/api/v1/glossary/{term['id']}"
    for method in ("PUT", "DELETE"):  # alpha may not touch beta's entry: 404 as for a missing one
        answer = await client.request(method, url, json={"forms": {"en": "x"}}, headers=alpha.headers)
        assert answer.status_code == 404
    assert (await client.get("/api/v1/glossary", headers=alpha.headers)).json() == {"terms": []}
    changed = await client.put(url, json={"forms": {"en": "Tokayev"}}, headers=beta.headers)
    assert changed.json()["forms"] == {"en": "Tokayev"} and changed.json()["note"] == ""
    assert [t["id"] for t in (await client.get("/api/v1/glossary", headers=beta.headers)).json()["terms"]] == \
        [term["id"]]
    assert (await client.delete(url, headers=beta.headers)).status_code == 204
    assert (await client.delete(url, headers=beta.headers)).status_code == 404
    bad = await client.post("/api/v1/glossary", json={"forms": {"en": ""}}, headers=beta.headers)
    assert (bad.status_code, bad.json()["error"]["code"], bad.json()["error"]["field"]) == (422, "invalid", "forms")
