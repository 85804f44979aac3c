"""The desk's search counts a broad query as GET /api/v1/search does: over the newest index hits
(desk/search.py ``COUNTED``, lowered here so that a handful of items is "broad"), shown as
"N+ results" in each language, with the locale's digits; under the cap the total is exact. On both
databases; an item the member's organization may not see is never counted."""

from __future__ import annotations

import re

import pytest

from newsbridge.desk import search as desk_search
from tests.conftest import active_agreement
from tests.web.test_desk_filters import MANAGE, headlines, story

pytestmark = pytest.mark.anyio
COUNT = re.compile(r'<p class="count muted" id="row-count">([^<]*)</p>')


@pytest.fixture
async def caspian(client, make_partner):  # type: ignore[no-untyped-def]
    """Kazinform shares with IRNA seven items on the Caspian; RIA (a stranger to IRNA) publishes one
    among them (the fourth stored: inside the counted window whichever end the database counts from)."""
    kazinform = make_partner("kazinform", scopes=MANAGE, name="Kazinform")
    irna = make_partner("irna", scopes=MANAGE, name="IRNA")
    ria = make_partner("ria", scopes=MANAGE, name="RIA")
    await active_agreement(client, kazinform, irna, {})
    order = [("kz", kazinform, n) for n in range(3)] + [("ria", ria, 0)] + [("kz", kazinform, n) for n in range(3, 7)]
    for slug, partner, n in order:
        doc = story(f"{slug}-{n}", f"Caspian shipping {n}", "Ferries cross the Caspian sea.", "en")
        response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
        assert response.status_code == 201, response.text


def count_line(html: str) -> str:
    [line] = COUNT.findall(html)
    return line


@pytest.mark.parametrize(("locale", "capped", "exact"), [
    ("en", "Showing 1–7 of 6+ results", "Showing 1–7 of 7"),
    ("ru", "Показаны 1–7 из 6+ результатов", "Показаны 1–7 из 7"),
    ("kk", "6+ нәтиженің 1–7 көрсетілген", "7 ішінен 1–7 көрсетілген"),
    ("fa", "نمایش ۱ تا ۷ از دست‌کم ۶ نتیجه", "نمایش ۱ تا ۷ از ۷"),
])
async def test_a_broad_search_shows_a_lower_bound(caspian, sign_in, monkeypatch, locale, capped, exact) -> None:  # type: ignore[no-untyped-def]
    desk = await sign_in("irna", "editor", locale=locale)
    # 8 versions hold "caspian", counted over the newest 7 of them (PostgreSQL too: a hub of fewer
    # than PG_WINDOW versions is listed newest first): RIA's is never counted, six of Kazinform's
    # are, and the page still lists all seven
    monkeypatch.setattr(desk_search, "COUNTED", 7)
    page = (await desk.get("/desk?q=caspian")).text
    assert count_line(page) == capped
    assert sorted(headlines(page)) == [f"Caspian shipping {n}" for n in range(7)]
    monkeypatch.setattr(desk_search, "BROAD", 3)  # the same page and count when the inbox is walked
    walked = (await desk.get("/desk?q=caspian")).text
    assert count_line(walked) == capped and headlines(walked) == headlines(page)
    monkeypatch.setattr(desk_search, "BROAD", 2000)
    monkeypatch.setattr(desk_search, "COUNTED", 8)  # every hit counted: exact
    assert count_line((await desk.get("/desk?q=caspian")).text) == exact
    assert count_line((await desk.get("/desk")).text) == exact  # no search: never capped
