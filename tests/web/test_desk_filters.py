"""The incoming desk's search and filters, over HTTP on both databases: full-text search over
the whole received history (not the newest rows), every word, word starts, Persian spelling
variants, topics with their narrower topics, language, status, arrival dates, unread counts,
and never a stranger's items."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from newsbridge.db.engine import writing
from newsbridge.db.tables import deliveries
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio

ROW = re.compile(r'<a class="headline" href="/items/[^"]+"[^>]*>((?:[^<]|</?mark>)+)</a>')  # matches in <mark>
MANAGE = ("publish", "read", "manage")
ECONOMY = {"name": "economy", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}
FOOTBALL = {"name": "football", "uri": "http://cv.iptc.org/newscodes/mediatopic/20001065"}  # under sport


def story(uri: str, headline: str, body: str, language: str, *subjects: dict[str, str]) -> dict[str, Any]:
    return {"uri": uri, "type": "text", "language": language, "subjects": list(subjects),
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": body}]}


def headlines(html: str) -> list[str]:
    return [re.sub(r"</?mark>", "", found) for found in ROW.findall(html)]


@pytest.fixture
async def kazinform(make_partner):  # type: ignore[no-untyped-def]
    return make_partner("kazinform", scopes=MANAGE, name="Kazinform")


@pytest.fixture
async def desk(client, make_partner, sign_in, kazinform):  # type: ignore[no-untyped-def]
    """Kazinform shares everything with IRNA; Ria (a stranger to IRNA) publishes too. IRNA's editor's desk."""
    irna = make_partner("irna", scopes=MANAGE, name="IRNA")
    ria = make_partner("ria", scopes=MANAGE, name="RIA")
    await active_agreement(client, kazinform, irna, {})

    async def publish(partner, doc: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
        response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
        assert response.status_code == 201, response.text

    await publish(kazinform, story("kz-1", "Parliament approves the budget",
                                   "The cooperation programme between Kazakhstan and Iran is funded.", "en", ECONOMY))
    await publish(kazinform, story("kz-2", "Казахстан и Иран подписали соглашение",
                                   "Сотрудничество информационных агентств Казахстана.", "ru", ECONOMY))
    await publish(kazinform, story("kz-3", "همکاری رسانه‌ای ایران و قزاقستان",
                                   "خبرگزاری‌ها برنامه مشترک می‌سازند.", "fa"))
    await publish(kazinform, story("kz-4", "Astana wins the football derby", "A late goal decided it.", "en",
                                   FOOTBALL))
    await publish(ria, story("ria-1", "Secret budget of another partner", "Kazakhstan cooperation budget.", "en",
                             ECONOMY))
    return await sign_in("irna", "editor")


async def test_search_needs_every_word_and_matches_word_starts(desk) -> None:  # type: ignore[no-untyped-def]
    assert headlines((await desk.get("/desk?q=budget")).text) == ["Parliament approves the budget"]
    assert headlines((await desk.get("/desk?q=cooperation+Kazakhstan")).text) == ["Parliament approves the budget"]
    assert headlines((await desk.get("/desk?q=cooperation+football")).text) == []
    assert headlines((await desk.get("/desk?q=PARLIA")).text) == ["Parliament approves the budget"]
    # Russian word forms: the start of the word finds its endings, in the headline or the text.
    assert headlines((await desk.get("/desk?q=казахстан")).text) == ["Казахстан и Иран подписали соглашение"]
    assert headlines((await desk.get("/desk?q=информационн")).text) == ["Казахстан и Иран подписали соглашение"]


async def test_search_in_persian_with_either_spelling_and_across_the_zwnj(desk) -> None:  # type: ignore[no-untyped-def]
    persian = ["همکاری رسانه‌ای ایران و قزاقستان"]
    assert headlines((await desk.get("/desk?q=قزاقستان")).text) == persian
    assert headlines((await desk.get("/desk?q=ايران")).text) == persian  # Arabic ye finds the Persian one
    assert headlines((await desk.get("/desk?q=رسانه")).text) == persian  # the part before the ZWNJ
    assert headlines((await desk.get("/desk?q=خبرگزاری‌ها")).text) == persian  # typed with its ZWNJ


async def test_search_never_shows_what_the_organization_did_not_receive(desk) -> None:  # type: ignore[no-untyped-def]
    assert headlines((await desk.get("/desk?q=secret")).text) == []
    assert "Secret budget" not in (await desk.get("/desk?q=budget")).text


async def test_odd_queries_are_answered_not_refused(desk) -> None:  # type: ignore[no-untyped-def]
    for query in ('"', "AND OR NOT", "budget*", "'; drop table items; --", "(", "a" * 600, "-budget", "NEAR(x y)"):
        response = await desk.http.get("/desk", params={"q": query})
        assert response.status_code == 200, (query, response.text[:300])
    assert headlines((await desk.http.get("/desk", params={"q": "budget*"})).text) == ["Parliament approves the budget"]
    everything = headlines((await desk.http.get("/desk", params={"q": "***"})).text)
    assert len(everything) == 4  # no words: no narrowing


async def test_topic_filter_covers_narrower_topics(desk) -> None:  # type: ignore[no-untyped-def]
    sport = headlines((await desk.get("/desk?topic=medtop:15000000")).text)
    assert sport == ["Astana wins the football derby"]  # tagged football, found under sport
    economy = headlines((await desk.get("/desk?topic=medtop:04000000")).text)
    assert set(economy) == {"Parliament approves the budget", "Казахстан и Иран подписали соглашение"}


async def test_language_status_and_partner_filters(desk) -> None:  # type: ignore[no-untyped-def]
    assert headlines((await desk.get("/desk?language=ru")).text) == ["Казахстан и Иран подписали соглашение"]
    page = (await desk.get("/desk")).text
    assert '<option value="fa"' in page and '<option value="ru"' in page
    assert len(headlines((await desk.get("/desk?status=new")).text)) == 4
    first = re.search(r'href="(/items/[^"]+)"[^>]*>Parliament', page)
    assert first is not None
    await desk.get(first[1])  # opening an item marks it read
    assert headlines((await desk.get("/desk?status=read")).text) == ["Parliament approves the budget"]
    assert len(headlines((await desk.get("/desk?status=new")).text)) == 3
    assert len(headlines((await desk.get("/desk?partner=kazinform")).text)) == 4
    assert headlines((await desk.get("/desk?partner=ria")).text) == []
    assert "kazinform" in page and "(4)" in page  # unread count per partner


async def test_arrival_dates_in_the_members_zone(desk, engine) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    with writing(engine) as conn:  # the Persian story arrived ten days ago
        conn.execute(sa.text("UPDATE deliveries SET available_from = available_from - :ten, "
                             "created_at = created_at - :ten, arrives_at = arrives_at - :ten WHERE item_id IN "
                             "(SELECT id FROM items WHERE uri = 'kz-3')").bindparams(ten=timedelta(days=10))
                     if engine.dialect.name == "postgresql" else
                     deliveries.update().where(deliveries.c.item_id.in_(sa.text("SELECT id FROM items WHERE uri = 'kz-3'")))
                     .values(available_from=sa.func.datetime(deliveries.c.available_from, "-10 days"),
                             arrives_at=sa.func.datetime(deliveries.c.arrives_at, "-10 days")))
    recent = headlines((await desk.get(f"/desk?since={today - timedelta(days=2)}")).text)
    assert len(recent) == 3 and "همکاری رسانه‌ای ایران و قزاقستان" not in recent
    older = headlines((await desk.get(f"/desk?until={today - timedelta(days=5)}")).text)
    assert older == ["همکاری رسانه‌ای ایران و قزاقستان"]
    assert len(headlines((await desk.get("/desk?since=not-a-day")).text)) == 4  # ignored, not an error


async def test_search_reaches_the_whole_history(client, desk, kazinform) -> None:  # type: ignore[no-untyped-def]
    """600 newer items arrive after the budget story: search and filters still find it."""
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Kazinform wire", "language": "en",
            "items": [{"id": f"wire-{n}", "title": f"Wire story number {n}", "content_text": f"Routine report {n}."}
                      for n in range(600)]}
    uploaded = await client.post("/api/v1/items:upload", content=json.dumps(feed).encode(),
                                 headers={**kazinform.headers, "Content-Type": "application/feed+json"})
    assert uploaded.status_code in (200, 201), uploaded.text
    assert len(headlines((await desk.get("/desk")).text)) == 100  # one page of the newest
    assert headlines((await desk.get("/desk?q=budget")).text) == ["Parliament approves the budget"]
    assert headlines((await desk.get("/desk?language=ru")).text) == ["Казахстан и Иран подписали соглашение"]
    assert headlines((await desk.get("/desk?topic=medtop:15000000")).text) == ["Astana wins the football derby"]
    assert headlines((await desk.get("/desk?q=number+599")).text) == ["Wire story number 599"]


async def test_search_never_reveals_a_version_not_yet_available(client, desk, kazinform) -> None:  # type: ignore[no-untyped-def]
    """A correction under embargo is searchable only once it is available to the recipient."""
    first = story("kz-9", "Minister visits Tehran", "A routine visit.", "en")
    response = await client.post("/api/v1/items", json={**first, "version": "1"}, headers=kazinform.headers)
    assert response.status_code == 201, response.text
    correction = {**story("kz-9", "Minister resigns in Tehran", "The minister resigned.", "en"), "version": "2",
                  "embargoedUntil": "2099-01-01T00:00:00Z"}
    response = await client.post("/api/v1/items", json=correction, headers=kazinform.headers)
    assert response.status_code == 201, response.text
    assert headlines((await desk.get("/desk?q=resigns")).text) == []
    assert headlines((await desk.get("/desk?q=routine+visit")).text) == ["Minister visits Tehran"]
