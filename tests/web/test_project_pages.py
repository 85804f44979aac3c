"""The joint-project desk pages: list with unread markers, board and timeline, planning and moving,
the deliverable's drafts with the conflict view, comments, approvals and joint publication; and
that a stranger and a non-participating party of the agreement see none of it."""

from __future__ import annotations

import re

import pytest

from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(client, make_partner, engine):  # type: ignore[no-untyped-def]
    return await joint_world(client, make_partner, engine)


async def test_the_project_list_board_and_timeline(client, world, sign_in) -> None:
    early = await deliverable(client, world, title="Episode 1: The caravan roads", due="2020-01-10")
    await deliverable(client, world, title="Episode 2: Poets", due="2099-03-01", assignee=None, assignee_member=None)
    irna = await sign_in("irna", "editor")
    listed = await irna.get("/projects")
    assert listed.status_code == 200
    assert "Silk Way: Kazakhstan and Iran" in listed.text
    assert "1 overdue" in listed.text and "0 of 2 published" in listed.text
    shown = await irna.get(f"/projects/{world.project}")
    assert shown.status_code == 200
    board = shown.text[shown.text.index('id="board-h"'):shown.text.index('id="timeline-h"')]
    idea = board[board.index('id="col-idea"'):board.index('id="col-assigned"')]
    assigned = board[board.index('id="col-assigned"'):board.index('id="col-in_progress"')]
    assert "Episode 2: Poets" in idea and "Episode 1" in assigned
    # only the moves the status table allows a member: an idea goes to assigned or is dropped
    assert re.findall(r'<option value="(\w+)">', idea[idea.index("Episode 2"):]) == ["assigned", "dropped"]
    timeline = shown.text[shown.text.index('id="timeline-h"'):]
    assert timeline.index("Episode 1") < timeline.index("Today, ") < timeline.index("Episode 2")
    assert "⚠" in timeline and "Overdue" in timeline  # not by colour alone
    only_kk = await irna.get(f"/projects/{world.project}?organization=irna")
    assert "Episode 1: The caravan roads</a>" not in only_kk.text.split('id="timeline-h"')[1].split("Plan a")[0]
    assert early["id"]


async def test_plan_assign_and_move_from_the_desk(client, world, sign_in) -> None:
    krtc = await sign_in("krtc", "editor")
    planned = await krtc.post(f"/projects/{world.project}/deliverables",
                              {"title": "Behind the scenes", "kind": "article", "languages": ["kk", "fa"],
                               "source_language": "kk", "due": "2099-01-01"})
    assert planned.status_code == 303 and planned.headers["location"].endswith("done=added")
    api = (await client.get(world.url(), headers=world.krtc.headers)).json()
    [made] = [d for d in api["deliverables"] if d["title"] == "Behind the scenes"]
    assert made["status"] == "idea"
    base = f"/projects/{world.project}/deliverables/{made['id']}"
    assigned = await krtc.post(f"{base}/assign", {"assignee": "irna reza@irna.ir", "due": "2099-02-01"})
    assert assigned.status_code == 303
    moved = await krtc.post(f"{base}/status", {"to": "published"})  # not a member's move
    assert moved.status_code == 409 and "a member does that" not in moved.text
    assert (await krtc.post(f"{base}/status", {"to": "in_progress"})).status_code == 303
    after = (await client.get(world.url(f"/deliverables/{made['id']}"), headers=world.krtc.headers)).json()
    assert (after["status"], after["assignee"], after["assignee_member"], after["due"]) == \
        ("in_progress", "irna", "reza@irna.ir", "2099-02-01")


