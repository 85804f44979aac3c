"""The serving check (media/entitlement.py, through media/serving.py's lookup) decides exactly as the
general path (links.entitled_rendition: get_item, received, offer_for) for every organization and
every rendition, over a world of cases: the owner, recipients under proxy only, a maximum resolution
and GPS rules, an outlet reading its holding's deliveries, a stranger, a kind the term does not share,
an unsigned amendment, an embargoed item and an embargoed correction, a withdrawn item, a version that
no longer names the media, originals the hub looked for GPS in at publish (none found) or not yet, found
GPS in without a copy, or whose look is unknown once ready, media attached to a text; then again
after agreements are suspended, ended and amended and an organization is suspended; and a joint
project's lent media. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pictures import picture
from samples import tagged_photo
from tus import upload

from newsbridge.accounts.suspension import OrganizationSuspended, suspend
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import deliveries, media
from newsbridge.errors import NotFound
from newsbridge.ids import utcnow
from newsbridge.media import entitlement, links
from newsbridge.media.blobs import blob_store
from newsbridge.media.processing import media_handlers
from newsbridge.media.serving import _LOOKUP, serve, served_rendition
from newsbridge.media.worker import JobWorker
from tests.conftest import Partner, active_agreement
from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio
SCOPES = ("publish", "read", "manage")


@pytest.fixture
def storage(tmp_path: Path) -> dict[str, str]:
    """The filesystem store only: the decision reads no blob (tests/media/conftest.py runs both elsewhere)."""
    return {"media_dir": str(tmp_path / "media")}


def process(client: httpx.AsyncClient) -> None:
    hub = client._transport.app.state.hub  # type: ignore[attr-defined]
    worker = JobWorker(hub.engine, media_handlers(hub.engine, blob_store(hub.settings), hub.settings), name="test")
    while worker.run_once_sync():
        pass


Decisions = dict[tuple[str, str, str], bool]


def decisions(engine: Any, orgs: dict[str, Partner]) -> tuple[Decisions, Decisions]:
    """(old, new): for each (organization, media, rendition name), whether each path lets it fetch; the
    serving path on the driver's cursor (``serve``: SQLite's) decides as ``served_rendition``, and on SQLite
    the statement's rows on the driver's cursor are SQLAlchemy's, field by field (:func:`rows_alike`)."""
    old: dict[tuple[str, str, str], bool] = {}
    new: dict[tuple[str, str, str], bool] = {}
    driven: dict[tuple[str, str, str], bool] = {}
    with reading(engine) as conn:
        every = links.list_renditions(conn, conn.execute(sa.select(media.c.id)).scalars())
        for slug, who in orgs.items():
            for media_id, renditions in every.items():
                for rendition in renditions:
                    key = (slug, media_id, rendition.name)
                    for found, check in ((old, links.entitled_rendition), (new, served_rendition),
                                         (driven, lambda _conn, org, rid: serve(engine, org, rid))):
                        try:
                            check(conn, who.org.id, rendition.id)
                            found[key] = True
                        except NotFound:
                            found[key] = False
                    rows_alike(conn, who.org.id, rendition.id)
    assert old.keys() == new.keys() and len(old) > 20
    assert driven == new
    return old, new


def rows_alike(conn: Any, viewer_id: str, rendition_id: str, now: datetime | None = None) -> bool | None:
    """On SQLite: the entitlement statement's rows read on the driver's cursor (entitlement.carrying_on_sqlite)
    equal SQLAlchemy's (entitlement.carrying) field by field, and decide alike; returns the decision."""
    if conn.dialect.name != "sqlite":
        return None
    asked = conn.execute(_LOOKUP, {"rendition_id": rendition_id, "viewer": viewer_id}).first()
    typed = entitlement.carrying(conn, viewer_id, asked, now)
    driver = entitlement.carrying_on_sqlite(conn.connection.driver_connection, viewer_id, asked, now)
    assert [row._asdict() for row in driver] == [row._asdict() for row in typed], (viewer_id, rendition_id)
    assert all(isinstance(row.terms, (str, type(None))) for row in driver)
    decision = entitlement.decided(typed, viewer_id, asked)
    assert entitlement.entitled_on_sqlite(conn.connection.driver_connection, viewer_id, asked, now) is decision
    return decision


