"""RSS 2.0/1.0, Atom 1.0 and JSON Feed 1.1 in, JSON Feed 1.1 out: golden fields, errors, round trips."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newsbridge.formats.errors import FormatError
from newsbridge.formats.feeds import (
    FORMAT_ATOM,
    FORMAT_JSONFEED,
    FORMAT_RSS,
    JSONFEED_VERSION,
    FeedError,
    parse_feed,
    sniff_feed,
    to_jsonfeed,
)
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import to_ninjs3, validate

ALMATY = timezone(timedelta(hours=5))
MOSCOW = timezone(timedelta(hours=3))
TEHRAN = timezone(timedelta(hours=3, minutes=30))
TEHRAN_SUMMER_2018 = timezone(timedelta(hours=4, minutes=30))  # Iran kept daylight saving until 2022
MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/">
  <channel>
    <title>ҚазАқпарат – Жаңалықтар</title>
    <link>https://www.inform.kz/kz</link>
    <description>Қазақстан мен әлем жаңалықтары</description>
    <language>kk</language>
    <item>
      <title>Астанада Қазақстан мен Иран медиа ынтымақтастығын талқылады</title>
      <link>https://www.inform.kz/kz/article/4051234</link>
      <guid isPermaLink="false">inform.kz:4051234</guid>
      <description>&lt;p&gt;Президенттің &lt;b&gt;Телерадиокешені&lt;/b&gt; ирандық серіктестермен кездесті.&lt;/p&gt;</description>
      <content:encoded><![CDATA[<p>АСТАНА. ҚАЗАҚПАРАТ – Кездесу барысында тараптар бірлескен жобаларды талқылады.</p>
<p>Келесі кездесу Тегеранда өтеді.</p>]]></content:encoded>
      <author>editor@inform.kz (Айгерім Сапарова)</author>
      <category domain="http://cv.iptc.org/newscodes/mediatopic/">20000045</category>
      <category>Қоғам</category>
      <pubDate>Wed, 26 Apr 2023 09:12:00 +0500</pubDate>
      <enclosure url="https://static.inform.kz/photos/4051234.jpg" length="245000" type="image/jpeg"/>
      <media:content url="https://static.inform.kz/photos/4051234.jpg" type="image/jpeg" width="1200" height="675"/>
      <media:thumbnail url="https://static.inform.kz/photos/4051234_thumb.jpg" width="160" height="90"/>
    </item>
    <item>
      <title>В Алматы открылся новый центр цифровых медиа</title>
      <link>https://www.inform.kz/ru/article/4051300</link>
      <description>Центр объединит редакции из Казахстана и Узбекистана.</description>
      <dc:creator>Иван Петров</dc:creator>
      <dc:language>ru</dc:language>
      <category>medtop:11000000</category>
      <pubDate>Wed, 26 Apr 2023 06:30:00 GMT</pubDate>
    </item>
    <item>
      <title>همکاری رسانه‌ای ایران و قزاقستان گسترش می‌یابد</title>
      <guid>https://parstoday.ir/fa/news/iran-i190001</guid>
      <description>&lt;p dir="rtl"&gt;معاون وزیر فرهنگ از گسترش همکاری‌های رسانه‌ای خبر داد.&lt;/p&gt;</description>
      <dc:language>fa</dc:language>
      <pubDate>Thu, 12 Jul 2018 07:08:00 +0430</pubDate>
      <enclosure url="https://parstoday.ir/audio/190001.mp3" length="3100000" type="audio/mpeg"/>
    </item>
  </channel>
</rss>
""".encode("utf-8")

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru">
  <title>Евразийская лента</title>
  <id>tag:eurasia.example,2023:feed</id>
  <updated>2023-04-26T10:00:00+03:00</updated>
  <link rel="alternate" href="https://eurasia.example/"/>
  <author><name>Редакция ленты</name></author>
  <entry>
    <title type="html">Новый мост через Иртыш &lt;em&gt;открыт&lt;/em&gt; для движения</title>
    <id>tag:eurasia.example,2023:17500001</id>
    <link rel="alternate" type="text/html" href="https://eurasia.example/ru/17500001"/>
    <link rel="enclosure" type="image/jpeg" length="180000" href="https://eurasia.example/img/17500001.jpg"/>
    <published>2023-04-26T09:00:00+03:00</published>
    <updated>2023-04-26T09:45:00+03:00</updated>
    <author><name>Анна Иванова</name></author>
    <author><name>Пётр Сидоров</name></author>
    <category scheme="http://cv.iptc.org/newscodes/mediatopic/" term="medtop:04000000" label="экономика"/>
    <category scheme="http://cv.iptc.org/newscodes/mediatopic/" term="20000763" label="дороги"/>
    <category term="Павлодар"/>
    <summary>Мост соединил два берега Иртыша.</summary>
    <content type="html">&lt;p&gt;В Павлодаре открыли мост длиной 1,2 км.&lt;/p&gt;</content>
  </entry>
  <entry xml:lang="fa">
    <title>نمایشگاه کتاب تهران آغاز شد</title>
    <id>urn:uuid:6d1f6d1e-4a4b-4f43-9d6a-0b7e4a1c2f11</id>
    <updated>2023-05-10T11:20:00+03:30</updated>
    <category term="فرهنگ" label="فرهنگ"/>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p dir="rtl">سی‌وچهارمین نمایشگاه بین‌المللی کتاب تهران گشایش یافت.</p></div></content>
  </entry>
  <entry xml:lang="kk">
    <title>Алматыда жаңа кітапхана ашылды</title>
    <id>tag:eurasia.example,2023:17500003</id>
    <link href="https://eurasia.example/kk/17500003"/>
    <published>2023-04-27T12:00:00+05:00</published>
    <updated>2023-04-27T12:00:00+05:00</updated>
    <content type="text">Кітапхана қорында 50 мыңнан астам кітап бар.</content>
  </entry>
