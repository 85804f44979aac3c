"""Agreement pages, issue 11: "End for good" asks first, declining and amending in the browser,
roadmap moves in the history, the message after the last signature, and the real validity."""

from __future__ import annotations

import re

import pytest

from tests.web.test_agreement_pages import TITLE, orgs, proposal, text  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio


async def propose(desk, **changes: object) -> str:  # type: ignore[no-untyped-def]
    response = await desk.post("/agreements/new", proposal(**changes))
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0].rsplit("/", 1)[1]


async def test_ending_for_good_needs_a_confirmation(sign_in, orgs) -> None:  # type: ignore[no-untyped-def]
    alpha = await sign_in("alpha")
    agreement_id = await propose(alpha)
    shown = (await alpha.get(f"/agreements/{agreement_id}")).text
    assert f'href="/agreements/{agreement_id}/end" data-dialog="end-dialog"' in shown  # no POST on one click
    assert '<dialog id="end-dialog"' in shown
    one_click = await alpha.post(f"/agreements/{agreement_id}/end")
    assert one_click.status_code == 200 and "End this agreement for good?" in one_click.text
    assert ">proposed<" in (await alpha.get(f"/agreements/{agreement_id}")).text  # nothing ended
    step = await alpha.get(f"/agreements/{agreement_id}/end")  # the page without JavaScript
    assert step.status_code == 200 and 'name="confirm" value="yes"' in step.text
    ended = await alpha.post(f"/agreements/{agreement_id}/end", {"confirm": "yes"})
    assert ended.status_code == 303
    assert ">ended<" in (await alpha.get(f"/agreements/{agreement_id}")).text


async def test_a_partner_declines_and_the_proposal_goes_back_to_draft(sign_in, orgs) -> None:  # type: ignore[no-untyped-def]
    alpha, beta = await sign_in("alpha"), await sign_in("beta")
    agreement_id = await propose(alpha)
    assert f'action="/agreements/{agreement_id}/decline"' in (await beta.get(f"/agreements/{agreement_id}")).text
    declined = await beta.post(f"/agreements/{agreement_id}/decline", {"reason": "We need a longer delay"})
    assert declined.status_code == 303 and "done=declined" in declined.headers["location"]
    page = await beta.get(declined.headers["location"])
    assert ">draft<" in page.text and "We need a longer delay" in page.text
    assert "Declined. The agreement is a draft again" in page.text
    assert (await alpha.post(f"/agreements/{agreement_id}/propose")).status_code == 303  # proposed again
    again = text(await alpha.get(f"/agreements/{agreement_id}"))
    assert "not signed yet" in again  # the proposer's earlier signature was for the declined revision


async def test_amending_the_terms_in_the_browser_needs_every_signature_again(sign_in, orgs) -> None:  # type: ignore[no-untyped-def]
    alpha, beta = await sign_in("alpha"), await sign_in("beta")
    agreement_id = await propose(alpha)
    signed = await beta.post(f"/agreements/{agreement_id}/sign", {"revision": "1"})
    assert "done=active" in signed.headers["location"]
    assert "the agreement is active" in (await beta.get(signed.headers["location"])).text  # not "once everyone..."
    form = await alpha.get(f"/agreements/{agreement_id}/amend")
    assert form.status_code == 200 and 'name="revision" value="1"' in form.text
    assert f'value="{TITLE}"' in form.text and 'value="medtop:15000000" checked' in form.text  # the current terms
    amended = await alpha.post(f"/agreements/{agreement_id}/amend",
                               {**proposal(theirs_delay_minutes="60", sign_now=None), "revision": "1"})
    assert amended.status_code == 303 and "done=amended" in amended.headers["location"]
    page = text(await alpha.get(f"/agreements/{agreement_id}"))
    assert "proposed" in page and "terms revision 2" in page
    assert page.count("not signed yet") == 2  # nobody's signature of revision 1 counts for revision 2
    stale = await alpha.post(f"/agreements/{agreement_id}/amend", {**proposal(), "revision": "1"})
    assert stale.status_code == 409  # amending terms nobody re-read is refused


async def test_roadmap_moves_show_in_the_history(sign_in, orgs) -> None:  # type: ignore[no-untyped-def]
    alpha = await sign_in("alpha")
    agreement_id = await propose(alpha)
    added = await alpha.post(f"/agreements/{agreement_id}/roadmap", {"title": "Exchange photos daily"})
    assert added.status_code == 303
    page = (await alpha.get(f"/agreements/{agreement_id}")).text
    commitment = re.search(r'id="commitment-(\w+)"', page)[1]  # type: ignore[index]
    moved = await alpha.post(f"/agreements/{agreement_id}/roadmap/{commitment}", {"status": "in_progress"})
    assert moved.status_code == 303
    history = text(await alpha.get(f"/agreements/{agreement_id}")).split("History")[-1]
    assert "Roadmap: Exchange photos daily Planned → In progress" in history


async def test_a_proposed_agreement_does_not_say_valid_now(sign_in, orgs) -> None:  # type: ignore[no-untyped-def]
    alpha = await sign_in("alpha")
    await propose(alpha, valid_from="")
    listed = text(await alpha.get("/agreements"))
    assert "once every party has signed" in listed and " now –" not in listed