@pytest.mark.parametrize(("moment", "stored"), [
    (datetime(2026, 12, 5, 23, 0, tzinfo=timezone.utc), "2026-12-05 23:00:00.000000"),
    (datetime(2026, 12, 5, 23, 0, 0, 1, tzinfo=timezone(timedelta(hours=5))), "2026-12-05 18:00:00.000001"),
    (datetime(999, 1, 2, 3, 4, 5, 999999, tzinfo=timezone(-timedelta(hours=3))), "0999-01-02 06:04:05.999999")])
def test_the_driver_binds_time_as_every_stored_time_reads(moment: datetime, stored: str) -> None:
    assert entitlement.sqlite_time(moment) == stored  # UTC, naive, six decimals: text order is time order
    with pytest.raises(ValueError):
        entitlement.sqlite_time(moment.replace(tzinfo=None))


def disagreements(old: Decisions, new: Decisions) -> dict[tuple[str, str, str], tuple[bool, bool]]:
    return {key: (old[key], new[key]) for key in old if old[key] != new[key]}


async def publish(client: httpx.AsyncClient, source: Partner, uri: str, version: int = 1, upload_id: str | None = None,
                  attached: bool = False, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"uri": uri, "version": str(version), "type": "text" if attached else "picture",
                           "language": "en", "headlines": [{"role": "main", "value": f"Item {uri}"}], **extra}
    if upload_id is not None:
        rendition = [{"name": "original", "upload": upload_id}]
        if attached:
            doc["associations"] = [{"name": "photo", "type": "picture", "uri": uri + ":photo", "renditions": rendition}]
        else:
            doc["renditions"] = rendition
    answer = await client.post("/api/v1/items", headers=source.headers, json=doc)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def photo(client: httpx.AsyncClient, source: Partner, data: bytes, filetype: str = "image/jpeg") -> str:
    upload_id, done = await upload(client, source.headers, data, filename="photo", filetype=filetype)
    assert done.status_code == 204, done.text
    return upload_id


def media_of(item: dict[str, Any]) -> str:
    return item["hub"]["media"][0]["id"]


async def act(client: httpx.AsyncClient, party: Partner, agreement_id: str, action: str, **body: Any) -> None:
    done = await client.post(f"/api/v1/agreements/{agreement_id}:{action}", headers=party.headers, json=body or None)
    assert done.status_code == 200, done.text


