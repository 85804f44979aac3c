"""The desk's side of issue 14's targets and measured commitments: pace targets on the agreement
form (proposed and amended, signed again), and measured progress on the roadmap board and in the
history, in English and Persian."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import agreement_events
from newsbridge.exchange.agreements import load_agreement
from newsbridge.exchange.pace_targets import PaceTargets
from newsbridge.exchange.roadmap import add_commitments
from newsbridge.metrics.indicators import measure_if_running
from tests.web.test_agreement_pages import orgs, proposal, text  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio
TARGETS = {"targets_shown": "on", "target_balance": "40", "target_topic_coverage": "75",
           "target_same_day_share": "60", "target_pickup_rate": "", "target_volume_not_falling": "on"}


async def _propose(desk, **changes: object) -> str:  # type: ignore[no-untyped-def]
    response = await desk.post("/agreements/new", proposal(**changes))
    assert response.status_code == 303, text(response)
    return response.headers["location"].split("?")[0].rsplit("/", 1)[1]


async def test_targets_are_proposed_and_amended_on_the_form(sign_in, orgs, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    alpha = await sign_in("alpha")
    blank = (await alpha.get("/agreements/new")).text
    assert 'id="target_balance"' in blank and 'value="50"' in blank and 'value="80"' in blank  # the defaults
    agreement_id = await _propose(alpha, **TARGETS)
    with reading(engine) as conn:
        assert load_agreement(conn, agreement_id).targets == PaceTargets(0.4, 0.75, 0.6, None, True)
    form = (await alpha.get(f"/agreements/{agreement_id}/amend")).text
    assert re.search(r'id="target_balance"[^>]*value="40"', form)
    assert re.search(r'id="target_pickup_rate"[^>]*value=""', form)
    amended = await alpha.post(f"/agreements/{agreement_id}/amend", {
        **proposal(sign_now=None), **TARGETS, "target_pickup_rate": "12.5", "target_volume_not_falling": None,
        "revision": "1"})
    assert amended.status_code == 303, text(amended)
    with reading(engine) as conn:
        found = load_agreement(conn, agreement_id)
    assert found.targets == PaceTargets(0.4, 0.75, 0.6, 0.125, False) and found.terms_revision == 2
    assert found.status.value == "proposed"  # signed again, like the terms
    wrong = await alpha.post(f"/agreements/{agreement_id}/amend", {
        **proposal(sign_now=None), **TARGETS, "target_balance": "150", "revision": "2"})
    assert wrong.status_code == 422
    assert "Pace targets" in text(wrong) and 'aria-invalid="true" aria-describedby="target_balance-error"' in wrong.text


async def test_a_form_without_targets_keeps_them(sign_in, orgs, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    alpha = await sign_in("alpha")
    agreement_id = await _propose(alpha, **TARGETS)
    amended = await alpha.post(f"/agreements/{agreement_id}/amend", {**proposal(sign_now=None), "revision": "1"})
    assert amended.status_code == 303
    with reading(engine) as conn:
        assert load_agreement(conn, agreement_id).targets.balance == 0.4


@pytest.mark.parametrize("locale, words", [
    ("en", ("Measured by the hub: off track", "0 of 5 items a week from Alpha News to Beta",
            "Roadmap, measured by the hub: Five items a week",
            "At least 2 joint-project deliverables by Jun 30, 2027: none is planned in the joint projects yet")),
    ("fa", ("سنجش هاب: عقب‌تر از برنامه", "۰ از ۵ خبر در هفته از Alpha News به Beta", "نقشه راه، سنجش هاب")),
])
async def test_the_board_shows_measured_progress_and_the_history_its_changes(
        sign_in, orgs, engine: Engine, locale: str, words: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    alpha, beta = await sign_in("alpha", locale=locale), await sign_in("beta")
    agreement_id = await _propose(alpha)
    assert (await beta.post(f"/agreements/{agreement_id}/sign", {"revision": "1"})).status_code == 303
    with writing(engine) as conn:  # measured commitments come by API (docs/api.md); the board shows them
        agreement = load_agreement(conn, agreement_id)
        added = add_commitments(conn, agreement_id, [p.id for p in agreement.parties], [
            {"title": "Five items a week", "owner": "alpha",
             "indicator": {"kind": "items_per_period", "from": "alpha", "to": "beta", "at_least": 5, "per": "week"}},
            {"title": "Joint documentaries", "indicator": {"kind": "deliverables", "at_least": 2, "by": "2027-06-30"}}],
            orgs[0].org)
        assert measure_if_running(conn, agreement_id) == 2  # first measurements: both written into the history
    page = await alpha.get(f"/agreements/{agreement_id}")
    shown = text(page)
    for expected in words:
        assert expected in shown, expected
    commitment = added[0].id
    assert f'id="measure-{commitment}"' in page.text
    assert f'href="/agreements/{agreement_id}/metrics?from=' in page.text  # the figures behind it


@pytest.mark.parametrize("locale, shown", [("en", "Showing 1–50 of 1,201"), ("fa", "۱٬۲۰۱")])
async def test_a_long_history_pages_in_the_members_digits(sign_in, orgs, engine: Engine, locale: str,
                                                          shown: str) -> None:  # type: ignore[no-untyped-def]
    """Counts over 999 once reached the page already formatted ("1,201") and failed to format again (500);
    the hub's measurements make long histories common."""
    alpha = await sign_in("alpha", locale=locale)
    agreement_id = await _propose(alpha)
    with writing(engine) as conn:
        first = conn.execute(sa.select(agreement_events).where(agreement_events.c.agreement_id == agreement_id)).first()
        rows = [{"agreement_id": agreement_id, "action": "commitment_measured", "organization_id": first.organization_id,
                 "actor": "Newsbridge (measured)", "from_status": "proposed", "to_status": "proposed", "at": first.at,
                 "details": {"commitment": "c", "title": f"Weekly items {n}", "from": "on_track", "to": "off_track"}}
                for n in range(1201 - 3)]  # with the proposal's create, propose and sign
        conn.execute(agreement_events.insert(), rows)
    page = await alpha.get(f"/agreements/{agreement_id}")
    assert page.status_code == 200
    assert shown in text(page)
