"""Joint-project pages kept live: the project's events as server-sent events for its members only
(``/projects/{id}/live``), and a finished upload attached to a draft from the editor's drop zone
(optimistic locking like any save: a stale page gets 409 ``draft_conflict`` and nothing is stored)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import anyio
import pytest

from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio
PHOTO = b"\xff\xd8\xff\xe0" + bytes(60) + b"\xff\xd9"  # sniffed as a JPEG


@pytest.fixture
async def world(client, make_partner, engine):  # type: ignore[no-untyped-def]
    return await joint_world(client, make_partner, engine)


class _HangUp:
    """The hub's feed signal for one stream: its first idle wait hangs the client up."""

    def __init__(self, hung_up: anyio.Event) -> None:
        self.hung_up = hung_up

    def notify(self) -> None:
        pass

    async def wait(self, timeout: float) -> bool:
        self.hung_up.set()
        return False


async def live_events(app: Any, member: Any, path: str, query: bytes = b"",
                      last_event_id: str | None = None) -> tuple[int, list[dict[str, Any]]]:
    """The status and every event the page's stream sends until it has nothing new (raw ASGI: httpx
    buffers streams), read with the member's session cookie."""
    hung_up, chunks, status, asked = anyio.Event(), [], [0], False
    original = app.state.hub
    app.state.hub = dataclasses.replace(original, signal=_HangUp(hung_up))

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    cookie = "; ".join(f"{k}={v}" for k, v in member.http.cookies.items())
    headers = [(b"host", b"hub.test"), (b"cookie", cookie.encode())]
    if last_event_id is not None:
        headers.append((b"last-event-id", last_event_id.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
             "server": ("hub.test", 80), "client": ("127.0.0.1", 1), "headers": headers}
    try:
        with anyio.fail_after(10):
            await app(scope, receive, send)
    finally:
        app.state.hub = original
    events = []
    for block in b"".join(chunks).decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            events.append({**fields, "data": json.loads(fields["data"])})
    return status[0], events


async def _upload(client, partner, photo: bytes = PHOTO) -> str:  # type: ignore[no-untyped-def]
    tus = {**partner.headers, "Tus-Resumable": "1.0.0"}
    created = await client.post("/api/v1/uploads", headers={**tus, "Upload-Length": str(len(photo)),
                                                            "Upload-Metadata": "filename Y2FyYXZhbi5qcGc="})
    assert created.status_code == 201, created.text
    sent = await client.patch(created.headers["location"], content=photo,
                              headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert sent.status_code == 204, sent.text
    return created.headers["location"].rsplit("/", 1)[1]


async def test_the_project_page_hears_its_events_in_the_members_words(app, client, world, sign_in) -> None:
    irna = await sign_in("irna", "editor", locale="fa")
    page = (await irna.get(f"/projects/{world.project}")).text
    after = int(page.split(f'data-live="/projects/{world.project}/live?after=')[1].split('"')[0])
    made = await deliverable(client, world, title="Episode 1: The caravan roads")
    status, seen = await live_events(app, irna, f"/projects/{world.project}/live", f"after={after}".encode())
    assert status == 200
    assert [e["event"] for e in seen] == ["project.deliverable_added", "project.assigned"]
    added = seen[0]["data"]
    assert added["deliverable"] == made["id"] and added["project"] == world.project
    assert "Episode 1: The caravan roads" in added["text"] and added["text"] != "project.deliverable_added"
    assert any("۰" <= ch <= "۹" for ch in added["when"])  # the time in Persian digits
    # a reconnect resumes after the last event it saw; nothing new: nothing sent
    assert (await live_events(app, irna, f"/projects/{world.project}/live", b"", seen[-1]["id"]))[1] == []
    for hostile in ("²", "-1", "9" * 40):  # not an event id the hub gave out: from now on, never an error
        assert (await live_events(app, irna, f"/projects/{world.project}/live", b"", hostile)) == (200, [])
    assert (await irna.get(f"/projects/{world.project}/deliverables/{made['id']}?from=²&to=³")).status_code == 200
    await save(client, world, world.krtc, made["id"], "kk", 0, headline="Керуен", body_text="Бір")
    _, more = await live_events(app, irna, f"/projects/{world.project}/live", b"", seen[-1]["id"])
    saved = [e for e in more if e["event"] == "project.draft_saved"]
    assert saved and saved[0]["data"]["data"] == {"language": "kk", "revision": 1}
    assert saved[0]["data"]["actor"]


@pytest.mark.parametrize("slug", ["bbc", "tass"])
async def test_a_stranger_and_a_non_participating_party_get_no_live_events(app, client, world, sign_in,
                                                                          slug) -> None:
    await deliverable(client, world)
    outsider = await sign_in(slug, "admin")
    status, seen = await live_events(app, outsider, f"/projects/{world.project}/live", b"after=0")
    assert status == 404 and seen == []
    assert (await outsider.get(f"/projects/{world.project}/live?after=0")).status_code == 404


async def test_a_signed_out_member_hears_nothing_more(app, client, world, sign_in) -> None:
    irna = await sign_in("irna", "editor")
    await irna.post("/logout")
    status, seen = await live_events(app, irna, f"/projects/{world.project}/live", b"after=0")
    assert status in (303, 307, 401) and seen == []


async def test_a_dropped_upload_is_attached_to_the_draft(app, client, world, sign_in) -> None:
    made = await deliverable(client, world, kind="photo_set")
    krtc = await sign_in("krtc", "editor", name="Aigerim")
    base = f"/projects/{world.project}/deliverables/{made['id']}"
    page = (await krtc.get(base)).text
    assert 'id="drop-zone"' in page and f'data-attach="{base}/drafts/kk/media"' in page
    upload = await _upload(client, world.krtc)
    attached = await krtc.post(f"{base}/drafts/kk/media", {"upload": upload, "base_revision": "0"})
    assert attached.status_code == 200, attached.text
    body = attached.json()
    assert body["revision"] == 1 and body["revision_text"] == "revision 1" and len(body["media"]) == 1
    draft = (await client.get(world.url(f"/deliverables/{made['id']}/drafts/kk"), headers=world.krtc.headers)).json()
    assert [m["href"] for m in draft["media"]] == [f"urn:newsbridge:media:{body['media'][0]}"]
    assert draft["author"] == "Aigerim (krtc)"
    shown = (await krtc.get(base)).text  # ticked in the editor under its file name
    assert f'name="keep_media" value="{body["media"][0]}" checked> <bdi>caravan.jpg</bdi>' in shown
    # the same upload again: nothing new, no revision
    again = await krtc.post(f"{base}/drafts/kk/media", {"upload": upload, "base_revision": "1"})
    assert again.json()["revision"] == 1
    # a second file keeps the draft's text and first file
    await save(client, world, world.krtc, made["id"], "kk", 1, headline="Керуен", body_text="Бір",
               media=[{"media": body["media"][0]}])
    second = await krtc.post(f"{base}/drafts/kk/media", {"upload": await _upload(client, world.krtc, PHOTO + b"2"),
                                                         "base_revision": "2"})
    assert second.status_code == 200 and second.json()["revision"] == 3 and len(second.json()["media"]) == 2
    draft = (await client.get(world.url(f"/deliverables/{made['id']}/drafts/kk"), headers=world.krtc.headers)).json()
    assert draft["headline"] == "Керуен" and len(draft["media"]) == 2
    # the page the member still holds shows revision 2: refused, who and when, nothing stored
    stale = await krtc.post(f"{base}/drafts/kk/media", {"upload": upload, "base_revision": "2"})
    error = stale.json()["error"]
    assert stale.status_code == 409 and error["code"] == "draft_conflict" and error["current_revision"] == 3
    assert error["changed_by"] == "Aigerim (krtc)" and error["changed_at"]


async def test_attaching_refuses_bad_input_and_strangers(app, client, world, sign_in) -> None:
    made = await deliverable(client, world, kind="photo_set")
    base = f"/projects/{world.project}/deliverables/{made['id']}"
    krtc, irna = await sign_in("krtc", "editor"), await sign_in("irna", "editor")
    theirs = await _upload(client, world.irna)
    refused = await krtc.post(f"{base}/drafts/kk/media", {"upload": theirs, "base_revision": "0"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "upload"
    for form in ({"upload": "", "base_revision": "0"}, {"upload": "x", "base_revision": "one"},
                 {"upload": "x", "base_revision": "²"},
                 {"upload": "x" * 500, "base_revision": "0"}):
        answer = await krtc.post(f"{base}/drafts/kk/media", form)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid"
    mine = await _upload(client, world.krtc)
    assert (await krtc.post(f"{base}/drafts/kk/media", {"upload": mine, "base_revision": "0"},
                            csrf=False)).status_code == 403
    assert (await krtc.post(f"{base}/drafts/xx/media", {"upload": mine, "base_revision": "0"})).status_code == 404
    assert (await irna.post(f"{base}/drafts/fa/media", {"upload": mine, "base_revision": "0"})).status_code == 422
    viewer = await sign_in("irna", "viewer")
    assert (await viewer.post(f"{base}/drafts/fa/media", {"upload": theirs, "base_revision": "0"})).status_code == 403
    for slug in ("bbc", "tass"):
        outsider = await sign_in(slug, "admin")
        answer = await outsider.post(f"{base}/drafts/kk/media", {"upload": mine, "base_revision": "0"})
        assert answer.status_code == 404 and "Silk Way" not in answer.text
    draft = await client.get(world.url(f"/deliverables/{made['id']}/drafts/kk"), headers=world.krtc.headers)
    assert draft.status_code == 404  # nothing was stored by any of them
