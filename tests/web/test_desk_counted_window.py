"""Without a search, the desk's total, its unread counts per partner and its languages, and the
search API's total and facets, are counted over the newest entries of the inbox
(items/inbox_counts.py ``COUNTED_ENTRIES``, lowered here so that a handful of items is "many"):
"N+" when there were more, exact under the cap. On both databases; a stranger's items are never
counted, whatever the window."""

from __future__ import annotations

import re

import pytest

from newsbridge.items import inbox_counts
from tests.conftest import active_agreement
from tests.web.test_desk_filters import MANAGE, story
from tests.web.test_desk_search_total import count_line

ITEM = re.compile(r'data-href="(/items/[^"]+)"')

pytestmark = pytest.mark.anyio


@pytest.fixture
async def inbox(client, make_partner):  # type: ignore[no-untyped-def]
    """IRNA received six items from Kazinform, the two oldest in Russian; RIA, a stranger to IRNA,
    published one among them."""
    kazinform = make_partner("kazinform", scopes=MANAGE, name="Kazinform")
    irna = make_partner("irna", scopes=MANAGE, name="IRNA")
    ria = make_partner("ria", scopes=MANAGE, name="RIA")
    await active_agreement(client, kazinform, irna, {})
    order = [(kazinform, n, "ru" if n < 2 else "en") for n in range(3)] + [(ria, 9, "ru")] + \
        [(kazinform, n, "en") for n in range(3, 6)]
    for partner, n, language in order:
        doc = story(f"{partner.org.slug}-{n}", f"Caspian shipping {n}", "Ferries cross the sea.", language)
        response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
        assert response.status_code == 201, response.text
    return irna


@pytest.mark.parametrize(("cap", "line", "badge", "languages"), [
    (4, "Showing 1–6 of 4+ results", ">4+</span>", ["en"]),  # the newest four: all in English
    (6, "Showing 1–6 of 6", ">6</span>", ["en", "ru"]),  # every entry: exact
])
async def test_the_desk_counts_the_newest_entries(inbox, sign_in, monkeypatch, cap, line, badge, languages) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(inbox_counts, "COUNTED_ENTRIES", cap)
    page = (await (await sign_in("irna", "editor")).get("/desk")).text
    assert count_line(page) == line
    assert f'>Kazinform</a> <span class="badge new"{badge}' in page and "RIA" not in page
    assert [code for code in ("en", "ru", "fa") if f'<option value="{code}"' in page] == languages


async def test_the_search_api_without_words_counts_the_newest_entries(client, inbox, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    irna = inbox
    monkeypatch.setattr(inbox_counts, "COUNTED_ENTRIES", 4)
    body = (await client.get("/api/v1/search", headers=irna.headers)).json()
    assert (body["total"], body["total_is_lower_bound"], body["count"]) == (4, True, 6)
    assert body["facets"]["partner"] == [{"value": "kazinform", "label": "Kazinform", "count": 4}]
    assert body["facets"]["language"] == [{"value": "en", "label": "en", "count": 4}]
    bare = (await client.get("/api/v1/search", params={"facets": "false"}, headers=irna.headers)).json()
    assert (bare["total"], bare["total_is_lower_bound"]) == (4, True)
    monkeypatch.setattr(inbox_counts, "COUNTED_ENTRIES", 6)
    body = (await client.get("/api/v1/search", headers=irna.headers)).json()
    assert (body["total"], body["total_is_lower_bound"]) == (6, False)
    assert {v["value"]: v["count"] for v in body["facets"]["language"]} == {"en": 4, "ru": 2}


async def test_a_chosen_language_stays_among_the_choices(inbox, sign_in, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(inbox_counts, "COUNTED_ENTRIES", 4)  # the newest four hold no Russian
    page = (await (await sign_in("irna", "editor")).get("/desk?language=ru")).text
    assert '<option value="ru" selected>' in page
    assert count_line(page) == "Showing 1–2 of 2"  # the two Russian items, older than the window, all counted


@pytest.mark.parametrize(("locale", "line"), [
    ("en", "Nothing unread among the newest 4 items."),
    ("ru", "Среди последних 4 материалов непрочитанных нет."),
    ("kk", "Соңғы 4 материалдың ішінде оқылмағаны жоқ."),
    ("fa", "در میان ۴ خبر آخر، خبر نخوانده‌ای نیست."),
])
async def test_read_newest_entries_do_not_claim_all_caught_up(inbox, sign_in, monkeypatch, locale, line) -> None:  # type: ignore[no-untyped-def]
    editor = await sign_in("irna", "editor", locale=locale)
    for path in sorted(set(ITEM.findall((await editor.get("/desk")).text)))[:6]:
        assert (await editor.get(path)).status_code == 200  # read them all
    monkeypatch.setattr(inbox_counts, "COUNTED_ENTRIES", 4)
    page = (await editor.get("/desk/unread")).text
    assert line in page and "All caught up." not in page
    monkeypatch.setattr(inbox_counts, "COUNTED_ENTRIES", 6)  # every entry counted: all caught up, said as before
    assert line.replace("4", "6").replace("۴", "۶") not in (await editor.get("/desk/unread")).text