async def test_drafts_conflict_comments_approvals_and_publication(client, world, sign_in) -> None:
    made = await deliverable(client, world, kind="article")
    base = f"/projects/{world.project}/deliverables/{made['id']}"
    krtc, irna = await sign_in("krtc", "editor", name="Aigerim"), await sign_in("irna", "editor", name="Reza")
    saved = await krtc.post(f"{base}/drafts/kk", {"headline": "Керуен жолдары", "lead": "Жібек жолы",
                                                  "body_html": "<p>Бір <b>екі</b> үш</p><script>x()</script>",
                                                  "base_revision": "0"})
    assert saved.status_code == 303 and "done=saved" in saved.headers["location"]
    page = await irna.get(f"{base}?language=kk")
    body = page.text[page.text.index('name="body_html"'):]
    body = body[:body.index("</textarea>")]
    assert "&lt;b&gt;екі&lt;/b&gt;" in body and "script" not in body  # stored sanitized
    # both start from revision 1; IRNA saves first, KRTC's save shows the conflict view
    assert (await irna.post(f"{base}/drafts/kk", {"headline": "Керуен жолдары", "lead": "Жібек жолы",
                                                   "body_html": "<p>Бір екі үш төрт</p>",
                                                   "base_revision": "1"})).status_code == 303
    stale = await krtc.post(f"{base}/drafts/kk", {"headline": "Керуен жолдары!", "lead": "Жібек жолы",
                                                  "body_html": "<p>Бір <b>екі</b> үш</p>", "base_revision": "1"})
    assert stale.status_code == 409
    assert "Changed by Reza (irna)" in stale.text and "Керуен жолдары!" in stale.text
    merged = re.search(r'id="m-headline" name="headline" value="([^"]*)"', stale.text)
    assert merged and merged[1] == "Керуен жолдары!"  # the merge keeps KRTC's headline and IRNA's body
    assert "Бір екі үш төрт" in stale.text and 'name="base_revision" value="2"' in stale.text
    taken = await krtc.post(f"{base}/drafts/kk", {"headline": merged[1], "lead": "Жібек жолы",
                                                  "body_html": "<p>Бір екі үш төрт</p>", "base_revision": "2"})
    assert taken.status_code == 303
    # the translation, a comment with a mention and a reply, resolve
    await irna.post(f"{base}/drafts/fa", {"headline": "راه‌های کاروان", "body_html": "<p>یک</p>",
                                          "base_revision": "0"})
    fa = await irna.get(f"{base}?language=fa")
    assert 'dir="rtl"' in fa.text and "source changed since this translation" not in fa.text
    await krtc.post(f"{base}/drafts/kk", {"headline": merged[1], "lead": "Жібек жолы",
                                          "body_html": "<p>Бір екі үш төрт бес</p>", "base_revision": "3"})
    assert "source changed since this translation" in (await irna.get(f"{base}?language=fa")).text
    diff = await irna.get(f"{base}?language=kk&from=1&to=4")
    assert "<ins> төрт бес</ins>" in diff.text or "<ins>төрт бес</ins>" in diff.text.replace(" төрт", "төрт")
    commented = await irna.post(f"{base}/comments", {"language": "kk", "revision": "4",
                                                     "body": "@aigerim check the dates, please"})
    assert commented.status_code == 303
    kk_page = (await krtc.get(f"{base}?language=kk")).text
    comment_id = re.search(r'id="c-(\w+)"', kk_page)[1]  # type: ignore[index]
    await krtc.post(f"{base}/comments", {"language": "kk", "revision": "4", "parent": comment_id, "body": "Done"})
    await krtc.post(f"{base}/comments/{comment_id}/resolve", {"language": "kk"})
    kk_page = (await irna.get(f"{base}?language=kk")).text
    assert "check the dates" in kk_page and "Done" in kk_page and "resolved by Aigerim (krtc)" in kk_page
    # review, approvals by both, a reset by a change, publication
    await krtc.post(f"{base}/status", {"to": "in_review"})
    assert (await irna.post(f"{base}/approve")).status_code == 303
    await irna.post(f"{base}/drafts/fa", {"headline": "راه‌های کاروان", "body_html": "<p>یک دو</p>",
                                          "base_revision": "1"})
    reset = (await krtc.get(f"{base}?language=kk")).text
    assert "The approvals were reset" in reset and "Approve for TV and Radio Complex" in reset
    for who in (irna, krtc):
        assert (await who.post(f"{base}/approve")).status_code == 303
    ready = (await krtc.get(base)).text
    assert "Publish jointly" in ready and "TV and Radio Complex and IRNA" in ready or "Kazinform and IRNA" in ready
    published = await krtc.post(f"{base}/publish")
    assert published.status_code == 303
    done = (await irna.get(base)).text
    item_ids = re.findall(r'href="/items/(\w+)"', done)
    assert len(item_ids) == 2
    for item_id in item_ids:
        assert (await irna.get(f"/items/{item_id}")).status_code == 200
        assert (await krtc.get(f"/items/{item_id}")).status_code == 200


