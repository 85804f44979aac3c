"""Joint-project pages in Chromium, live: Kazinform's editor drops a photo on the Kazakh draft of a
photo set (tus, a real progress bar, a dropped connection resumed) and it is attached to the draft at
once; IRNA's editor, with the same draft open and half a lead typed, is told who saved what and when
(their text untouched), sees the comments and the board change without reloading; a stranger's page
stream is refused. The draft with its drop zone is photographed into docs/screenshots/."""

from __future__ import annotations

import base64
import io
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PIL import Image

from newsbridge.accounts.members import add_member, list_members
from newsbridge.accounts.organizations import create_organization, get_organization
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.projects.deliverables import add_deliverable, get_deliverable
from newsbridge.projects.drafts import latest_revision
from newsbridge.projects.projects import Actor, create_project, get_project
from tests.browser.desk_world import desk_page
from tests.browser.test_desk import AXE
from tests.browser.test_screenshots import DOCS_SCREENSHOTS
from tests.live_server import serving

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth"


@dataclass(frozen=True)
class Hub:
    url: str
    engine: object
    project: str
    photos: str  # a photo set's deliverable
    episode: str  # a documentary episode, for the board


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("project-live")
    settings = load_settings(env={}, database_url=f"sqlite:///{root / 'hub.db'}", media_dir=str(root / "media"))
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        create_organization(conn, "kazinform", "Kazinform", timezone="Asia/Almaty", credit_name="Kazinform",
                            languages=["kk", "ru"])
        create_organization(conn, "irna", "IRNA", timezone="Asia/Tehran", credit_name="IRNA", languages=["fa", "en"])
        create_organization(conn, "stranger", "Stranger Daily", timezone="UTC", credit_name="Stranger")
        add_member(conn, "kazinform", "aigerim@kazinform.example", "Aigerim Bekova", "editor", PASSWORD)
        add_member(conn, "irna", "reza@irna.example", "Reza Tehrani", "editor", PASSWORD)
        add_member(conn, "irna", "dabir@irna.example", "دبیر ایرنا", "editor", PASSWORD, locale="fa")
        add_member(conn, "stranger", "editor@stranger.example", "Editor of Stranger", "editor", PASSWORD)
        kazinform = get_organization(conn, "kazinform")
        agreement = create_agreement(conn, kazinform, "test", {
            "title": "Kazinform – IRNA joint work", "parties": ["kazinform", "irna"],
            "terms": [{"from": "kazinform"}, {"from": "irna"}]})
        act(conn, agreement.id, Action.PROPOSE, kazinform, "test")
        act(conn, agreement.id, Action.SIGN, kazinform, "test")
        act(conn, agreement.id, Action.SIGN, get_organization(conn, "irna"), "test")
        aigerim = list_members(conn, "kazinform")[0]
        actor = Actor(kazinform, aigerim, "Aigerim Bekova (kazinform)")
        project = create_project(conn, actor, {"title": "Silk Way: Kazakhstan and Iran", "agreement": agreement.id,
                                               "participants": ["kazinform", "irna"], "languages": ["kk", "fa"]})
        photos = add_deliverable(conn, project, actor, {"title": "Caravanserais: a photo set", "kind": "photo_set",
                                                        "assignee": "kazinform", "due": "2099-05-01"})
        episode = add_deliverable(conn, project, actor, {"title": "Episode 2: Poets of the road",
                                                         "kind": "documentary_episode", "due": "2099-06-01"})
    try:
        with serving(create_app(settings, engine, migrate=False)) as url:
            yield Hub(url, engine, project.id, photos.id, episode.id)
    finally:
        engine.dispose()


def _until(page, script: str, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``script`` is true in the page (polled: the desk's CSP refuses wait_for_function's eval)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script}"
        page.wait_for_timeout(100)


def _problems(page) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    page.evaluate(AXE.read_text("utf-8"))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [(v["id"], v["help"]) for v in found if v["impact"] in ("serious", "critical")]