</feed>
""".encode("utf-8")

JSONFEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Kaztag — лента",
    "home_page_url": "https://kaztag.example/",
    "feed_url": "https://kaztag.example/feed.json",
    "language": "ru",
    "authors": [{"name": "Редакция Kaztag"}],
    "items": [
        {
            "id": "https://kaztag.example/kz/news/123",
            "url": "https://kaztag.example/kz/news/123",
            "title": "Астанада медиафорум өтті",
            "content_html": "<p>Форумға 30 елден журналистер қатысты.</p>",
            "summary": "Халықаралық медиафорум Астанада өтті.",
            "date_published": "2023-04-26T09:12:00+05:00",
            "date_modified": "2023-04-26T10:05:00+05:00",
            "language": "kk",
            "authors": [{"name": "Айгерім Сапарова", "url": "https://kaztag.example/authors/saparova"}],
            "tags": ["medtop:20000045", "Медиа"],
            "image": "https://kaztag.example/img/123.jpg",
            "attachments": [{"url": "https://kaztag.example/audio/123.mp3", "mime_type": "audio/mpeg",
                             "title": "Форум туралы подкаст", "size_in_bytes": 5200000,
                             "duration_in_seconds": 312.5}],
        },
        {
            "id": 98765,
            "url": "https://kaztag.example/fa/news/98765",
            "title": "گفت‌وگوی رسانه‌ای تهران و آستانه",
            "content_text": "خبرنگاران دو کشور درباره همکاری‌های آینده گفت‌وگو کردند.",
            "date_published": "2023-05-10T11:20:00+03:30",
            "language": "fa",
            "tags": ["رسانه"],
        },
        {
            "id": "kaztag-ru-555",
            "title": "Курс тенге укрепился",
            "summary": "Тенге подорожал на 0,4% за день.",
            "date_published": "2023-04-27T16:00:00Z",
        },
    ],
}, ensure_ascii=False, indent=2).encode("utf-8")


def one(items: list[Item], uri: str) -> Item:
    found = [item for item in items if item.uri == uri]
    assert len(found) == 1, [item.uri for item in items]
    return found[0]


# sniffing

@pytest.mark.parametrize("data, expected", [
    (RSS, FORMAT_RSS),
    (ATOM, FORMAT_ATOM),
    (JSONFEED, FORMAT_JSONFEED),
    (b'<?xml version="1.0"?>\n<!-- news -->\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
     b'xmlns="http://purl.org/rss/1.0/"></rdf:RDF>', FORMAT_RSS),
    (b'\xef\xbb\xbf<?xml version="1.0"?><rss version="0.91"><channel/></rss>', FORMAT_RSS),
    ('<?xml version="1.0" encoding="utf-16"?><rss version="2.0"/>'.encode("utf-16"), FORMAT_RSS),
    (b'<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>\n<rss version="2.0"/>', FORMAT_RSS),
    (b'<atom:feed xmlns:atom="http://www.w3.org/2005/Atom"></atom:feed>', FORMAT_ATOM),
    (b'{"items": [], "version": "https:\\/\\/jsonfeed.org\\/version\\/1", "title": "escaped slashes"}',
     FORMAT_JSONFEED),
    (b'<feed xmlns="http://purl.org/atom/ns#"></feed>', None),  # Atom 0.3 is not Atom 1.0
    (b'<feed></feed>', None),
    (b'<html><body><p>Not a feed</p></body></html>', None),
    (b'{"uri": "urn:a", "version": "1", "headline": "ninjs 1.x"}', None),
    (b'[{"version": "https://jsonfeed.org/version/1.1"}]', None),
    (b" date 2023-04-26 Kazinform wire\n\nASTANA. KAZINFORM - text", None),
    (b"", None),
])
def test_sniff_feed(data: bytes, expected: str | None) -> None:
    assert sniff_feed(data) == expected


@pytest.mark.parametrize("data", [
    b" " * 5000 + b"x",
    b'<?xml version="1.0"?>' + b"<!-- c -->" * 400 + b"x",
    b"<?a?>" * 800 + b"x",
    b"<!DOCTYPE x [" + b"[]" * 2000,
    b"{" + b'"version": 1, ' * 100_000,
], ids=["spaces", "comments", "processing-instructions", "doctype", "big-json"])
@pytest.mark.serial  # timed: run alone, after the parallel run
def test_sniffing_hostile_prologs_is_fast(data: bytes) -> None:
    # A regular expression that could read a prolog two ways would take years on these.
    started = time.perf_counter()

    assert sniff_feed(data) is None
    assert time.perf_counter() - started < 1.0


@pytest.mark.serial  # timed: run alone, after the parallel run
def test_hostile_markup_in_titles_is_read_in_linear_time() -> None:
    title = "&lt;!--" * 100_000 + "&lt;p" * 100_000
    data = (f'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:x</id><title type="html">{title}</title>'
            "</entry></feed>").encode()
    started = time.perf_counter()

    [item] = parse_feed(data)

    assert item.headline is None  # it was all an unclosed comment
    assert time.perf_counter() - started < 5.0


# RSS 2.0

def test_rss_item_with_guid_content_categories_and_enclosure() -> None:
    item = one(parse_feed(RSS), "inform.kz:4051234")

    assert item.version is None
    assert item.type == "text"
    assert item.headline == "Астанада Қазақстан мен Иран медиа ынтымақтастығын талқылады"
    assert item.body_html == ("<p>АСТАНА. ҚАЗАҚПАРАТ – Кездесу барысында тараптар бірлескен жобаларды талқылады.</p>\n"
                              "<p>Келесі кездесу Тегеранда өтеді.</p>")
    assert item.body_text is None
    assert item.description == "Президенттің Телерадиокешені ирандық серіктестермен кездесті."
    assert item.firstcreated == datetime(2023, 4, 26, 9, 12, tzinfo=ALMATY)
    assert item.firstcreated.utcoffset() == timedelta(hours=5)  # the sender's offset is kept
    assert item.versioncreated == item.firstcreated
    assert item.byline == "Айгерім Сапарова"  # the name, not the e-mail address
    assert item.language == "kk"  # the channel's <language>
    assert item.subjects == [
        {"name": "20000045", "uri": MEDTOP + "20000045"},
        {"name": "Қоғам", "literal": "Қоғам"},
    ]
    assert item.renditions == [
        {"name": "enclosure", "href": "https://static.inform.kz/photos/4051234.jpg", "contentType": "image/jpeg",
         "sizeInBytes": 245000, "width": 1200, "height": 675},
        {"name": "thumbnail", "href": "https://static.inform.kz/photos/4051234_thumb.jpg", "width": 160, "height": 90},
    ]
    assert item.extra == {"altIds": [{"role": "link", "value": "https://www.inform.kz/kz/article/4051234"}]}


def test_rss_item_without_guid_is_identified_by_its_link() -> None:
    item = one(parse_feed(RSS), "https://www.inform.kz/ru/article/4051300")

    assert item.headline == "В Алматы открылся новый центр цифровых медиа"
    assert item.body_text == "Центр объединит редакции из Казахстана и Узбекистана."  # no markup: text
    assert item.body_html is None
    assert item.description is None  # the summary is the body when there is no content
    assert item.byline == "Иван Петров"
    assert item.language == "ru"  # dc:language of the item beats the channel's
    assert item.firstcreated == datetime(2023, 4, 26, 6, 30, tzinfo=timezone.utc)
    assert item.subjects == [{"name": "medtop:11000000", "uri": MEDTOP + "11000000"}]
    assert item.extra == {}
    assert item.renditions == []


def test_rss_item_with_permalink_guid_in_persian() -> None:
    item = one(parse_feed(RSS), "https://parstoday.ir/fa/news/iran-i190001")

    assert item.headline == "همکاری رسانه‌ای ایران و قزاقستان گسترش می‌یابد"
    assert "\u200c" in item.headline  # the zero-width non-joiner of Persian spelling survives
    assert item.body_html == '<p dir="rtl">معاون وزیر فرهنگ از گسترش همکاری‌های رسانه‌ای خبر داد.</p>'
    assert item.language == "fa"
    assert item.firstcreated == datetime(2018, 7, 12, 7, 8, tzinfo=TEHRAN.__class__(timedelta(hours=4, minutes=30)))
    assert item.byline is None
    assert item.renditions == [{"name": "enclosure", "href": "https://parstoday.ir/audio/190001.mp3",
                                "contentType": "audio/mpeg", "sizeInBytes": 3100000}]


def test_rss_items_keep_document_order_and_uris_are_stable() -> None:
    first, again = parse_feed(RSS), parse_feed(RSS)

    assert [item.uri for item in first] == [
        "inform.kz:4051234", "https://www.inform.kz/ru/article/4051300", "https://parstoday.ir/fa/news/iran-i190001"]
    assert first == again


def test_rss_1_0_rdf() -> None:
    data = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://inform.example/rss"><title>Лента</title><link>https://inform.example/</link>
    <description>Новости</description><dc:language>ru-RU</dc:language></channel>
  <item rdf:about="https://inform.example/news/1">
    <title>Первая новость</title><link>https://inform.example/news/1</link>
    <dc:date>2023-04-26T09:00:00+03:00</dc:date><dc:subject>Экономика</dc:subject>
  </item>
</rdf:RDF>""".encode("utf-8")

    [item] = parse_feed(data)

    assert item.uri == "https://inform.example/news/1"
    assert item.headline == "Первая новость"
    assert item.language == "ru-RU"
    assert item.versioncreated == datetime(2023, 4, 26, 9, 0, tzinfo=MOSCOW)
    assert item.subjects == [{"name": "Экономика", "literal": "Экономика"}]


