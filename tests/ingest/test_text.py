"""Text normalization: Unicode, Persian letters, whitespace, HTML sanitizing and HTML <-> text."""

from __future__ import annotations

import unicodedata

import pytest

from newsbridge.ingest.text import clean_line, clean_text, html_to_text, normalize_persian, sanitize_html, text_to_html

ZWNJ = "\u200c"
ARABIC_YEH, ALEF_MAKSURA, ARABIC_KAF = "\u064a", "\u0649", "\u0643"
PERSIAN_YEH, KEHEH = "\u06cc", "\u06a9"


@pytest.mark.parametrize("raw, expected", [
    ("cafe\u0301", "caf\u00e9"),
    ("Ре\u0301спублика", "Ре\u0301спублика"),  # no precomposed Cyrillic е with acute: stays as is
    ("Қазақстан ә ғ қ ң ө ұ ү һ і Ә Ң Ү", "Қазақстан ә ғ қ ң ө ұ ү һ і Ә Ң Ү"),
    ("\u0418\u0306", "\u0419"),  # И + breve composes to Й
])
def test_clean_text_is_nfc(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected
    assert unicodedata.is_normalized("NFC", clean_text(raw))


@pytest.mark.parametrize("letter", ["ә", "ғ", "қ", "ң", "ө", "ұ", "ү", "һ", "і", "Ә", "Ң", "Ү"])
def test_kazakh_letters_survive_every_cleaner(letter: str) -> None:
    word = f"{letter}{letter}"

    assert clean_text(word) == word
    assert clean_line(word) == word
    assert normalize_persian(word) == word
    assert sanitize_html(f"<p>{word}</p>") == f"<p>{word}</p>"


@pytest.mark.parametrize("raw, expected", [
    ("مي" + ZWNJ + "خواهم", "می" + ZWNJ + "خواهم"),
    ("كتاب", "کتاب"),
    ("مصطفى", "مصطفی"),
    ("ايران و روسيه همكاري" + ZWNJ + "هاي رسانه" + ZWNJ + "اي", "ایران و روسیه همکاری" + ZWNJ + "های رسانه" + ZWNJ + "ای"),
    ("ایران", "ایران"),  # already Persian
])
def test_normalize_persian(raw: str, expected: str) -> None:
    result = normalize_persian(raw)

    assert result == expected
    assert not {ARABIC_YEH, ALEF_MAKSURA, ARABIC_KAF} & set(result)
    assert result.count(ZWNJ) == raw.count(ZWNJ)


def test_normalize_persian_maps_exactly_three_letters() -> None:
    assert normalize_persian(ARABIC_YEH + ALEF_MAKSURA + ARABIC_KAF) == PERSIAN_YEH + PERSIAN_YEH + KEHEH
    others = "\u0629 \u0621 \u0623 \u0625 \u0624 \u0626 \u06cc \u06a9"  # teh marbuta, hamza forms, Persian letters
    assert normalize_persian(others) == others


def test_arabic_letters_are_left_alone_unless_asked() -> None:
    arabic = "وزير الخارجية يلتقي نظيره في الكويت"

    assert clean_text(arabic) == arabic
    assert clean_line(arabic) == arabic
    assert clean_text(arabic, persian=True) == normalize_persian(arabic) != arabic


@pytest.mark.parametrize("raw, expected", [
    ("one  two\tthree\u00a0\u00a0four", "one two three four"),
    ("  leading and trailing \t ", "leading and trailing"),
    ("thin\u2009space and\u202fnarrow", "thin space and narrow"),
    ("bell\x07 null\x00 esc\x1b del\x7f", "bell null esc del"),
    ("zero\u200bwidth", "zerowidth"),
    ("\ufeffbom at start", "bom at start"),
    ("می" + ZWNJ + "خواهم", "می" + ZWNJ + "خواهم"),
    ("first\r\nsecond\rthird", "first\nsecond\nthird"),
    ("para one\n\n\n\npara two", "para one\n\npara two"),
    ("para one\n  \t \n\u00a0\npara two", "para one\n\npara two"),
    ("\n\npara\n\n", "para"),
    ("line one\nline two", "line one\nline two"),
])
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("Kazakhstan  and\tIran\nsign deal", "Kazakhstan and Iran sign deal"),
    ("  Headline\n\n\nwith paragraphs  ", "Headline with paragraphs"),
    ("Tab\t\u00a0and\u200b zero", "Tab and zero"),
    ("رئیس" + ZWNJ + "جمهور\nدر تهران", "رئیس" + ZWNJ + "جمهور در تهران"),
])
def test_clean_line_is_one_line(raw: str, expected: str) -> None:
    result = clean_line(raw)

    assert result == expected
    assert "\n" not in result


