"""Every rendition's SHA-256 reaches the JSON API without breaking the ninjs: IPTC's ninjs 3 rendition
is a closed object, so ``hub.media[].renditions[]`` beside it names each rendition the reader is offered
with its ``sha256`` and ``size`` (NewsML-G2 carries the hash in its own ``hash`` element). Checked
against the bytes the signed hrefs serve, for the source and a partner, on SQLite and PostgreSQL, with
the filesystem store and SeaweedFS."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.media.blobs import blob_store
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.conftest import active_agreement
from tests.formats.outputs import ninjs_errors
from tests.media.pictures import picture

pytestmark = pytest.mark.anyio


def local(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


async def test_the_api_states_each_offered_renditions_sha256(client, make_partner, engine: Engine,
                                                              settings: Settings) -> None:
    alpha, beta = (make_partner(slug, scopes=("publish", "read", "manage")) for slug in ("alpha", "beta"))
    await active_agreement(client, alpha, beta, {"media": {"proxy_only": True}})
    data = picture(size=(1600, 1200))
    made = await client.post("/api/v1/media", headers=alpha.headers, files={"file": ("p.jpg", data, "image/jpeg")})
    assert made.status_code == 201, made.text
    [entry] = made.json()["hub"]["media"]
    assert entry["renditions"] == [{"name": "original", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}]
    worker = JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t")
    while worker.run_once_sync():
        pass
    for reader, names, original in ((alpha, {"original", "preview", "thumbnail"}, "offered"),
                                    (beta, {"preview", "thumbnail"}, "withheld")):  # proxy only
        item = (await client.get(f"/api/v1/items/{made.json()['id']}", headers=reader.headers)).json()
        [entry] = item["hub"]["media"]
        assert entry["original"] == original
        stated = {r["name"]: r for r in entry["renditions"]}
        assert set(stated) == {r["name"] for r in item["renditions"]} == names  # what the ninjs lists, no more
        for rendition in item["renditions"]:
            assert "sha256" not in rendition  # the closed ninjs object stays valid
            served = await client.get(local(rendition["href"]))
            assert served.status_code == 200
            assert stated[rendition["name"]] == {"name": rendition["name"], "size": len(served.content),
                                                 "sha256": hashlib.sha256(served.content).hexdigest()}
        assert ninjs_errors(item, "ninjs3") == []
