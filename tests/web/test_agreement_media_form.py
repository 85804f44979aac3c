"""The media rules form of the agreement page (SQLite and PostgreSQL): admins of the sharing party
change kinds, previews only, the largest resolution and GPS, for every partner and per partner; the
change is an amendment checked by the API's own rules and recorded in the history; everyone else
reads the rules; a stranger gets the 404 page."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from newsbridge.db.engine import reading, writing
from newsbridge.exchange.agreements import create_agreement, history, load_agreement
from newsbridge.exchange.lifecycle import Action, Status
from newsbridge.exchange.agreements import act
from newsbridge.exchange.media_rules import Limits, MediaRules
from newsbridge.web.media_rules_form import form_field
from tests.web.test_agreement_pages import orgs, text  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio
MEDIA_FORM = re.compile(r'<form method="post" action="/agreements/\w+/media">.*?</form>', re.S)


@pytest.fixture
def agreement(orgs, engine):  # type: ignore[no-untyped-def]
    """Alpha and Beta, active: Alpha shares pictures and video, Beta shares everything (no media rules)."""
    alpha, beta, _ = orgs
    with writing(engine) as conn:
        made = create_agreement(conn, alpha.org, "test", {
            "title": "Photo pool", "parties": ["alpha", "beta"],
            "terms": [{"from": "alpha", "topics": ["medtop:11000000"], "usage_terms": "Credit us.",
                       "media": {"types": ["picture", "video"]}},
                      {"from": "beta"}]})
        act(conn, made.id, Action.PROPOSE, alpha.org, "test")
        act(conn, made.id, Action.SIGN, alpha.org, "test")
        act(conn, made.id, Action.SIGN, beta.org, "test")
    return made.id


def form_values(**changes: Any) -> dict[str, Any]:
    """Alpha's term, as its form is sent: kinds, every partner's limits, Beta's own."""
    values: dict[str, Any] = {"term": "0", "revision": "1", "kinds": ["picture", "video"], "max_resolution": ""}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


async def test_only_the_sharing_partys_admins_get_the_form(sign_in, agreement) -> None:  # type: ignore[no-untyped-def]
    alpha_admin, beta_admin = await sign_in("alpha"), await sign_in("beta")
    ours = (await alpha_admin.get(f"/agreements/{agreement}")).text
    assert len(MEDIA_FORM.findall(ours)) == 1 and 'name="term" value="0"' in ours  # Alpha's term, not Beta's
    assert 'name="proxy_only:beta"' in ours and 'name="proxy_only:alpha"' not in ours
    theirs = (await beta_admin.get(f"/agreements/{agreement}")).text
    assert len(MEDIA_FORM.findall(theirs)) == 1 and 'name="term" value="1"' in theirs
    for role in ("editor", "viewer"):
        page = await (await sign_in("alpha", role)).get(f"/agreements/{agreement}")
        assert page.status_code == 200 and not MEDIA_FORM.search(page.text)
        assert "Media shared: picture and video." in text(page)  # read, in words
    outlet = await (await sign_in("alpha-tv")).get(f"/agreements/{agreement}")  # an outlet reads its holding's
    assert outlet.status_code == 200 and not MEDIA_FORM.search(outlet.text)


async def test_the_form_saves_an_amendment_the_history_records(sign_in, agreement, orgs, engine) -> None:  # type: ignore[no-untyped-def]
    alpha, beta, _ = orgs
    desk = await sign_in("alpha", name="Aigerim")
    form = (await desk.get(f"/agreements/{agreement}")).text
    assert 'name="kinds" value="picture" checked' in form and 'name="kinds" value="audio">' in form
    saved = await desk.post(f"/agreements/{agreement}/media", form_values(
        kinds=["picture", "video", "audio"], max_resolution="1080", **{
            "own:beta": "on", "proxy_only:beta": "on", "max_resolution:beta": "", "allow_gps:beta": "on"}))
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=amended#media-0"), saved.text
    with reading(engine) as conn:
        after = load_agreement(conn, agreement)
        events = history(conn, agreement)
    assert after.terms_revision == 2 and after.status is Status.PROPOSED  # every party signs again
    assert after.terms[0].media == MediaRules(("picture", "video", "audio"), Limits(max_resolution=1080),
                                              ((beta.org.id, Limits(proxy_only=True, allow_gps=True)),))
    assert after.terms[0].topics == ("medtop:11000000",) and after.terms[0].usage_terms == "Credit us."
    assert after.terms[1].media == MediaRules() and after.terms[1].types == ()  # Beta's term untouched
    assert events[-1].action == "amend" and events[-1].details == {"revision": 2} and "Aigerim" in events[-1].actor
    page = await desk.get(saved.headers["location"])
    words = text(page)
    assert "Terms amended." in words and "Media shared: picture, video, and audio." in words
    assert "Beta receives previews and proxies only, not the originals." in words
    assert 'name="own:beta" checked' in page.text and 'value="1080"' in page.text  # the form shows what holds


async def test_sharing_no_media_at_all_is_said_by_the_item_types(sign_in, agreement, engine) -> None:  # type: ignore[no-untyped-def]
    desk = await sign_in("beta")
    saved = await desk.post(f"/agreements/{agreement}/media", form_values(term="1", kinds=None))
    assert saved.status_code == 303, saved.text
    with reading(engine) as conn:
        beta_term = load_agreement(conn, agreement).terms[1]
    assert beta_term.types == ("text", "composite", "planning", "event", "component")
    assert "No pictures, video, audio or graphics are shared." in text(await desk.get(f"/agreements/{agreement}"))


