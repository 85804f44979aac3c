"""A picture's embedded IPTC/XMP/EXIF reaches the item published through the API: caption, creator, credit,
copyright notice, keywords and place fill the ninjs fields the partner did not set, and the partner's own
fields always win — through ``POST /api/v1/media`` with and without ``meta`` and ``POST /api/v1/items``
naming an upload, on SQLite and PostgreSQL, with the filesystem store and SeaweedFS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Partner
from tests.formats.outputs import ninjs_errors
from tests.media.pictures import picture
from tests.media.samples import tagged_photo
from tests.media.tus import upload

pytestmark = pytest.mark.anyio
FROM_THE_FILE = {
    "descriptions": [{"role": "main", "value": "Rescuers evacuate residents in Oral"}],
    "by": "Aigerim N.", "infoSources": [{"name": "Kazinform / A. N.", "role": "credit"}],
    "copyrightNotice": "(c) Kazinform 2024", "located": "Oral, Kazakhstan",
    "subjects": [{"name": "flood", "literal": "flood", "rel": "keyword"},
                 {"name": "Ural", "literal": "Ural", "rel": "keyword"}]}
TOPIC = {"name": "disaster", "uri": "http://cv.iptc.org/newscodes/mediatopic/03000000"}


def fields(item: dict[str, Any]) -> dict[str, Any]:
    """The fields a file can fill; of the subjects, the keywords (the hub adds topics of its own)."""
    found = {k: item[k] for k in FROM_THE_FILE if k in item}
    keywords = [s for s in found.pop("subjects", []) if s.get("rel") == "keyword"]
    return {**found, **({"subjects": keywords} if keywords else {})}


async def publish(client: httpx.AsyncClient, partner: Partner, data: bytes, meta: str | None = None) -> dict[str, Any]:
    form = {"meta": meta} if meta is not None else None
    made = await client.post("/api/v1/media", headers=partner.headers, data=form,
                             files={"file": ("flood.jpg", data, "image/jpeg")})
    assert made.status_code == 201, made.text
    read = await client.get(f"/api/v1/items/{made.json()['id']}", headers=partner.headers)
    assert fields(read.json()) == fields(made.json())  # stored so, not only answered so
    assert ninjs_errors(read.json(), "ninjs3") == []
    return read.json()


async def test_a_photo_without_meta_carries_its_embedded_fields(client, make_partner, tmp_path: Path) -> None:
    alpha = make_partner("alpha", scopes=("publish", "read"))
    item = await publish(client, alpha, tagged_photo(tmp_path / "flood.jpg").read_bytes())
    assert fields(item) == FROM_THE_FILE


async def test_the_partners_own_fields_win(client, make_partner, tmp_path: Path) -> None:
    alpha = make_partner("alpha", scopes=("publish", "read"))
    meta = ('{"headlines": [{"role": "main", "value": "Flood in Oral"}], "by": "Desk of Kazinform",'
            ' "subjects": [{"name": "Oral", "rel": "keyword"}],'
            ' "infoSources": [{"name": "KazHydroMet", "role": "source"}]}')
    item = await publish(client, alpha, tagged_photo(tmp_path / "flood.jpg").read_bytes(), meta)
    assert fields(item) == {**FROM_THE_FILE, "by": "Desk of Kazinform",
                            "subjects": [{"name": "Oral", "rel": "keyword"}],
                            "infoSources": [{"name": "KazHydroMet", "role": "source"},
                                            {"name": "Kazinform / A. N.", "role": "credit"}]}
    assert item["headlines"] == [{"role": "main", "value": "Flood in Oral"}]


async def test_an_item_naming_an_upload_is_filled_too(client, make_partner, tmp_path: Path) -> None:
    alpha = make_partner("alpha", scopes=("publish", "read"))
    upload_id, _ = await upload(client, alpha.headers, tagged_photo(tmp_path / "flood.jpg").read_bytes(),
                                filetype="image/jpeg")
    caption = [{"role": "main", "value": "Evacuation in Oral, West Kazakhstan"}]
    published = await client.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:photo:flood", "type": "picture", "descriptions": caption, "copyrightNotice": "",
        "infoSources": [{"name": "Kazinform", "role": "credit"}], "subjects": [TOPIC],
        "renditions": [{"name": "original", "upload": upload_id}]})
    assert published.status_code == 201, published.text
    assert fields(published.json()) == {**FROM_THE_FILE, "descriptions": caption,  # an empty value is unset
                                        "infoSources": [{"name": "Kazinform", "role": "credit"}]}
    assert TOPIC["uri"] in {s.get("uri") for s in published.json()["subjects"]}  # topics are not keywords: kept


async def test_a_photo_without_metadata_gets_no_fields(client, make_partner) -> None:
    alpha = make_partner("alpha", scopes=("publish", "read"))
    assert fields(await publish(client, alpha, picture())) == {}


async def test_a_texts_photo_fills_its_association_not_the_text(client, make_partner, tmp_path: Path) -> None:
    alpha = make_partner("alpha", scopes=("publish", "read"))
    upload_id, _ = await upload(client, alpha.headers, tagged_photo(tmp_path / "flood.jpg").read_bytes(),
                                filetype="image/jpeg")
    published = await client.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:story:flood", "type": "text", "language": "en",
        "headlines": [{"role": "main", "value": "Floods in West Kazakhstan"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "Rescuers evacuated residents."}],
        "associations": [{"name": "photo", "uri": "urn:alpha:photo:flood", "by": "Kazinform photo desk",
                          "renditions": [{"name": "original", "upload": upload_id}]}]})
    assert published.status_code == 201, published.text
    story = published.json()
    assert fields(story) == {}  # the text says what its writer wrote; the photo's caption is the photo's
    [photo] = story["associations"]
    assert fields(photo) == {**FROM_THE_FILE, "by": "Kazinform photo desk"}