def _photo() -> bytes:
    """A real JPEG of about 2 MB (noise does not compress), so the bar has steps to show."""
    side = 900
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _drop(page, selector: str, name: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
    """Drag a file from the desktop onto ``selector``: dragenter, dragover and drop with a DataTransfer."""
    transfer = page.evaluate_handle("""([name, b64]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type: "image/jpeg" }));
        return transfer; }""", [name, base64.b64encode(data).decode()])
    for kind in ("dragenter", "dragover", "drop"):
        page.dispatch_event(selector, kind, {"dataTransfer": transfer})


def test_a_photo_dropped_on_a_draft_uploads_with_progress_and_is_attached(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    photo = _photo()
    context, kz = desk_page(browser, hub.url, "aigerim@kazinform.example")
    try:
        draft_url = f"{hub.url}/projects/{hub.project}/deliverables/{hub.photos}?language=kk"
        kz.goto(draft_url)
        zone = kz.locator("#drop-zone")
        assert zone.is_visible() and not kz.locator("#upload-state").is_visible()
        seen: list[str] = []

        def drop_the_first_patch(route) -> None:  # type: ignore[no-untyped-def]
            seen.append(route.request.method)
            if route.request.method == "PATCH" and seen.count("PATCH") == 1:
                route.abort("connectionreset")  # the connection drops mid-upload
            else:
                route.continue_()

        kz.route("**/api/v1/uploads/*", drop_the_first_patch)
        kz.evaluate("""() => { window.said = []; new MutationObserver(() => window.said.push(
            document.getElementById('upload-status').textContent)).observe(document.getElementById('upload-status'),
            { childList: true, characterData: true, subtree: true }); window.stillHere = true; }""")
        _drop(kz, "#drop-zone", "caravanserai.jpg", photo)
        assert kz.locator("#upload-progress").is_visible()
        _until(kz, "() => /Attached to the draft/.test(document.getElementById('upload-status').textContent)", 60)
        said = kz.evaluate("() => window.said")
        assert any(s.startswith("Uploading: ") for s in said), said  # the bar moved, in words too
        assert any("Resuming where it stopped" in s for s in said), said
        assert seen.count("PATCH") == 2 and "HEAD" in seen[1:]  # retried: asked where the hub stands, went on
        assert kz.locator("#upload-progress").evaluate("p => p.value === p.max && p.max === %d" % len(photo))
        assert kz.inner_text("#upload-status") == "Attached to the draft: revision 1."
        attached = kz.locator("#draft-media label", has_text="caravanserai.jpg")
        assert attached.count() == 1 and attached.locator("input[name=keep_media]").is_checked()
        assert kz.input_value("input[name=base_revision]") == "1"
        assert kz.evaluate("() => window.stillHere")  # no reload: what the member typed would be gone
        with reading(hub.engine) as conn:
            project = get_project(conn, get_organization(conn, "kazinform"), hub.project)
            stored = latest_revision(conn, get_deliverable(conn, project, hub.photos).id, "kk")
        assert stored is not None and stored.number == 1 and len(stored.content.media) == 1
        media_href = stored.content.media[0]["href"]
        assert _problems(kz) == []
        kz.screenshot(path=str(DOCS_SCREENSHOTS / "project-draft-upload-en.png"), full_page=True)

        # the member goes on writing and saves: no conflict with their own attachment, the photo stays
        kz.fill("#headline", "Керуен сарайлары")
        kz.get_by_role("button", name="Save the draft").click()
        kz.wait_for_url("**done=saved")
        with reading(hub.engine) as conn:
            stored = latest_revision(conn, hub.photos, "kk")
        assert stored is not None and stored.number == 2 and stored.content.headline == "Керуен сарайлары"
        assert [m["href"] for m in stored.content.media] == [media_href]

        # a phone: the drop zone and its file button fit
        kz.set_viewport_size({"width": 360, "height": 800})
        kz.goto(draft_url)
        assert kz.locator("#media-file").is_visible() and not kz.evaluate(OVERFLOW)
    finally:
        context.close()


def test_two_members_see_each_others_changes_live(browser, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    kz_context, kz = desk_page(browser, hub.url, "aigerim@kazinform.example")
    ir_context, ir = desk_page(browser, hub.url, "reza@irna.example")
    fa_context, fa = desk_page(browser, hub.url, "dabir@irna.example", width=360)
    stranger_context, stranger = desk_page(browser, hub.url, "editor@stranger.example")
    try:
        draft_url = f"{hub.url}/projects/{hub.project}/deliverables/{hub.photos}?language=kk"
        kz.goto(draft_url)
        ir.goto(draft_url)
        fa.goto(f"{hub.url}/projects/{hub.project}")
        ir.evaluate("() => { window.stillHere = true; }")
        ir.fill("#lead", "Half a lead, not saved yet")
        base = ir.input_value("input[name=base_revision]")

        kz.fill("#headline", "Керуен сарайлары: Түркістан")
        kz.get_by_role("button", name="Save the draft").click()
        kz.wait_for_url("**done=saved")
        notice = ir.locator("#draft-notice")
        notice.wait_for(state="visible")
        assert re.match(r"Aigerim Bekova \(kazinform\) saved revision \d+ of this draft at .+\. What you typed",
                        ir.inner_text("#draft-notice-text"))
        assert ir.input_value("#lead") == "Half a lead, not saved yet"  # never overwritten
        assert ir.input_value("#headline") != "Керуен сарайлары: Түркістан"
        assert ir.input_value("input[name=base_revision]") == base  # saving now brings the conflict view
        ir.locator("#revisions-section li", has_text="Aigerim Bekova").last.wait_for()
        assert "Updated live: " in ir.inner_text("#live-status")
        assert ir.evaluate("() => window.stillHere")
        assert _problems(ir) == []

        # a comment reaches the other page's list without a reload
        kz.fill("#new-comment", "Please check the captions")
        kz.get_by_role("button", name="Post the comment").click()
        kz.wait_for_url("**done=commented")
        ir.locator("#comment-list .comment", has_text="Please check the captions").wait_for()
        assert ir.input_value("#lead") == "Half a lead, not saved yet"
        ir.click("#draft-notice-load")  # the member chooses to load the new revision
        ir.wait_for_url("**language=kk")
        assert ir.input_value("#headline") == "Керуен сарайлары: Түркістан"

        # the board in Persian on a phone: the episode moves to "assigned" when Kazinform assigns it
        assigned = fa.locator("#col-assigned").locator("xpath=..")
        assert "Episode 2: Poets of the road" not in assigned.inner_text()
        kz.goto(f"{hub.url}/projects/{hub.project}/deliverables/{hub.episode}")
        kz.select_option("#assignee", "irna")
        kz.click("form.assign button[type=submit]")
        kz.wait_for_url("**done=assigned")
        fa.locator("#board-section .column", has_text="Episode 2: Poets of the road").locator(
            "#col-assigned").wait_for()
        assert "به‌روز شد" in fa.inner_text("#live-status")
        assert not fa.evaluate(OVERFLOW)

        # a stranger's page stream: the 404 page, no events
        answer = stranger_context.request.get(f"{hub.url}/projects/{hub.project}/live?after=0")
        assert answer.status == 404 and "Silk Way" not in answer.text()
    finally:
        for context in (kz_context, ir_context, fa_context, stranger_context):
            context.close()