async def test_a_form_that_changes_nothing_amends_nothing(sign_in, agreement, engine) -> None:  # type: ignore[no-untyped-def]
    desk = await sign_in("alpha")
    same = await desk.post(f"/agreements/{agreement}/media", form_values())
    assert same.status_code == 303 and "done=unchanged" in same.headers["location"]
    with reading(engine) as conn:
        assert load_agreement(conn, agreement).terms_revision == 1
    assert "Nothing changed" in text(await desk.get(same.headers["location"]))


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"max_resolution": "big"}, "max_resolution", "max_resolution is the largest shorter side in pixels"),
    ({"max_resolution": "99999"}, "max_resolution", "a whole number from 16 to 16384"),
    ({"own:beta": "on", "max_resolution:beta": "8"}, "max_resolution-beta", "a whole number from 16 to 16384"),
    ({"kinds": ["picture", "video", "hologram"]}, None, None),  # not a kind the form offers: left out, nothing to say
])
async def test_a_wrong_value_shows_the_form_again_with_the_apis_words(sign_in, agreement, engine, changes, field,
                                                                      message) -> None:  # type: ignore[no-untyped-def]
    desk = await sign_in("alpha")
    answer = await desk.post(f"/agreements/{agreement}/media", form_values(**changes))
    with reading(engine) as conn:
        assert load_agreement(conn, agreement).terms_revision == 1  # nothing amended
    if field is None:
        assert answer.status_code == 303 and "done=unchanged" in answer.headers["location"]
        return
    assert answer.status_code == 422
    assert message in unescape(answer.text)
    assert '<details class="media-rules" id="media-0" open>' in answer.text
    assert re.search(rf'id="media0-{field}"[^>]*aria-invalid="true" aria-describedby="media0-{field}-error"',
                     answer.text)
    assert re.search(rf'value="{re.escape(list(changes.values())[-1])}"', answer.text)  # what was typed stays


async def test_who_may_not_change_the_rules_is_refused(sign_in, agreement, engine) -> None:  # type: ignore[no-untyped-def]
    beta_admin, alpha_editor = await sign_in("beta"), await sign_in("alpha", "editor")
    outlet_admin, stranger = await sign_in("alpha-tv"), await sign_in("gamma")
    for desk, values in ((beta_admin, form_values()), (alpha_editor, form_values()),
                         (outlet_admin, form_values()), (beta_admin, form_values(term="7"))):
        refused = await desk.post(f"/agreements/{agreement}/media", {**values, "proxy_only": "on"})
        assert refused.status_code in (403, 422), refused.text
    hidden = await stranger.post(f"/agreements/{agreement}/media", form_values(proxy_only="on"))
    assert hidden.status_code == 404 and "Photo pool" not in hidden.text
    forged = await (await sign_in("alpha")).post(f"/agreements/{agreement}/media", form_values(proxy_only="on"),
                                                 csrf=False)
    assert forged.status_code == 403
    with reading(engine) as conn:
        assert load_agreement(conn, agreement).terms_revision == 1


async def test_rules_read_on_an_older_revision_are_not_saved(sign_in, agreement, orgs, engine) -> None:  # type: ignore[no-untyped-def]
    alpha, beta, _ = orgs
    desk = await sign_in("alpha")
    with writing(engine) as conn:  # Beta amends meanwhile
        body = {"title": "Photo pool, amended", "terms": [{"from": "alpha"}, {"from": "beta"}]}
        act(conn, agreement, Action.AMEND, beta.org, "test", body)
    stale = await desk.post(f"/agreements/{agreement}/media", form_values(proxy_only="on"))
    assert stale.status_code == 409 and "The terms changed since this page was shown" in unescape(stale.text)
    with reading(engine) as conn:
        assert load_agreement(conn, agreement).terms_revision == 2


async def test_an_ended_agreement_has_no_form(sign_in, agreement, orgs, engine) -> None:  # type: ignore[no-untyped-def]
    alpha, _, _ = orgs
    with writing(engine) as conn:
        act(conn, agreement, Action.END, alpha.org, "test")
    desk = await sign_in("alpha")
    assert not MEDIA_FORM.search((await desk.get(f"/agreements/{agreement}")).text)
    refused = await desk.post(f"/agreements/{agreement}/media", form_values(proxy_only="on"))
    assert refused.status_code == 403


async def test_the_form_speaks_persian_right_to_left(sign_in, agreement) -> None:  # type: ignore[no-untyped-def]
    page = (await (await sign_in("alpha", locale="fa")).get(f"/agreements/{agreement}")).text
    assert 'dir="rtl"' in page
    form = MEDIA_FORM.search(page)
    assert form and "Change the media rules" not in page and "Save the media rules" not in form[0]
    assert "ذخیرهٔ قواعد رسانه" in form[0]


@pytest.mark.parametrize(("service_field", "form"), [
    ("terms[2].media.max_resolution", (2, "max_resolution")),
    ("terms[0].media.partners.beta-tv.allow_gps", (0, "allow_gps:beta-tv")),
    ("terms[1].media.types", (1, "kinds")),
    ("terms[1].media", (1, "kinds")),
    ("terms[1].topics", None),
    (None, None),
])
def test_the_apis_field_names_map_to_the_forms(service_field: str | None, form: tuple[int, str] | None) -> None:
    assert form_field(service_field) == form
