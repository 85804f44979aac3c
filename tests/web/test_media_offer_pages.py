"""The media block shows each reader exactly the renditions it may download (SQLite and PostgreSQL):
the rule is the one ``/media/`` serves by (``links.offered`` under the agreement's media rules), so a
proxy-only partner sees no original, a partner capped at a resolution nothing larger, a partner without
GPS rights the GPS-free copy; the source sees everything; every link a page shows answers 200. A change
of the rules made on the agreement page holds on the item page once it is signed."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading
from newsbridge.db.tables import renditions
from newsbridge.media.links import signer
from tests.conftest import Partner
from tests.media.samples import tagged_photo
from tests.web.test_media_pages import MEDIA_SRC, needs_ffmpeg, run_jobs, tus_upload, video  # noqa: F401 (a fixture)

pytestmark = pytest.mark.anyio
PREVIEWS_ONLY = "offer your organization the previews of this file, not the original"


@pytest.fixture
async def world(client, make_partner, sign_in, engine, settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Silk Way TV shares a 1600 x 1000 photo with GPS in it with IRNA (previews only), Kazinform (at most
    900 px on the shorter side) and Beta (the term-wide rules: no GPS); Gamma is party to nothing."""
    parties = {slug: make_partner(slug, scopes=("publish", "read", "manage")) for slug in ("silk", "irna", "kaz", "beta")}
    make_partner("gamma")
    made = await client.post("/api/v1/agreements", headers=parties["silk"].headers, json={
        "title": "Silk Way pictures", "parties": list(parties),
        "terms": [{"from": "silk", "media": {"partners": {"irna": {"proxy_only": True},
                                                          "kaz": {"max_resolution": 900}}}}]})
    assert made.status_code == 201, made.text
    agreement_id = made.json()["id"]
    await _act(client, agreement_id, [(parties["silk"], "propose")] + [(p, "sign") for p in parties.values()])
    desks = {slug: await sign_in(slug, "editor") for slug in (*parties, "gamma")}
    photo = tagged_photo(tmp_path / "flood.jpg")
    sent = await desks["silk"].http.post("/outgoing/media", data={
        "csrf_token": desks["silk"].csrf_token, "headline": "Flood in Oral", "language": "en"},
        files={"file": ("flood.jpg", photo.read_bytes(), "image/jpeg")})
    assert sent.status_code == 303, sent.text
    run_jobs(engine, settings)
    return {"desks": desks, "partners": parties, "item": sent.headers["location"], "agreement_id": agreement_id}


async def _act(client, agreement_id: str, steps: list[tuple[Partner, str]]) -> None:  # type: ignore[no-untyped-def]
    for partner, action in steps:
        done = await client.post(f"/api/v1/agreements/{agreement_id}:{action}", headers=partner.headers)
        assert done.status_code == 200, done.text


