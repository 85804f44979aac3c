"""Agreement pages as members use them: proposing through the form, signing, the roadmap board,
who sees which buttons, and the pages a stranger, a forged form or a wrong entry get."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio

TITLE = "Alpha-Beta news exchange"


@pytest.fixture
def orgs(make_partner):  # type: ignore[no-untyped-def]
    """Alpha (a holding with its outlet Alpha TV), Beta, and Gamma that is party to nothing."""
    alpha = make_partner("alpha", name="Alpha News")
    make_partner("alpha-tv", name="Alpha TV", parent="alpha")
    return alpha, make_partner("beta", name="Beta"), make_partner("gamma", name="Gamma")


def proposal(**changes: object) -> dict[str, Any]:
    form: dict[str, Any] = {
        "title": TITLE, "partners": ["beta"], "valid_from": "2020-01-01", "valid_until": "2099-12-31",
        "ours_share": "on", "ours_topics": ["medtop:11000000", "medtop:04000000"], "ours_extra_topics": "01000000",
        "ours_languages": ["en", "ru"], "ours_extra_languages": "KK, fa", "ours_delay_minutes": "0",
        "ours_credit_line": "{source} via Newsbridge", "ours_allow_translation": "on",
        "ours_allow_republication": "on",
        "theirs_share": "on", "theirs_topics": ["medtop:15000000"], "theirs_languages": ["en"],
        "theirs_delay_minutes": "30", "theirs_credit_line": "{source} via Newsbridge",
        "theirs_usage_terms": "No resale.", "theirs_allow_republication": "on",  # no translation
        "sign_now": "on"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def text(response: httpx.Response) -> str:
    """The page's words with tags dropped and white space folded, as a reader sees them."""
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())
    return words.replace(" ,", ",").replace(" ;", ";")


def column(response: httpx.Response, status: str) -> str:
    found = re.search(rf'<section id="column-{status}".*?</section>', response.text, re.S)
    assert found, f"no {status} column"
    return found[0]


async def propose(desk, **changes: object) -> str:  # type: ignore[no-untyped-def]
    answer = await desk.post("/agreements/new", proposal(**changes))
    assert answer.status_code == 303, text(answer)
    found = re.fullmatch(r"/agreements/(\w+)\?done=proposed", answer.headers["location"])
    assert found, answer.headers["location"]
    return found[1]


async def test_proposing_through_the_form_and_signing_on_the_page(sign_in, orgs) -> None:
    alpha, beta = await sign_in("alpha"), await sign_in("beta")
    form = await alpha.get("/agreements/new")
    assert form.status_code == 200 and ">Beta</option>" in form.text and ">Alpha News</option>" not in form.text
    agreement_id = await propose(alpha)

    proposed = (await alpha.get(f"/agreements/{agreement_id}")).text  # alpha signed along with proposing
    assert f'action="/agreements/{agreement_id}/sign"' not in proposed and f"{agreement_id}/end" in proposed
    waiting = await beta.get(f"/agreements/{agreement_id}")
    assert waiting.status_code == 200
    assert ">proposed<" in waiting.text and f'action="/agreements/{agreement_id}/sign"' in waiting.text
    words = text(waiting)
    assert ("Alpha News and Alpha TV share items on these topics: politics; economy, business and finance; arts, "
            "culture, entertainment and media. Only items in these languages: English, Russian, Kazakh, and Persian. "
            "Partners may use an item as soon as it is published. Credit line: «Alpha News via Newsbridge». "
            "Translation allowed. Republication allowed.") in words
    assert ("Beta shares items on these topics: sport. Only items in these languages: English. Partners may use an "
            "item 30 minutes after it is published. Credit line: «Beta via Newsbridge». Translation not allowed. "
            "Republication allowed. Usage terms: No resale.") in words
    assert "Admin of alpha" in words and "not signed yet" in words

    shown = re.search(r'name="revision" value="(\d+)"', waiting.text)  # the form signs the revision it shows
    assert shown and shown[1] == "1"
    signed = await beta.post(f"/agreements/{agreement_id}/sign", {"revision": shown[1]})
    assert signed.status_code == 303 and signed.headers["location"] == f"/agreements/{agreement_id}?done=active"
    active = await beta.get(signed.headers["location"])
    assert ">active<" in active.text and "not signed yet" not in active.text
    assert "Every party has now signed the current terms: the agreement is active." in active.text
    assert f'action="/agreements/{agreement_id}/sign"' not in active.text
    assert [a in active.text for a in ("/suspend\"", "/end\"", "/propose\"")] == [True, True, False]
    history = text(active).split("History", 1)[1]
    assert re.search(r"signed .*signed .*proposed for signature .*created", history), history  # newest first

    listed = await alpha.get("/agreements")
    assert TITLE in listed.text and ">active<" in listed.text and "Propose an agreement" in listed.text


async def test_terms_read_in_the_members_language(sign_in, orgs) -> None:
    alpha, beta = await sign_in("alpha"), await sign_in("beta", "viewer", locale="ru")
    agreement_id = await propose(alpha, ours_topics=["medtop:11000000"], ours_extra_topics="", ours_languages=["en"],
                                 ours_extra_languages="")
    words = text(await beta.get(f"/agreements/{agreement_id}"))
    assert "политика" in words and "английский" in words and "спорт" in words