async def test_unread_markers_in_the_navigation(client, world, sign_in) -> None:
    irna = await sign_in("irna", "editor")
    krtc = await sign_in("krtc", "editor")
    await (await irna.get(f"/projects/{world.project}")).aread()  # seen: nothing unread
    assert (await irna.get("/projects/summary")).json()["count"] == 0
    made = await deliverable(client, world, assignee="irna", assignee_member=irna.member.email)
    summary = (await irna.get("/projects/summary")).json()
    assert summary["count"] == 1 and summary["label"] == "1 unread project notification"
    assert (await krtc.get("/projects/summary")).json()["count"] == 0  # an assignment to IRNA
    assert 'class="badge new">1 new' in (await irna.get("/projects")).text
    shown = await irna.get(f"/projects/{world.project}")
    assert 'class="badge new">new' in shown.text  # marked on the page once
    assert (await irna.get("/projects/summary")).json()["count"] == 0
    await save(client, world, world.krtc, made["id"], "kk", 0, headline="x", body_text="y")
    assert (await irna.get("/projects/summary")).json()["count"] == 0  # a draft save is no notification
    colleague = await sign_in("krtc", "viewer")
    await krtc.get(f"/projects/{world.project}")
    await colleague.get(f"/projects/{world.project}")
    local = krtc.member.email.split("@")[0]
    said = await irna.post(f"/projects/{world.project}/deliverables/{made['id']}/comments",
                           {"language": "kk", "revision": "1", "body": f"@{local} please check"})
    assert said.status_code == 303
    # the comment tells every member of the project; the mention only the one it names
    assert (await krtc.get("/projects/summary")).json()["count"] == 2
    assert (await colleague.get("/projects/summary")).json()["count"] == 1
    assert (await irna.get("/projects/summary")).json()["count"] == 0  # their own comment


@pytest.mark.parametrize("slug", ["bbc", "tass"])
async def test_a_stranger_and_a_non_participating_party_get_404(client, world, sign_in, slug) -> None:
    made = await deliverable(client, world)
    await save(client, world, world.krtc, made["id"], "kk", 0, headline="Secret", body_text="y")
    outsider = await sign_in(slug, "admin")
    base = f"/projects/{world.project}/deliverables/{made['id']}"
    for path in (f"/projects/{world.project}", base, f"{base}?language=kk"):
        answer = await outsider.get(path)
        assert answer.status_code == 404 and "Silk Way" not in answer.text and "Secret" not in answer.text
    for path, form in ((f"{base}/drafts/kk", {"headline": "Taken", "base_revision": "1"}), (f"{base}/approve", {}),
                       (f"{base}/status", {"to": "in_review"}), (f"/projects/{world.project}/deliverables",
                                                                 {"title": "x", "kind": "article"})):
        assert (await outsider.post(path, form)).status_code == 404
    assert "Silk Way" not in (await outsider.get("/projects")).text


async def test_start_a_project_from_an_agreement_page(client, world, sign_in) -> None:
    krtc = await sign_in("krtc", "editor")
    agreement = await krtc.get(f"/agreements/{world.agreement}")
    assert f'href="/projects/new?agreement={world.agreement}"' in agreement.text
    form = await krtc.get(f"/projects/new?agreement={world.agreement}")
    assert form.status_code == 200
    assert all(f'value="{slug}"' in form.text for slug in ("krtc", "irna", "tass")) and "BBC" not in form.text
    refused = await krtc.post("/projects/new", {"agreement": world.agreement, "title": "Nauryz",
                                                "participants": ["irna", "tass"], "languages": ["kk"]})
    assert refused.status_code == 422 and "must be among the participants" in refused.text
    made = await krtc.post("/projects/new", {"agreement": world.agreement, "title": "Nauryz in two capitals",
                                             "participants": ["krtc", "irna"], "languages": ["kk", "fa"],
                                             "other_languages": "ru", "starts": "2026-03-01", "ends": "2026-03-31"})
    assert made.status_code == 303 and made.headers["location"].endswith("?done=created")
    shown = await krtc.get(made.headers["location"])
    assert "Nauryz in two capitals" in shown.text and "The project is started" in shown.text
    assert (await (await sign_in("bbc", "admin")).get(f"/projects/new?agreement={world.agreement}")).status_code == 404


