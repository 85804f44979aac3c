"""The deliverable status machine, over its one table, and over HTTP."""

from __future__ import annotations

import itertools

import pytest

from newsbridge.errors import Conflict
from newsbridge.projects.deliverables import TRANSITIONS, Status, allowed, check_transition
from tests.projects.joint import deliverable, joint_world

CAUSES = ("member", "edit", "approval", "publication")


@pytest.mark.parametrize(("current", "target", "cause"), list(itertools.product(Status, Status, CAUSES)))
def test_every_move_is_allowed_exactly_as_the_table_says(current, target, cause) -> None:
    expected = cause in TRANSITIONS.get((current, target), frozenset())
    assert allowed(current, target, cause) is expected
    if expected:
        check_transition(current, target, cause)
    else:
        with pytest.raises(Conflict):
            check_transition(current, target, cause)


def test_the_table_keeps_the_promises_of_the_docs() -> None:
    leaving = {(t, c) for (f, t), c in TRANSITIONS.items() if f == Status.PUBLISHED}
    assert leaving == {(Status.IN_REVIEW, frozenset({"edit"}))}, "only a correction reopens a published one"
    assert {c for (_, t), c in TRANSITIONS.items() if t == Status.PUBLISHED} == {frozenset({"publication"})}
    assert {c for (_, t), c in TRANSITIONS.items() if t == Status.APPROVED} == {frozenset({"approval"})}
    droppable = {f for f, t in TRANSITIONS if t == Status.DROPPED}
    assert droppable == set(Status) - {Status.PUBLISHED, Status.DROPPED}
    happy = [Status.IDEA, Status.ASSIGNED, Status.IN_PROGRESS, Status.IN_REVIEW, Status.APPROVED, Status.PUBLISHED]
    assert all((a, b) in TRANSITIONS for a, b in zip(happy, happy[1:]))


@pytest.mark.anyio
async def test_members_move_deliverables_along_the_table_and_not_beyond(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    made = await deliverable(client, world, assignee=None, assignee_member=None)
    assert made["status"] == "idea"
    url = world.url(f"/deliverables/{made['id']}")
    no_one = await client.post(f"{url}:move", headers=world.irna.headers, json={"to": "assigned"})
    assert no_one.status_code == 409 and no_one.json()["error"]["field"] == "assignee"
    assigned = await client.patch(url, headers=world.irna.headers, json={"assignee": "irna",
                                                                         "assignee_member": "reza@irna.ir"})
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["status"], assigned.json()["assignee_member"]) == ("assigned", "reza@irna.ir")
    skipping = await client.post(f"{url}:move", headers=world.irna.headers, json={"to": "approved"})
    assert skipping.status_code == 409
    assert skipping.json()["error"]["message"].endswith("can go to dropped, idea, in_progress, not to approved")
    for target in ("in_progress", "in_review"):
        moved = await client.post(f"{url}:move", headers=world.krtc.headers, json={"to": target})
        assert moved.status_code == 200 and moved.json()["status"] == target
    wrong = await client.post(f"{url}:move", headers=world.krtc.headers, json={"to": "finished"})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "to"
    events = (await client.get(world.url("/events"), headers=world.irna.headers)).json()["events"]
    assert [(e["type"], e["data"].get("to")) for e in events] == [
        ("project.created", None), ("project.deliverable_added", None), ("project.assigned", None),
        ("project.status_changed", "assigned"), ("project.status_changed", "in_progress"),
        ("project.status_changed", "in_review"), ("project.approval_requested", None)]
    assert events[-1]["data"] == {"from": ["irna", "krtc"]}
    late = await client.post(f"{url}:move", headers=world.krtc.headers, json={"to": "approved"})
    assert late.status_code == 409 and "every participating organization" in late.json()["error"]["message"]


@pytest.mark.anyio
async def test_overdue_deliverables_stand_out(client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    await deliverable(client, world, due="2020-01-01", title="Late")
    await deliverable(client, world, due="2999-01-01", title="On time")
    shown = (await client.get(world.url(), headers=world.irna.headers)).json()
    assert [(d["title"], d["overdue"]) for d in shown["deliverables"]] == [("Late", True), ("On time", False)]
    assert shown["progress"] == {"done": 0, "total": 2, "overdue": 1}