# Atom 1.0

def test_atom_entry_with_html_title_content_summary_and_categories() -> None:
    item = one(parse_feed(ATOM), "tag:eurasia.example,2023:17500001")

    assert item.headline == "Новый мост через Иртыш открыт для движения"  # HTML title as text
    assert item.body_html == "<p>В Павлодаре открыли мост длиной 1,2 км.</p>"
    assert item.description == "Мост соединил два берега Иртыша."
    assert item.firstcreated == datetime(2023, 4, 26, 9, 0, tzinfo=MOSCOW)
    assert item.versioncreated == datetime(2023, 4, 26, 9, 45, tzinfo=MOSCOW)
    assert item.byline == "Анна Иванова, Пётр Сидоров"
    assert item.language == "ru"  # the feed's xml:lang
    assert item.subjects == [
        {"name": "экономика", "uri": MEDTOP + "04000000"},
        {"name": "дороги", "uri": MEDTOP + "20000763"},
        {"name": "Павлодар", "literal": "Павлодар"},
    ]
    assert item.renditions == [{"name": "enclosure", "href": "https://eurasia.example/img/17500001.jpg",
                                "contentType": "image/jpeg", "sizeInBytes": 180000}]
    assert item.extra == {"altIds": [{"role": "link", "value": "https://eurasia.example/ru/17500001"}]}


