"""Every real agency file (tests/data/agencies/) through the upload API: accepted, the golden fields stored,
the reader's warnings shown as ``hub.warnings``; ``strict=true`` refuses what needs a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.formats.agency_golden import ZONE, agency_files, check_stored, golden_path

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", agency_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
async def test_agency_file_upload(client, make_partner, path: Path) -> None:  # type: ignore[no-untyped-def]
    partner = make_partner(timezone=ZONE)  # a fresh organization: several files share uris and versions
    golden = json.loads(golden_path(path).read_text("utf-8"))["items"]

    response = await client.post("/api/v1/items:upload", content=path.read_bytes(), headers=partner.headers)

    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert len(items) == len(golden)
    for stored, expected in zip(items, golden):
        check_stored(stored, expected)
        again = await client.get(f"/api/v1/items/{stored['id']}", headers=partner.headers)
        assert again.json()["hub"]["warnings"] == stored["hub"]["warnings"]


async def test_strict_upload_refuses_with_the_place_and_stores_nothing(client, make_partner) -> None:
    partner = make_partner(timezone=ZONE)
    data = (agency_files()[0].parents[1] / "stt" / "stt1.xml").read_bytes()

    refused = await client.post("/api/v1/items:upload?strict=true", content=data, headers=partner.headers)

    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("invalid", "newsItem/contentMeta/contentCreated")
    assert "time_zone_assumed" in error["message"]
    assert (await client.get("/api/v1/items", headers=partner.headers)).json()["count"] == 0
    lenient = await client.post("/api/v1/items:upload", content=data, headers=partner.headers)
    assert lenient.status_code == 201
    [item] = lenient.json()["items"]
    assert item["versionCreated"] == "2019-04-15T13:49:15+03:00"  # the organization's zone, Europe/Helsinki
    assert item["hub"]["warnings"][0] == {
        "code": "time_zone_assumed", "field": "newsItem/contentMeta/contentCreated",
        "message": "'2019-04-15T11:12:24' has no time zone; read in the source's zone, Europe/Helsinki"}


async def test_the_publish_api_is_strict_unless_asked_otherwise(client, make_partner) -> None:
    partner = make_partner(timezone=ZONE)
    body = {"uri": "urn:x:zone", "versionCreated": "2026-11-23T10:00:00",
            "headlines": [{"role": "main", "value": "A time without a zone"}]}

    refused = await client.post("/api/v1/items", json=body, headers=partner.headers)
    accepted = await client.post("/api/v1/items?strict=false", json=body, headers=partner.headers)

    assert refused.status_code == 422
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == ("invalid", "$.versionCreated")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["versionCreated"] == "2026-11-23T10:00:00+02:00"
    assert [w["code"] for w in accepted.json()["hub"]["warnings"]] == ["time_zone_assumed"]
