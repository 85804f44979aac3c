"""Roadmaps: commitments with owners, due days, status and evidence; progress is computed."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.exchange.roadmap import (Commitment, CommitmentStatus, add_commitments, list_commitments, progress,
                                         update_commitment)
from newsbridge.formats.item import Item
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.vocab.mediatopics import topic_subject

TODAY = date(2026, 3, 10)
C = CommitmentStatus


def commitment(status: CommitmentStatus, due: date | None = None) -> Commitment:
    changed = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return Commitment("c", 1, "Exchange news daily", None, due, status, "", (), changed)


YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)


@pytest.mark.parametrize("items, done, counted, percent", [
    ([], 0, 0, 0),
    ([C.DROPPED], 0, 0, 0),
    ([C.DONE], 1, 1, 100),
    ([C.DONE, C.PLANNED], 1, 2, 50),
    ([C.DONE, C.DROPPED], 1, 1, 100),  # dropped commitments do not count
    ([C.DONE, C.DONE, C.IN_PROGRESS, C.BLOCKED, C.DROPPED, C.DROPPED], 2, 4, 50),
    ([C.DONE, C.PLANNED, C.PLANNED], 1, 3, 33),
    ([C.DONE, C.DONE, C.PLANNED], 2, 3, 67),
    ([C.PLANNED, C.IN_PROGRESS, C.BLOCKED], 0, 3, 0),
])
def test_progress_counts_done_over_all_not_dropped(items: list[CommitmentStatus], done: int, counted: int,
                                                   percent: int) -> None:
    found = progress([commitment(s) for s in items], TODAY)
    assert (found.done, found.counted, found.percent) == (done, counted, percent)
    assert sum(found.by_status.values()) == len(items)
    assert found.by_status["dropped"] == items.count(C.DROPPED)


@pytest.mark.parametrize("status, due, overdue", [
    (C.PLANNED, YESTERDAY, 1),
    (C.IN_PROGRESS, YESTERDAY, 1),
    (C.BLOCKED, YESTERDAY, 1),
    (C.DONE, YESTERDAY, 0),
    (C.DROPPED, YESTERDAY, 0),
    (C.PLANNED, TODAY, 0),  # due today is not late yet
    (C.PLANNED, TOMORROW, 0),
    (C.PLANNED, None, 0),
])
def test_overdue_means_past_due_and_still_open(status: CommitmentStatus, due: date | None, overdue: int) -> None:
    assert progress([commitment(status, due), commitment(C.DONE)], TODAY).overdue == overdue


# --- on the database ------------------------------------------------------------------------------------------

ROADMAP = [
    {"title": "Exchange news daily", "owner": "irna", "due": "2026-06-30", "status": "in_progress"},
    {"title": "Joint documentary on the Silk Road", "owner": "krtc", "due": "2025-12-31"},
    {"title": "Reporter exchange and training", "status": "dropped", "notes": "postponed by both sides"},
]


@pytest.fixture
def orgs(make_partner):  # type: ignore[no-untyped-def]
    return {slug: make_partner(slug, **extra).org for slug, extra in
            [("krtc", {}), ("kazinform", {"parent": "krtc"}), ("irna", {}), ("stranger", {})]}


@pytest.fixture
def agreement(engine, orgs):  # type: ignore[no-untyped-def]
    data = {"title": "Kazakhstan–Iran media cooperation", "parties": ["krtc", "irna"],
            "terms": [{"from": "krtc"}], "roadmap": ROADMAP}
    with writing(engine) as conn:
        created = create_agreement(conn, orgs["krtc"], "editor@krtc", data)
    return created


def party_ids(agreement) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.id for p in agreement.parties]


def listed(engine, agreement_id: str) -> list[Commitment]:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return list_commitments(conn, agreement_id)


def change(engine, agreement, commitment_id: str, changes: Any, viewer) -> Commitment:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        return update_commitment(conn, agreement.id, party_ids(agreement), commitment_id, changes, viewer)


def test_commitments_keep_owner_due_and_status(engine, agreement) -> None:
    found = listed(engine, agreement.id)
    assert [(c.position, c.title, c.owner, c.due, c.status, c.notes, c.evidence) for c in found] == [
        (1, "Exchange news daily", "irna", date(2026, 6, 30), C.IN_PROGRESS, "", ()),
        (2, "Joint documentary on the Silk Road", "krtc", date(2025, 12, 31), C.PLANNED, "", ()),
        (3, "Reporter exchange and training", None, None, C.DROPPED, "postponed by both sides", ()),
    ]
    found_progress = progress(found, date(2026, 3, 10))
    assert (found_progress.done, found_progress.counted, found_progress.percent, found_progress.overdue) \
        == (0, 2, 0, 1)


def test_added_commitments_go_to_the_end(engine, agreement, orgs) -> None:
    with writing(engine) as conn:
        added = add_commitments(conn, agreement.id, party_ids(agreement), viewer=orgs["krtc"],
                                specs=[{"title": "  Shared photo pool  ", "owner": "krtc", "status": "done",
                                  "evidence": [{"kind": "url", "ref": "https://krtc.example/pool"}]}])
    assert [(c.position, c.title, c.owner, c.status) for c in added] == [(4, "Shared photo pool", "krtc", C.DONE)]
    assert added[0].evidence == ({"kind": "url", "ref": "https://krtc.example/pool", "note": ""},)
    assert [c.position for c in listed(engine, agreement.id)] == [1, 2, 3, 4]
    assert progress(listed(engine, agreement.id), date(2026, 3, 10)).percent == 33


def test_update_status_notes_owner_and_evidence(engine, orgs, agreement) -> None:
    first = listed(engine, agreement.id)[0]
    evidence = [{"kind": "url", "ref": " https://irna.ir/news/1 ", "note": "first exchanged story"},
                {"kind": "project", "ref": "silk-road-2026"}]
    updated = change(engine, agreement, first.id, {"status": "done", "notes": "daily since March", "owner": "krtc",
                                                   "due": None, "evidence": evidence}, orgs["irna"])
    assert (updated.status, updated.notes, updated.owner, updated.due) == (C.DONE, "daily since March", "krtc", None)
    assert updated.evidence == ({"kind": "url", "ref": "https://irna.ir/news/1", "note": "first exchanged story"},
                                {"kind": "project", "ref": "silk-road-2026", "note": ""})
    assert updated.updated_at >= first.updated_at
    assert listed(engine, agreement.id)[0] == updated
    cleared = change(engine, agreement, first.id, {"owner": None}, orgs["irna"])
    assert (cleared.owner, cleared.status, cleared.notes) == (None, C.DONE, "daily since March")
    assert progress(listed(engine, agreement.id), date(2026, 3, 10)).percent == 50


def publish(engine, settings, org, uri: str) -> str:  # type: ignore[no-untyped-def]
    item = Item(uri=uri, version="1", language="en", headline="Astana hosts a media forum",
                subjects=[topic_subject("medtop:20000045")])
    return Ingestor(engine, settings).ingest_item(org, item).item_id


def test_item_evidence_must_be_visible_to_the_acting_organization(engine, settings, orgs, agreement) -> None:
    with writing(engine) as conn:
        act(conn, agreement.id, Action.PROPOSE, orgs["krtc"], "editor@krtc")
        act(conn, agreement.id, Action.SIGN, orgs["krtc"], "editor@krtc")
        act(conn, agreement.id, Action.SIGN, orgs["irna"], "editor@irna")
    own = publish(engine, settings, orgs["krtc"], "urn:krtc:forum")
    from_outlet = publish(engine, settings, orgs["kazinform"], "urn:kazinform:forum")  # delivered to irna
    foreign = publish(engine, settings, orgs["stranger"], "urn:stranger:secret")
    first = listed(engine, agreement.id)[0]

    def evidence(ref: str) -> dict[str, Any]:
        return {"evidence": [{"kind": "url", "ref": "https://krtc.example/a"}, {"kind": "item", "ref": ref}]}

    assert change(engine, agreement, first.id, evidence(own), orgs["krtc"]).evidence[1]["ref"] == own
    assert change(engine, agreement, first.id, evidence(from_outlet), orgs["irna"]).evidence[1]["ref"] == from_outlet
    for ref, viewer in [(foreign, "krtc"), (foreign, "irna"), (own, "stranger"), ("01NOSUCHITEM", "krtc")]:
        with pytest.raises(InvalidInput) as refused:
            change(engine, agreement, first.id, evidence(ref), orgs[viewer])
        assert refused.value.field == "$.evidence[1].ref"
        assert ref in refused.value.message
    assert listed(engine, agreement.id)[0].evidence[1]["ref"] == from_outlet


def test_item_evidence_in_a_new_roadmap_must_be_visible_too(engine, settings, orgs) -> None:
    foreign = publish(engine, settings, orgs["stranger"], "urn:stranger:secret")
    data = {"title": "Kazakhstan–Iran media cooperation", "parties": ["krtc", "irna"], "terms": [{"from": "krtc"}],
            "roadmap": [{"title": "Exchange news daily", "evidence": [{"kind": "item", "ref": foreign}]}]}
    with pytest.raises(InvalidInput):
        with writing(engine) as conn:
            create_agreement(conn, orgs["krtc"], "editor@krtc", data)


@pytest.mark.parametrize("spec, field", [
    ({"title": ""}, "roadmap[0].title"),
    ({"owner": "irna"}, "roadmap[0].title"),
    ({"title": "x", "status": "finished"}, "roadmap[0].status"),
    ({"title": "x", "status": "DONE"}, "roadmap[0].status"),
    ({"title": "x", "owner": "stranger"}, "roadmap[0].owner"),
    ({"title": "x", "owner": "kazinform"}, "roadmap[0].owner"),  # an outlet is not a party
    ({"title": "x", "due": "30/06/2026"}, "roadmap[0].due"),
    ({"title": "x", "due": 20260630}, "roadmap[0].due"),
    ({"title": "x", "notes": 5}, "roadmap[0].notes"),
    ({"title": "x", "evidence": "https://a.example"}, "roadmap[0].evidence"),
    ({"title": "x", "evidence": [{"kind": "url", "ref": "ftp://a.example/x"}]}, "roadmap[0].evidence[0].ref"),
    ({"title": "x", "evidence": [{"kind": "video", "ref": "x"}]}, "roadmap[0].evidence[0]"),
    ({"title": "x", "evidence": [{"kind": "item", "ref": " "}]}, "roadmap[0].evidence[0].ref"),
    ({"title": "x", "owner": ["irna"]}, "roadmap[0].owner"),
], ids=["blank-title", "no-title", "unknown-status", "status-upper-case", "owner-not-party", "owner-outlet",
        "bad-due", "due-number", "notes-not-text", "evidence-not-list", "evidence-ftp", "evidence-kind",
        "evidence-blank-ref", "owner-list"])
def test_invalid_new_commitments_name_the_field(engine, agreement, orgs, spec: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        with writing(engine) as conn:
            add_commitments(conn, agreement.id, party_ids(agreement), [spec], orgs["krtc"])
    assert refused.value.field == field
    assert len(listed(engine, agreement.id)) == 3


@pytest.mark.parametrize("changes, field", [
    ({}, "$"),
    ([], "$"),
    ({"status": "finished"}, "$.status"),
    ({"owner": "stranger"}, "$.owner"),
    ({"due": "tomorrow"}, "$.due"),
    ({"title": " "}, "$.title"),
    ({"progress": 50}, "progress"),
    ({"evidence": [{"kind": "url", "ref": "javascript:alert(1)"}]}, "$.evidence[0].ref"),
])
def test_invalid_changes_name_the_field_and_change_nothing(engine, orgs, agreement, changes: Any,
                                                           field: str) -> None:
    before = listed(engine, agreement.id)
    with pytest.raises(InvalidInput) as refused:
        change(engine, agreement, before[0].id, changes, orgs["krtc"])
    assert refused.value.field == field
    assert listed(engine, agreement.id) == before


def test_a_commitment_of_another_agreement_is_not_found(engine, orgs, agreement) -> None:
    with writing(engine) as conn:
        other = create_agreement(conn, orgs["krtc"], "editor@krtc", {
            "title": "Other", "parties": ["krtc", "stranger"], "terms": [{"from": "krtc"}],
            "roadmap": [{"title": "Something else"}]})
    [theirs] = listed(engine, other.id)
    with pytest.raises(NotFound):
        change(engine, agreement, theirs.id, {"status": "done"}, orgs["krtc"])
    assert listed(engine, other.id)[0].status is C.PLANNED
