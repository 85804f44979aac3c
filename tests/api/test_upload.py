"""Uploading the plain-text agency wires: the seed articles, raw and as multipart."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES

pytestmark = pytest.mark.anyio
SEEDS = FIXTURES / "seeds"


async def test_kazinform_wire_upload(client, make_partner) -> None:
    partner = make_partner("kazinform")
    data = (SEEDS / "kazinform-2023-04-26.txt").read_bytes()
    response = await client.post("/api/v1/items:upload", content=data, headers=partner.headers)
    assert response.status_code == 201, response.text
    [item] = response.json()["items"]
    assert item["headlines"][0]["value"] == ("TV and Radio Complex of Kazakh President develops coop with "
                                             "Iranian media companies")
    # the wire gives a day only: sent as the day's start, a date-time as ninjs requires (docs/formats.md)
    assert item["firstCreated"] == "2023-04-26T00:00:00+00:00"
    assert item["located"] == "Astana"
    assert item["infoSources"] == [{"name": "Kazinform", "role": "originator"}]
    assert item["language"] == "en" and item["hub"]["languageSource"] == "detected"
    assert item["hub"]["languageConfidence"] > 0.9
    text = next(b["value"] for b in item["bodies"] if b["contentType"] == "text/plain")
    assert text.startswith("ASTANA. KAZINFORM – A meeting")
    assert len(text.split("\n\n")) == 8


async def test_parstoday_wire_upload_as_multipart(client, make_partner) -> None:
    partner = make_partner("parstoday")
    data = (SEEDS / "parstoday-2018-07-12.txt").read_bytes()
    response = await client.post("/api/v1/items:upload", files={"file": ("parstoday.txt", data, "text/plain")},
                                 headers=partner.headers)
    assert response.status_code == 201, response.text
    [item] = response.json()["items"]
    assert item["headlines"][0]["value"] == "Iran eyes enhanced media cooperation with Russia"
    assert item["firstCreated"] == "2018-07-12T07:08:00+04:30"
    assert item["versionCreated"] == "2018-07-12T07:08:00+04:30"
    html = next(b["value"] for b in item["bodies"] if b["contentType"] == "text/html")
    assert "<h2>Iran-Russia joint media cooperation</h2>" in html
    assert html.count("<p>") == 8


async def test_uploading_the_same_wire_twice_stores_it_once(client, make_partner) -> None:
    partner = make_partner()
    data = (SEEDS / "kazinform-2023-04-26.txt").read_bytes()
    first = await client.post("/api/v1/items:upload", content=data, headers=partner.headers)
    again = await client.post("/api/v1/items:upload", content=data, headers=partner.headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["items"][0]["id"] == again.json()["items"][0]["id"]


async def test_multipart_without_file_field(client, make_partner) -> None:
    partner = make_partner()
    response = await client.post("/api/v1/items:upload", data={"other": "x"},
                                 files={"attachment": ("a.txt", b"x", "text/plain")}, headers=partner.headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "file"