def test_atom_entry_with_own_language_xhtml_content_and_only_updated() -> None:
    item = one(parse_feed(ATOM), "urn:uuid:6d1f6d1e-4a4b-4f43-9d6a-0b7e4a1c2f11")

    assert item.language == "fa"  # the entry's xml:lang beats the feed's
    assert item.headline == "نمایشگاه کتاب تهران آغاز شد"
    assert item.body_html == '<p dir="rtl">سی‌وچهارمین نمایشگاه بین‌المللی کتاب تهران گشایش یافت.</p>'
    assert item.description is None  # feedparser copies content into summary: not a description
    assert item.firstcreated is None
    assert item.versioncreated == datetime(2023, 5, 10, 11, 20, tzinfo=TEHRAN)
    assert item.byline == "Редакция ленты"  # Atom: entries without authors inherit the feed's
    assert item.subjects == [{"name": "فرهنگ", "literal": "فرهنگ"}]
    assert item.extra == {}  # no link element: the id is not repeated as a link


def test_atom_entry_with_text_content_in_kazakh() -> None:
    item = one(parse_feed(ATOM), "tag:eurasia.example,2023:17500003")

    assert item.language == "kk"
    assert item.body_text == "Кітапхана қорында 50 мыңнан астам кітап бар."
    assert item.body_html is None
    assert item.firstcreated == datetime(2023, 4, 27, 12, 0, tzinfo=ALMATY)
    assert item.extra == {"altIds": [{"role": "link", "value": "https://eurasia.example/kk/17500003"}]}