def rendition_names(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return {r.id: r.name for r in conn.execute(renditions.select())}


async def shown(desk, path: str, engine) -> tuple[set[str], str]:  # type: ignore[no-untyped-def]
    """The rendition names an item page links for the member, each link fetched (all must answer 200)."""
    page = await desk.get(path)
    assert page.status_code == 200
    names = rendition_names(engine)
    found = set()
    for url in set(MEDIA_SRC.findall(unescape(page.text))):
        got = await desk.http.get(url)
        assert got.status_code == 200, (url, got.status_code)
        found.add(names[urlsplit(url).path.rsplit("/", 1)[1]])
    return found, page.text


async def test_each_reader_sees_the_renditions_it_may_download(world, engine) -> None:  # type: ignore[no-untyped-def]
    desks, item = world["desks"], world["item"]
    own, text = await shown(desks["silk"], item, engine)
    assert own == {"original", "preview"} and "Download the original" in text  # the source: all
    beta, text = await shown(desks["beta"], item, engine)
    assert beta == {"original-nogps", "preview"} and "Download the original" in text
    irna, text = await shown(desks["irna"], item, engine)
    assert irna == {"preview"} and "Download the original" not in text and PREVIEWS_ONLY in text
    kaz, text = await shown(desks["kaz"], item, engine)  # the preview is 1280 x 800: within 900 on the short side
    assert kaz == {"preview"} and "Download the original" not in text and PREVIEWS_ONLY in text
    lists, _ = await shown(desks["irna"], "/desk", engine)  # the incoming list's thumbnail, under the same rule
    assert lists == {"thumbnail"}
    stranger = await desks["gamma"].get(item)
    assert stranger.status_code == 404 and not MEDIA_SRC.search(stranger.text)


async def test_a_rule_changed_on_the_agreement_page_holds_on_the_item_page(world, engine, sign_in, client) -> None:  # type: ignore[no-untyped-def]
    desks, partners, item, agreement_id = world["desks"], world["partners"], world["item"], world["agreement_id"]
    before, text = await shown(desks["beta"], item, engine)
    nogps = next(u for u in set(MEDIA_SRC.findall(unescape(text)))
                 if rendition_names(engine)[urlsplit(u).path.rsplit("/", 1)[1]] == "original-nogps")
    admin = await sign_in("silk", "admin")
    changed = await admin.post(f"/agreements/{agreement_id}/media", {
        "term": "0", "revision": "1", "kinds": ["picture", "video", "audio", "graphic"], "max_resolution": "",
        "own:irna": "on", "proxy_only:irna": "on", "max_resolution:irna": "",
        "own:kaz": "on", "max_resolution:kaz": "900",
        "own:beta": "on", "proxy_only:beta": "on", "max_resolution:beta": "400"})
    assert changed.status_code == 303, changed.text
    waiting, _ = await shown(desks["beta"], item, engine)
    assert waiting == set()  # rules the sharing party has not signed open nothing
    await _act(client, agreement_id, [(p, "sign") for p in partners.values()])
    after, text = await shown(desks["beta"], item, engine)
    assert after == {"thumbnail"} and PREVIEWS_ONLY in text  # previews only, none over 400 px: the thumbnail
    assert "offer your organization no preview" not in text  # the thumbnail stands in for the preview
    assert (await desks["beta"].http.get(nogps)).status_code == 404  # the link handed out before: revoked


@needs_ffmpeg
async def test_a_video_page_links_the_original_only_to_readers_offered_it(  # type: ignore[no-untyped-def]
        client, make_partner, sign_in, engine, settings, video) -> None:
    """A video's page (player, poster, storyboard, download): a proxy-only partner plays the proxy but is
    given no original link; a partner under plain terms downloads the original; the source sees every
    rendition; and the original's URL, signed for the proxy-only partner, answers 404."""
    parties = {slug: make_partner(slug, scopes=("publish", "read", "manage")) for slug in ("silk", "irna", "kaz")}
    made = await client.post("/api/v1/agreements", headers=parties["silk"].headers, json={
        "title": "Silk Way video", "parties": list(parties),
        "terms": [{"from": "silk", "media": {"partners": {"irna": {"proxy_only": True}}}}]})
    assert made.status_code == 201, made.text
    await _act(client, made.json()["id"], [(parties["silk"], "propose")] + [(p, "sign") for p in parties.values()])
    desks = {slug: await sign_in(slug, "editor") for slug in parties}
    upload_id = await tus_upload(desks["silk"], video, "report.mp4", "video/mp4")
    sent = await desks["silk"].http.post("/outgoing/media", data={
        "csrf_token": desks["silk"].csrf_token, "upload": upload_id, "headline": "Astana hosts the media forum",
        "language": "en", "shot_time": ["00:00:01"], "shot_text": ["Wide shot of the hall"]})
    assert sent.status_code == 303, sent.text
    run_jobs(engine, settings)
    item = sent.headers["location"]

    own, text = await shown(desks["silk"], item, engine)
    assert own == {"original", "proxy", "poster", "storyboard"} and "Download the original" in text
    kaz, text = await shown(desks["kaz"], item, engine)
    assert kaz == {"original", "proxy", "poster", "storyboard"} and "Download the original" in text
    irna, text = await shown(desks["irna"], item, engine)
    assert irna == {"proxy", "poster", "storyboard"} and "Download the original" not in text and PREVIEWS_ONLY in text
    assert '<video id="player-' in text and 'data-seek="1.0"' in text
    preview, _ = await shown(desks["irna"], f"{item}/preview", engine)  # the desk's preview pane: the same rule
    assert "original" not in preview and "proxy" in preview
    with reading(engine) as conn:
        original = conn.execute(sa.select(renditions.c.id).where(renditions.c.name == "original")).scalar_one()
        irna_org = get_organization(conn, "irna")
    ticket = urlsplit(signer(engine, settings, irna_org).href(original))
    assert (await desks["irna"].http.get(f"{ticket.path}?{ticket.query}")).status_code == 404