async def test_the_pages_in_persian_right_to_left(client, world, sign_in) -> None:
    made = await deliverable(client, world, due="2020-01-10")
    irna = await sign_in("irna", "editor", locale="fa")
    shown = await irna.get(f"/projects/{world.project}")
    assert 'dir="rtl"' in shown.text and "مهلت گذشته" in shown.text and "Overdue" not in shown.text
    assert "تابلو" in shown.text and "ایده" in shown.text
    page = await irna.get(f"/projects/{world.project}/deliverables/{made['id']}?language=fa")
    assert "ذخیره پیش‌نویس" in page.text and 'lang="fa" dir="rtl"' in page.text


async def test_attach_our_media_to_a_draft(client, world, sign_in) -> None:
    made = await deliverable(client, world, kind="photo_set")
    photo = b"\xff\xd8\xff\xe0" + bytes(60) + b"\xff\xd9"  # sniffed as a JPEG
    tus = {**world.krtc.headers, "Tus-Resumable": "1.0.0"}
    created = await client.post("/api/v1/uploads", headers={**tus, "Upload-Length": str(len(photo)),
                                                            "Upload-Metadata": "filename Y2FyYXZhbi5qcGc="})
    await client.patch(created.headers["location"], content=photo,
                       headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    krtc, irna = await sign_in("krtc", "editor"), await sign_in("irna", "editor")
    base = f"/projects/{world.project}/deliverables/{made['id']}"
    offered = re.search(r'name="keep_media" value="(\w+)"> <bdi>caravan\.jpg</bdi>', (await krtc.get(base)).text)
    assert offered, "KRTC's own upload is offered"
    assert "caravan.jpg" not in (await irna.get(base)).text  # not to IRNA: it is not theirs to attach
    saved = await krtc.post(f"{base}/drafts/kk", {"headline": "Керуен", "base_revision": "0",
                                                  "keep_media": [offered[1]]})
    assert saved.status_code == 303
    draft = (await client.get(world.url(f"/deliverables/{made['id']}/drafts/kk"), headers=world.krtc.headers)).json()
    assert [m["href"] for m in draft["media"]] == [f"urn:newsbridge:media:{offered[1]}"]
    again = (await krtc.get(base)).text
    assert f'name="keep_media" value="{offered[1]}" checked' in again  # kept unless unticked


async def test_accept_a_project_made_without_an_agreement_and_observers_read_only(client, world, sign_in) -> None:
    made = await client.post("/api/v1/projects", headers=world.krtc.headers, json={
        "title": "Nauryz special", "participants": ["krtc", "irna"], "languages": ["kk", "fa"]})
    pending = made.json()["id"]
    irna = await sign_in("irna", "editor")
    shown = (await irna.get(f"/projects/{pending}")).text
    assert "waiting for participants to accept" in shown and "Accept taking part" in shown
    assert (await irna.post(f"/projects/{pending}/accept")).status_code == 303
    assert (await client.get(f"/api/v1/projects/{pending}", headers=world.irna.headers)).json()["status"] == "active"
    assert "Accept taking part" not in (await irna.get(f"/projects/{pending}")).text
    # TASS, a party of the agreement, invited to read along: the pages without their forms
    invited = await client.post(world.url("/observers"), headers=world.krtc.headers, json={"organization": "tass"})
    assert invited.status_code == 200, invited.text
    d = await deliverable(client, world)
    tass = await sign_in("tass", "editor")
    page = (await tass.get(f"/projects/{world.project}")).text
    assert "Silk Way" in page and "Plan a deliverable" not in page and 'name="to"' not in page
    assert 'action="/projects/' not in (await tass.get(f"/projects/{world.project}/deliverables/{d['id']}")).text
    assert (await tass.post(f"/projects/{world.project}/deliverables/{d['id']}/status",
                            {"to": "dropped"})).status_code == 403
