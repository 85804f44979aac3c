"""A party signs (or amends) only the terms revision it read: ``{"revision": N}`` on the API, and
on the desk the revision the page showed. When the terms changed meanwhile the answer is 409
``revision_changed`` and nothing happens."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import desk_app, sign_in  # noqa: F401 (desk fixtures: members signed in through /login)

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"from": "alpha", "topics": ["medtop:11000000"]}
EVERYTHING = {"from": "beta"}


def body(*terms: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"title": "Alpha-Beta exchange", "parties": ["alpha", "beta"], "terms": list(terms), **extra}


@pytest.fixture
async def proposed(client, make_partner) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Alpha proposed and signed revision 1 (alpha shares politics); beta has read it, not signed."""
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    agreement_id = (await client.post("/api/v1/agreements", json=body(POLITICS), headers=alpha.headers)).json()["id"]
    for action in ("propose", "sign"):
        assert (await client.post(f"/api/v1/agreements/{agreement_id}:{action}", headers=alpha.headers)).status_code \
            == 200
    return {"alpha": alpha, "beta": beta, "id": agreement_id, "url": f"/api/v1/agreements/{agreement_id}"}


async def events(client, world) -> list[str]:  # type: ignore[no-untyped-def]
    history = await client.get(f"{world['url']}/history", headers=world["alpha"].headers)
    return [e["action"] for e in history.json()["events"]]


async def test_signing_a_revision_that_was_amended_meanwhile_is_refused(client, proposed) -> None:
    alpha, beta, url = proposed["alpha"], proposed["beta"], proposed["url"]
    amended = await client.post(f"{url}:amend", json=body(POLITICS, EVERYTHING, revision=1), headers=alpha.headers)
    assert amended.status_code == 200 and amended.json()["terms_revision"] == 2
    stale = await client.post(f"{url}:sign", json={"revision": 1}, headers=beta.headers)
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert (error["code"], error["field"]) == ("revision_changed", "revision")
    assert "revision 1" in error["message"] and "revision 2" in error["message"] and "read them again" in error["message"]
    shown = (await client.get(url, headers=beta.headers)).json()
    assert shown["status"] == "proposed" and not any(p["signed"] for p in shown["parties"])
    assert await events(client, proposed) == ["create", "propose", "sign", "amend"]

    current = await client.post(f"{url}:sign", json={"revision": 2}, headers=beta.headers)
    assert current.status_code == 200 and current.json()["status"] == "proposed"
    again = await client.post(f"{url}:sign", json={"revision": 2}, headers=alpha.headers)
    assert again.status_code == 200 and again.json()["status"] == "active"


async def test_an_amendment_based_on_an_old_revision_is_refused(client, proposed) -> None:
    alpha, beta, url = proposed["alpha"], proposed["beta"], proposed["url"]
    assert (await client.post(f"{url}:amend", json=body(POLITICS, revision=1), headers=alpha.headers)).status_code \
        == 200
    late = await client.post(f"{url}:amend", json=body(POLITICS, EVERYTHING, revision=1), headers=beta.headers)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "revision_changed")
    shown = (await client.get(url, headers=beta.headers)).json()
    assert shown["terms_revision"] == 2 and [t["from"] for t in shown["terms"]] == ["alpha"]


@pytest.mark.parametrize("sent, field", [
    ({"revision": "1"}, "revision"), ({"revision": True}, "revision"), ({"revision": 0}, "revision"),
    ({"revision": 1.5}, "revision"), ([1], "$"),
])
async def test_a_revision_that_is_not_a_revision_is_invalid(client, proposed, sent, field) -> None:
    answer = await client.post(f"{proposed['url']}:sign", json=sent, headers=proposed["beta"].headers)
    assert (answer.status_code, answer.json()["error"]["code"], answer.json()["error"]["field"]) == (
        422, "invalid", field)
    assert await events(client, proposed) == ["create", "propose", "sign"]


async def test_signing_without_a_revision_still_signs_the_current_terms(client, proposed) -> None:
    signed = await client.post(f"{proposed['url']}:sign", headers=proposed["beta"].headers)
    assert signed.status_code == 200 and signed.json()["status"] == "active"


async def test_the_desk_signs_the_revision_its_page_showed(client, proposed, sign_in) -> None:  # noqa: F811
    beta = await sign_in("beta")
    page = await beta.get(f"/agreements/{proposed['id']}")
    shown = re.search(r'name="revision" value="(\d+)"', page.text)
    assert shown and shown[1] == "1"
    amended = await client.post(f"{proposed['url']}:amend", json=body(POLITICS, EVERYTHING),
                                headers=proposed["alpha"].headers)
    assert amended.status_code == 200

    for form in ({"revision": shown[1]}, {}):  # the old page's form, and a form without a revision
        refused = await beta.post(f"/agreements/{proposed['id']}/sign", form)
        assert refused.status_code == 409 and "The terms changed since this page was shown" in refused.text
        assert 'name="revision" value="2"' in refused.text  # the page shows the terms as they are now
    state = (await client.get(proposed["url"], headers=proposed["beta"].headers)).json()
    assert not any(p["signed"] for p in state["parties"])
    signed = await beta.post(f"/agreements/{proposed['id']}/sign", {"revision": "2"})
    assert signed.status_code == 303
