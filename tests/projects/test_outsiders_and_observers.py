"""Who sees and who writes, over every project route of the API and every project page of the desk, on both
databases: a stranger (BBC) and a party of the project's agreement that does not take part (TASS) get the
answer of a missing id everywhere; an invited observer reads but every write answers 403 and changes nothing.

The routes are read from the app, so a new project route or page is checked here without being listed."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from newsbridge.accounts.members import add_member
from newsbridge.db.engine import writing
from tests.api.access_cases import CASES as API_CASES
from tests.api.desk_session import DeskSession, sign_in
from tests.projects.joint import Joint, deliverable, joint_world, save
from tests.web.test_desk_access import desk_routes

pytestmark = pytest.mark.anyio
PARAMETER = re.compile(r"\{(\w+)\}")
MISSING = "01NOSUCHTHING0000000000000"
SECRETS = ("Silk Way", "Episode 1: The caravan roads", "Керуен жолдары", "Check the dates")
DELIVERABLE = "/projects/{project_id}/deliverables/{deliverable_id}"
FORMS = {  # a form each page takes from a participant, so that the refusal is about who sends it
    "/projects/{project_id}/accept": {},
    "/projects/{project_id}/deliverables": {"title": "Taken over", "kind": "article"},
    f"{DELIVERABLE}/status": {"to": "in_review"},
    f"{DELIVERABLE}/assign": {"assignee": "irna reza@irna.ir"},
    f"{DELIVERABLE}/drafts/{{language}}": {"headline": "Taken over", "base_revision": "1"},
    f"{DELIVERABLE}/drafts/{{language}}/media": {"upload": "", "base_revision": "1"},  # the caller's upload
    f"{DELIVERABLE}/comments": {"language": "kk", "revision": "1", "body": "Taken over"},
    f"{DELIVERABLE}/comments/{{comment_id}}/resolve": {"language": "kk"},
    f"{DELIVERABLE}/approve": {},
    f"{DELIVERABLE}/publish": {},
}


def api_routes() -> list[tuple[str, str]]:
    return sorted(r for r in API_CASES if r[1].startswith("/api/v1/projects/{project_id}"))


def page_routes(app: Any) -> list[tuple[str, str]]:
    return sorted(r for r in desk_routes(app) if r[1].startswith("/projects/{project_id}"))


async def world_with_work(client: httpx.AsyncClient, make_partner: Any, engine: Any) -> tuple[Joint, dict[str, str]]:
    """The joint world with a deliverable, its Kazakh draft and a comment on it: every id a route takes."""
    world = await joint_world(client, make_partner, engine)
    did = (await deliverable(client, world))["id"]
    saved = await save(client, world, world.krtc, did, "kk", 0, headline="Керуен жолдары", body_text="Мәтін")
    assert saved.status_code == 200, saved.text
    said = await client.post(world.url(f"/deliverables/{did}/drafts/kk/revisions/1/comments"),
                             headers=world.krtc.headers, json={"body": "Check the dates"})
    assert said.status_code == 201, said.text
    ids = {"project_id": world.project, "deliverable_id": did, "language": "kk", "number": "1",
           "comment_id": said.json()["id"]}
    return world, ids


async def finished_upload(client: httpx.AsyncClient, partner: Any) -> str:
    photo = b"\xff\xd8\xff\xe0" + bytes(60) + b"\xff\xd9"  # sniffed as a JPEG
    tus = {**partner.headers, "Tus-Resumable": "1.0.0"}
    created = await client.post("/api/v1/uploads", headers={**tus, "Upload-Length": str(len(photo))})
    done = await client.patch(created.headers["location"], content=photo, headers={
        **tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert done.status_code == 204, done.text
    return str(created.headers["location"]).rsplit("/", 1)[1]


def form_for(template: str, upload: str) -> dict[str, str]:
    form = dict(FORMS[template])
    return {**form, "upload": upload} if "upload" in form else form


def fill(template: str, ids: dict[str, str], missing: bool = False) -> str:
    return PARAMETER.sub(lambda m: (MISSING if missing and m.group(1) not in ("language", "number")
                                    else ids[m.group(1)]), template)


async def snapshot(client: httpx.AsyncClient, world: Joint, did: str) -> tuple[Any, ...]:
    """What a write would change: the project, the deliverable, its drafts and comments, the events."""
    def read(path: str) -> Any:
        return client.get(world.url(path), headers=world.krtc.headers)
    project = (await read("")).json()
    shown = (await read(f"/deliverables/{did}")).json()
    events = [e["id"] for e in (await read("/events")).json()["events"]]
    comments = (await read(f"/deliverables/{did}/comments")).json()
    return project, shown, events, comments


@pytest.mark.parametrize("slug", ["bbc", "tass"])
async def test_outsiders_get_a_missing_ids_answer_on_every_project_api_route(client, make_partner, engine,
                                                                            slug) -> None:
    world, ids = await world_with_work(client, make_partner, engine)
    outsider = getattr(world, slug)
    before = await snapshot(client, world, ids["deliverable_id"])
    routes = api_routes()
    assert len(routes) >= 18  # every project route of the API (tests/api/access_cases.py lists them all)
    for method, template in routes:
        body = API_CASES[(method, template)].body
        theirs = await client.request(method, fill(template, ids), headers=outsider.headers, json=body)
        unknown = await client.request(method, fill(template, ids, missing=True), headers=outsider.headers,
                                       json=body)
        assert theirs.status_code == unknown.status_code == 404, (method, template, theirs.text)
        assert theirs.json()["error"]["code"] == "not_found", (method, template)
        assert not [s for s in SECRETS if s in theirs.text], (method, template)
    listed = (await client.get("/api/v1/projects", headers=outsider.headers)).json()
    assert listed == {"projects": []}
    assert await snapshot(client, world, ids["deliverable_id"]) == before


@pytest.mark.parametrize("slug", ["bbc", "tass"])
async def test_outsiders_get_the_404_page_on_every_project_page(app, client, make_partner, engine, slug) -> None:
    world, ids = await world_with_work(client, make_partner, engine)
    before = await snapshot(client, world, ids["deliverable_id"])
    routes = page_routes(app)
    assert len(routes) >= 13  # every project page and form of the desk
    assert sorted(t for m, t in routes if m == "POST") == sorted(FORMS), "a project form without a case here"
    upload = await finished_upload(client, getattr(world, slug))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, slug, role="admin")
        for method, template in routes:
            if method == "GET":
                theirs, unknown = await desk.get(fill(template, ids)), await desk.get(fill(template, ids, True))
            else:
                form = form_for(template, upload)
                theirs = await desk.post(fill(template, ids), form)
                unknown = await desk.post(fill(template, ids, True), form)
            assert theirs.status_code == unknown.status_code == 404, (method, template, theirs.status_code)
            assert "nothing your organization may see" in theirs.text, (method, template)
            assert not [s for s in SECRETS if s in theirs.text], (method, template)
        listed = await desk.get("/projects")
        assert listed.status_code == 200 and "Silk Way" not in listed.text
    assert await snapshot(client, world, ids["deliverable_id"]) == before


async def test_an_observer_reads_everything_and_every_write_is_refused(app, client, make_partner, engine) -> None:
    world, ids = await world_with_work(client, make_partner, engine)
    invited = await client.post(world.url("/observers"), headers=world.irna.headers, json={"organization": "tass"})
    assert invited.status_code == 200, invited.text
    with writing(engine) as conn:
        add_member(conn, "tass", "editor@tass.example", "Editor of TASS", "editor", "correct horse battery")
    upload = await finished_upload(client, world.tass)
    before = await snapshot(client, world, ids["deliverable_id"])
    for method, template in api_routes():
        body = API_CASES[(method, template)].body
        if method == "GET":
            read = await client.get(fill(template, ids), headers=world.tass.headers)
            assert read.status_code == 200, (template, read.text)
            continue
        if template.endswith((":approve", ":publish")):
            body = {"member": "editor@tass.example"}  # even an editor of the observer is refused
        refused = await client.request(method, fill(template, ids), headers=world.tass.headers, json=body)
        assert refused.status_code == 403, (method, template, refused.text)
        assert refused.json()["error"]["code"] == "forbidden", (method, template)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk: DeskSession = await sign_in(http, engine, "tass", role="editor")
        for method, template in page_routes(app):
            if method == "GET":
                if not template.endswith("/live"):  # the live stream is tested in tests/web/test_project_live.py
                    page = await desk.get(fill(template, ids))
                    assert page.status_code == 200 and "Silk Way" in page.text, template
                    assert "csrf_token" not in page.text.split("<main", 1)[1], template  # no forms to write with
                continue
            refused = await desk.post(fill(template, ids), form_for(template, upload))
            assert refused.status_code == 403, (method, template, refused.status_code)
    assert await snapshot(client, world, ids["deliverable_id"]) == before
