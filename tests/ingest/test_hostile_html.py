"""HTML is sanitized wherever it sits in an item, and markup built to make sanitizing slow is refused fast.

nh3's HTML5 tree builder is quadratic in nesting depth and re-opens formatting elements left
open at every paragraph; each hostile shape below took seconds (or grew a 26 kB body into
20 MB) before the pre-scan, and each legit sloppy shape must still pass.
"""

from __future__ import annotations

import time
from typing import Any

import nh3
import pytest

from newsbridge.errors import HtmlTooComplex
from newsbridge.formats.item import Item
from newsbridge.formats.markup import (MAX_DEPTH, MAX_HTML_CHARS, MarkupTooComplex, check_html, clean_html,
                                       clean_html_fields, safe_html)
from newsbridge.formats.ninjs import item_from_ninjs, to_ninjs3
from newsbridge.ingest.prepare import prepare_item

LANGUAGES = ("en", "ru", "kk", "fa")
ARTICLE = ("<p>Lorem ipsum dolor sit amet, <b>consectetur</b> adipiscing elit, <a href='https://x.example/'>sed "
           "do</a> eiusmod tempor incididunt ut labore et dolore magna aliqua.</p>\n") * 120  # ~20 kB
FORBIDDEN = ("onerror", "onload", "javascript:", "<script", "<iframe", "<svg", "xss-")


def hostile(n: int) -> str:
    return f"<img src=x onerror=alert('xss-{n}')><script>alert('xss-{n}')</script>" \
           f"<a href=\"javascript:alert('xss-{n}')\">link {n}</a><svg onload=alert('xss-{n}')></svg>"


def assert_clean(text: str) -> None:
    lowered = text.lower()
    assert not [word for word in FORBIDDEN if word in lowered], text


LEGIT = {
    "article": ARTICLE,
    "paragraphs left open": "<p>one<p>two <b>bold</b>" * 300,
    "list items left open": "<ul><li>a<li>b<li>c</ul>" * 300,
    "table cells left open": "<table><tr><td>a<td>b<tr><td>c<td>d</table>" * 300,
    "bold left open across paragraphs": "<p><b>lead</p>" + "<p>more</p>" * 3000,
    "nested lists": "<ul><li>" * 40 + "x" + "</li></ul>" * 40,
    "embedded post": '<blockquote class="twitter-tweet"><p>hi</p></blockquote><script async '
                     'src="https://platform.twitter.com/widgets.js"></script>' * 20,
    "script with comparisons": '<script>for(var i=0;i<n;i++){if(a<b){x="<div>"}}</script><p>x</p>',
    "inline svg with title and style": '<svg><title>Chart</title><style>.a{fill:red}</style><g><rect/></g></svg>'
                                       '<p>after</p>',
    "deep but allowed": "<div>" * (MAX_DEPTH - 10) + "x" + "</div>" * (MAX_DEPTH - 10),
}

