"""A joint project's items change only through the project: no co-producer (the lead included) can send
a version of one through the publish API or a file, which would route it under its own agreements
without the others' approval. Both databases."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.anyio
JOINT = "urn:newsbridge:project:01PROJECT:01DELIVERABLE:en"


async def test_a_joint_items_uri_is_refused_on_the_publish_api(client, make_partner) -> None:
    lead = make_partner("kazinform")
    item = {"uri": JOINT, "version": "2", "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": "A joint story, changed by one side"}]}
    answer = await client.post("/api/v1/items", json=item, headers=lead.headers)
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "uri"
    assert "project" in answer.json()["error"]["message"]


async def test_a_joint_items_uri_is_refused_in_an_uploaded_file(client, make_partner) -> None:
    lead = make_partner("kazinform")
    item = {"uri": JOINT, "version": "2", "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": "A joint story, changed by one side"}]}
    answer = await client.post("/api/v1/items:upload", content=json.dumps(item).encode(), headers=lead.headers)
    assert answer.status_code == 422 and "uri" in (answer.json()["error"]["field"] or "")
