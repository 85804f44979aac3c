"""prepare_item: checks, language decision, Persian normalization, bodies and the content hash."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest

from newsbridge.errors import InvalidInput
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import _validator
from newsbridge.ingest.prepare import MAX_URI, Prepared, content_hash, prepare_item

LANGUAGES = ("en", "ru", "kk", "fa", "uk", "be", "mn", "ar", "tr")
ARABIC_YEH, ALEF_MAKSURA, ARABIC_KAF = "\u064a", "\u0649", "\u0643"
PERSIAN_YEH, KEHEH = "\u06cc", "\u06a9"
ARABIC_FORMS = {ARABIC_YEH, ALEF_MAKSURA, ARABIC_KAF}

# Persian written with Arabic yeh and kaf, as many wires and keyboards send it.
FA_HEADLINE = "بانك مركزي نرخ بهره را افزايش داد"
FA_BODY = "بانك مركزي ايران روز يكشنبه نرخ بهره را براي مهار تورم افزايش داد.\n\nاين تصميم از ماه آينده اجرا مي\u200cشود."
AR_HEADLINE = "وزير الخارجية يلتقي نظيره الإيراني في الرياض لبحث العلاقات الثنائية"
AR_BODY = "التقى وزير الخارجية نظيره الإيراني في الرياض يوم الأحد.\n\nوبحث الجانبان العلاقات الثنائية والتعاون الإقليمي."


def prepare(**fields: Any) -> Prepared:
    return prepare_item(Item(**{"uri": "urn:newsbridge:test:1", **fields}), languages=LANGUAGES)


@pytest.mark.parametrize("declared, kept", [("kk", "kk"), (" ru ", "ru"), ("fa-IR", "fa-IR"), ("en", "en")])
def test_declared_language_is_kept(declared: str, kept: str) -> None:
    # The English headline under a declared "kk" proves detection did not run.
    prepared = prepare(language=declared, headline="Central bank raises interest rate to curb inflation")

    assert prepared.item.language == kept
    assert prepared.language_source == "declared"
    assert prepared.language_confidence is None


@pytest.mark.parametrize("expected, headline, body", [
    ("en", "Central bank raises interest rate", "The central bank raised its key rate on Friday to curb inflation."),
    ("ru", "Центральный банк повысил ставку", "Национальный банк в пятницу повысил базовую ставку."),
    ("kk", "Ұлттық банк базалық мөлшерлемені көтерді", "Ұлттық банк жұма күні базалық мөлшерлемені көтерді."),
    ("fa", "بانک مرکزی نرخ بهره را افزایش داد", "بانک مرکزی ایران روز یکشنبه نرخ بهره را افزایش داد."),
])
@pytest.mark.parametrize("declared", [None, "", "   "])
def test_undeclared_language_is_detected(expected: str, headline: str, body: str, declared: str | None) -> None:
    prepared = prepare(language=declared, headline=headline, body_text=body)

    assert prepared.item.language == expected
    assert prepared.language_source == "detected"
    assert prepared.language_confidence is not None
    assert 0 < prepared.language_confidence <= 1


def test_language_is_detected_from_html_only_body() -> None:
    prepared = prepare(body_html="<p>Ұлттық банк жұма күні базалық мөлшерлемені өзгеріссіз қалдырды.</p>")

    assert (prepared.item.language, prepared.language_source) == ("kk", "detected")


def test_nothing_to_detect_is_unknown() -> None:
    prepared = prepare(headline="2024", body_text="12:30")

    assert prepared.item.language is None
    assert prepared.language_source == "unknown"
    assert prepared.language_confidence is None


def test_undeclared_persian_is_normalized_to_persian_letters() -> None:
    assert ARABIC_FORMS & set(FA_HEADLINE) and ARABIC_FORMS & set(FA_BODY)

    item = prepare(headline=FA_HEADLINE, body_text=FA_BODY, description="اين يك خلاصه است", byline="علي كريمي",
                   located="كرمان").item

    assert item.language == "fa"
    assert item.headline == "بانک مرکزی نرخ بهره را افزایش داد"
    assert item.body_text == ("بانک مرکزی ایران روز یکشنبه نرخ بهره را برای مهار تورم افزایش داد.\n\n"
                              "این تصمیم از ماه آینده اجرا می\u200cشود.")
    for value in (item.headline, item.body_text, item.body_html, item.description, item.byline, item.located):
        assert value
        assert not ARABIC_FORMS & set(value)
    assert "\u200c" in item.body_text  # the zero-width non-joiner Persian spelling needs
    assert "\u200c" in item.body_html


def test_persian_html_body_is_normalized() -> None:
    item = prepare(headline=FA_HEADLINE, body_html='<p dir="rtl">' + FA_BODY.replace("\n\n", '</p><p dir="rtl">')
                   + "</p>").item

    assert item.language == "fa"
    assert not ARABIC_FORMS & set(item.body_html)
    assert not ARABIC_FORMS & set(item.body_text)
    assert '<p dir="rtl">' in item.body_html


@pytest.mark.parametrize("declared", ["fa", "FA", "fa-IR"])
def test_declared_persian_is_normalized(declared: str) -> None:
    item = prepare(language=declared, headline=FA_HEADLINE).item

    assert item.headline == "بانک مرکزی نرخ بهره را افزایش داد"


@pytest.mark.parametrize("declared", ["ar", "ar-SA"])
def test_declared_arabic_keeps_arabic_letters(declared: str) -> None:
    assert ARABIC_FORMS & set(AR_HEADLINE) and ARABIC_FORMS & set(AR_BODY)

    item = prepare(language=declared, headline=AR_HEADLINE, body_text=AR_BODY, byline="علي الكعبي").item

    assert item.headline == AR_HEADLINE
    assert item.body_text == AR_BODY
    assert item.byline == "علي الكعبي"
    assert ARABIC_FORMS & set(item.body_html)
    assert not {PERSIAN_YEH, KEHEH} & set(item.headline + item.body_text + item.body_html)


def test_undeclared_arabic_article_keeps_arabic_letters() -> None:
    item = prepare(headline=AR_HEADLINE, body_text=AR_BODY).item

    assert item.language == "ar"
    assert (item.headline, item.body_text) == (AR_HEADLINE, AR_BODY)


@pytest.mark.parametrize("headline", ["الكويت تفوز على قطر", "الملك يستقبل رئيس الوزراء"])
def test_undeclared_short_arabic_headline_stays_arabic(headline: str) -> None:
    item = prepare(headline=headline).item

    assert item.language == "ar"
    assert item.headline == headline


@pytest.mark.parametrize("body_text, body_html", [
    ("First paragraph.\n\nSecond & <third>.", "<p>First paragraph.</p>\n<p>Second &amp; &lt;third&gt;.</p>"),
    ("One line\nnext line", "<p>One line<br>next line</p>"),
    ("  Spaced\u00a0 out  \n\n\n\nAfter  ", "<p>Spaced out</p>\n<p>After</p>"),
])
def test_body_html_is_derived_from_body_text(body_text: str, body_html: str) -> None:
    item = prepare(language="en", body_text=body_text).item

    assert item.body_html == body_html


@pytest.mark.parametrize("body_html, body_text", [
    ("<p>First paragraph.</p><p>Second &amp; last.</p>", "First paragraph.\n\nSecond & last."),
    ("<h2>Sub</h2><p>Line<br>break</p>", "Sub\n\nLine\nbreak"),
    ("<p>Text</p><script>alert('x')</script>", "Text"),
])
def test_body_text_is_derived_from_body_html(body_html: str, body_text: str) -> None:
    item = prepare(language="en", body_html=body_html).item

    assert item.body_text == body_text


def test_both_bodies_given_are_both_kept() -> None:
    item = prepare(language="en", body_text="Plain version.", body_html="<p>Rich <em>version</em>.</p>").item

    assert item.body_text == "Plain version."
    assert item.body_html == "<p>Rich <em>version</em>.</p>"


@pytest.mark.parametrize("body_html, gone", [
    ("<p>Text</p><script>alert(1)</script>", "<script"),
    ('<p onclick="steal()">Text</p>', "onclick"),
    ('<p><a href="javascript:alert(1)">x</a></p>', "javascript:"),
    ('<iframe src="https://e.test/"></iframe><p>Text</p>', "<iframe"),
])
def test_body_html_is_sanitized(body_html: str, gone: str) -> None:
    item = prepare(language="en", body_html=body_html).item

    assert gone not in item.body_html
    assert "Text" in item.body_html or ">x<" in item.body_html


def test_one_line_fields_are_cleaned() -> None:
    item = prepare(uri="  urn:newsbridge:test:spaces  ", language="en", headline="  Two\n lines\t here ",
                   byline=" By\u00a0 Desk ", located="\tAstana\n", description="  ").item

    assert item.uri == "urn:newsbridge:test:spaces"
    assert (item.headline, item.byline, item.located) == ("Two lines here", "By Desk", "Astana")
    assert item.description is None


def test_prepared_document_is_ninjs3_with_the_hub_version() -> None:
    prepared = prepare(language="kk", headline="Астанада форум ашылды", body_text="Мәтін.",
                       versioncreated=datetime(2024, 5, 1, 8, tzinfo=timezone.utc))

    doc = prepared.document(7)

    assert doc["version"] == "7"
    assert doc["language"] == "kk"
    assert list(_validator(3).iter_errors(doc)) == []


@pytest.mark.parametrize("fields, field", [
    ({"uri": None}, "uri"),
    ({"uri": ""}, "uri"),
    ({"uri": "   \t"}, "uri"),
    ({"uri": "urn:" + "x" * MAX_URI}, "uri"),
    ({"pubstatus": "published"}, "pubstatus"),
    ({"pubstatus": "Usable"}, "pubstatus"),
    ({"type": "article"}, "type"),
    ({"type": ""}, "type"),
])
def test_bad_fields_are_invalid_input(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        prepare(language="en", headline="Headline", **fields)

    assert caught.value.field == field
    assert caught.value.code == "invalid"
    assert caught.value.message


BASE = Item(uri="urn:newsbridge:test:hash", version="1", language="en", headline="Headline",
            body_text="Body text.", versioncreated=datetime(2024, 5, 1, 8, tzinfo=timezone.utc))


def test_equal_content_gives_equal_hash() -> None:
    first = prepare_item(BASE, languages=LANGUAGES)
    second = prepare_item(replace(BASE), languages=LANGUAGES)

    assert first.content_hash == second.content_hash
    assert len(first.content_hash) == 64
    assert first.content_hash == content_hash(first.item)


def test_version_does_not_change_the_hash() -> None:
    assert content_hash(BASE) == content_hash(replace(BASE, version="2")) == content_hash(replace(BASE, version=None))
    assert prepare_item(BASE, languages=LANGUAGES).content_hash == \
        prepare_item(replace(BASE, version="9"), languages=LANGUAGES).content_hash


@pytest.mark.parametrize("change", [
    {"headline": "Another headline"},
    {"body_text": "Other body text."},
    {"language": "kk"},
    {"pubstatus": "withheld"},
    {"subjects": [{"uri": "medtop:04000000", "name": "economy"}]},
    {"extra": {"slugline": "rates"}},
], ids=lambda change: next(iter(change)))
def test_changed_content_changes_the_hash(change: dict[str, Any]) -> None:
    assert content_hash(replace(BASE, **change)) != content_hash(BASE)
    assert prepare_item(replace(BASE, **change), languages=LANGUAGES).content_hash != \
        prepare_item(BASE, languages=LANGUAGES).content_hash


def test_whitespace_only_differences_give_equal_prepared_hash() -> None:
    # Cleaning happens before hashing, so a resend with other spacing is recognized as the same.
    messy = replace(BASE, headline="  Headline ", body_text="Body\u00a0 text.\n\n\n")

    assert prepare_item(messy, languages=LANGUAGES).content_hash == prepare_item(BASE, languages=LANGUAGES).content_hash
