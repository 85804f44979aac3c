"""Joint publication carries the media every participant attached to the drafts, each rendition offered as
its owner's terms allow the reader; strangers and non-participants get none. Both databases."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from newsbridge.db.engine import reading
from newsbridge.errors import NotFound
from newsbridge.media import links
from newsbridge.media.blobs import blob_store
from newsbridge.media.processing import media_handlers
from newsbridge.media.worker import JobWorker
from tests.api.desk_session import sign_in
from tests.media.pictures import picture
from tests.media.tus import upload
from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio
# IRNA lets TASS have proxies only of its media; the Complex sets no limits
TERMS = [{"from": "krtc"}, {"from": "irna", "media": {"partners": {"tass": {"proxy_only": True}}}}]


async def graphic(client, partner, colour: tuple[int, int, int]) -> str:  # type: ignore[no-untyped-def]
    upload_id, done = await upload(client, partner.headers, picture("PNG", colour=colour))
    assert done.status_code == 204, done.text
    return upload_id


def hrefs(doc: dict[str, Any]) -> list[str]:
    return [r["href"] for a in doc.get("associations", []) for r in a.get("renditions", [])]


def originals(doc: dict[str, Any]) -> list[int]:
    """Per association, how many of its renditions are originals."""
    return [sum(r["name"] == "original" for r in a.get("renditions", [])) for a in doc.get("associations", [])]


async def fetch(client, href: str) -> int:  # type: ignore[no-untyped-def]
    parts = urlsplit(href)
    return (await client.get(f"{parts.path}?{parts.query}")).status_code


async def test_every_participants_media_goes_out_with_the_joint_items(app, client, make_partner, engine,
                                                                      settings) -> None:
    world = await joint_world(client, make_partner, engine, terms=TERMS, share_with_partners=True)
    did = (await deliverable(client, world, kind="photo_set"))["id"]
    ours, theirs, spare = (await graphic(client, world.krtc, (200, 40, 40)),
                           await graphic(client, world.irna, (40, 40, 200)), await graphic(client, world.irna, (9, 9, 9)))
    jobs = JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="test")
    while jobs.run_once_sync():  # previews made, GPS looked for: the pictures are ready
        pass
    persian = await save(client, world, world.irna, did, "fa", 0, headline="عکس‌ها", body_text="متن",
                         media=[{"upload": theirs, "title": "Tehran"}])
    assert persian.status_code == 200, persian.text
    irna_media = persian.json()["media"][0]["href"].rsplit(":", 1)[1]
    spare_media = (await save(client, world, world.irna, did, "fa", 1, headline="عکس‌ها", body_text="متن",
                              media=[{"upload": theirs, "title": "Tehran"}, {"upload": spare}])).json()["media"][1]
    spare_id = spare_media["href"].rsplit(":", 1)[1]
    await save(client, world, world.irna, did, "fa", 2, headline="عکس‌ها", body_text="متن",
               media=[{"upload": theirs, "title": "Tehran"}])
    # the Complex keeps IRNA's picture in its own draft by id (IRNA attached it here); a stranger's id it cannot
    foreign = await save(client, world, world.krtc, did, "kk", 0, headline="Суреттер", media=[{"media": "nope"}])
    assert foreign.status_code == 422 and foreign.json()["error"]["field"] == "media"
    kept = await save(client, world, world.krtc, did, "kk", 0, headline="Суреттер", body_text="Мәтін",
                      media=[{"upload": ours, "title": "Almaty"}, {"media": irna_media, "title": "Тегеран"}])
    assert kept.status_code == 200, kept.text
    assert [m.get("title") for m in kept.json()["media"]] == ["Almaty", "Тегеран"]
    assert kept.json()["media"][1]["contentType"] == "image/png"
    await client.post(world.url(f"/deliverables/{did}:move"), headers=world.krtc.headers, json={"to": "in_review"})
    for partner, email in ((world.krtc, "aigerim@krtc.kz"), (world.irna, "reza@irna.ir")):
        await client.post(world.url(f"/deliverables/{did}:approve"), headers=partner.headers, json={"member": email})
    result = (await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.krtc.headers,
                                json={"member": "aigerim@krtc.kz"})).json()
    assert result["media_left_out"] == [] and result["shared_with"] == ["tass"]
    kk, fa = result["items"]["kk"], result["items"]["fa"]

    def item(partner, item_id: str) -> Any:  # type: ignore[no-untyped-def]
        return client.get(f"/api/v1/items/{item_id}", headers=partner.headers)

    lead_kk = (await item(world.krtc, kk)).json()
    assert [a["type"] for a in lead_kk["associations"]] == ["picture", "picture"]
    assert [m["id"] for m in lead_kk["hub"]["media"]] == [m["href"].rsplit(":", 1)[1] for m in kept.json()["media"]]
    # every co-producer reads both media in full, original included; every link answers
    for partner in (world.krtc, world.irna):
        for item_id, count in ((kk, 2), (fa, 1)):
            doc = (await item(partner, item_id)).json()
            assert originals(doc) == [1] * count, (partner.org.slug, item_id)
            assert {await fetch(client, h) for h in hrefs(doc)} == {200}
    # TASS (shared by a co-producer): the Complex's picture in full, IRNA's as proxies only (IRNA's terms);
    # IRNA's original is refused to TASS even by a link signed for it
    tass_kk, tass_fa = (await item(world.tass, kk)).json(), (await item(world.tass, fa)).json()
    assert (originals(tass_kk), originals(tass_fa)) == ([1, 0], [0])
    assert len(hrefs(tass_fa)) > 0 and {await fetch(client, h) for h in hrefs(tass_kk) + hrefs(tass_fa)} == {200}
    with reading(engine) as conn:
        original = next(r for r in links.list_renditions(conn, [irna_media])[irna_media] if r.name == "original")
        spare_original = links.list_renditions(conn, [spare_id])[spare_id][0]
        for outsider in (world.tass, world.bbc):
            with pytest.raises(NotFound):
                links.entitled_rendition(conn, outsider.org.id, original.id)
        for anyone in (world.krtc, world.tass):  # dropped from the draft before approval: never published
            with pytest.raises(NotFound):
                links.entitled_rendition(conn, anyone.org.id, spare_original.id)
        assert links.entitled_rendition(conn, world.krtc.org.id, original.id)[1].id == irna_media
    tass_href = links.signer(engine, settings, world.tass.org).href(original.id)
    assert await fetch(client, tass_href) == 404
    assert await fetch(client, links.signer(engine, settings, world.bbc.org).href(original.id)) == 404
    assert (await item(world.bbc, kk)).status_code == 404
    # the desk's item page shows the same: both media to the co-producer, IRNA's without original to TASS
    lead_media = kept.json()["media"][0]["href"].rsplit(":", 1)[1]
    with reading(engine) as conn:
        renditions = links.list_renditions(conn, [lead_media, irna_media])
    ours_original = next(r.id for r in renditions[lead_media] if r.name == "original")
    theirs_other = [r.id for r in renditions[irna_media] if r.name != "original"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        page = (await (await sign_in(http, engine, "irna", role="editor")).get(f"/items/{kk}")).text
        assert ours_original in page and original.id in page
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        page = (await (await sign_in(http, engine, "tass")).get(f"/items/{kk}")).text
        assert ours_original in page and original.id not in page and any(r in page for r in theirs_other)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        assert (await (await sign_in(http, engine, "bbc")).get(f"/items/{kk}")).status_code == 404