async def test_the_serving_check_decides_as_the_general_path(client, make_partner, engine, tmp_path) -> None:
    alpha, beta, gamma, delta, epsilon, omega = (make_partner(s, scopes=SCOPES) for s in
                                                 ("alpha", "beta", "gamma", "delta", "epsilon", "omega"))
    orgs = {"alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta, "epsilon": epsilon, "omega": omega,
            "beta-radio": make_partner("beta-radio", scopes=SCOPES, parent="beta"), "stranger": make_partner("stranger")}
    made = {who.org.slug: await active_agreement(client, alpha, who, terms, title=f"Alpha-{who.org.slug}")
            for who, terms in ((beta, {}), (gamma, {"media": {"proxy_only": True}}),
                               (delta, {"media": {"max_resolution": 1000, "allow_gps": True}}),
                               (epsilon, {"media": {"types": ["video"]}}), (omega, {}))}
    # omega proposes to lift nothing in particular: the terms are at a revision alpha has not signed
    await act(client, omega, made["omega"]["id"], "amend", revision=1, title="Alpha-omega",
              terms=[{"from": "alpha", "media": {"allow_gps": True}}])
    uploads = {name: await photo(client, alpha, data) for name, data in (
        ("plain", picture(size=(1600, 1200))), ("gps", tagged_photo(tmp_path / "gps.jpg").read_bytes()),
        ("embargoed", picture(size=(800, 600), colour=(1, 2, 3))),
        ("withdrawn", picture(size=(640, 480), colour=(4, 5, 6))),
        ("superseded", picture(size=(640, 480), colour=(7, 8, 9))),
        ("corrected", picture(size=(640, 480), colour=(10, 11, 12))),
        ("attached", picture(size=(1024, 768), colour=(13, 14, 15))))}
    process(client)  # previews, thumbnails, the GPS-free copy; every picture above is ready
    items = {name: await publish(client, alpha, f"urn:alpha:{name}", upload_id=uploads[name],
                                 attached=name == "attached") for name in uploads if name != "embargoed"}
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    items["embargoed"] = await publish(client, alpha, "urn:alpha:embargoed", upload_id=uploads["embargoed"],
                                       embargoedUntil=tomorrow)
    await publish(client, alpha, "urn:alpha:withdrawn", 2, uploads["withdrawn"], pubStatus="canceled")
    await publish(client, alpha, "urn:alpha:superseded", 2)  # the new version names no media
    await publish(client, alpha, "urn:alpha:corrected", 2, embargoedUntil=tomorrow)  # not available yet
    looked = await photo(client, alpha, picture(size=(320, 240), colour=(16, 17, 18)))
    items["unprocessed"] = await publish(client, alpha, "urn:alpha:unprocessed", upload_id=looked)  # looked: none
    for name, colour in (("unlooked", (19, 20, 21)), ("uncopied", (22, 23, 24))):  # GIF: the publish reads none
        unseen = await photo(client, alpha, picture("GIF", size=(320, 240), colour=colour), "image/gif")
        items[name] = await publish(client, alpha, f"urn:alpha:{name}", upload_id=unseen)
    ids = {name: media_of(item) for name, item in items.items()}
    with writing(engine) as conn:  # GPS found, no copy made (as a video's until its job); a look unknown when ready
        conn.execute(media.update().where(media.c.id == ids["uncopied"]).values(gps="found"))
        conn.execute(media.update().where(media.c.id == ids["corrected"]).values(gps=None))

    old, new = decisions(engine, orgs)
    assert disagreements(old, new) == {}
    with reading(engine) as conn:  # the embargo's moment, to the microsecond and in any zone, read alike
        [opens] = set(conn.execute(sa.select(deliveries.c.available_from).where(
            deliveries.c.recipient_id == beta.org.id, deliveries.c.available_from > utcnow())).scalars())
        embargoed = media_of(items["embargoed"])
        [preview] = [r for r in links.list_renditions(conn, [embargoed])[embargoed] if r.name == "preview"]
        asked = conn.execute(_LOOKUP, {"rendition_id": preview.id, "viewer": beta.org.id}).first()
        for moment, seen in ((opens - timedelta(microseconds=1), False), (opens, True),
                             (opens.astimezone(timezone(timedelta(hours=-7))), True)):
            assert entitlement.entitled(conn, beta.org.id, asked, moment) is seen
            assert rows_alike(conn, beta.org.id, preview.id, moment) in (seen, None)
    expected = {("beta", "plain", "original"): True, ("beta-radio", "plain", "original"): True,
                ("gamma", "plain", "original"): False, ("gamma", "plain", "preview"): True,
                ("delta", "plain", "original"): False, ("delta", "plain", "preview"): True,
                ("beta", "gps", "original"): False, ("beta", "gps", "original-nogps"): True,
                ("delta", "gps", "original"): True, ("delta", "gps", "original-nogps"): False,
                ("epsilon", "attached", "preview"): False, ("omega", "plain", "preview"): False,
                ("beta", "embargoed", "preview"): False, ("beta", "withdrawn", "preview"): False,
                ("beta", "superseded", "preview"): False, ("beta", "corrected", "preview"): True,
                ("beta", "attached", "original"): True, ("beta", "unprocessed", "original"): True,
                ("delta", "unprocessed", "original"): False,  # GPS allowed, but its size not measured yet
                ("beta", "unlooked", "original"): False, ("alpha", "unlooked", "original"): True,
                ("delta", "unlooked", "original"): False, ("beta", "uncopied", "original"): False,
                ("delta", "uncopied", "original"): False, ("gamma", "uncopied", "original"): False,
                ("beta-radio", "uncopied", "original"): False, ("beta", "corrected", "original"): False,
                ("delta", "corrected", "original"): True, ("stranger", "plain", "thumbnail"): False,
                ("alpha", "withdrawn", "original"): True, ("alpha", "embargoed", "original"): True}
    assert {case: new[(case[0], ids[case[1]], case[2])] for case in expected} == expected

    # the agreements change under the URLs already handed out
    await act(client, alpha, made["gamma"]["id"], "suspend")
    await act(client, delta, made["delta"]["id"], "end")
    await act(client, alpha, made["epsilon"]["id"], "amend", revision=1, title="Alpha-epsilon",
              terms=[{"from": "alpha", "media": {"types": ["picture"], "proxy_only": True}}])
    for party in (alpha, epsilon):
        await act(client, party, made["epsilon"]["id"], "sign")
    await act(client, alpha, made["beta"]["id"], "amend", revision=1, title="Alpha-beta",
              terms=[{"from": "alpha", "media": {"max_resolution": 900}}])
    old, new = decisions(engine, orgs)
    assert disagreements(old, new) == {}
    assert new[("epsilon", ids["attached"], "preview")] and not new[("epsilon", ids["attached"], "original")]
    assert not new[("beta", ids["plain"], "thumbnail")]  # alpha has not signed its amended terms yet
    for party in (beta, alpha):
        await act(client, party, made["beta"]["id"], "sign")
    old, new = decisions(engine, orgs)
    assert disagreements(old, new) == {}
    # signed: 1280 x 960 is over 900 on its shorter side, the thumbnail is not
    assert (new[("beta", ids["plain"], "preview")], new[("beta", ids["plain"], "thumbnail")]) == (False, True)
    with writing(engine) as conn:  # the hub operator suspends beta: serving refuses it before any entitlement
        suspend(conn, beta.org, "unpaid invoices", actor="operator@hub")
    old, new = decisions(engine, {slug: who for slug, who in orgs.items() if slug != "beta"})
    assert disagreements(old, new) == {}  # the others' decisions stand
    with reading(engine) as conn:
        [thumbnail] = [r for r in links.list_renditions(conn, [ids["plain"]])[ids["plain"]] if r.name == "thumbnail"]
        links.entitled_rendition(conn, beta.org.id, thumbnail.id)  # the agreement would still let it ...
        with pytest.raises(OrganizationSuspended):
            served_rendition(conn, beta.org.id, thumbnail.id)  # ... but nothing is served to a suspended organization


