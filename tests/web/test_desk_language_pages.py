"""Desk pages in Persian and Kazakh over HTTP on both databases: the words, digits, calendar,
routing reasons, agreement terms and status words a member reads are their language's, not English."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio

POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
LATIN_DIGITS = re.compile(r"[0-9]")


def text(response: httpx.Response) -> str:
    """The words a reader sees (Unicode isolates around a partner's own words are invisible)."""
    words = html.unescape(re.sub(r"<[^>]+>", " ", response.text)).replace("\u2068", "").replace("\u2069", "")
    return " ".join(words.split())


def story(uri: str, **extra: Any) -> dict[str, Any]:
    return {"uri": uri, "type": "text", "language": "en", "subjects": [POLITICS],
            "headlines": [{"role": "main", "value": "Parliament approves the budget"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "The vote was close."}], **extra}


@pytest.fixture
async def received(client, make_partner):  # type: ignore[no-untyped-def]
    """Kazinform shares politics in English with IRNA; one story, dated by its day only, in two versions."""
    kazinform = make_partner("kazinform", scopes=("publish", "read", "manage"), name="Kazinform")
    irna = make_partner("irna", scopes=("publish", "read", "manage"), name="IRNA")
    await active_agreement(client, kazinform, irna, {"topics": ["medtop:11000000"], "languages": ["en"]},
                           title="Kazinform-IRNA")
    for version in ("1", "2"):
        sent = await client.post("/api/v1/items", headers=kazinform.headers,
                                 json=story("kz-budget", version=version, firstCreated="2024-03-20"))
        assert sent.status_code in (200, 201), sent.text
    return sent.json()["id"]


def _chrome(page: str) -> str:
    """The page without the story's own words (English here) and the brand."""
    return page.replace("Parliament approves the budget", "").replace("The vote was close.", "")


async def test_the_item_page_in_persian(sign_in, received) -> None:  # type: ignore[no-untyped-def]
    desk = await sign_in("irna", "editor", locale="fa")
    page = await desk.get(f"/items/{received}")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    words = text(page)
    # the day the item carries, alone, in the Solar Hijri calendar with Persian digits (20 March 2024)
    assert "انتشار: ۱ فروردین ۱۴۰۳" in words
    assert re.search(r"دریافت: [۰-۹]+ \w+ [۰-۹]{4}،\u200f? [۰-۹]+:[۰-۹]{2}", words), words  # no seconds
    assert "نسخهٔ ۱" in words and "نسخهٔ ۲" in words and "تغییرات از نسخهٔ ۱ تا نسخهٔ ۲" in words
    assert "منتشرشده" in words and "usable" not in words  # status words, not pubstatus codes
    assert "بر اساس توافق‌نامهٔ «Kazinform-IRNA» دریافت شد." in words  # the routing reason in Persian
    assert "«\u2068Kazinform-IRNA\u2069»" in page.text  # the English title is a run of its own in Persian
    assert "زبان: انگلیسی" in words and "سیاست" in words  # language and topic by name
    assert "received under" not in words and "version" not in words.lower()
    assert not LATIN_DIGITS.search(re.sub(r'"[^"]*"|/items/\w+|[A-Za-z0-9.-]+:[0-9]+|G2|ninjs \d|\d\.x', "",
                                          _chrome(text(page)).split("دریافت فایل")[0]))


async def test_persian_pages_set_parts_apart_with_a_bar_not_a_dot(sign_in, received) -> None:  # type: ignore[no-untyped-def]
    """"·" beside a Persian digit reads as the digit zero ("۰"): Persian pages use "|" where the others use "·"."""
    for locale, mark, other in (("fa", "|", "\u00b7"), ("en", "\u00b7", "|")):
        member = await sign_in("irna", "editor", locale=locale)
        for path in ("/partners/kazinform", "/desk"):
            page = await member.get(path)
            assert page.status_code == 200, (locale, path)
            words = text(page)
            assert other not in words, (locale, path)
        assert f" {mark} " in text(await member.get("/partners/kazinform")), locale
        unread = re.search(r'class="badge new">([^<]+)</span>', (await member.get("/desk")).text)
        assert unread and re.fullmatch("[۰-۹]+" if locale == "fa" else "[0-9]+", unread[1]), unread  # its digits


async def test_the_desk_in_kazakh_names_languages_and_topics(sign_in, received) -> None:  # type: ignore[no-untyped-def]
    desk = await sign_in("irna", "editor", locale="kk")
    words = text(await desk.get("/desk"))
    assert "ағылшын тілі" in words and "саясат" in words  # the row's language and topic, by name
    assert re.search(r"\d{4} ж\. \d+ \w+\.?, \d{2}:\d{2}", words)  # Kazakh date format, no seconds
    assert not re.search(r"\d{2}:\d{2}:\d{2}", words)


async def test_agreement_terms_read_in_plain_kazakh(sign_in, received, client) -> None:  # type: ignore[no-untyped-def]
    admin = await sign_in("irna", "admin", locale="kk")
    listed = await admin.get("/agreements")
    agreement = re.search(r'href="/agreements/(\w{20,})"', listed.text)[1]  # type: ignore[index]
    words = text(await admin.get(f"/agreements/{agreement}"))
    assert "Kazinform мына тақырыптардағы материалдарды береді: саясат." in words
    assert "Тек мына тілдердегі материалдар: ағылшын тілі." in words
    assert "Серіктестер материалды жарияланған бойда пайдалана алады." in words
    assert "Аударуға рұқсат етіледі." in words
    assert "күшінде" in words and ">active<" not in (await admin.get(f"/agreements/{agreement}")).text
    for english in (" share ", " and ", " in ", "items", "credit line", "allowed"):
        assert english not in words.split("Тарихы")[0], english


async def test_the_own_item_page_explains_routing_in_persian(sign_in, make_partner, client) -> None:  # type: ignore[no-untyped-def]
    kazinform = make_partner("kazinform", scopes=("publish", "read", "manage"), name="Kazinform")
    irna = make_partner("irna", scopes=("publish", "read", "manage"), name="IRNA")
    await active_agreement(client, kazinform, irna, {"languages": ["ru"]}, title="Only Russian")
    sent = await client.post("/api/v1/items", headers=kazinform.headers, json=story("kz-en"))
    editor = await sign_in("kazinform", "editor", locale="fa")
    words = text(await editor.get(f"/items/{sent.json()['id']}"))
    assert ("توافق‌نامهٔ «Only Russian» مطالب این زبان (انگلیسی) را در بر نمی‌گیرد. زبان‌های آن: روسی.") in words


async def test_a_wrong_time_zone_keeps_the_language_just_chosen(sign_in, make_partner) -> None:  # type: ignore[no-untyped-def]
    make_partner("kazinform")
    member = await sign_in("kazinform", "editor")
    answer = await member.post("/account/preferences", {"locale": "kk", "timezone": "Asia/Almatyy"})
    assert answer.status_code == 422
    assert 'lang="kk"' in answer.text and "Asia/Almaty сияқты уақыт белдеуінің атауы емес" in answer.text
    assert '<option value="kk" selected>' in answer.text and 'value="Asia/Almatyy"' in answer.text


async def test_plurals_and_sentences_in_flashes(sign_in, make_partner) -> None:  # type: ignore[no-untyped-def]
    make_partner("kazinform")
    member = await sign_in("kazinform", "editor", locale="ru")
    refused = await member.post("/outgoing/publish", {"headline": " "})
    assert refused.status_code == 422
    assert re.search(r'class="flash error"[^>]*>A headline is needed<', refused.text)  # shown as a sentence