def test_clean_line_persian() -> None:
    assert clean_line("  بانك  مركزي\n", persian=True) == "بانک مرکزی"


@pytest.mark.parametrize("markup, gone", [
    ("<p>Text</p><script>alert(1)</script>", ["<script", "alert"]),
    ('<p onclick="steal()">Text</p>', ["onclick", "steal"]),
    ('<img src="https://e.test/a.jpg" onerror="steal()">', ["onerror", "steal"]),
    ('<a href="javascript:alert(1)">x</a>', ["javascript:", "alert"]),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', ["javascript", "alert"]),
    ('<iframe src="https://e.test/"></iframe><p>Text</p>', ["<iframe", "e.test"]),
    ("<style>p{color:red}</style><p>Text</p>", ["<style", "color"]),
    ("<p>Text<!-- secret --></p>", ["<!--", "secret"]),
    ('<form action="https://e.test"><input name="q"></form>', ["<form", "<input"]),
])
def test_sanitize_html_removes_what_is_unsafe(markup: str, gone: list[str]) -> None:
    clean = sanitize_html(markup).lower()

    for fragment in gone:
        assert fragment.lower() not in clean


@pytest.mark.parametrize("markup, expected", [
    ('<p dir="rtl" lang="fa">سلام</p>', '<p dir="rtl" lang="fa">سلام</p>'),
    ("<h2>Sub</h2><ul><li>one</li></ul>", "<h2>Sub</h2><ul><li>one</li></ul>"),
    ("<p><strong>bold</strong> <em>it</em></p>", "<p><strong>bold</strong> <em>it</em></p>"),
    ('<a href="https://kazinform.kz/">Kazinform</a>',
     '<a href="https://kazinform.kz/" rel="noopener noreferrer nofollow">Kazinform</a>'),
    ('<a href="mailto:desk@e.test">desk</a>', '<a href="mailto:desk@e.test" rel="noopener noreferrer nofollow">desk</a>'),
    ('<p onclick="x()">Text</p><script>y()</script>', "<p>Text</p>"),
    ("  <p>Trimmed</p>\n", "<p>Trimmed</p>"),
])
def test_sanitize_html_keeps_what_is_safe(markup: str, expected: str) -> None:
    assert sanitize_html(markup) == expected


def test_sanitize_html_persian() -> None:
    assert sanitize_html('<p lang="fa">بانك مركزي</p>', persian=True) == '<p lang="fa">بانک مرکزی</p>'
    assert sanitize_html('<p lang="ar">بنك مركزي</p>') == '<p lang="ar">بنك مركزي</p>'


@pytest.mark.parametrize("markup, expected", [
    ("<p>One</p><p>Two</p>", "One\n\nTwo"),
    ("<h1>Title</h1><p>Body</p>", "Title\n\nBody"),
    ("<p>Line<br>break</p>", "Line\nbreak"),
    ("<p>Fish &amp; chips &lt;3&gt; caf&eacute; &#1178;&#x0493;</p>", "Fish & chips <3> café Қғ"),
    ("<p>a&nbsp;&nbsp;b</p>", "a b"),
    ("<ul><li>first</li><li>second</li></ul>", "first\n\nsecond"),
    ("<div><p>  spaced   out  </p></div>\n\n\n<p>next</p>", "spaced out\n\nnext"),
    ("<p>Text with <strong>bold</strong> inside</p>", "Text with bold inside"),
    ('<p dir="rtl">می' + ZWNJ + "خواهم</p>", "می" + ZWNJ + "خواهم"),
    ("", ""),
])
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


@pytest.mark.parametrize("text, expected", [
    ("One", "<p>One</p>"),
    ("One\n\nTwo", "<p>One</p>\n<p>Two</p>"),
    ("a < b & c > d", "<p>a &lt; b &amp; c &gt; d</p>"),
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("line one\nline two", "<p>line one<br>line two</p>"),
    ("One\n\n\n\nTwo\n\n", "<p>One</p>\n<p>Two</p>"),
    ("", ""),
])
def test_text_to_html(text: str, expected: str) -> None:
    assert text_to_html(text) == expected


@pytest.mark.parametrize("text", [
    "Kazakhstan & Iran <sign> deal\n\nSecond paragraph",
    "Қазақстан мен Иран\n\nЕкінші абзац",
    "ایران و روسیه همکاری" + ZWNJ + "های رسانه" + ZWNJ + "ای\n\nبند دوم",
])
def test_text_survives_html_and_back(text: str) -> None:
    assert html_to_text(text_to_html(text)) == text
    assert sanitize_html(text_to_html(text)) == text_to_html(text)
