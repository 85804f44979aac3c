"""Shared drafts on both databases: revisions, the edit conflict with its merge proposal, word diffs, translations."""

from __future__ import annotations

import pytest

from newsbridge.projects.drafts import DraftContent, body_from_text, merge_proposal, merge_text, word_diff
from tests.projects.joint import deliverable, joint_world, save

pytestmark = pytest.mark.anyio
BODY = "<p>The caravan road crossed the steppe at dawn.</p><p>Merchants traded silk and salt.</p>"


def test_a_merge_of_changes_in_different_places_is_clean() -> None:
    merged, conflicts = merge_text("one two three four", "one 2 three four", "one two three 4")
    assert (merged, conflicts) == ("one 2 three 4", [])


def test_a_merge_of_the_same_words_changed_twice_keeps_theirs_and_names_the_conflict() -> None:
    merged, conflicts = merge_text("<p>the old road</p>", "<p>the silk road</p>", "<p>the salt road</p>")
    assert merged == "<p>the silk road</p>"
    assert conflicts == [{"base": "old", "theirs": "silk", "yours": "salt"}]


def test_lists_are_taken_from_the_side_that_changed_them() -> None:
    shot = ({"start": "00:00:05", "description": "Dawn"},)
    proposal = merge_proposal(DraftContent(), DraftContent(headline="A"), DraftContent(shot_list=shot))
    assert proposal["fields"]["shot_list"] == list(shot) and proposal["fields"]["headline"] == "A"
    assert proposal["clean"] is True


def test_word_diff_runs() -> None:
    assert word_diff("the old road", "the silk road home") == [
        {"op": "equal", "text": "the "}, {"op": "delete", "text": "old"}, {"op": "insert", "text": "silk"},
        {"op": "equal", "text": " road"}, {"op": "insert", "text": " home"}]


def test_plain_text_becomes_escaped_paragraphs() -> None:
    assert body_from_text("a <b>\nline\n\nnext") == "<p>a &lt;b&gt;<br>line</p><p>next</p>"


