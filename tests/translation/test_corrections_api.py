"""Human translations over the API, on both databases: an editor's correction of the machine
translation (``PUT /api/v1/items/{id}/translations/{lang}``) replaces it for the organization's own
members, is shared with the item's source alone (``:share``), starts fresh on a new version, and
is refused where reading or translating the item is."""

from __future__ import annotations

from typing import Any

import pytest

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.db.engine import writing
from tests.conftest import Partner, active_agreement
from tests.translation.far_side import FarSide
from tests.translation.test_translations_api import MANAGE, RU_STORY, publish, translate

pytestmark = pytest.mark.anyio
CORRECTED = {"headline": "The President met the minister", "text": "Kassym-Jomart Tokayev met the minister.\r\n\r\n"
             "  The Kazinform agency reports.  \n\n\n"}


async def correct(client, partner, item_id: str,  # type: ignore[no-untyped-def]
                  status: int = 200, language: str = "en", **body: Any) -> dict[str, Any]:
    response = await client.put(f"/api/v1/items/{item_id}/translations/{language}", json=body or CORRECTED,
                                headers=partner.headers)
    assert response.status_code == status, response.text
    return response.json()


async def share(client, partner, item_id: str,  # type: ignore[no-untyped-def]
                status: int = 200, language: str = "en") -> dict[str, Any]:
    response = await client.post(f"/api/v1/items/{item_id}/translations/{language}:share", headers=partner.headers)
    assert response.status_code == status, response.text
    return response.json()


async def listed(client, partner, item_id: str, status: int = 200) -> Any:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/v1/items/{item_id}/translations", headers=partner.headers)
    assert response.status_code == status, response.text
    return response.json()["translations"] if status == 200 else response.json()


@pytest.fixture
async def world(client, make_partner):  # type: ignore[no-untyped-def]
    """alpha's item delivered to beta and delta (two recipients); gamma a stranger."""
    alpha, beta, gamma, delta = (make_partner(slug, scopes=MANAGE) for slug in ("alpha", "beta", "gamma", "delta"))
    await active_agreement(client, alpha, beta, {})
    await active_agreement(client, alpha, delta, {}, title="Alpha-Delta")
    return alpha, beta, gamma, delta, await publish(client, alpha, RU_STORY)


async def test_the_correction_is_the_organizations_human_translation(client, world, service: FarSide) -> None:
    alpha, beta, _, _, item_id = world
    machine = await translate(client, beta, item_id)
    human = await correct(client, beta, item_id)
    assert human | {"created_at": None, "updated_at": None} == {
        "item": item_id, "version": 1, "language": "en", "source_language": "ru", "kind": "human",
        "machine_translation": False, "by": "beta", "edited_from": "LibreTranslate", "edited_by": None,
        "headline": "The President met the minister",
        "text": "Kassym-Jomart Tokayev met the minister.\n\nThe Kazinform agency reports.",
        "created_at": None, "updated_at": None, "shared_with_source": False, "shared_at": None}
    both = await listed(client, beta, item_id)
    assert [(t["kind"], t["by"], t["version"], t["current"]) for t in both] == [
        ("human", "beta", 1, True), ("machine", "beta", 1, True)]
    assert both[1]["headline"] == machine["headline"]
    again = await correct(client, beta, item_id, headline="Second thoughts", paragraphs=["One.", " ", "Two."])
    assert (again["headline"], again["text"], again["created_at"]) == ("Second thoughts", "One.\n\nTwo.",
                                                                       human["created_at"])
    assert await listed(client, alpha, item_id) == []  # not shared: the source sees nothing yet
    assert len(service.requests) == 1