async def test_lent_media_of_a_joint_project_is_decided_alike(client, make_partner, engine, settings) -> None:
    terms = [{"from": "krtc"}, {"from": "irna", "media": {"partners": {"tass": {"proxy_only": True}}}}]
    world = await joint_world(client, make_partner, engine, terms=terms, share_with_partners=True)
    did = (await deliverable(client, world, kind="photo_set"))["id"]
    ours, theirs, spare = [(await upload(client, who.headers, picture("PNG", colour=colour)))[0] for who, colour in
                           ((world.krtc, (200, 40, 40)), (world.irna, (40, 40, 200)), (world.irna, (9, 9, 9)))]
    process(client)
    first = await save(client, world, world.irna, did, "fa", 0, headline="عکس‌ها", body_text="متن",
                       media=[{"upload": theirs}, {"upload": spare}])
    assert first.status_code == 200, first.text
    irna_media = first.json()["media"][0]["href"].rsplit(":", 1)[1]
    await save(client, world, world.irna, did, "fa", 1, headline="عکس‌ها", body_text="متن", media=[{"upload": theirs}])
    kept = await save(client, world, world.krtc, did, "kk", 0, headline="Суреттер", body_text="Мәтін",
                      media=[{"upload": ours}, {"media": irna_media}])
    assert kept.status_code == 200, kept.text
    await client.post(world.url(f"/deliverables/{did}:move"), headers=world.krtc.headers, json={"to": "in_review"})
    for partner, email in ((world.krtc, "aigerim@krtc.kz"), (world.irna, "reza@irna.ir")):
        await client.post(world.url(f"/deliverables/{did}:approve"), headers=partner.headers, json={"member": email})
    published = await client.post(world.url(f"/deliverables/{did}:publish"), headers=world.krtc.headers,
                                  json={"member": "aigerim@krtc.kz"})
    assert published.status_code == 200, published.text
    orgs = {"krtc": world.krtc, "irna": world.irna, "tass": world.tass, "bbc": world.bbc}
    old, new = decisions(engine, orgs)
    assert disagreements(old, new) == {}
    # the lead reads IRNA's lent picture whole, TASS its proxies only (IRNA's terms), BBC nothing
    assert new[("krtc", irna_media, "original")] and new[("tass", irna_media, "preview")]
    assert not new[("tass", irna_media, "original")] and not any(v for k, v in new.items() if k[0] == "bbc")