async def test_every_save_is_a_revision_with_author_and_time(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = (await deliverable(client, world))["id"]
    first = await save(client, world, world.krtc, did, "kk", 0, headline="Керуен жолдары", body_html=BODY,
                       member="aigerim@krtc.kz")
    assert first.status_code == 200, first.text
    assert (first.json()["revision"], first.json()["author"]) == (1, "Aigerim Bekova (krtc)")
    hostile = await save(client, world, world.irna, did, "kk", 1, headline="Керуен жолдары",
                         body_html=BODY + '<script>alert(1)</script><p onclick="x()">Salt</p>')
    assert hostile.status_code == 200 and hostile.json()["revision"] == 2
    assert "<script" not in hostile.json()["body_html"] and "onclick" not in hostile.json()["body_html"]
    revisions = (await client.get(world.url(f"/deliverables/{did}/drafts/kk/revisions"),
                                  headers=world.irna.headers)).json()["revisions"]
    assert [(r["revision"], r["organization"]) for r in revisions] == [(1, "krtc"), (2, "irna")]
    one = await client.get(world.url(f"/deliverables/{did}/drafts/kk/revisions/1"), headers=world.irna.headers)
    assert one.json()["body_html"] == BODY
    diff = await client.get(world.url(f"/deliverables/{did}/drafts/kk/diff?from=1&to=2"), headers=world.krtc.headers)
    assert diff.status_code == 200
    assert diff.json()["fields"]["body_html"][-1] == {"op": "insert", "text": "<p>Salt</p>"}
    assert diff.json()["fields"]["headline"] == [{"op": "equal", "text": "Керуен жолдары"}]
    assert (await client.get(world.url(f"/deliverables/{did}"), headers=world.krtc.headers)).json()["status"] == \
        "in_progress"  # the first save starts work on an assigned deliverable
    missing = await client.get(world.url(f"/deliverables/{did}/drafts/kk/revisions/9"), headers=world.irna.headers)
    assert missing.status_code == 404


async def test_a_stale_base_revision_is_a_conflict_with_both_texts_and_a_merge(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = (await deliverable(client, world))["id"]
    assert (await save(client, world, world.krtc, did, "kk", 0, headline="Road", body_html=BODY)).status_code == 200
    theirs = await save(client, world, world.irna, did, "kk", 1, headline="Road",
                        body_html=BODY.replace("at dawn", "at sunrise"), member="reza@irna.ir")
    assert theirs.json()["revision"] == 2
    mine = BODY.replace("silk and salt", "silk, salt and tea")
    stale = await save(client, world, world.krtc, did, "kk", 1, headline="Road", body_html=mine)
    assert stale.status_code == 409
    answer = stale.json()
    assert answer["error"]["code"] == "draft_conflict" and answer["error"]["field"] == "base_revision"
    assert "Reza Tehrani (irna) saved revision 2" in answer["error"]["message"]
    conflict = answer["conflict"]
    assert (conflict["base_revision"], conflict["current_revision"], conflict["changed_by"]) == \
        (1, 2, "Reza Tehrani (irna)")
    assert conflict["changed_at"] and conflict["theirs"]["body_html"].count("sunrise") == 1
    assert "tea" in conflict["yours"]["body_html"]
    assert conflict["merge"]["clean"] is True
    assert conflict["merge"]["fields"]["body_html"] == \
        BODY.replace("at dawn", "at sunrise").replace("silk and salt", "silk, salt and tea")
    revisions = (await client.get(world.url(f"/deliverables/{did}/drafts/kk/revisions"),
                                  headers=world.krtc.headers)).json()["revisions"]
    assert len(revisions) == 2, "nothing was saved"
    merged = await save(client, world, world.krtc, did, "kk", 2, **{
        k: v for k, v in conflict["merge"]["fields"].items() if k in ("headline", "body_html")})
    assert merged.status_code == 200 and merged.json()["revision"] == 3
    spices = BODY.replace("at dawn", "at sunrise").replace("silk and salt", "silk and spices")
    clash = await save(client, world, world.irna, did, "kk", 2, headline="Path", body_html=spices)
    assert clash.status_code == 409
    proposal = clash.json()["conflict"]["merge"]
    assert proposal["clean"] is False and proposal["fields"]["headline"] == "Path"
    assert proposal["fields"]["body_html"] == merged.json()["body_html"]  # the conflicting words stay as stored
    [conflict] = proposal["conflicts"]
    assert conflict["field"] == "body_html"
    assert "tea" in conflict["theirs"] and "spices" in conflict["yours"] and "salt" in conflict["base"]


async def test_wrong_saves_are_refused(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = (await deliverable(client, world, kind="article"))["id"]
    cases = [({"base_revision": 3}, "base_revision"), ({"base_revision": "1"}, "base_revision"),
             ({"shot_list": [{"start": "00:00:01", "description": "x"}]}, "shot_list"),
             ({"body_html": "<p>a</p>", "body_text": "a"}, "body_text"), ({"member": "reza@irna.ir"}, "member"),
             ({"media": [{"upload": "01NOPE"}]}, "media")]
    for body, field in cases:
        refused = await client.put(world.url(f"/deliverables/{did}/drafts/kk"), headers=world.krtc.headers, json=body)
        assert refused.status_code in (404, 422), refused.text
        assert refused.json()["error"]["field"] == field, body
    other = await client.put(world.url(f"/deliverables/{did}/drafts/ru"), headers=world.krtc.headers, json={})
    assert other.status_code == 404


async def test_a_translation_shows_when_its_source_changed(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    did = (await deliverable(client, world))["id"]
    await save(client, world, world.krtc, did, "kk", 0, headline="Керуен", body_text="Бірінші")
    translated = await save(client, world, world.irna, did, "fa", 0, headline="کاروان", body_text="اول")
    assert translated.json()["source_revision"] == 1 and translated.json()["source_changed"] is False
    assert translated.json()["translation"] is True
    await save(client, world, world.krtc, did, "kk", 1, headline="Керуен жолы", body_text="Бірінші")
    shown = await client.get(world.url(f"/deliverables/{did}/drafts/fa"), headers=world.irna.headers)
    assert shown.json()["source_changed"] is True and shown.json()["source_latest_revision"] == 2
    overview = (await client.get(world.url(f"/deliverables/{did}"), headers=world.irna.headers)).json()
    assert overview["drafts"]["fa"]["source_changed"] is True
    assert overview["drafts"]["kk"]["source_changed"] is False
    await save(client, world, world.irna, did, "fa", 1, headline="راه کاروان", body_text="اول")
    shown = await client.get(world.url(f"/deliverables/{did}/drafts/fa"), headers=world.irna.headers)
    assert shown.json()["source_changed"] is False