async def test_shared_with_the_source_and_no_one_else(client, world) -> None:
    alpha, beta, gamma, delta, item_id = world
    assert (await share(client, beta, item_id, 409))["error"]["code"] == "conflict"  # nothing corrected yet
    await correct(client, beta, item_id)
    shared = await share(client, beta, item_id)
    assert shared["shared_with_source"] is True and shared["shared_at"]
    [seen] = await listed(client, alpha, item_id)
    assert (seen["by"], seen["kind"], seen["headline"], seen["shared_at"]) == (
        "beta", "human", CORRECTED["headline"], shared["shared_at"])
    assert await listed(client, delta, item_id) == []  # another recipient of the same item
    for call in (listed(client, gamma, item_id, 404), share(client, gamma, item_id, 404),
                 correct(client, gamma, item_id, 404)):
        assert (await call)["error"]["code"] == "not_found"
    assert (await share(client, delta, item_id, 409))["error"]["code"] == "conflict"  # delta has none of its own
    assert (await share(client, alpha, item_id, 409))["error"]["code"] == "conflict"  # the source itself
    # a correction after sharing reaches the source too
    await correct(client, beta, item_id, headline="Corrected again", text="Better.")
    assert [t["headline"] for t in await listed(client, alpha, item_id)] == ["Corrected again"]


async def test_a_new_version_starts_fresh(client, world) -> None:
    alpha, beta, _, _, item_id = world
    await correct(client, beta, item_id)
    await share(client, beta, item_id)
    await publish(client, alpha, {**RU_STORY, "version": "2", "headlines": [{"value": "Второй заголовок"}]})
    [old] = await listed(client, beta, item_id)
    assert (old["version"], old["current"]) == (1, False)
    assert (await translate(client, beta, item_id))["headline"] == "second headline"  # the machine one, of v2
    assert (await share(client, beta, item_id, 409))["error"]["code"] == "conflict"  # nothing of v2 to share
    written = await correct(client, beta, item_id, headline="Second headline", text="By hand.")
    assert (written["version"], written["edited_from"]) == (2, "LibreTranslate")
    by_source = await listed(client, alpha, item_id)
    assert [(t["version"], t["current"]) for t in by_source] == [(1, False)]


async def test_viewers_terms_and_withdrawals_refuse_it(client, make_partner, engine) -> None:
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    await active_agreement(client, alpha, beta, {"allow_translation": False})
    item_id = await publish(client, alpha, RU_STORY)
    with writing(engine) as conn:
        _key, raw = create_api_key(conn, "beta", ("read",))
    reader = Partner(beta.org, raw)
    assert (await correct(client, reader, item_id, 403))["error"]["code"] == "forbidden"
    assert (await share(client, reader, item_id, 403))["error"]["code"] == "forbidden"
    assert await listed(client, reader, item_id) == []
    for call in (correct(client, beta, item_id, 403), share(client, beta, item_id, 403)):
        assert (await call)["error"]["code"] == "translation_not_allowed"
    assert (await correct(client, alpha, item_id, language="fa"))["by"] == "alpha"  # the source may, for itself
    await publish(client, alpha, {**RU_STORY, "version": "2", "pubStatus": "canceled"})
    assert (await correct(client, alpha, item_id, 409, language="fa"))["error"]["code"] == "conflict"


@pytest.mark.parametrize(("body", "language", "field"), [
    ({"text": "no headline"}, "en", "headline"),
    ({"headline": "   ", "text": "blank headline"}, "en", "headline"),
    ({"headline": "x" * 1001}, "en", "headline"),
    ({"headline": "ok", "text": ["not", "a string"]}, "en", "text"),
    ({"headline": "ok", "paragraphs": "not a list"}, "en", "paragraphs"),
    ({"headline": "ok", "text": "fine"}, "english", "language"),
])
async def test_bad_corrections_are_clear_errors(client, world, body: dict[str, Any], language: str,
                                                field: str) -> None:
    _, beta, _, _, item_id = world
    answer = await correct(client, beta, item_id, 422, language=language, **body)
    assert (answer["error"]["code"], answer["error"]["field"]) == ("invalid", field)
    assert await listed(client, beta, item_id) == []
    malformed = await client.put(f"/api/v1/items/{item_id}/translations/en", content=b"{", headers=beta.headers)
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed"