HOSTILE = {
    "nested divs (the report: 128 kB, 1.5 s)": "<div><b>" * 16_000,
    "nested divs": "<div>" * 20_000,
    "nested list items": "<ul><li>" * 12_000,
    "nested blockquotes": "<blockquote>" * 8_000,
    "end tags that cannot close": "<span><div></span>" * 5_000,
    "end tags hidden in attributes": '<div title="</div>">' * 5_000,
    "end tags hidden in a comment that ends early": "<!-->" + "<div>" * 5_000,
    "table cells never closed": "<table><td>" * 3_000,
    "formatting moved by the adoption agency": "<b><div></b>" * 3_000,
    "formatting elements all different": "".join(f"<em class={i}>" for i in range(4_000)),
    "re-opened at every paragraph (quadratic output)": "".join(f"<p><em title={i}>x</p>" for i in range(2_000)),
    "one big element re-opened (26 kB -> 20 MB)": '<p><em title="' + "A" * 10_000 + '">x</p>' + "<p>x</p>" * 2_000,
    "markup in style after svg": "<svg><style>" + "<div>" * 5_000,
    "svg breakout hiding end tags": "<svg>" + ("<div>" * 100 + "<style>" + "</div>" * 100 + "</style>") * 50,
    "script double escape": "<script><!--<script></script>" + "<div>" * 5_000 + "--></script>",
    "too large": "<p>x</p>" * (MAX_HTML_CHARS // 8 + 1),
}


@pytest.mark.parametrize("markup", LEGIT.values(), ids=LEGIT.keys())
def test_real_markup_passes_the_pre_scan(markup: str) -> None:
    check_html(markup)
    assert clean_html(markup)


@pytest.mark.serial  # timed: run alone, after the parallel run
@pytest.mark.parametrize("markup", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_markup_is_refused_before_parsing_and_fast(markup: str) -> None:
    started = time.perf_counter()
    with pytest.raises(MarkupTooComplex) as refused:
        clean_html(markup)
    assert time.perf_counter() - started < 0.5  # these took 0.3 s to minutes, or gigabytes, unchecked
    assert "; " in refused.value.message  # what is wrong; what to do


@pytest.mark.serial  # timed: run alone, after the parallel run
def test_a_2_mb_nested_body_is_answered_within_2_seconds() -> None:
    markup = "<div><b>" * (2_000_000 // 8)  # 2 MB: past the size limit
    deep = "<div><b>" * (MAX_HTML_CHARS // 8 - 1)  # just under it: the depth limit answers
    for body in (markup, deep):
        started = time.perf_counter()
        with pytest.raises(MarkupTooComplex):
            clean_html(body)
        assert time.perf_counter() - started < 2


@pytest.mark.serial  # timed: run alone, after the parallel run
def test_the_pre_scan_of_a_20_kb_article_is_cheap() -> None:
    best = min(_timed(check_html, ARTICLE) for _ in range(5))
    print(f"pre-scan of a {len(ARTICLE):,}-character article: {best * 1000:.2f} ms "
          f"(nh3: {min(_timed(nh3.clean, ARTICLE) for _ in range(5)) * 1000:.2f} ms)")
    assert best < 0.02


def _timed(function: Any, argument: str) -> float:
    started = time.perf_counter()
    function(argument)
    return time.perf_counter() - started


def test_safe_html_shows_nothing_of_what_it_cannot_sanitize() -> None:
    assert safe_html("<div>" * 20_000) == ""
    assert safe_html(None) == ""
    assert safe_html(hostile(1)) == '<img><a rel="noopener noreferrer nofollow">link 1</a>'


def test_every_html_value_is_found_however_deep() -> None:
    doc = {"bodies": [{"contentType": "text/plain", "value": "<b>text stays text</b>"},
                      {"contentType": "Text/HTML; charset=utf-8", "value": hostile(1)}],
           "associations": [{"name": "a", "uri": "urn:a", "descriptions": [
               {"contentType": "application/xhtml+xml", "value": hostile(2)}]}],
           "x-extension": {"deeper": [{"contenttype": "text/html", "value": hostile(3)}]}}
    seen: list[str] = []
    cleaned = clean_html_fields(doc, lambda html, path: seen.append(path) or clean_html(html))
    assert seen == ["$.bodies[1].value", "$.associations[0].descriptions[0].value",
                    "$.x-extension.deeper[0].value"]
    assert cleaned["bodies"][0] == doc["bodies"][0]
    assert_clean(str(cleaned))


def hostile_item() -> Item:
    """The report's item, and hostile HTML in every other HTML-bearing field ninjs has."""
    return item_from_ninjs({
        "uri": "urn:x:hostile", "language": "en",
        "headlines": [{"role": "main", "value": "Hostile"},
                      {"role": "alt", "contentType": "text/html", "value": hostile(1)}],
        "descriptions": [{"role": "main", "value": "summary"},
                         {"role": "alt", "contentType": "text/html", "value": hostile(2)}],
        "bodies": [{"role": "main", "contentType": "text/html", "value": "<script>alert('xss-0')</script>"},
                   {"role": "alt", "contentType": "text/html", "value": "<img src=x onerror=alert(document.domain)>"},
                   {"role": "print", "contentType": "application/xhtml+xml", "value": hostile(3)}],
        "associations": [{"name": "photo", "uri": "urn:x:photo", "bodies": [
            {"contentType": "text/html", "value": hostile(4)}], "descriptions": [
            {"contentType": "text/html", "value": hostile(5)}]}],
    })


def test_prepare_sanitizes_every_html_field_of_the_item() -> None:
    item = hostile_item()
    assert "onerror" in str(to_ninjs3(item))  # the control: the parsed item carries it all
    prepared = prepare_item(item, languages=LANGUAGES).item
    stored = to_ninjs3(prepared)
    assert_clean(str(stored))
    html_values = []
    clean_html_fields(stored, lambda html, path: html_values.append(html) or html)
    assert len(html_values) == 6
    assert all(clean_html(value) == value for value in html_values)  # sanitized: nothing left to remove


@pytest.mark.parametrize("where", ["body_html", "extra", "associations"])
def test_prepare_refuses_markup_too_complex_and_names_the_field(where: str) -> None:
    deep = "<div>" * 20_000
    item = {"body_html": Item(uri="urn:x:1", body_html=deep),
            "extra": Item(uri="urn:x:1", extra={"bodies": [{"contentType": "text/html", "value": deep}]}),
            "associations": Item(uri="urn:x:1", associations=[
                {"name": "a", "uri": "urn:a", "bodies": [{"contentType": "text/html", "value": deep}]}])}[where]
    with pytest.raises(HtmlTooComplex) as refused:
        prepare_item(item, languages=LANGUAGES)
    assert refused.value.code == "html_too_complex"
    assert refused.value.status == 422
    assert refused.value.field == {"body_html": "body_html", "extra": "extra.bodies[0].value",
                                   "associations": "associations[0].bodies[0].value"}[where]