async def test_an_editor_reads_but_sees_no_buttons_and_may_not_act(sign_in, orgs) -> None:
    alpha, editor = await sign_in("alpha"), await sign_in("beta", "editor")
    agreement_id = await propose(alpha)
    added = await alpha.post(f"/agreements/{agreement_id}/roadmap", {"title": "Exchange news daily"})
    assert added.status_code == 303

    shown = await editor.get(f"/agreements/{agreement_id}")
    assert shown.status_code == 200 and "Exchange news daily" in shown.text
    assert f'action="/agreements/{agreement_id}/' not in shown.text and 'name="status"' not in shown.text
    assert "Propose an agreement" not in (await editor.get("/agreements")).text
    assert (await editor.get("/agreements/new")).status_code == 403
    commitment = re.search(r'id="commitment-(\w+)"', shown.text)[1]  # type: ignore[index]
    for path, form in ((f"/agreements/{agreement_id}/sign", {}), (f"/agreements/{agreement_id}/end", {}),
                       (f"/agreements/{agreement_id}/roadmap", {"title": "More"}),
                       (f"/agreements/{agreement_id}/roadmap/{commitment}", {"status": "done"}),
                       ("/agreements/new", proposal())):
        refused = await editor.post(path, form)
        assert refused.status_code == 403, path
        assert "text/html" in refused.headers["content-type"] and "may not do this" in refused.text
    assert ">proposed<" in (await editor.get(f"/agreements/{agreement_id}")).text


async def test_a_roadmap_change_moves_the_commitment_and_the_progress(sign_in, orgs) -> None:
    alpha, beta = await sign_in("alpha"), await sign_in("beta")
    agreement_id = await propose(alpha)
    for title, owner in (("Exchange news daily", "beta"), ("Joint documentary", "alpha")):
        added = await alpha.post(f"/agreements/{agreement_id}/roadmap", {"title": title, "owner": owner,
                                                                          "due": "2099-06-30"})
        assert added.status_code == 303, text(added)
    before = await beta.get(f"/agreements/{agreement_id}")
    assert "Exchange news daily" in column(before, "planned") and '<progress class="progress" max="100" value="0"' in before.text
    commitment = re.search(r'id="commitment-(\w+)">\s*<h4>Exchange news daily', before.text)[1]  # type: ignore[index]

    moved = await beta.post(f"/agreements/{agreement_id}/roadmap/{commitment}",
                            {"status": "done", "evidence_url": "https://beta.example/first-exchange"})
    assert moved.status_code == 303
    after = await beta.get(moved.headers["location"])
    assert "Exchange news daily" in column(after, "done") and "Exchange news daily" not in column(after, "planned")
    assert "Joint documentary" in column(after, "planned")
    assert 'href="https://beta.example/first-exchange"' in column(after, "done")
    assert '<progress class="progress" max="100" value="50"' in after.text and "50% · 1 of 2 done" in text(after)

    wrong = await beta.post(f"/agreements/{agreement_id}/roadmap/{commitment}",
                            {"status": "done", "evidence_url": "ftp://beta.example/x"})
    assert wrong.status_code == 422 and "must start with http:// or https://" in wrong.text


async def test_a_stranger_gets_the_not_found_page(sign_in, orgs) -> None:
    alpha, gamma = await sign_in("alpha"), await sign_in("gamma")
    agreement_id = await propose(alpha)
    for answer in (await gamma.get(f"/agreements/{agreement_id}"), await gamma.post(f"/agreements/{agreement_id}/end")):
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html") and "Not found" in answer.text
        assert TITLE not in answer.text
    assert "no agreements yet" in (await gamma.get("/agreements")).text


async def test_a_form_without_the_csrf_token_is_refused(sign_in, orgs) -> None:
    alpha, beta = await sign_in("alpha"), await sign_in("beta")
    agreement_id = await propose(alpha)
    refused = await beta.post(f"/agreements/{agreement_id}/sign", csrf=False)
    assert refused.status_code == 403 and "reload the page" in refused.text
    assert (await alpha.post("/agreements/new", proposal(), csrf=False)).status_code == 403
    assert ">proposed<" in (await beta.get(f"/agreements/{agreement_id}")).text


@pytest.mark.parametrize(("changes", "field", "label", "message"), [
    ({"ours_extra_topics": "medtop:99999999"}, "ours_topics", "What you share · Topics",
     "'medtop:99999999' is not an IPTC Media Topic"),
    ({"theirs_delay_minutes": "soon"}, "theirs_delay_minutes", "What your partners share · Delay",
     "the delay must be a whole number of minutes"),
    ({"theirs_extra_languages": "english"}, "theirs_languages", "What your partners share · Languages",
     "languages must be ISO 639 codes"),
    ({"valid_until": "2019-12-31"}, "valid_until", "Valid until", "valid_until must not be before valid_from"),
    ({"partners": None}, "partners", "Partner organizations", "choose at least one partner organization"),
    ({"title": " "}, "title", "Title", "title must be a non-empty text"),
    ({"ours_share": None, "theirs_share": None}, "ours_share", "What you share · Share in this direction",
     "tick at least one direction"),
])
async def test_a_wrong_entry_shows_the_form_again_with_the_message(sign_in, orgs, changes, field, label,
                                                                   message) -> None:
    alpha = await sign_in("alpha")
    answer = await alpha.post("/agreements/new", proposal(**{"title": "Kept title", **changes}))
    assert answer.status_code == 422
    words = text(answer)
    assert f"{label}: " in words and message in words
    assert f'id="{field}-error"' in answer.text and f'aria-describedby="{field}-error"' in answer.text
    if field != "title":
        assert 'value="Kept title"' in answer.text
    assert 'value="medtop:11000000" checked' in answer.text and '<option value="beta" selected>' in answer.text \
        or field == "partners"
    assert "no agreements yet" in (await alpha.get("/agreements")).text
