"""Publishing and reading items over HTTP: IPTC examples, versions, idempotency, withdrawal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from newsbridge.db.tables import item_versions, items
from newsbridge.formats.ninjs import _validator
from tests.conftest import FIXTURES, count_rows

pytestmark = pytest.mark.anyio
EXAMPLES = sorted((FIXTURES / "ninjs" / "examples").glob("*.json"))
HUB_FIELDS = ("id", "source", "hub")


def ninjs_only(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in HUB_FIELDS}


def story(version: str | None = "1", **changes: object) -> dict:
    doc: dict = {"uri": "urn:kazinform:2026:1001", "type": "text", "language": "en",
                 "headlines": [{"role": "main", "value": "Kazakhstan and Iran sign media roadmap"}],
                 "bodies": [{"role": "main", "contentType": "text/plain", "value": "ASTANA. KAZINFORM – Text."}]}
    if version is not None:
        doc["version"] = version
    doc.update(changes)
    return doc


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
async def test_every_iptc_example_is_accepted_and_reads_back_valid(client, make_partner, path: Path) -> None:
    partner = make_partner()
    sent = json.loads(path.read_bytes())
    response = await client.post("/api/v1/items", content=path.read_bytes(), headers=partner.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["uri"] == sent["uri"]
    assert body["source"]["slug"] == partner.org.slug
    for fmt, major in (("ninjs3", 3), ("ninjs2", 2)):
        read = await client.get(f"/api/v1/items/{body['id']}", params={"format": fmt}, headers=partner.headers)
        assert read.status_code == 200
        errors = list(_validator(major).iter_errors(ninjs_only(read.json())))
        assert errors == [], errors[0].message


async def test_headline_body_and_dates_survive(client, make_partner) -> None:
    partner = make_partner()
    raw = (FIXTURES / "ninjs/examples/ex-2.1_ntb_text.json").read_bytes()
    sent = json.loads(raw)
    body = (await client.post("/api/v1/items", content=raw, headers=partner.headers)).json()
    assert body["versionCreated"].startswith(sent["versioncreated"][:19])
    assert body["headlines"][0]["value"] == sent["headlines"][0]["value"]
    assert body["language"] == "nb-NO"
    assert body["hub"]["languageSource"] == "declared"
    assert body["version"] == "6" and body["hub"]["version"] == 6


async def test_resending_the_same_version_is_idempotent(client, make_partner, engine) -> None:
    partner = make_partner()
    first = await client.post("/api/v1/items", json=story(), headers=partner.headers)
    again = await client.post("/api/v1/items", json=story(), headers=partner.headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert count_rows(engine, item_versions) == 1


async def test_a_new_version_supersedes_and_history_is_kept(client, make_partner) -> None:
    partner = make_partner()
    first = (await client.post("/api/v1/items", json=story(), headers=partner.headers)).json()
    newer = story("2", headlines=[{"role": "main", "value": "Kazakhstan and Iran sign a media roadmap (updated)"}])
    second = await client.post("/api/v1/items", json=newer, headers=partner.headers)
    assert second.status_code == 201
    assert second.json()["id"] == first["id"]
    current = (await client.get(f"/api/v1/items/{first['id']}", headers=partner.headers)).json()
    assert current["headlines"][0]["value"].endswith("(updated)")
    versions = (await client.get(f"/api/v1/items/{first['id']}/versions", headers=partner.headers)).json()
    assert [v["version"] for v in versions["versions"]] == ["1", "2"]


@pytest.mark.parametrize("version, expected", [("1", 409), ("2", 409), ("3", 201)])
async def test_versions_must_move_forward(client, make_partner, version: str, expected: int) -> None:
    partner = make_partner()
    await client.post("/api/v1/items", json=story("1"), headers=partner.headers)
    await client.post("/api/v1/items", json=story("2", language="ru"), headers=partner.headers)
    response = await client.post("/api/v1/items", json=story(version, language="kk"), headers=partner.headers)
    assert response.status_code == expected
    if expected == 409:
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("version_conflict", "version")
        assert "send version 3" in error["message"]


async def test_an_older_version_resent_unchanged_is_still_idempotent(client, make_partner) -> None:
    partner = make_partner()
    await client.post("/api/v1/items", json=story("1"), headers=partner.headers)
    await client.post("/api/v1/items", json=story("2", language="ru"), headers=partner.headers)
    response = await client.post("/api/v1/items", json=story("1"), headers=partner.headers)
    assert response.status_code == 200


async def test_items_without_version_are_numbered_by_the_hub(client, make_partner, engine) -> None:
    partner = make_partner()
    first = await client.post("/api/v1/items", json=story(None), headers=partner.headers)
    same = await client.post("/api/v1/items", json=story(None), headers=partner.headers)
    changed = await client.post("/api/v1/items", json=story(None, language="ru"), headers=partner.headers)
    assert [r.status_code for r in (first, same, changed)] == [201, 200, 201]
    assert [r.json()["version"] for r in (first, same, changed)] == ["1", "1", "2"]
    assert count_rows(engine, item_versions) == 2


async def test_canceled_withdraws_and_keeps_history(client, make_partner, engine) -> None:
    partner = make_partner()
    created = (await client.post("/api/v1/items", json=story("1"), headers=partner.headers)).json()
    withdrawn = await client.post("/api/v1/items", json=story("2", pubStatus="canceled"), headers=partner.headers)
    assert withdrawn.status_code == 201
    current = (await client.get(f"/api/v1/items/{created['id']}", headers=partner.headers)).json()
    assert current["pubStatus"] == "canceled"
    versions = (await client.get(f"/api/v1/items/{created['id']}/versions", headers=partner.headers)).json()
    assert [v["pubStatus"] for v in versions["versions"]] == ["usable", "canceled"]
    assert count_rows(engine, items) == 1


async def test_ninjs2_input_is_stored_as_3_and_served_as_either(client, make_partner) -> None:
    partner = make_partner()
    doc = {"uri": "urn:irna:1", "version": "1", "type": "text", "language": "fa", "versioncreated":
           "2026-11-20T09:00:00+03:30", "embargoed": "2026-11-20T12:00:00+03:30",
           "headlines": [{"role": "main", "value": "همکاری رسانه‌ای ایران و قزاقستان"}]}
    body = (await client.post("/api/v1/items", json=doc, headers=partner.headers)).json()
    assert body["embargoedUntil"] == "2026-11-20T12:00:00+03:30"
    as2 = (await client.get(f"/api/v1/items/{body['id']}?format=ninjs2", headers=partner.headers)).json()
    assert as2["embargoed"] == "2026-11-20T12:00:00+03:30" and as2["versioncreated"] == doc["versioncreated"]
    assert "versionCreated" not in as2
    Draft202012Validator  # the validators used above are the schema's own (imported for clarity)


async def test_list_own_items_newest_first_with_since_and_limit(client, make_partner) -> None:
    partner, other = make_partner(), make_partner()
    ids = []
    for n in range(3):
        ids.append((await client.post("/api/v1/items", json=story(uri=f"urn:k:{n}"), headers=partner.headers))
                   .json()["id"])
    await client.post("/api/v1/items", json=story(uri="urn:other"), headers=other.headers)
    listed = (await client.get("/api/v1/items", headers=partner.headers)).json()
    assert [i["id"] for i in listed["items"]] == ids[::-1]
    assert (await client.get("/api/v1/items?limit=2", headers=partner.headers)).json()["count"] == 2
    since = listed["items"][1]["hub"]["receivedAt"]
    newer = (await client.get("/api/v1/items", params={"since": since}, headers=partner.headers)).json()
    assert [i["id"] for i in newer["items"]] == [ids[2]]


async def test_the_own_list_carries_each_items_newest_version_as_reading_it_alone_does(client, make_partner) -> None:
    """The list joins each own item to its newest version directly (items/queries.py ``own``), where it went
    through the CASE every viewer's query takes; corrected and withdrawn items read as they do alone."""
    partner = make_partner()
    for n, versions in enumerate((["1"], ["1", "2"], ["1", "2", "3"])):
        for version in versions:
            sent = await client.post("/api/v1/items", headers=partner.headers, json=story(
                version=version, uri=f"urn:k:{n}", headlines=[{"role": "main", "value": f"{n} v{version}"}],
                **({"pubStatus": "canceled"} if n == 2 and version == "3" else {})))
            assert sent.status_code in (200, 201), sent.text
    listed = (await client.get("/api/v1/items", headers=partner.headers)).json()["items"]
    assert [(i["uri"], i["version"], i["headlines"][0]["value"]) for i in listed] == [
        ("urn:k:2", "3", "2 v3"), ("urn:k:1", "2", "1 v2"), ("urn:k:0", "1", "0 v1")]
    for entry in listed:
        alone = (await client.get(f"/api/v1/items/{entry['id']}", headers=partner.headers)).json()
        assert {k: v for k, v in entry.items() if k != "hub"} == {k: v for k, v in alone.items() if k != "hub"}
        assert entry["hub"].items() <= alone["hub"].items()  # the item alone says more of the hub's
    assert listed[0]["pubStatus"] == "canceled"