# JSON Feed 1.1

def test_jsonfeed_item_with_html_tags_authors_and_attachments() -> None:
    item = one(parse_feed(JSONFEED), "https://kaztag.example/kz/news/123")

    assert item.version is None
    assert item.headline == "Астанада медиафорум өтті"
    assert item.body_html == "<p>Форумға 30 елден журналистер қатысты.</p>"
    assert item.body_text is None
    assert item.description == "Халықаралық медиафорум Астанада өтті."
    assert item.firstcreated == datetime(2023, 4, 26, 9, 12, tzinfo=ALMATY)
    assert item.versioncreated == datetime(2023, 4, 26, 10, 5, tzinfo=ALMATY)
    assert item.language == "kk"
    assert item.byline == "Айгерім Сапарова"
    assert item.subjects == [{"name": "medtop:20000045", "uri": MEDTOP + "20000045"},
                             {"name": "Медиа", "literal": "Медиа"}]
    assert item.renditions == [
        {"name": "image", "href": "https://kaztag.example/img/123.jpg"},
        {"name": "attachment", "href": "https://kaztag.example/audio/123.mp3", "contentType": "audio/mpeg",
         "title": "Форум туралы подкаст", "sizeInBytes": 5200000, "duration": 312.5},
    ]
    assert item.extra == {}  # url == id


def test_jsonfeed_numeric_id_is_a_string_and_persian_text_is_the_body() -> None:
    item = one(parse_feed(JSONFEED), "98765")

    assert item.headline == "گفت‌وگوی رسانه‌ای تهران و آستانه"
    assert item.body_text == "خبرنگاران دو کشور درباره همکاری‌های آینده گفت‌وگو کردند."
    assert item.language == "fa"
    assert item.firstcreated == datetime(2023, 5, 10, 11, 20, tzinfo=TEHRAN)
    assert item.byline == "Редакция Kaztag"  # the feed's authors
    assert item.subjects == [{"name": "رسانه", "literal": "رسانه"}]
    assert item.extra == {"altIds": [{"role": "link", "value": "https://kaztag.example/fa/news/98765"}]}


def test_jsonfeed_item_with_only_a_summary_inherits_the_feed_language() -> None:
    item = one(parse_feed(JSONFEED), "kaztag-ru-555")

    assert item.language == "ru"
    assert item.body_text == "Тенге подорожал на 0,4% за день."
    assert item.description is None
    assert item.firstcreated == item.versioncreated == datetime(2023, 4, 27, 16, 0, tzinfo=timezone.utc)


def test_jsonfeed_1_0_author_object() -> None:
    data = json.dumps({"version": "https://jsonfeed.org/version/1", "title": "t", "items": [
        {"id": "1", "content_text": "Мәтін", "author": {"name": "Данияр Есенов"}}]}).encode()

    [item] = parse_feed(data)

    assert item.byline == "Данияр Есенов"


# languages

@pytest.mark.parametrize("data, default, expected", [
    (RSS, "en", ["kk", "ru", "fa"]),  # every RSS item has a language: the default is not used
    (RSS.replace(b"<language>kk</language>", b""), "kk-kz", ["kk-KZ", "ru", "fa"]),
    (RSS.replace(b"<language>kk</language>", b""), None, [None, "ru", "fa"]),
    (RSS.replace(b"<language>kk</language>", b"<language>KK-kz</language>"), None, ["kk-KZ", "ru", "fa"]),
    (JSONFEED.replace('"language": "ru",'.encode(), b""), "ru", ["kk", "fa", "ru"]),
])
def test_default_language_applies_only_when_nothing_is_declared(data: bytes, default: str | None,
                                                                  expected: list[str | None]) -> None:
    assert [item.language for item in parse_feed(data, default_language=default)] == expected


# identity
