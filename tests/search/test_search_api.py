"""``GET /api/v1/search`` on both databases: words found in any of their forms in en/ru/kk/fa,
quoted phrases, escaped snippets, facets that count only what the caller may see, embargoes
and withdrawals honoured, bad input refused with a stable code."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from newsbridge.desk import search as desk_search
from newsbridge.items import queries

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
ECONOMY = {"name": "economy", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}
HOSTILE = '<script>alert("x")</script> Казахстан & <img src=x onerror=alert(1)>'


def story(uri: str, language: str, headline: str, text: str, subjects: list[dict[str, str]] | None = None,
          **extra: object) -> dict[str, Any]:
    return {"uri": uri, "version": "1", "type": "text", "language": language, "subjects": subjects or [POLITICS],
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": text}], **extra}


STORIES = [
    story("urn:a:en", "en", "Media cooperation forum opens", "Agencies agreed to exchange news and photographs."),
    story("urn:a:ru", "ru", "Сотрудничество СМИ Казахстана и Ирана",
          "Министры обсудили сотрудничество информационных агентств в Тегеране.", [ECONOMY]),
    story("urn:a:kk", "kk", "Қазақстанның ақпарат агенттіктері Астанада кездесті",
          "Агенттіктер жаңалықтар алмасу туралы келісімге қол қойды."),
    story("urn:a:fa", "fa", "همکاری‌های رسانه‌ای ایران و قزاقستان",
          "خبرگزاری‌ها کتاب‌های مشترک منتشر می‌کنند و خبرنگاران بزرگ‌ترین همایش را برگزار کردند."),
    story("urn:a:hostile", "ru", HOSTILE, f"Начало. {HOSTILE} Конец."),
]


async def publish(client, partner, doc: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/items", json=doc, headers=partner.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def agree(client, source, recipient, **terms: object) -> None:  # type: ignore[no-untyped-def]
    created = await client.post("/api/v1/agreements", headers=source.headers, json={
        "title": f"{source.org.slug} to {recipient.org.slug}", "parties": [source.org.slug, recipient.org.slug],
        "terms": [{"from": source.org.slug, **terms}]})
    assert created.status_code == 201, created.text
    for partner, action in ((source, "propose"), (source, "sign"), (recipient, "sign")):
        assert (await client.post(f"/api/v1/agreements/{created.json()['id']}:{action}",
                                  headers=partner.headers)).status_code == 200


@pytest.fixture
async def hub(client, make_partner):  # type: ignore[no-untyped-def]
    """alpha shares everything with beta; gamma shares with delta only, on the same subjects."""
    alpha, beta = make_partner("alpha", scopes=MANAGE), make_partner("beta", scopes=MANAGE)
    gamma, delta = make_partner("gamma", scopes=MANAGE), make_partner("delta", scopes=MANAGE)
    await agree(client, alpha, beta)
    await agree(client, gamma, delta)
    for doc in STORIES:
        await publish(client, alpha, doc)
    for n, doc in enumerate(STORIES[:4]):  # the stranger's items hold the same words
        await publish(client, gamma, {**doc, "uri": f"urn:g:{n}"})
    return alpha, beta, gamma, delta


async def find(client, caller, status: int = 200, **params: object) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/search", params=params, headers=caller.headers)
    assert response.status_code == status, response.text
    return response.json()


def uris(body: dict[str, Any]) -> list[str]:
    return sorted(entry["item"]["uri"] for entry in body["items"])


@pytest.mark.parametrize(("q", "expected"), [
    ("Казахстан", ["urn:a:hostile", "urn:a:ru"]),  # "Казахстана" in the text
    ("Казахстаном", ["urn:a:hostile", "urn:a:ru"]),
    ("Ираном", ["urn:a:ru"]),
    ("министр агентство", ["urn:a:ru"]),
    ("Қазақстан", ["urn:a:kk"]),  # "Қазақстанның"
    ("агенттік келісім", ["urn:a:kk"]),  # "агенттіктері", "келісімге"
    ("Астана", ["urn:a:kk"]),  # "Астанада"
    ("رسانه همکاری", ["urn:a:fa"]),  # "رسانه‌ای", "همکاری‌های"
    ("كتاب", ["urn:a:fa"]),  # Arabic kaf; "کتاب‌های"
    ("خبرنگار بزرگ", ["urn:a:fa"]),  # "خبرنگاران", "بزرگ‌ترین"
    ("agency cooperating", ["urn:a:en"]),  # "Agencies", "cooperation"
    ("photograph", ["urn:a:en"]),
    ('"media cooperation"', ["urn:a:en"]),
    ('"cooperation media"', []),  # a phrase keeps its order
    ('"exchange news" agencies', ["urn:a:en"]),
    ('"exchange photographs"', []),  # not next to each other
    ('"сотрудничество информационных агентств"', ["urn:a:ru"]),
    ("zeppelin", []),
])
async def test_words_are_found_in_any_form(client, hub, q: str, expected: list[str]) -> None:
    _, beta, _, _ = hub
    body = await find(client, beta, q=q)
    assert uris(body) == expected
    assert body["total"] == len(expected) == body["count"]


async def test_snippets_mark_matches_and_escape_everything_else(client, hub) -> None:
    _, beta, _, _ = hub
    body = await find(client, beta, q="казахстан")
    hostile = next(e for e in body["items"] if e["item"]["uri"] == "urn:a:hostile")["highlight"]
    for html in (hostile["headline"], hostile["snippet"]):
        assert "<script" not in html and "<img" not in html
        assert "&lt;script&gt;" in html and "&amp;" in html
        assert "<mark>Казахстан</mark>" in html
    assert hostile["dir"] == "ltr"
    persian = (await find(client, beta, q="رسانه"))["items"][0]["highlight"]
    assert persian["dir"] == "rtl"
    assert "<mark>رسانه\u200cای</mark>" in persian["headline"]


async def test_facets_count_only_what_the_caller_may_see(client, hub) -> None:
    _, beta, _, delta = hub
    body = await find(client, beta, q="казахстан")
    assert body["facets"]["partner"] == [{"value": "alpha", "label": "Alpha", "count": 2}]
    assert body["facets"]["language"] == [{"value": "ru", "label": "ru", "count": 2}]
    assert body["facets"]["type"] == [{"value": "text", "label": "text", "count": 2}]
    topics = {t["value"]: t["count"] for t in body["facets"]["topic"]}
    assert topics == {"medtop:11000000": 1, "medtop:04000000": 1}
    # the stranger's identical items are counted for its own recipient only
    theirs = await find(client, delta, q="казахстан")
    assert uris(theirs) == ["urn:g:1"] and theirs["facets"]["partner"][0]["value"] == "gamma"
    # each facet is counted with the other filters applied, not its own
    ru = await find(client, beta, lang="ru", partner="alpha")
    assert ru["total"] == 2
    assert {v["value"]: v["count"] for v in ru["facets"]["language"]} == {"en": 1, "ru": 2, "kk": 1, "fa": 1}
    economy = await find(client, beta, topic="medtop:04000000")
    assert uris(economy) == ["urn:a:ru"]
    assert {v["value"]: v["count"] for v in economy["facets"]["language"]} == {"ru": 1}


async def test_a_stranger_finds_and_counts_nothing(client, hub, make_partner) -> None:
    stranger = make_partner("stranger", scopes=MANAGE)
    body = await find(client, stranger, q="казахстан")
    assert body["items"] == [] and body["total"] == 0
    assert all(values == [] for values in body["facets"].values())
    everything = await find(client, stranger)
    assert everything["total"] == 0 and "alpha" not in str(everything)


async def test_embargoed_items_are_not_found_nor_counted_before_their_time(client, hub, monkeypatch) -> None:
    alpha, beta, _, _ = hub
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat(timespec="seconds")
    await publish(client, alpha, story("urn:a:held", "en", "Zeppelin lands in Astana", "Held until tomorrow.",
                                       embargoedUntil=tomorrow))
    body = await find(client, beta, q="zeppelin")
    assert body["items"] == [] and body["total"] == 0 and body["facets"]["partner"] == []
    later = datetime.now(timezone.utc) + timedelta(days=1, minutes=1)
    monkeypatch.setattr(queries, "utcnow", lambda: later)
    monkeypatch.setattr(desk_search, "utcnow", lambda: later)
    body = await find(client, beta, q="zeppelins")
    assert uris(body) == ["urn:a:held"] and body["facets"]["partner"][0]["count"] == 1


async def test_withdrawn_items_are_found_by_no_search(client, hub) -> None:
    alpha, beta, _, _ = hub
    await publish(client, alpha, {**STORIES[0], "version": "2", "pubStatus": "canceled"})
    body = await find(client, beta, q="cooperation")
    assert body["items"] == [] and body["total"] == 0 and body["facets"]["language"] == []


async def test_filters_pages_and_cursor(client, hub) -> None:
    _, beta, _, _ = hub
    first = await find(client, beta, limit=2, facets="false")
    assert first["count"] == 2 and first["total"] == 5 and first["facets"] == {} and first["next"]
    second = await find(client, beta, limit=2, before=first["next"])
    third = await find(client, beta, limit=2, before=second["next"])
    seen = uris(first) + uris(second) + uris(third)
    assert sorted(seen) == sorted(d["uri"] for d in STORIES) and third["next"] is None
    assert uris(await find(client, beta, type="picture")) == []
    assert (await find(client, beta, **{"from": "2000-01-01T00:00:00Z", "to": "2000-01-02"}))["total"] == 0


async def test_kept_statements_take_their_values_each_time(client, hub) -> None:
    """A search's statements are kept per viewer and shape of filters (desk/matches.py): the
    dates, the cursor, the time and the index hits are parameters, never the first search's."""
    _, beta, _, delta = hub
    kept = desk_search._page_statement.cache_info().hits
    past, future = "2000-01-01T00:00:00Z", (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    for q in ("", "Казахстан"):  # the inbox, and a query's hits
        assert (await find(client, beta, q=q, **{"from": past}))["total"] == (5 if not q else 2)
        assert (await find(client, beta, q=q, **{"from": future}))["total"] == 0
        assert (await find(client, beta, q=q, to=past))["total"] == 0
        assert (await find(client, beta, q=q, to=future))["total"] == (5 if not q else 2)
    assert desk_search._page_statement.cache_info().hits >= kept + 4
    first = await find(client, beta, q="Казахстан", limit=1)
    second = await find(client, beta, q="Казахстан", limit=1, before=first["next"])
    assert first["total"] == second["total"] == 2 and uris(first) != uris(second) and second["next"] is None
    for _ in range(2):  # the same words for another viewer: its own hits, from its own statement
        assert uris(await find(client, delta, q="Казахстан")) == ["urn:g:1"]
        assert uris(await find(client, beta, q="Казахстан")) == ["urn:a:hostile", "urn:a:ru"]


@pytest.mark.parametrize(("params", "code", "field"), [
    ({"cross_lingual": "true", "q": "x", "before": "2026-01-01T00:00:00+00:00_1"}, "not_available", "before"),
    ({"cross_lingual": "true"}, "invalid", "q"),
    ({"before": "yesterday_1"}, "invalid", "before"),
    ({"before": "2026-01-01T00:00:00_1"}, "invalid", "before"),  # no offset: not one of ours
    ({"from": "last week"}, "invalid", "from"),
    ({"topic": "politics"}, "invalid", "topic"),
    ({"lang": "english!"}, "invalid", "lang"),
    ({"type": "novel"}, "invalid", "type"),
    ({"limit": "0"}, "invalid", "limit"),
    ({"q": "x" * 501}, "invalid", "q"),
])
async def test_bad_input_is_refused_with_a_stable_code(client, hub, params, code: str, field: str) -> None:
    _, beta, _, _ = hub
    body = await find(client, beta, 422, **params)
    assert body["error"]["code"] == code and field in (body["error"]["field"] or ""), body


async def test_queries_of_punctuation_or_operators_never_fail(client, hub) -> None:
    _, beta, _, _ = hub
    for q in ('"', '""', "***", "NEAR(", "'; drop table items --", '"a" OR "b"*', "\u200c", "x" * 500):
        assert (await find(client, beta, q=q))["count"] >= 0


async def test_search_needs_a_key(client, hub) -> None:
    assert (await client.get("/api/v1/search", params={"q": "x"})).status_code == 401
